import { z } from 'zod'
import { Consumer, type ConsumerHost } from '../consumer/consumer'
import type { ConsumerOptions } from '../consumer/options'
import {
  ClosedError,
  InvalidConfigError,
  InvalidPartitionsError,
  OffsetOutOfRangeError,
  TopicExistsError,
  UnknownTopicError,
} from '../errors'
import { TypedEmitter } from '../events/typed-emitter'
import { ConsumerGroup, type GroupHost } from '../group/consumer-group'
import type { ProducerOptions } from '../producer/options'
import { Producer, type ProducerHost } from '../producer/producer'
import { type Codec, RAW } from '../record/codec'
import type { LogRecord } from '../record/log-record'
import { MemoryStorage } from '../storage/memory/memory-storage'
import type { CommittedOffset, Storage, TopicConfig } from '../storage/storage'
import { PartitionCore } from '../topic/partition-core'
import { Topic, TopicEntry } from '../topic/topic'
import { validateTopicName } from '../topic/topic-name'
import {
  alterableConfigSchema,
  resolveTopicOptions,
  type TopicDeclarations,
  type TopicNamed,
  type TopicOf,
  type TopicOptions,
} from '../topic/topic-options'
import { type Clock, type ClockTimer, systemClock } from '../util/clock'
import { parseOptions } from '../util/options'
import { SerialQueue } from '../util/serial-queue'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/**
 * Options of `Bus.open()`. Without options, the bus keeps everything in memory.
 *
 * @example
 * ```ts
 * const bus = await Bus.open({ storage: new MemoryStorage() })
 * ```
 */
export interface BusOptions<D extends TopicDeclarations = Record<never, never>> {
  /** Where logs, topics and offsets live. Default: a new `MemoryStorage`. */
  storage?: Storage
  /** A directory for a durable file log: the same as `storage: new FileStorage({ dir, fsync })` from `logbus/file`. */
  dir?: string
  /** With `dir`: when appends are durable. Default `'always'` (see FileStorage). */
  fsync?: 'always' | 'interval' | 'never'
  /** The source of time and timers; tests inject a fake one so timeouts need no real waiting. */
  clock?: Clock
  /** How often retention runs in the background (Kafka's log.retention.check.interval.ms). Default 300000. */
  retentionCheckIntervalMs?: number
  /**
   * Topics this bus works with, typed by name: created when missing (an existing topic keeps the
   * configuration it has), and from then on `bus.topic('orders')`, `producer.send('orders', …)` and
   * `bus.consumer({ topics: ['orders'] })` use their codecs.
   */
  topics?: D
  /**
   * Kafka's `auto.create.topics.enable` (KafkaJS's `allowAutoTopicCreation`): a send to, or a
   * subscription of, a topic that does not exist creates it, raw, with `partitions` partitions (Kafka's
   * `num.partitions`, default 1). Off by default: a typo then fails instead of creating a topic.
   */
  autoCreateTopics?: boolean | { partitions?: number }
}

/**
 * Events of a bus.
 *
 * @example
 * ```ts
 * bus.on('topicCreated', ({ topic }) => console.log('created', topic))
 * ```
 */
export interface BusEvents {
  topicCreated: { topic: string; partitions: number }
  topicDeleted: { topic: string }
  partitionsCreated: { topic: string; partitions: number }
  close: Record<string, never>
}

/**
 * The record type a consumer of `topics` receives on a bus with declarations `D`.
 *
 * @example
 * ```ts
 * type R = RecordsOf<{ orders: { value: Codec<Order> } }, ['orders']> // LogRecord<string, Order>
 * ```
 */
export type RecordsOf<D, T> = [T] extends [undefined]
  ? LogRecord
  : NonNullable<ConsumerOptions['topics']> extends T
    ? LogRecord
    : RecordsOfTopics<D, T>

type RecordsOfTopics<D, T> = T extends RegExp
  ? LogRecord | { [N in keyof D]: RecordOfTopic<TopicOf<D[N]>> }[keyof D]
  : T extends string
    ? RecordOfTopic<TopicNamed<D, T>>
    : T extends ReadonlyArray<infer E>
      ? E extends string
        ? RecordOfTopic<TopicNamed<D, E>>
        : RecordOfTopic<E>
      : never

/**
 * The record type a consumer of one topic receives.
 *
 * @example
 * ```ts
 * type R = RecordOfTopic<Topic<string, Order>> // LogRecord<string, Order>
 * ```
 */
export type RecordOfTopic<T> =
  T extends Topic<infer K, infer V, infer _KIn, infer _VIn> ? LogRecord<K, V> : never

/** Makes a key that `Allowed` does not have a type error, as an object literal's excess property is. */
type NoExtraKeys<O, Allowed> = Record<Exclude<keyof O, keyof Allowed>, never>

const busOptionsSchema = z.strictObject({
  storage: z
    .custom<Storage>(
      (value) =>
        typeof value === 'object' && value !== null && typeof (value as Storage).openLog === 'function',
      'must implement the Storage interface',
    )
    .optional(),
  clock: z
    .custom<Clock>(
      (value) =>
        typeof value === 'object' && value !== null && typeof (value as Clock).setTimeout === 'function',
      'must implement now, setTimeout and clearTimeout',
    )
    .optional(),
  dir: z.string().min(1, 'must be a directory path').optional(),
  fsync: z.enum(['always', 'interval', 'never']).optional(),
  retentionCheckIntervalMs: z.number().int().min(1).default(300_000),
  topics: z.record(z.string(), z.unknown()).optional(),
  autoCreateTopics: z
    .union([z.boolean(), z.strictObject({ partitions: z.number().int().min(1).max(100_000).optional() })])
    .default(false),
})

/**
 * The in-process cluster: topics, producers, consumers and groups over one storage. `D` holds the
 * topics declared at `open`, which makes them typed by name.
 *
 * @example
 * ```ts
 * import { Bus, json } from 'logbus'
 * import { z } from 'zod'
 *
 * const Order = z.object({ id: z.string(), total: z.number() })
 * const bus = await Bus.open({ topics: { orders: { partitions: 6, value: json(Order) } } })
 * const consumer = bus.consumer({ groupId: 'billing', topics: ['orders'], fromBeginning: true })
 * await consumer.run({ eachMessage: (record) => console.log(record.value.total) })
 * await bus.producer().send('orders', { key: 'o-1', value: { id: 'o-1', total: 9.5 } })
 * await consumer.caughtUp()
 * await bus.close()
 * ```
 */
export class Bus<D extends TopicDeclarations = Record<never, never>> extends TypedEmitter<BusEvents> {
  readonly #storage: Storage
  readonly #clock: Clock
  readonly #topics = new Map<string, TopicEntry>()
  readonly #groups = new Map<string, ConsumerGroup>()
  readonly #producers = new Set<Producer<D>>()
  readonly #consumers = new Set<Consumer<unknown>>()
  readonly #admin = new SerialQueue()
  #closing: Promise<void> | undefined
  readonly #retentionCheckIntervalMs: number
  readonly #autoCreatePartitions: number | undefined
  #retentionTimer: ClockTimer | undefined
  /** Sends on behalf of consumers (to dead-letter topics); made on first use. */
  #internalProducer: Producer<D> | undefined

  readonly #producerHost: ProducerHost
  readonly #consumerHost: ConsumerHost
  readonly #groupHost: GroupHost

  /**
   * Opens a bus over a storage (memory by default), loading the topics and committed offsets it holds,
   * and creating the declared `topics` that are missing.
   *
   * @example
   * ```ts
   * const bus = await Bus.open()
   * const durable = await Bus.open({ dir: './data' })
   * ```
   */
  static async open<const D extends TopicDeclarations = Record<never, never>>(
    options?: BusOptions<D>,
  ): Promise<Bus<D>> {
    const resolved = parseOptions(busOptionsSchema, options, 'bus')
    if (resolved.storage !== undefined && resolved.dir !== undefined) {
      throw new InvalidConfigError('bus.dir', 'give either dir or storage, not both')
    }
    if (resolved.fsync !== undefined && resolved.dir === undefined) {
      throw new InvalidConfigError('bus.fsync', 'applies to a dir; set fsync on the FileStorage instead')
    }
    const declared = new Map<string, ReturnType<typeof resolveTopicOptions>>()
    for (const [name, spec] of Object.entries(resolved.topics ?? {})) {
      validateTopicName(name)
      const resolvedSpec = resolveTopicOptions(spec, `bus.topics.${name}`)
      checkPartitionCount(name, resolvedSpec.config.partitions)
      declared.set(name, resolvedSpec)
    }
    let storage = resolved.storage
    if (storage === undefined && resolved.dir !== undefined) {
      // The file log is loaded only when asked for: the core imports no node:fs.
      const { FileStorage } = await import('../storage/file/file-storage')
      storage = new FileStorage({ dir: resolved.dir, fsync: resolved.fsync })
    }
    storage ??= new MemoryStorage()
    const snapshot = await storage.open()
    const autoCreate = resolved.autoCreateTopics
    const bus = new Bus<D>(
      storage,
      resolved.clock ?? systemClock,
      snapshot.groups,
      resolved.retentionCheckIntervalMs,
      autoCreate === false ? undefined : autoCreate === true ? 1 : (autoCreate.partitions ?? 1),
    )
    try {
      for (const meta of snapshot.topics) {
        const partitions: PartitionCore[] = []
        for (let p = 0; p < meta.config.partitions; p++) {
          partitions.push(new PartitionCore(meta.name, p, await storage.openLog(meta.name, p, meta.config)))
        }
        const codecs = declared.get(meta.name)
        bus.#topics.set(
          meta.name,
          new TopicEntry(
            meta.name,
            meta.config,
            partitions,
            codecs?.keyCodec ?? RAW,
            codecs?.valueCodec ?? RAW,
          ),
        )
      }
      for (const [name, spec] of declared) {
        if (!bus.#topics.has(name)) await bus.#createEntry(name, spec.config, spec.keyCodec, spec.valueCodec)
      }
    } catch (error) {
      await bus.close().catch(() => undefined)
      throw error
    }
    return bus
  }

  private constructor(
    storage: Storage,
    clock: Clock,
    committed: Record<string, CommittedOffset[]>,
    retentionCheckIntervalMs: number,
    autoCreatePartitions: number | undefined,
  ) {
    super()
    this.#storage = storage
    this.#clock = clock
    this.#retentionCheckIntervalMs = retentionCheckIntervalMs
    this.#autoCreatePartitions = autoCreatePartitions
    this.#scheduleRetention()
    const findTopic = (name: string): AnyTopic | undefined => this.#topics.get(name)?.defaultView
    const topicNames = (): string[] => [...this.#topics.keys()]
    this.#producerHost = {
      clock,
      topic: (name) => {
        const entry = this.#topics.get(name)
        if (entry !== undefined) return entry.defaultView
        if (this.#autoCreatePartitions === undefined) throw new UnknownTopicError(name)
        return this.#autoCreate(name)
      },
      producerClosed: (producer) => this.#producers.delete(producer as Producer<D>),
    }
    this.#consumerHost = {
      clock,
      group: (groupId) => this.group(groupId),
      topicNames,
      findTopic,
      watchTopics: (listener) => {
        const stops = [
          this.on('topicCreated', listener),
          this.on('topicDeleted', listener),
          this.on('partitionsCreated', listener),
        ]
        return () => {
          for (const stop of stops) stop()
        }
      },
      send: (topic, message) => {
        this.#internalProducer ??= this.producer()
        return this.#internalProducer.send(topic, message as never)
      },
      consumerClosed: (consumer) => this.#consumers.delete(consumer as Consumer<unknown>),
    }
    this.#groupHost = {
      clock,
      topicNames,
      findTopic,
      saveOffsets: (groupId, offsets) => this.#storage.saveOffsets(groupId, offsets),
      deleteGroupOffsets: (groupId) => this.#storage.deleteGroup(groupId),
    }
    // Every group with offsets exists from the start, so deleting a topic reaches all of their offsets.
    for (const [groupId, offsets] of Object.entries(committed)) {
      this.#groups.set(groupId, new ConsumerGroup(groupId, this.#groupHost, offsets))
    }
  }

  /**
   * The bus's clock: what timestamps, timeouts and retention use (the injected one in tests).
   *
   * @example
   * ```ts
   * const now = bus.clock.now()
   * ```
   */
  get clock(): Clock {
    return this.#clock
  }

  /**
   * Creates a topic. Rejects with TopicExistsError if it exists (unless `ifNotExists`, which returns
   * the existing topic, seen through the given codecs), InvalidTopicError for a bad name,
   * InvalidConfigError for a bad option. A creation that fails partway (a full disk, too many open
   * files) leaves nothing behind.
   *
   * @example
   * ```ts
   * const orders = await bus.createTopic('orders', { partitions: 6 })
   * const payments = await bus.createTopic('payments', { value: json(Payment) })
   * ```
   */
  createTopic<const O extends TopicOptions = Record<never, never>>(
    name: string,
    options?: O & NoExtraKeys<O, TopicOptions>,
  ): Promise<TopicOf<O>> {
    return this.#adminTask(async () => {
      validateTopicName(name)
      const { config, keyCodec, valueCodec, ifNotExists } = resolveTopicOptions(options)
      checkPartitionCount(name, config.partitions)
      const existing = this.#topics.get(name)
      if (existing !== undefined) {
        if (!ifNotExists) throw new TopicExistsError(name)
        const view =
          options?.key === undefined && options?.value === undefined
            ? existing.defaultView
            : new Topic(existing, keyCodec, valueCodec)
        return view as unknown as TopicOf<O>
      }
      const entry = await this.#createEntry(name, config, keyCodec, valueCodec)
      return entry.defaultView as unknown as TopicOf<O>
    })
  }

  /**
   * A topic by name, seen through the codecs it was declared with (raw if none); UnknownTopicError if
   * there is none. With codecs, another view of the same topic typed by them: what this view sends
   * and what consumers given this view receive go through these codecs, and nothing else changes.
   *
   * @example
   * ```ts
   * const orders = bus.topic('orders')
   * const typed = bus.topic('payments', { value: json(Payment) })
   * ```
   */
  topic<N extends string>(name: N): TopicNamed<D, N>
  topic<const O extends Pick<TopicOptions, 'key' | 'value'>>(name: string, codecs: O): TopicOf<O>
  topic(name: string, codecs?: Pick<TopicOptions, 'key' | 'value'>): AnyTopic {
    this.#assertOpen()
    const entry = this.#requireTopic(name)
    if (codecs === undefined || (codecs.key === undefined && codecs.value === undefined))
      return entry.defaultView
    const { keyCodec, valueCodec } = resolveTopicOptions({ key: codecs.key, value: codecs.value }, 'topic')
    return new Topic(entry, keyCodec, valueCodec)
  }

  /**
   * The names of all topics, sorted.
   *
   * @example
   * ```ts
   * console.log(bus.listTopics())  // ['orders', 'payments']
   * ```
   */
  listTopics(): string[] {
    this.#assertOpen()
    return [...this.#topics.keys()].sort()
  }

  /**
   * Grows a topic to `count` partitions (Kafka only grows). Groups subscribed to it rebalance.
   * InvalidPartitionsError unless `count` is larger than the current count.
   *
   * @example
   * ```ts
   * await bus.createPartitions('orders', 12)
   * ```
   */
  createPartitions(name: string, count: number): Promise<void> {
    return this.#adminTask(async () => {
      const entry = this.#requireTopic(name)
      const current = entry.partitions.length
      if (!Number.isInteger(count) || count <= current) {
        throw new InvalidPartitionsError(
          `Topic "${name}" has ${current} partitions; the new count must be a larger integer, got ${String(count)}`,
        )
      }
      const config: TopicConfig = { ...entry.config, partitions: count }
      const added: PartitionCore[] = []
      try {
        for (let p = current; p < count; p++) {
          added.push(new PartitionCore(name, p, await this.#storage.openLog(name, p, config)))
        }
        await this.#storage.saveTopic({ name, config })
      } catch (error) {
        for (const partition of added) await partition.close('deleted').catch(() => undefined)
        throw error
      }
      entry.partitions.push(...added)
      entry.config = config
      this.emit('partitionsCreated', { topic: name, partitions: count })
      for (const group of this.#groups.values()) group.topicsChanged()
    })
  }

  /**
   * Deletes the records of partitions below an offset (Kafka's DeleteRecords): `logStartOffset`
   * becomes `offset` (-1: the log end); consumers below it follow their `autoOffsetReset`.
   * Resolves with the new low watermarks.
   *
   * @example
   * ```ts
   * await bus.deleteRecords('orders', [{ partition: 0, offset: 100 }])
   * ```
   */
  deleteRecords(
    name: string,
    partitions: Array<{ partition: number; offset: number }>,
  ): Promise<Array<{ partition: number; lowWatermark: number }>> {
    return this.#adminTask(async () => {
      const entry = this.#requireTopic(name)
      const targets = partitions.map(({ partition, offset }) => {
        const core = entry.partitions[partition]
        if (core === undefined) throw new UnknownTopicError(name, partition)
        const to = offset === -1 ? core.logEndOffset : offset
        if (!Number.isSafeInteger(to) || to < 0 || to > core.logEndOffset) {
          throw new OffsetOutOfRangeError(name, partition, offset)
        }
        return { core, to }
      })
      const result: Array<{ partition: number; lowWatermark: number }> = []
      for (const { core, to } of targets) {
        await core.truncateBefore(to)
        result.push({ partition: core.partition, lowWatermark: core.logStartOffset })
      }
      return result
    })
  }

  /**
   * Changes a topic's retention and size limits (Kafka's IncrementalAlterConfigs for `retention.ms`,
   * `retention.bytes`, `max.message.bytes`); the change is persisted. Partitions and segment size are
   * fixed after creation (use `createPartitions` to grow).
   *
   * @example
   * ```ts
   * await bus.alterTopicConfig('orders', { retentionMs: 3_600_000 })
   * ```
   */
  alterTopicConfig(
    name: string,
    changes: Partial<Pick<TopicConfig, 'retentionMs' | 'retentionBytes' | 'maxMessageBytes'>>,
  ): Promise<TopicConfig> {
    return this.#adminTask(async () => {
      const entry = this.#requireTopic(name)
      const parsed = parseOptions(alterableConfigSchema, changes, 'topic')
      const config: TopicConfig = { ...entry.config }
      if (parsed.retentionMs !== undefined) config.retentionMs = parsed.retentionMs
      if (parsed.retentionBytes !== undefined) config.retentionBytes = parsed.retentionBytes
      if (parsed.maxMessageBytes !== undefined) config.maxMessageBytes = parsed.maxMessageBytes
      await this.#storage.saveTopic({ name, config })
      entry.config = config
      return { ...config }
    })
  }

  /**
   * Deletes a topic, its records and every group's offsets for it. Sends to it fail with
   * UnknownTopicError from then on; groups subscribed to it rebalance.
   *
   * @example
   * ```ts
   * await bus.deleteTopic('orders')
   * ```
   */
  deleteTopic(name: string): Promise<void> {
    return this.#adminTask(async () => {
      const entry = this.#requireTopic(name)
      this.#topics.delete(name)
      for (const partition of entry.partitions) await partition.close('deleted')
      await Promise.all([...this.#groups.values()].map((group) => group.topicDeleted(name)))
      await this.#storage.deleteTopic(name)
      this.emit('topicDeleted', { topic: name })
    })
  }

  /**
   * A producer. See `ProducerOptions` for batching and backpressure.
   *
   * @example
   * ```ts
   * const producer = bus.producer({ lingerMs: 2 })
   * ```
   */
  producer(options?: ProducerOptions): Producer<D> {
    this.#assertOpen()
    const producer = new Producer<D>(this.#producerHost, options)
    this.#producers.add(producer)
    return producer
  }

  /**
   * A consumer: one member of the group `groupId`. It joins when `run()` is called (or iteration
   * starts). Records arrive in the subscribed topics' types (declared names, or `Topic` views).
   *
   * @example
   * ```ts
   * const consumer = bus.consumer({ groupId: 'billing', topics: ['orders'], fromBeginning: true })
   * ```
   */
  consumer<const T extends ConsumerOptions['topics'] = undefined>(
    options: ConsumerOptions & { topics?: T },
  ): Consumer<RecordsOf<D, T>> {
    this.#assertOpen()
    const consumer = new Consumer<RecordsOf<D, T>>(this.#consumerHost, options)
    this.#consumers.add(consumer as Consumer<unknown>)
    if (this.#autoCreatePartitions !== undefined) {
      const topics = options.topics
      const names =
        topics === undefined || topics instanceof RegExp ? [] : typeof topics === 'string' ? [topics] : topics
      for (const t of names) {
        if (typeof t === 'string' && !this.#topics.has(t)) void this.#autoCreate(t).catch(() => undefined)
      }
    }
    return consumer
  }

  /**
   * The coordinator handle of a group: describe, lag, committed offsets, events. A group with
   * neither members nor committed offsets reports state `Dead`, as Kafka does for an unknown group.
   *
   * @example
   * ```ts
   * console.log(bus.group('billing').describe().state)
   * ```
   */
  group(groupId: string): ConsumerGroup {
    this.#assertOpen()
    let group = this.#groups.get(groupId)
    if (group === undefined) {
      group = new ConsumerGroup(groupId, this.#groupHost)
      this.#groups.set(groupId, group)
    }
    return group
  }

  /**
   * The ids of groups that have members or committed offsets, sorted.
   *
   * @example
   * ```ts
   * console.log(bus.listGroups())  // ['billing', 'shipping']
   * ```
   */
  listGroups(): string[] {
    this.#assertOpen()
    return [...this.#groups]
      .filter(([, group]) => group.state !== 'Dead')
      .map(([id]) => id)
      .sort()
  }

  /**
   * Applies every topic's retention now (`retentionMs`, `retentionBytes`): whole old segments are
   * deleted and `logStartOffset` advances; consumers whose position fell below it follow their
   * `autoOffsetReset`. The bus also runs this every `retentionCheckIntervalMs`. Kafka has no client API
   * for this: its brokers run it on their own schedule only.
   *
   * @example
   * ```ts
   * await bus.applyRetention()
   * ```
   */
  applyRetention(): Promise<void> {
    return this.#adminTask(async () => {
      const now = this.#clock.now()
      for (const entry of this.#topics.values()) {
        const { retentionMs, retentionBytes } = entry.config
        if (retentionMs === null && retentionBytes === null) continue
        for (const partition of entry.partitions)
          await partition.applyRetention({ now, retentionMs, retentionBytes })
      }
    })
  }

  /**
   * Closes in order: consumers (they stop taking records, wait for their handlers, which may still
   * produce, commit and leave their groups), then producers (flushing what they accepted), then
   * storage. Idempotent (a failure is every call's failure); leaves no timers or handles behind. Every
   * call on the bus, its producers, consumers, groups and partitions after it throws ClosedError.
   *
   * @example
   * ```ts
   * await bus.close()
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#retentionTimer !== undefined) this.#clock.clearTimeout(this.#retentionTimer)
      await Promise.allSettled([...this.#consumers].map((c) => c.close()))
      await Promise.allSettled([...this.#producers].map((p) => p.close()))
      await Promise.allSettled([...this.#groups.values()].map((g) => g.settled()))
      for (const group of this.#groups.values()) group.close()
      await this.#admin.idle()
      try {
        for (const entry of this.#topics.values()) {
          for (const partition of entry.partitions) await partition.close('closed')
        }
      } finally {
        await this.#storage.close()
        this.emit('close', {})
        this.removeAllListeners()
      }
    })()
    return this.#closing
  }

  /**
   * Same as `close()`, for `await using` (Node 22+; on Node 20 call `close()`).
   *
   * @example
   * ```ts
   * await bus[Symbol.asyncDispose]()
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** Opens the logs, then saves the topic; a failure on the way closes and removes what was made. */
  async #createEntry(
    name: string,
    config: TopicConfig,
    keyCodec: Codec<unknown, unknown>,
    valueCodec: Codec<unknown, unknown>,
  ): Promise<TopicEntry> {
    const partitions: PartitionCore[] = []
    try {
      for (let p = 0; p < config.partitions; p++) {
        partitions.push(new PartitionCore(name, p, await this.#storage.openLog(name, p, config)))
      }
      await this.#storage.saveTopic({ name, config })
    } catch (error) {
      for (const partition of partitions) await partition.close('deleted').catch(() => undefined)
      await this.#storage.deleteTopic(name).catch(() => undefined)
      throw error
    }
    const entry = new TopicEntry(name, config, partitions, keyCodec, valueCodec)
    this.#topics.set(name, entry)
    this.emit('topicCreated', { topic: name, partitions: config.partitions })
    for (const group of this.#groups.values()) group.topicsChanged()
    return entry
  }

  /** Kafka's auto-creation: a raw topic with the configured partition count, created once. */
  #autoCreate(name: string): Promise<AnyTopic> {
    return this.#adminTask(async () => {
      validateTopicName(name)
      const existing = this.#topics.get(name)
      if (existing !== undefined) return existing.defaultView
      const { config, keyCodec, valueCodec } = resolveTopicOptions({ partitions: this.#autoCreatePartitions })
      return (await this.#createEntry(name, config, keyCodec, valueCodec)).defaultView
    })
  }

  /** Background retention: never blocks producers (appends do not wait on it), never keeps the process alive. */
  #scheduleRetention(): void {
    this.#retentionTimer = this.#clock.setTimeout(
      () => {
        this.#retentionTimer = undefined
        if (this.#closing !== undefined) return
        this.applyRetention()
          .catch(() => undefined)
          .finally(() => {
            if (this.#closing === undefined) this.#scheduleRetention()
          })
      },
      this.#retentionCheckIntervalMs,
      { unref: true },
    )
  }

  #requireTopic(name: string): TopicEntry {
    const entry = this.#topics.get(name)
    if (entry === undefined) throw new UnknownTopicError(name)
    return entry
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new ClosedError('Bus')
  }

  #adminTask<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(new ClosedError('Bus'))
    return this.#admin.run(task)
  }
}

function checkPartitionCount(name: string, partitions: number): void {
  if (partitions < 1) {
    throw new InvalidPartitionsError(`Topic "${name}" needs at least 1 partition, got ${partitions}`)
  }
}

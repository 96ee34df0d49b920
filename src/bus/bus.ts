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
import type { RawValue } from '../producer/message'
import type { ProducerOptions } from '../producer/options'
import { Producer, type ProducerHost } from '../producer/producer'
import type { Codec } from '../record/codec'
import type { FsyncPolicy } from '../storage/file/file-partition-log'
import { FileStorage } from '../storage/file/file-storage'
import { MemoryStorage } from '../storage/memory-storage'
import type { CommittedOffset, Storage, TopicConfig } from '../storage/storage'
import { type Clock, type ClockTimer, systemClock } from '../util/clock'
import { parseOptions } from '../util/options'
import { SerialQueue } from '../util/serial-queue'
import { Partition } from './partition'
import { Topic } from './topic'
import { validateTopicName } from './topic-name'

/**
 * Options of `Bus.open()`. Without options, the bus keeps everything in memory.
 *
 * @example
 * ```ts
 * const bus = await Bus.open({ storage: new MemoryStorage() })
 * ```
 */
export interface BusOptions {
  /** Where logs, topics and offsets live. Default: a new `MemoryStorage`. */
  storage?: Storage
  /** A directory for a durable file log: the same as `storage: new FileStorage({ dir, fsync })`. */
  dir?: string
  /** With `dir`: when appends are durable. Default `'always'` (see FileStorage). */
  fsync?: FsyncPolicy
  /** The source of time and timers; tests inject a fake one so timeouts need no real waiting. */
  clock?: Clock
  /** How often retention runs in the background (Kafka's log.retention.check.interval.ms). Default 300000. */
  retentionCheckIntervalMs?: number
}

/**
 * Options of `createTopic`. Names and defaults follow Kafka's topic configs.
 *
 * @example
 * ```ts
 * await bus.createTopic('orders', { partitions: 6, retentionMs: 24 * 3600_000, codec: json(Order) })
 * ```
 */
export interface TopicOptions<T = RawValue, D = T> {
  /** Default 1 (Kafka's num.partitions). */
  partitions?: number
  /** Delete records older than this; null keeps them forever. Default 7 days (Kafka's retention.ms). */
  retentionMs?: number | null
  /** Delete the oldest segments past this size per partition; null (the default) is unlimited. */
  retentionBytes?: number | null
  /** Roll to a new segment file at this size (file storage). Default 1 GiB (Kafka's segment.bytes). */
  segmentBytes?: number
  /** Only `'delete'` for now: compaction is not implemented, and logbus refuses rather than pretend. */
  cleanupPolicy?: 'delete'
  /** The largest record accepted, in bytes. Default 1 MiB. */
  maxMessageBytes?: number
  /** Encodes (and validates) values at `send`: `json(schema)`, `string()`, `buffer()`. Not persisted. */
  codec?: Codec<T, D>
  /** Return the existing topic instead of rejecting with TopicExistsError (Kafka's --if-not-exists). */
  ifNotExists?: boolean
}

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
})

const DAY_MS = 24 * 60 * 60 * 1000

const alterableConfigSchema = z.strictObject({
  retentionMs: z.number().int().min(1).nullable().optional(),
  retentionBytes: z.number().int().min(1).nullable().optional(),
  maxMessageBytes: z.number().int().min(1).optional(),
})

const topicOptionsSchema = z.strictObject({
  partitions: z.number().int().max(100_000).default(1),
  retentionMs: z
    .number()
    .int()
    .min(1)
    .nullable()
    .default(7 * DAY_MS),
  retentionBytes: z.number().int().min(1).nullable().default(null),
  segmentBytes: z
    .number()
    .int()
    .min(1024)
    .max(0x7fffffff)
    .default(1024 * 1024 * 1024),
  cleanupPolicy: z
    .literal('delete', { error: "only 'delete' is supported (compaction is not implemented)" })
    .default('delete'),
  maxMessageBytes: z
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
  codec: z
    .custom<Codec<unknown>>(
      (value) =>
        typeof value === 'object' && value !== null && typeof (value as Codec<unknown>).encode === 'function',
      'must be a codec (json(), string(), buffer())',
    )
    .optional(),
  ifNotExists: z.boolean().default(false),
})

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
 * The in-process cluster: topics, producers, consumers and groups over one storage.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 *
 * await using bus = await Bus.open()
 * await bus.createTopic('orders', { partitions: 6 })
 * const producer = bus.producer()
 * await producer.send('orders', { key: 'u1', value: 'created' })
 * const consumer = bus.consumer({ groupId: 'billing', topics: ['orders'], fromBeginning: true })
 * await consumer.run({ eachMessage: async (record) => console.log(record.value?.toString()) })
 * ```
 */
export class Bus extends TypedEmitter<BusEvents> {
  readonly #storage: Storage
  readonly #clock: Clock
  readonly #topics = new Map<string, Topic<unknown>>()
  readonly #groups = new Map<string, ConsumerGroup>()
  readonly #producers = new Set<Producer>()
  readonly #consumers = new Set<Consumer>()
  readonly #admin = new SerialQueue()
  #closing: Promise<void> | undefined
  readonly #retentionCheckIntervalMs: number
  #retentionTimer: ClockTimer | undefined

  readonly #producerHost: ProducerHost
  readonly #consumerHost: ConsumerHost
  readonly #groupHost: GroupHost

  /**
   * Opens a bus over a storage (memory by default), loading the topics and committed offsets it holds.
   *
   * @example
   * ```ts
   * const bus = await Bus.open()
   * ```
   */
  static async open(options?: BusOptions): Promise<Bus> {
    const resolved = parseOptions(busOptionsSchema, options, 'bus')
    if (resolved.storage !== undefined && resolved.dir !== undefined) {
      throw new InvalidConfigError('bus.dir', 'give either dir or storage, not both')
    }
    if (resolved.fsync !== undefined && resolved.dir === undefined) {
      throw new InvalidConfigError('bus.fsync', 'applies to a dir; set fsync on the FileStorage instead')
    }
    const storage =
      resolved.storage ??
      (resolved.dir === undefined
        ? new MemoryStorage()
        : new FileStorage({ dir: resolved.dir, fsync: resolved.fsync }))
    const snapshot = await storage.open()
    const bus = new Bus(
      storage,
      resolved.clock ?? systemClock,
      snapshot.groups,
      resolved.retentionCheckIntervalMs,
    )
    try {
      for (const meta of snapshot.topics) {
        const partitions: Partition[] = []
        for (let p = 0; p < meta.config.partitions; p++) {
          partitions.push(new Partition(meta.name, p, await storage.openLog(meta.name, p, meta.config)))
        }
        bus.#topics.set(meta.name, new Topic(meta.name, meta.config, partitions, undefined))
      }
    } catch (error) {
      await storage.close().catch(() => undefined)
      throw error
    }
    return bus
  }

  private constructor(
    storage: Storage,
    clock: Clock,
    committed: Record<string, CommittedOffset[]>,
    retentionCheckIntervalMs: number,
  ) {
    super()
    this.#storage = storage
    this.#clock = clock
    this.#retentionCheckIntervalMs = retentionCheckIntervalMs
    this.#scheduleRetention()
    const findTopic = (name: string): Topic<unknown> | undefined => this.#topics.get(name)
    const topicNames = (): string[] => [...this.#topics.keys()]
    this.#producerHost = {
      clock,
      topic: (name) => this.#requireTopic(name),
      producerClosed: (producer) => this.#producers.delete(producer),
    }
    this.#consumerHost = {
      clock,
      group: (groupId) => this.group(groupId),
      topicNames,
      findTopic,
      consumerClosed: (consumer) => this.#consumers.delete(consumer),
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
   * Creates a topic. Rejects with TopicExistsError if it exists (unless `ifNotExists`),
   * InvalidTopicError for a bad name, InvalidConfigError for a bad option.
   *
   * @example
   * ```ts
   * const orders = await bus.createTopic('orders', { partitions: 6 })
   * const typed = await bus.createTopic('payments', { codec: json(Payment) })
   * ```
   */
  createTopic<T = RawValue, D = T>(name: string, options?: TopicOptions<T, D>): Promise<Topic<T, D>> {
    return this.#adminTask(async () => {
      validateTopicName(name)
      const { codec, ifNotExists, ...config } = parseOptions(topicOptionsSchema, options, 'topic')
      if (config.partitions < 1) {
        throw new InvalidPartitionsError(
          `Topic "${name}" needs at least 1 partition, got ${config.partitions}`,
        )
      }
      const existing = this.#topics.get(name)
      if (existing !== undefined) {
        if (!ifNotExists) throw new TopicExistsError(name)
        if (codec !== undefined) existing.codecRef = codec
        return existing as unknown as Topic<T, D>
      }
      const topicConfig: TopicConfig = config
      const partitions: Partition[] = []
      for (let p = 0; p < topicConfig.partitions; p++) {
        partitions.push(new Partition(name, p, await this.#storage.openLog(name, p, topicConfig)))
      }
      await this.#storage.saveTopic({ name, config: topicConfig })
      const topic = new Topic<T, D>(name, topicConfig, partitions, codec as Codec<T, D> | undefined)
      this.#topics.set(name, topic as Topic<unknown>)
      this.emit('topicCreated', { topic: name, partitions: topicConfig.partitions })
      for (const group of this.#groups.values()) group.topicsChanged()
      return topic
    })
  }

  /**
   * A topic by name; UnknownTopicError if there is none. With a codec, attaches it to the topic (for
   * this process: codecs are not persisted) and returns it typed.
   *
   * @example
   * ```ts
   * const orders = bus.topic('orders')
   * const typed = bus.topic('payments', { codec: json(Payment) })
   * ```
   */
  topic(name: string): Topic<RawValue>
  topic<T, D = T>(name: string, options: { codec: Codec<T, D> }): Topic<T, D>
  topic<T, D = T>(name: string, options?: { codec: Codec<T, D> }): Topic<T, D> | Topic<RawValue> {
    const topic = this.#requireTopic(name)
    if (options?.codec !== undefined) {
      topic.codecRef = options.codec
      return topic as unknown as Topic<T, D>
    }
    return topic as Topic<RawValue>
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
      const topic = this.#requireTopic(name)
      const current = topic.partitionCount
      if (!Number.isInteger(count) || count <= current) {
        throw new InvalidPartitionsError(
          `Topic "${name}" has ${current} partitions; the new count must be a larger integer, got ${String(count)}`,
        )
      }
      const config: TopicConfig = { ...topic.config, partitions: count }
      const added: Partition[] = []
      for (let p = current; p < count; p++) {
        added.push(new Partition(name, p, await this.#storage.openLog(name, p, config)))
      }
      await this.#storage.saveTopic({ name, config })
      topic.partitionList.push(...added)
      topic.configRef = config
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
      const topic = this.#requireTopic(name)
      const targets = partitions.map(({ partition, offset }) => {
        const p = topic.partition(partition)
        const to = offset === -1 ? p.logEndOffset : offset
        if (!Number.isSafeInteger(to) || to < 0 || to > p.logEndOffset) {
          throw new OffsetOutOfRangeError(name, partition, offset)
        }
        return { p, to }
      })
      const result: Array<{ partition: number; lowWatermark: number }> = []
      for (const { p, to } of targets) {
        await p.truncateBefore(to)
        result.push({ partition: p.partition, lowWatermark: p.logStartOffset })
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
      const topic = this.#requireTopic(name)
      const parsed = parseOptions(alterableConfigSchema, changes, 'topic')
      const config: TopicConfig = { ...topic.config }
      if (parsed.retentionMs !== undefined) config.retentionMs = parsed.retentionMs
      if (parsed.retentionBytes !== undefined) config.retentionBytes = parsed.retentionBytes
      if (parsed.maxMessageBytes !== undefined) config.maxMessageBytes = parsed.maxMessageBytes
      await this.#storage.saveTopic({ name, config })
      topic.configRef = config
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
      const topic = this.#requireTopic(name)
      this.#topics.delete(name)
      for (const partition of topic.partitionList) await partition.close()
      for (const group of this.#groups.values()) group.topicDeleted(name)
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
  producer(options?: ProducerOptions): Producer {
    this.#assertOpen()
    const producer = new Producer(this.#producerHost, options)
    this.#producers.add(producer)
    return producer
  }

  /**
   * A consumer: one member of the group `groupId`. It joins when `run()` is called (or iteration
   * starts).
   *
   * @example
   * ```ts
   * const consumer = bus.consumer({ groupId: 'billing', topics: ['orders'], fromBeginning: true })
   * ```
   */
  consumer(options: ConsumerOptions): Consumer {
    this.#assertOpen()
    const consumer = new Consumer(this.#consumerHost, options)
    this.#consumers.add(consumer)
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
      for (const topic of this.#topics.values()) {
        const { retentionMs, retentionBytes } = topic.config
        if (retentionMs === null && retentionBytes === null) continue
        for (const partition of topic.partitionList)
          await partition.applyRetention({ now, retentionMs, retentionBytes })
      }
    })
  }

  /**
   * Closes in order: consumers (they stop taking records, wait for their handlers, which may still
   * produce, commit and leave their groups), then producers (flushing what they accepted), then
   * storage. Idempotent; leaves no timers or handles behind.
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
      for (const topic of this.#topics.values()) {
        for (const partition of topic.partitionList) await partition.close()
      }
      await this.#storage.close()
      this.emit('close', {})
      this.removeAllListeners()
    })()
    return this.#closing
  }

  /**
   * Same as `close()`, for `await using bus = await Bus.open()`.
   *
   * @example
   * ```ts
   * await using bus = await Bus.open()
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
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

  #requireTopic(name: string): Topic<unknown> {
    const topic = this.#topics.get(name)
    if (topic === undefined) throw new UnknownTopicError(name)
    return topic
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new ClosedError('Bus')
  }

  #adminTask<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(new ClosedError('Bus'))
    return this.#admin.run(task)
  }
}

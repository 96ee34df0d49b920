import { Consumer, type ConsumerHost } from '../consumer/consumer'
import type { ConsumerOptions } from '../consumer/options'
import {
  ClosedError,
  InvalidConfigError,
  InvalidStateError,
  TopicExistsError,
  UnknownTopicError,
} from '../errors'
import { TypedEmitter, type Unsubscribe } from '../events/typed-emitter'
import { ConsumerGroup, type GroupHost } from '../group/consumer-group'
import {
  type BusMetrics,
  type GroupMetrics,
  MetricsRecorder,
  type TopicMetrics,
} from '../metrics/bus-metrics'
import type { Instrumentation } from '../metrics/instrumentation'
import type { ProducerOptions } from '../producer/options'
import { Producer, type ProducerHost } from '../producer/producer'
import { RAW } from '../record/codec'
import { MemoryStorage } from '../storage/memory/memory-storage'
import type { CommittedOffset, CompactionResult, Storage, TopicConfig } from '../storage/storage'
import { Topic, type TopicEntry } from '../topic/topic'
import { validateTopicName } from '../topic/topic-name'
import {
  type AlterableConfig,
  alterableConfigSchema,
  type ResolvedTopicOptions,
  resolveTopicOptions,
  type TopicDeclarations,
  type TopicNamed,
  type TopicOf,
  type TopicOptions,
} from '../topic/topic-options'
import { checkPartitionCount, TopicRegistry } from '../topic/topic-registry'
import {
  TransactionCoordinator,
  type CoordinatorHost as TransactionCoordinatorHost,
} from '../transaction/coordinator'
import { isInternalTopic, TRANSACTION_STATE_TOPIC } from '../transaction/state-log'
import { Transactions } from '../transaction/transactions'
import { type Clock, type ClockTimer, systemClock } from '../util/clock'
import { parseOptions } from '../util/options'
import { SerialQueue } from '../util/serial-queue'
import type { ListenOptions } from '../wire/server/options'
import type { WireServer } from '../wire/server/server'
import {
  type BusEvents,
  type BusOptions,
  busOptionsSchema,
  type NoExtraKeys,
  type RecordsOf,
} from './bus-options'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

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
  readonly #topics: TopicRegistry
  readonly #groups = new Map<string, ConsumerGroup>()
  readonly #producers = new Set<Producer<D>>()
  readonly #consumers = new Set<Consumer<unknown>>()
  readonly #admin = new SerialQueue()
  /** Wire servers started by `listen`: closed first when the bus closes. */
  readonly #servers = new Set<WireServer>()
  #closing: Promise<void> | undefined
  readonly #retentionCheckIntervalMs: number
  readonly #autoCreatePartitions: number | undefined
  #retentionTimer: ClockTimer | undefined
  /** Sends on behalf of consumers (to dead-letter topics); made on first use. */
  #internalProducer: Producer<D> | undefined

  readonly #transactions: TransactionCoordinator
  readonly #metrics = new MetricsRecorder()
  readonly #transactionsHandle: Transactions
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
    const resolved = parseOptions(busOptionsSchema(), options, 'bus')
    if (resolved.storage !== undefined && resolved.dir !== undefined) {
      throw new InvalidConfigError('bus.dir', 'give either dir or storage, not both')
    }
    if (resolved.fsync !== undefined && resolved.dir === undefined) {
      throw new InvalidConfigError('bus.fsync', 'applies to a dir; set fsync on the FileStorage instead')
    }
    if (resolved.breakLock !== undefined && resolved.dir === undefined) {
      throw new InvalidConfigError(
        'bus.breakLock',
        'applies to a dir; set breakLock on the FileStorage instead',
      )
    }
    const declared = new Map<string, ReturnType<typeof resolveTopicOptions>>()
    for (const [name, spec] of Object.entries(resolved.topics ?? {})) {
      validateTopicName(name)
      const resolved = resolveTopicOptions(spec, `bus.topics.${name}`)
      checkPartitionCount(name, resolved.config.partitions)
      declared.set(name, resolved)
    }
    let storage = resolved.storage
    if (storage === undefined && resolved.dir !== undefined) {
      // The file log is loaded only when asked for: the core imports no node:fs.
      const { FileStorage } = await import('../storage/file/file-storage')
      storage = new FileStorage({ dir: resolved.dir, fsync: resolved.fsync, breakLock: resolved.breakLock })
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
      for (const meta of snapshot.topics) await bus.#topics.load(meta, declared.get(meta.name))
      for (const [name, spec] of declared) {
        if (bus.#topics.get(name) === undefined) await bus.#createEntry(name, spec)
      }
      await bus.#transactions.recover()
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
    this.#topics = new TopicRegistry(storage, (batch, partition) =>
      this.#transactions.checkWrite(batch, partition),
    )
    this.#clock = clock
    this.#retentionCheckIntervalMs = retentionCheckIntervalMs
    this.#autoCreatePartitions = autoCreatePartitions
    this.#scheduleRetention()
    const findTopic = (name: string): AnyTopic | undefined => this.#topics.get(name)?.defaultView
    // Internal topics are left out of subscriptions, as Kafka's exclude.internal.topics does.
    const topicNames = (): string[] => this.#topics.names().filter((name) => !isInternalTopic(name))
    this.#transactions = new TransactionCoordinator({
      clock,
      stateLog: (async (create: boolean) => {
        const existing = this.#topics.get(TRANSACTION_STATE_TOPIC)
        if (existing !== undefined || !create) return existing?.partitions[0]
        const { config } = resolveTopicOptions({ partitions: 1, retentionMs: null })
        return (await this.#topics.create(TRANSACTION_STATE_TOPIC, config, RAW, RAW)).partitions[0]!
      }) as TransactionCoordinatorHost['stateLog'],
      partition: (topic, partition) => this.#topics.get(topic)?.partitions[partition],
      partitions: () => this.#topics.partitions(),
      commitOffsets: (groupId, offsets) => this.group(groupId).commitTransactional(offsets),
    })
    this.#transactionsHandle = new Transactions({
      coordinator: this.#transactions,
      partition: (topic, partition) => this.#topics.get(topic)?.partitions[partition],
      assertOpen: () => this.#assertOpen(),
    })
    this.#producerHost = {
      clock,
      transactions: this.#transactions,
      topic: (name) => {
        const entry = this.#topics.get(name)
        if (entry !== undefined) return entry.defaultView
        if (this.#autoCreatePartitions === undefined) throw new UnknownTopicError(name)
        return this.#autoCreate(name)
      },
      metrics: this.#metrics,
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
      metrics: this.#metrics,
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
   * Kafka's `auto.create.topics.enable` as this bus was opened with: the partition count a topic
   * created on first use gets, or false when topics are never created implicitly. Servers over the
   * bus (the wire protocol's Metadata) honour it as Kafka's broker does.
   *
   * @example
   * ```ts
   * if (bus.autoCreateTopics !== false) await bus.createTopic('new', { partitions: bus.autoCreateTopics.partitions })
   * ```
   */
  get autoCreateTopics(): { partitions: number } | false {
    return this.#autoCreatePartitions === undefined ? false : { partitions: this.#autoCreatePartitions }
  }

  /**
   * The transaction coordinator, for producers outside the process (the wire protocol's
   * InitProducerId and transaction APIs); in-process producers use it through `bus.producer()`.
   *
   * @example
   * ```ts
   * const { producerId, epoch } = await bus.transactions.initProducerId()
   * ```
   */
  get transactions(): Transactions {
    this.#assertOpen()
    return this.#transactionsHandle
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
      const resolved = resolveTopicOptions(options)
      checkPartitionCount(name, resolved.config.partitions)
      const existing = this.#topics.get(name)
      if (existing !== undefined) {
        if (!resolved.ifNotExists) throw new TopicExistsError(name)
        const view =
          options?.key === undefined && options?.value === undefined
            ? existing.defaultView
            : new Topic(existing, resolved.keyCodec, resolved.valueCodec)
        return view as unknown as TopicOf<O>
      }
      const entry = await this.#createEntry(name, resolved)
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
    const entry = this.#topics.require(name)
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
    return this.#topics
      .names()
      .filter((name) => !isInternalTopic(name))
      .sort()
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
      await this.#topics.grow(name, count)
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
    return this.#adminTask(() => this.#topics.truncate(name, partitions))
  }

  /**
   * Changes a topic's retention, compaction and size limits (Kafka's IncrementalAlterConfigs for
   * `retention.ms`, `retention.bytes`, `max.message.bytes`, `cleanup.policy`, `delete.retention.ms`,
   * `min.cleanable.dirty.ratio`, `min.compaction.lag.ms`); the change is persisted. Partitions and
   * segment size are fixed after creation (use `createPartitions` to grow).
   *
   * @example
   * ```ts
   * await bus.alterTopicConfig('orders', { retentionMs: 3_600_000 })
   * ```
   */
  alterTopicConfig(name: string, changes: Partial<Pick<TopicConfig, AlterableConfig>>): Promise<TopicConfig> {
    return this.#adminTask(async () => {
      const parsed = parseOptions(alterableConfigSchema(), changes, 'topic')
      if (parsed.cleanupPolicy !== undefined && parsed.cleanupPolicy !== 'delete')
        this.#topics.assertCompactable(name)
      const config = await this.#topics.reconfigure(name, (config) => {
        for (const [field, value] of Object.entries(parsed)) {
          if (value !== undefined) (config as unknown as Record<string, unknown>)[field] = value
        }
        return config
      })
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
      // Offset writes of the groups that are under way land before storage forgets the topic's offsets.
      await this.#topics.remove(name, () =>
        Promise.all([...this.#groups.values()].map((group) => group.topicDeleted(name))).then(
          () => undefined,
        ),
      )
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
        if (typeof t === 'string' && this.#topics.get(t) === undefined)
          void this.#autoCreate(t).catch(() => undefined)
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
   * A snapshot of the bus's counters: records and bytes in and out per partition and topic, storage
   * bytes, groups with their lag and rebalances, produce and fetch latency histograms, the file log's
   * fsync latency and the connections servers report. Counters are kept per batch, not per record,
   * and start at zero when the bus opens. `logbus/http` serves this as Prometheus metrics.
   *
   * @example
   * ```ts
   * const { topics, groups, produceLatency } = bus.metrics()
   * for (const t of topics) console.log(t.topic, t.recordsIn, t.recordsOut, t.sizeBytes)
   * for (const g of groups) console.log(g.groupId, g.state, g.totalLag)
   * console.log(produceLatency.count, produceLatency.sum / produceLatency.count)
   * ```
   */
  metrics(): BusMetrics {
    this.#assertOpen()
    const topics: TopicMetrics[] = []
    let storageBytes = 0
    for (const name of this.listTopics()) {
      const entry = this.#topics.get(name)
      if (entry === undefined) continue
      const topic = { topic: name, partitions: [] as TopicMetrics['partitions'][number][] }
      let recordsIn = 0
      let bytesIn = 0
      let recordsOut = 0
      let bytesOut = 0
      let sizeBytes = 0
      for (const core of entry.partitions) {
        if (!core.live) continue
        const p = {
          partition: core.partition,
          logStartOffset: core.logStartOffset,
          logEndOffset: core.logEndOffset,
          sizeBytes: core.sizeBytes,
          recordsIn: core.recordsIn,
          bytesIn: core.bytesIn,
          recordsOut: core.recordsOut,
          bytesOut: core.bytesOut,
        }
        recordsIn += p.recordsIn
        bytesIn += p.bytesIn
        recordsOut += p.recordsOut
        bytesOut += p.bytesOut
        sizeBytes += p.sizeBytes
        topic.partitions.push(p)
      }
      storageBytes += sizeBytes
      topics.push({ ...topic, recordsIn, bytesIn, recordsOut, bytesOut, sizeBytes })
    }
    const groups: GroupMetrics[] = []
    for (const groupId of this.listGroups()) {
      const group = this.#groups.get(groupId)!
      const lag = group.lagNow()
      const { state, generation, members } = group.describe()
      groups.push({
        groupId,
        state,
        generation,
        members: members.length,
        rebalances: group.rebalances,
        lag,
        totalLag: lag.reduce((sum, p) => sum + p.lag, 0),
      })
    }
    return {
      time: this.#clock.now(),
      topics,
      groups,
      produceLatency: this.#metrics.produceLatency.snapshot(),
      fetchLatency: this.#metrics.fetchLatency.snapshot(),
      storage: { bytes: storageBytes, fsyncLatency: this.#storage.metrics?.().fsyncLatency ?? null },
      connections: this.#metrics.connections(),
    }
  }

  /**
   * Lets a server that serves this bus (the Kafka wire listener, `logbus/http`) report its open
   * connections: `count` is called at every `metrics()`, and the counts of one `listener` name add up.
   * Returns the function that stops the reporting (call it when the server closes).
   *
   * @example
   * ```ts
   * const sockets = new Set<unknown>()
   * const stop = bus.reportConnections('kafka', () => sockets.size)
   * console.log(bus.metrics().connections) // { kafka: 0 }
   * stop()
   * ```
   */
  reportConnections(listener: string, count: () => number): Unsubscribe {
    this.#assertOpen()
    if (typeof listener !== 'string' || listener === '') {
      throw new InvalidConfigError('listener', 'must be a non-empty string')
    }
    if (typeof count !== 'function') throw new InvalidConfigError('count', 'must be a function')
    return this.#metrics.addConnections(listener, count)
  }

  /**
   * Installs an instrumentation (tracing hooks around sends and handler calls; see `Instrumentation`
   * and `logbus/otel`). One at a time: InvalidStateError while another is installed. Returns the
   * function that removes it. Without one, sends and deliveries call nothing.
   *
   * @example
   * ```ts
   * const stop = bus.instrument({ process: (context, run) => run() })
   * stop()
   * ```
   */
  instrument(instrumentation: Instrumentation): Unsubscribe {
    this.#assertOpen()
    if (instrumentation === null || typeof instrumentation !== 'object') {
      throw new InvalidConfigError('instrumentation', 'expected an object with send and/or process')
    }
    if (this.#metrics.instrumentation !== undefined) {
      throw new InvalidStateError('An instrumentation is already installed on this bus: remove it first')
    }
    this.#metrics.instrumentation = instrumentation
    return () => {
      if (this.#metrics.instrumentation === instrumentation) this.#metrics.instrumentation = undefined
    }
  }

  /**
   * Applies every topic's retention now (`retentionMs`, `retentionBytes`): whole old segments are
   * deleted and `logStartOffset` advances; consumers whose position fell below it follow their
   * `autoOffsetReset`. Compacted topics are compacted first, where their dirty ratio (or a passed
   * delete horizon) says so. The bus also runs this every `retentionCheckIntervalMs`. Kafka has no client API
   * for this: its brokers run it on their own schedule only.
   *
   * @example
   * ```ts
   * await bus.applyRetention()
   * ```
   */
  applyRetention(): Promise<void> {
    return this.#adminTask(() => this.#topics.applyRetention(this.#clock.now()))
  }

  /**
   * Compacts a compacted topic now, whatever its dirty ratio (`minCleanableDirtyRatio`): every
   * partition's segments before the active one, up to the last stable offset and past
   * `minCompactionLagMs`, keep the last record per key (see the README's "Log compaction"). The bus
   * also compacts on its own, every `retentionCheckIntervalMs`, once a topic's dirty ratio is reached.
   * Kafka has no client API for this: its log cleaner threads run on their own schedule. Rejects with
   * InvalidConfigError for a topic that is not compacted.
   *
   * @example
   * ```ts
   * const [result] = await bus.compact('users')
   * console.log(result?.removedRecords)
   * ```
   */
  compact(topic: string): Promise<CompactionResult[]> {
    return this.#adminTask(() => this.#topics.compact(topic, this.#clock.now(), true))
  }

  /**
   * Serves Kafka's binary protocol on this bus over TCP (`listen` of `logbus/wire`, loaded on first
   * use): any Kafka client connects with `bootstrap.servers` set to `server.address`, and shares
   * topics, records, groups and committed offsets with the bus's in-process producers and consumers.
   * Binds 127.0.0.1 unless `host` says otherwise; port 0 picks a free one. The server closes with the
   * bus (before its consumers and producers), or earlier by `server.close()`.
   *
   * @example
   * ```ts
   * const server = await bus.listen({ port: 0 })
   * console.log(`kcat -b ${server.address.host}:${server.address.port} -L`)
   * await server.close()
   * ```
   */
  async listen(options?: ListenOptions): Promise<WireServer> {
    this.#assertOpen()
    const { listen } = await import('../wire/server/server')
    const server = await listen(this as unknown as Bus, options)
    // A server closed by itself stays here: closing it again with the bus is a no-op.
    this.#servers.add(server)
    return server
  }

  /**
   * Closes in order: wire servers started by `listen`, consumers (they stop taking records, wait for their handlers, which may still
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
      await Promise.allSettled([...this.#servers].map((server) => server.close()))
      await Promise.allSettled([...this.#consumers].map((c) => c.close()))
      await Promise.allSettled([...this.#producers].map((p) => p.close()))
      await Promise.allSettled([...this.#groups.values()].map((g) => g.settled()))
      for (const group of this.#groups.values()) group.close()
      this.#transactions.close()
      await this.#admin.idle()
      try {
        await this.#topics.closeAll()
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

  /** Creates a topic through the registry and tells the groups. */
  async #createEntry(name: string, resolved: ResolvedTopicOptions): Promise<TopicEntry> {
    const entry = await this.#topics.create(name, resolved.config, resolved.keyCodec, resolved.valueCodec)
    this.emit('topicCreated', { topic: name, partitions: resolved.config.partitions })
    for (const group of this.#groups.values()) group.topicsChanged()
    return entry
  }

  /** Kafka's auto-creation: a raw topic with the configured partition count, created once. */
  #autoCreate(name: string): Promise<AnyTopic> {
    return this.#adminTask(async () => {
      validateTopicName(name)
      const existing = this.#topics.get(name)
      if (existing !== undefined) return existing.defaultView
      return (await this.#createEntry(name, resolveTopicOptions({ partitions: this.#autoCreatePartitions })))
        .defaultView
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

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new ClosedError('Bus')
  }

  #adminTask<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(new ClosedError('Bus'))
    return this.#admin.run(task)
  }
}

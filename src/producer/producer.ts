import { ClosedError, InvalidRecordError, InvalidTransactionStateError } from '../errors'
import { TypedEmitter } from '../events/typed-emitter'
import type { MetricsRecorder } from '../metrics/bus-metrics'
import type { Instrumentation, SendScope } from '../metrics/instrumentation'
import type { Message, RecordMetadata } from '../record/message'
import type { CommittedOffset } from '../storage/storage'
import type { PartitionCore } from '../topic/partition-core'
import { Topic } from '../topic/topic'
import type { Clock, ClockTimer } from '../util/clock'
import { parseOptions } from '../util/options'
import { SendBuffer } from './backpressure'
import { BatchBuilder, BatchWaiter } from './batch-builder'
import { type ProducerOptions, producerOptionsSchema, type ResolvedProducerOptions } from './options'
import { partitionChooser } from './partitioner'
import type { MessageFor, TopicMessages } from './send-types'
import { type PartitionChooser, Staging, stageMessage } from './stage'
import { Transaction, type TransactionHandle, type TransactionHost } from './transaction'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/** Not public: what a producer needs from its bus. */
export interface ProducerHost {
  readonly clock: Clock
  /** A topic's declared view by name: UnknownTopicError, or a promise when the bus creates it on demand. */
  topic(name: string): AnyTopic | Promise<AnyTopic>
  /** The bus's transaction coordinator (transactional producers only). */
  readonly transactions: TransactionCoordinatorLike
  /** The bus's latency histograms and instrumentation. */
  readonly metrics: MetricsRecorder
  producerClosed(producer: object): void
}

/** What a transactional producer asks of the transaction coordinator. */
export interface TransactionCoordinatorLike {
  initProducer(transactionalId: string, timeoutMs: number): Promise<{ producerId: number; epoch: number }>
  check(transactionalId: string, identity: { producerId: number; epoch: number }): void
  addPartition(
    transactionalId: string,
    identity: { producerId: number; epoch: number },
    partition: PartitionCore,
  ): void
  addOffsets(
    transactionalId: string,
    identity: { producerId: number; epoch: number },
    groupId: string,
    offsets: CommittedOffset[],
  ): void
  end(
    transactionalId: string,
    identity: { producerId: number; epoch: number },
    commit: boolean,
  ): Promise<void>
}

/**
 * Events of a producer.
 *
 * @example
 * ```ts
 * producer.on('batch', ({ topic, partition, baseOffset, count }) => metrics.add(count))
 * ```
 */
export interface ProducerEvents {
  /** A batch was stored. Emitted only when someone listens, so it costs nothing otherwise. */
  batch: { topic: string; partition: number; baseOffset: number; count: number; bytes: number }
  close: Record<string, never>
}

/** Drains in a row on the microtask queue before one yields to the event loop. */
const MICROTASK_DRAINS_PER_TURN = 256

/** What one producer keeps per topic it sends to: the open batch of each partition, a round-robin count. */
interface TopicLane {
  readonly open: Array<BatchBuilder | undefined>
  /** The size of each partition's last batch: the next one's columns start that long. */
  readonly lastCount: number[]
  roundRobin: number
}

/**
 * Sends records to topics. Records are batched per partition (by `batchBytes` and `lingerMs`), and
 * each batch is one append to the partition log. Unsent bytes are bounded by `bufferBytes`: when the
 * buffer is full, `send` waits up to `maxBlockMs` (backpressure), then rejects.
 *
 * What `send` takes is owned by the bus from then on, as a chunk given to `stream.write` is: a Buffer
 * key or value is kept by reference, a typed value is parsed once and frozen. Do not change a Buffer
 * after sending it.
 *
 * @example
 * ```ts
 * const producer = bus.producer()
 * const meta = await producer.send('orders', { key: 'u1', value: JSON.stringify({ total: 10 }) })
 * const metas = await producer.send('orders', [{ value: 'a' }, { value: 'b' }])
 * await producer.close()
 * ```
 */
export class Producer<D = Record<never, never>> extends TypedEmitter<ProducerEvents> {
  readonly #host: ProducerHost
  readonly #options: ResolvedProducerOptions
  readonly #choosePartition: PartitionChooser
  readonly #lanes = new Map<object, TopicLane>()
  /** Open batches, in the order they were opened. */
  #openList: BatchBuilder[] = []
  readonly #inFlight = new Set<BatchBuilder>()
  readonly #buffer: SendBuffer
  /** Counts array sends, to tell which batches the one being enqueued already waits for. */
  #sends = 0
  /** Where a send is checked before any of it is enqueued; reused by every send. */
  readonly #staging = new Staging()
  #drainScheduled = false
  #microtaskDrains = 0
  #lingerTimer: ClockTimer | undefined
  #closing: Promise<void> | undefined
  /** A transactional producer's id and epoch, from its first transaction on. */
  #identity: { producerId: number; epoch: number } | undefined
  #transaction: Transaction<D> | undefined
  /** The partitions the open transaction has written to, and its sends. */
  readonly #enlisted = new Set<PartitionCore>()
  #transactionSends: Promise<unknown>[] = []
  /** Kafka's idempotent sequence, per partition, of the current producer epoch. */
  readonly #sequences = new Map<PartitionCore, number>()
  readonly #transactionHost: TransactionHost
  /** One clock read serves every send of a tick. */
  #now = -1
  readonly #forgetNow = (): void => {
    this.#now = -1
  }

  /** @internal Use `bus.producer()`. */
  constructor(host: ProducerHost, options?: ProducerOptions) {
    super()
    this.#host = host
    this.#options = parseOptions(producerOptionsSchema(), options, 'producer')
    this.#buffer = new SendBuffer(host.clock, this.#options.bufferBytes, this.#options.maxBlockMs)
    this.#choosePartition = partitionChooser(
      this.#options.partitioner,
      (topic) => this.#lane(topic).roundRobin++,
    )
    this.#transactionHost = {
      send: (transaction, topic, input) => this.#transactional(transaction, this.#sendChecked(topic, input)),
      sendBatch: (transaction, entries) => this.#transactional(transaction, this.#sendBatch(entries)),
      sendOffsets: (groupId, offsets) =>
        this.#host.transactions.addOffsets(this.#options.transactionalId!, this.#identity!, groupId, offsets),
      settle: async (transaction) => {
        await this.flush()
        await Promise.allSettled(this.#transactionSends)
        if (transaction.failure !== undefined) throw transaction.failure
      },
      end: async (transaction, commit) => {
        try {
          await this.#host.transactions.end(this.#options.transactionalId!, this.#identity!, commit)
        } finally {
          if (this.#transaction === (transaction as unknown)) {
            this.#enlisted.clear()
            this.#transactionSends = []
          }
        }
      },
    }
  }

  /**
   * Begins a transaction (transactional producers only, `bus.producer({ transactionalId })`). The
   * first one also takes the transactional id over: a transaction an older producer left open is
   * aborted and that producer is fenced (ProducerFencedError from then on). One transaction at a time.
   *
   * @example
   * ```ts
   * const tx = await bus.producer({ transactionalId: 'etl-1' }).transaction()
   * await tx.send('out', { value: 'x' })
   * await tx.commit()
   * ```
   */
  async transaction(): Promise<Transaction<D>> {
    if (this.#closing !== undefined) throw new ClosedError('Producer')
    const transactionalId = this.#options.transactionalId
    if (transactionalId === undefined) {
      throw new InvalidTransactionStateError('This producer is not transactional: give it a transactionalId')
    }
    if (this.#transaction?.isActive()) {
      throw new InvalidTransactionStateError(
        'A transaction is already open on this producer: commit or abort it first',
      )
    }
    const coordinator = this.#host.transactions
    if (this.#identity === undefined) {
      this.#identity = await coordinator.initProducer(transactionalId, this.#options.transactionTimeoutMs)
      this.#sequences.clear()
    } else {
      coordinator.check(transactionalId, this.#identity)
    }
    this.#transaction = new Transaction<D>(this.#transactionHost)
    return this.#transaction
  }

  /**
   * Sends one message (resolves to its metadata) or an array (resolves to an array, same order).
   * Every message is checked (and its codecs parse it) before any is written: a bad one rejects the
   * whole call and nothing of it is stored. Resolves once every record is stored per the storage's
   * durability policy.
   *
   * @example
   * ```ts
   * const { partition, offset } = await producer.send('orders', { key: 'u1', value: 'created' })
   * ```
   */
  send<K, V, KIn, VIn>(topic: Topic<K, V, KIn, VIn>, message: Message<KIn, VIn>): Promise<RecordMetadata>
  send<K, V, KIn, VIn>(
    topic: Topic<K, V, KIn, VIn>,
    messages: readonly Message<KIn, VIn>[],
  ): Promise<RecordMetadata[]>
  send<N extends string>(topic: N, message: MessageFor<D, N>): Promise<RecordMetadata>
  send<N extends string>(topic: N, messages: readonly MessageFor<D, N>[]): Promise<RecordMetadata[]>
  send(
    topicOrName: string | AnyTopic,
    input: Message<unknown, unknown> | readonly Message<unknown, unknown>[],
  ): Promise<RecordMetadata | RecordMetadata[]> {
    if (this.#options.transactionalId !== undefined) return Promise.reject(outsideTransaction())
    return this.#sendChecked(topicOrName, input)
  }

  #sendChecked(
    topicOrName: string | AnyTopic,
    input: Message<unknown, unknown> | readonly Message<unknown, unknown>[],
  ): Promise<RecordMetadata | RecordMetadata[]> {
    const instrumentation = this.#host.metrics.instrumentation
    if (instrumentation?.send !== undefined && this.#closing === undefined) {
      return this.#sendInstrumented(instrumentation, topicOrName, input)
    }
    return this.#sendResolved(topicOrName, input)
  }

  /** A send seen by the instrumentation: it may add headers, and hears how the send ended. */
  #sendInstrumented(
    instrumentation: Instrumentation,
    topicOrName: string | AnyTopic,
    input: Message<unknown, unknown> | readonly Message<unknown, unknown>[],
  ): Promise<RecordMetadata | RecordMetadata[]> {
    const single = !Array.isArray(input)
    const messages = single ? [input as Message<unknown, unknown>] : (input as Message<unknown, unknown>[])
    const scope = this.#openScope(
      instrumentation,
      typeof topicOrName === 'string' ? topicOrName : topicOrName.name,
      messages,
    )
    const given =
      scope?.messages !== undefined && scope.messages.length === messages.length ? scope.messages : messages
    const sent = this.#sendResolved(topicOrName, single ? given[0]! : given)
    const end = scope?.end
    if (end === undefined) return sent
    return sent.then(
      (metadata) => {
        safely(() => end.call(scope, undefined, Array.isArray(metadata) ? metadata : [metadata]))
        return metadata
      },
      (error: unknown) => {
        safely(() => end.call(scope, error, undefined))
        throw error
      },
    )
  }

  #openScope(
    instrumentation: Instrumentation,
    topic: string,
    messages: readonly Message<unknown, unknown>[],
  ): SendScope | undefined {
    try {
      return instrumentation.send?.({ topic, messages, transactionalId: this.#options.transactionalId })
    } catch {
      // An instrumentation that fails never fails a send.
      return undefined
    }
  }

  #sendResolved(
    topicOrName: string | AnyTopic,
    input: Message<unknown, unknown> | readonly Message<unknown, unknown>[],
  ): Promise<RecordMetadata | RecordMetadata[]> {
    if (this.#closing !== undefined) return Promise.reject(new ClosedError('Producer'))
    let topic: AnyTopic | Promise<AnyTopic>
    try {
      topic = this.#resolve(topicOrName)
    } catch (error) {
      return Promise.reject(error)
    }
    if (topic instanceof Promise) return topic.then((resolved) => this.#send(resolved, input))
    return this.#send(topic, input)
  }

  /**
   * Sends messages to several topics at once, all or nothing: every message of every topic is checked
   * before any is written (what a transaction's records need). Resolves with one array of metadata per
   * entry, in order.
   *
   * @example
   * ```ts
   * const [orders, audit] = await producer.sendBatch([
   *   { topic: 'orders', messages: [{ key: 'o1', value: 'created' }] },
   *   { topic: 'audit', messages: [{ value: 'o1 created' }] },
   * ])
   * ```
   */
  sendBatch(entries: readonly TopicMessages[]): Promise<RecordMetadata[][]> {
    if (this.#options.transactionalId !== undefined) return Promise.reject(outsideTransaction())
    return this.#sendBatch(entries)
  }

  async #sendBatch(entries: readonly TopicMessages[]): Promise<RecordMetadata[][]> {
    const instrumentation = this.#host.metrics.instrumentation
    if (instrumentation?.send === undefined || !Array.isArray(entries) || this.#closing !== undefined) {
      return this.#sendBatchResolved(entries)
    }
    const scopes = entries.map((entry) =>
      entry !== null && typeof entry === 'object' && Array.isArray(entry.messages)
        ? this.#openScope(
            instrumentation,
            typeof entry.topic === 'string' ? entry.topic : entry.topic.name,
            entry.messages,
          )
        : undefined,
    )
    const given = entries.map((entry, i) => {
      const messages = scopes[i]?.messages
      return messages !== undefined && messages.length === entry.messages.length
        ? { topic: entry.topic, messages }
        : entry
    })
    let result: RecordMetadata[][]
    try {
      result = await this.#sendBatchResolved(given)
    } catch (error) {
      for (const scope of scopes) if (scope?.end !== undefined) safely(() => scope.end!(error, undefined))
      throw error
    }
    scopes.forEach((scope, i) => {
      if (scope?.end !== undefined) safely(() => scope.end!(undefined, result[i]))
    })
    return result
  }

  async #sendBatchResolved(entries: readonly TopicMessages[]): Promise<RecordMetadata[][]> {
    if (this.#closing !== undefined) throw new ClosedError('Producer')
    if (!Array.isArray(entries))
      throw new InvalidRecordError('sendBatch takes an array of { topic, messages }')
    const topics: AnyTopic[] = []
    for (const entry of entries) {
      if (entry === null || typeof entry !== 'object' || !Array.isArray(entry.messages)) {
        throw new InvalidRecordError('sendBatch takes an array of { topic, messages }')
      }
      topics.push(await this.#resolve(entry.topic))
    }
    // One topic is a send of its messages: staged in place, copied only if it must wait for space.
    if (entries.length === 1)
      return [(await this.#send(topics[0]!, entries[0]!.messages)) as RecordMetadata[]]
    const now = this.#clockNow()
    const staged = entries.map((entry, i) => {
      this.#staging.reset()
      this.#stageAll(topics[i]!, entry.messages, now)
      return this.#staging.detach()
    })
    const total = staged.reduce((sum, s) => sum + s.bytes, 0)
    const wait = this.#buffer.reserve(topics[0]?.name ?? '', total)
    if (wait !== undefined) await wait
    try {
      for (const [i, s] of staged.entries()) this.#enlist(topics[i]!, s)
    } catch (error) {
      this.#buffer.release(total)
      throw error
    }
    const sends = staged.map((s, i) => this.#enqueueAll(topics[i]!, s))
    return Promise.all(sends)
  }

  /**
   * Appends every batch now, without waiting for `lingerMs`, and resolves once every send made before
   * the call has been stored (or has failed).
   *
   * @example
   * ```ts
   * void producer.send('orders', { value: 'x' })
   * await producer.flush()
   * ```
   */
  async flush(): Promise<void> {
    const lastWait = this.#buffer.lastWait
    if (lastWait !== undefined) await lastWait.catch(() => undefined)
    this.#drainAll()
    if (this.#inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const waiter = new BatchWaiter(resolve, () => resolve(), true)
        for (const builder of this.#inFlight) waiter.add(builder)
        waiter.ready()
      })
    }
  }

  /**
   * Stops accepting sends, stores everything already accepted, and releases the producer. Idempotent.
   *
   * @example
   * ```ts
   * await producer.close()
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.flush()
      if (this.#lingerTimer !== undefined) this.#host.clock.clearTimeout(this.#lingerTimer)
      this.#host.producerClosed(this)
      this.emit('close', {})
      this.removeAllListeners()
    })()
    return this.#closing
  }

  /**
   * Same as `close()`, for `await using producer = bus.producer()` (Node 22+; on Node 20 call `close()`).
   *
   * @example
   * ```ts
   * await producer[Symbol.asyncDispose]()
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /**
   * Bytes accepted but not yet stored.
   *
   * @example
   * ```ts
   * if (producer.bufferedBytes > 1 << 20) await producer.flush()
   * ```
   */
  get bufferedBytes(): number {
    return this.#buffer.used
  }

  #resolve(topicOrName: string | AnyTopic): AnyTopic | Promise<AnyTopic> {
    if (typeof topicOrName === 'string') return this.#host.topic(topicOrName)
    if (topicOrName.entry.partitions[0]?.live !== false) return topicOrName
    // The view's topic was deleted: the name decides, as for a Kafka client, with the view's codecs.
    const current = this.#host.topic(topicOrName.name)
    const rebind = (topic: AnyTopic): AnyTopic =>
      new Topic(topic.entry, topicOrName.keyCodec, topicOrName.valueCodec)
    return current instanceof Promise ? current.then(rebind) : rebind(current)
  }

  #send(
    topic: AnyTopic,
    input: Message<unknown, unknown> | readonly Message<unknown, unknown>[],
  ): Promise<RecordMetadata | RecordMetadata[]> {
    const staging = this.#staging
    staging.reset()
    const single = !Array.isArray(input)
    let wait: Promise<void> | undefined
    try {
      if (single)
        stageMessage(
          topic,
          input as Message<unknown, unknown>,
          this.#clockNow(),
          this.#choosePartition,
          staging,
        )
      else if (input.length === 0) return Promise.resolve([])
      else this.#stageAll(topic, input, this.#clockNow())
      wait = this.#buffer.reserve(topic.name, staging.bytes)
    } catch (error) {
      return Promise.reject(error)
    }
    if (wait !== undefined) {
      // The staging columns are the next send's: this one keeps its own copy while it waits.
      const detached = staging.detach()
      return wait.then(() => this.#enqueue(topic, detached, single))
    }
    return this.#enqueue(topic, staging, single)
  }

  #enqueue(topic: AnyTopic, staging: Staging, single: boolean): Promise<RecordMetadata | RecordMetadata[]> {
    try {
      this.#enlist(topic, staging)
    } catch (error) {
      this.#buffer.release(staging.bytes)
      return Promise.reject(error)
    }
    return single ? this.#enqueueOne(topic, staging) : this.#enqueueAll(topic, staging)
  }

  /**
   * A transactional producer's writes go to partitions its transaction knows of (Kafka's
   * AddPartitionsToTxn), checked before anything is enqueued: a fenced producer writes nothing.
   */
  #enlist(topic: AnyTopic, staging: Staging): void {
    const identity = this.#identity
    if (identity === undefined || this.#options.transactionalId === undefined) return
    const coordinator = this.#host.transactions
    coordinator.check(this.#options.transactionalId, identity)
    const partitions = topic.entry.partitions
    for (let i = 0; i < staging.count; i++) {
      const core = partitions[staging.partitions[i]!]!
      if (!this.#enlisted.has(core)) {
        coordinator.addPartition(this.#options.transactionalId, identity, core)
        this.#enlisted.add(core)
      }
    }
  }

  /** Keeps a transaction's send, to settle before it ends; its failure dooms the transaction. */
  #transactional<T>(transaction: TransactionHandle, send: Promise<T>): Promise<T> {
    const tracked = send.catch((error: unknown) => {
      transaction.failure ??= error
      throw error
    })
    this.#transactionSends.push(tracked.catch(() => undefined))
    return tracked
  }

  #stageAll(topic: AnyTopic, messages: readonly Message<unknown, unknown>[], now: number): void {
    for (let i = 0; i < messages.length; i++) {
      stageMessage(topic, messages[i]!, now, this.#choosePartition, this.#staging)
    }
  }

  #enqueueOne(topic: AnyTopic, staging: Staging): Promise<RecordMetadata> {
    const builder = this.#builderFor(topic, this.#lane(topic), staging, 0)
    const index = builder.push(staging, 0)
    const promise = builder.waitForOne(index)
    if (builder.bytes >= this.#options.batchBytes) this.#dispatch(builder)
    return promise
  }

  #enqueueAll(topic: AnyTopic, staging: Staging): Promise<RecordMetadata[]> {
    const n = staging.count
    const lane = this.#lane(topic)
    const batchBytes = this.#options.batchBytes
    const builders = new Array<BatchBuilder>(n)
    const indexes = new Array<number>(n)
    // The batches this send waits for, each once: a builder remembers the last send that counted it.
    const send = ++this.#sends
    const waitFor: BatchBuilder[] = []
    for (let i = 0; i < n; i++) {
      const builder = this.#builderFor(topic, lane, staging, i)
      builders[i] = builder
      indexes[i] = builder.push(staging, i)
      if (builder.countedBy !== send) {
        builder.countedBy = send
        waitFor.push(builder)
      }
      if (builder.bytes >= batchBytes) this.#dispatch(builder)
    }
    const metadata = (): RecordMetadata[] => {
      const out = new Array<RecordMetadata>(n)
      for (let i = 0; i < n; i++) {
        const builder = builders[i]!
        const index = indexes[i]!
        out[i] = {
          topic: builder.core.topic,
          partition: builder.core.partition,
          offset: builder.baseOffset + index,
          timestamp: builder.timestampAt(index),
        }
      }
      return out
    }
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const waiter = new BatchWaiter(() => resolve(metadata()), reject)
      for (const builder of waitFor) waiter.add(builder)
      waiter.ready()
    })
  }

  /** The open batch record `i` joins: its partition's, unless that one is full or holds another form. */
  #builderFor(topic: AnyTopic, lane: TopicLane, staging: Staging, i: number): BatchBuilder {
    const partition = staging.partitions[i]!
    let builder = lane.open[partition]
    if (builder !== undefined) {
      if (
        builder.bytes + staging.sizes[i]! <= this.#options.batchBytes &&
        builder.keyCodec === topic.keyCodec &&
        builder.valueCodec === topic.valueCodec
      ) {
        return builder
      }
      this.#dispatch(builder)
    }
    builder = new BatchBuilder(
      lane,
      topic.entry.partitions[partition]!,
      topic.keyCodec,
      topic.valueCodec,
      this.#identity,
      // A quarter more than the last batch: a column that outgrows its start is copied as it grows.
      Math.ceil((lane.lastCount[partition] ?? 0) * 1.25),
    )
    lane.open[partition] = builder
    this.#openList.push(builder)
    this.#inFlight.add(builder)
    this.#scheduleDrain()
    return builder
  }

  #lane(topic: AnyTopic): TopicLane {
    let lane = this.#lanes.get(topic.entry)
    if (lane === undefined) {
      lane = { open: [], lastCount: [], roundRobin: 0 }
      this.#lanes.set(topic.entry, lane)
    }
    return lane
  }

  #clockNow(): number {
    if (this.#now < 0) {
      this.#now = this.#host.clock.now()
      queueMicrotask(this.#forgetNow)
    }
    return this.#now
  }

  #scheduleDrain(): void {
    if (this.#options.lingerMs === 0) {
      if (this.#drainScheduled) return
      this.#drainScheduled = true
      const drain = (): void => {
        this.#drainScheduled = false
        this.#drainAll()
      }
      // Over memory, a `while (…) await send()` loop would otherwise run on microtasks alone and
      // starve timers and I/O: every so many drains, one waits for the next turn of the event loop.
      if (++this.#microtaskDrains < MICROTASK_DRAINS_PER_TURN) queueMicrotask(drain)
      else {
        this.#microtaskDrains = 0
        setImmediate(drain)
      }
    } else if (this.#lingerTimer === undefined) {
      this.#lingerTimer = this.#host.clock.setTimeout(() => {
        this.#lingerTimer = undefined
        this.#drainAll()
      }, this.#options.lingerMs)
    }
  }

  #drainAll(): void {
    const open = this.#openList
    if (open.length === 0) return
    this.#openList = []
    for (const builder of open) this.#dispatch(builder)
  }

  /** Appends a sealed batch; the partition log keeps appends in call order. */
  #dispatch(builder: BatchBuilder): void {
    const { lane, core } = builder
    if (lane.open[core.partition] !== builder) return
    lane.open[core.partition] = undefined
    lane.lastCount[core.partition] = builder.count
    let result: number | Promise<number>
    try {
      result = builder.core.append(builder.toBatch(this.#nextSequence(builder)))
    } catch (error) {
      this.#settle(builder, error)
      return
    }
    if (typeof result === 'number') this.#settle(builder, undefined, result)
    else
      result.then(
        (baseOffset) => this.#settle(builder, undefined, baseOffset),
        (error: unknown) => this.#settle(builder, error),
      )
  }

  /** The batch's base sequence: Kafka's idempotent producers number records per partition. */
  #nextSequence(builder: BatchBuilder): number {
    if (builder.identity === undefined) return -1
    const sequence = this.#sequences.get(builder.core) ?? 0
    // Kafka's sequences wrap at 2^31.
    this.#sequences.set(builder.core, (sequence + builder.count) % 0x80000000)
    return sequence
  }

  #settle(builder: BatchBuilder, error: unknown, baseOffset = -1): void {
    this.#inFlight.delete(builder)
    if (error === undefined) {
      this.#host.metrics.produceLatency.observeSince(builder.openedAt)
      builder.stored(baseOffset)
      if (this.hasListeners('batch')) {
        this.emit('batch', {
          topic: builder.core.topic,
          partition: builder.core.partition,
          baseOffset,
          count: builder.count,
          bytes: builder.bytes,
        })
      }
    } else {
      builder.failed(error)
    }
    this.#buffer.release(builder.bytes)
  }
}

function safely(call: () => void): void {
  try {
    call()
  } catch {
    // An instrumentation that fails never fails a send.
  }
}

function outsideTransaction(): InvalidTransactionStateError {
  return new InvalidTransactionStateError(
    'A transactional producer sends inside a transaction: const tx = await producer.transaction(); await tx.send(…)',
  )
}

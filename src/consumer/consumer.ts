import { randomUUID } from 'node:crypto'
import type { Partition } from '../bus/partition'
import type { Topic } from '../bus/topic'
import {
  ClosedError,
  FencedInstanceIdError,
  HandlerError,
  InvalidConfigError,
  InvalidStateError,
  type LogbusError,
  OffsetOutOfRangeError,
  TimeoutError,
  UnknownMemberError,
  UnknownTopicError,
} from '../errors'
import { TypedEmitter } from '../events/typed-emitter'
import type { Assignor } from '../group/assignor'
import { assignorByName } from '../group/assignors'
import type { ConsumerGroup } from '../group/consumer-group'
import type { GroupMember } from '../group/member'
import type { LogRecord, TopicPartition } from '../record/log-record'
import type { CommittedOffset } from '../storage/storage'
import type { Clock, ClockTimer } from '../util/clock'
import { type Deferred, deferred } from '../util/deferred'
import { parseOptions } from '../util/options'
import { compareTopicPartitions, tpKey } from '../util/tp-key'
import {
  type ConsumerOptions,
  checkConsumerOptions,
  consumerOptionsSchema,
  type ResolvedConsumerOptions,
  retryDelay,
} from './options'
import { RecordChannel } from './record-channel'

/**
 * Handles one record. Resolve to mark it processed; throw to have it retried (then the member crashes).
 *
 * @example
 * ```ts
 * const eachMessage: EachMessageHandler = async (record) => {
 *   await db.insert(JSON.parse(record.value!.toString()))
 * }
 * ```
 */
export type EachMessageHandler = (record: LogRecord) => Promise<void> | void

/**
 * One fetched batch of one partition, handed to an `eachBatch` handler.
 *
 * @example
 * ```ts
 * const eachBatch: EachBatchHandler = async ({ records, resolveOffset }) => {
 *   for (const record of records) {
 *     await handle(record)
 *     resolveOffset(record.offset)
 *   }
 * }
 * ```
 */
export interface BatchPayload {
  readonly topic: string
  readonly partition: number
  readonly records: readonly LogRecord[]
  /** The partition's log end offset when the batch was read. */
  readonly highWatermark: number
  /** Marks every record up to and including `offset` as processed. */
  resolveOffset(offset: number): void
  /** Commits what is processed so far. */
  commit(): Promise<void>
  /** False once the consumer is stopping. */
  isRunning(): boolean
  /** True once the partition was revoked, paused or seeked: stop working on this batch. */
  isStale(): boolean
}

/**
 * Handles one batch of one partition.
 *
 * @example
 * ```ts
 * await consumer.run({ eachBatch: async ({ records }) => { await db.insertMany(records) } })
 * ```
 */
export type EachBatchHandler = (batch: BatchPayload) => Promise<void> | void

/**
 * What `run()` takes: exactly one of `eachMessage` and `eachBatch`.
 *
 * @example
 * ```ts
 * await consumer.run({ eachMessage: async (record) => console.log(record.offset) })
 * ```
 */
export type RunOptions =
  | { eachMessage: EachMessageHandler; eachBatch?: undefined }
  | {
      eachBatch: EachBatchHandler
      eachMessage?: undefined
      /** Mark the whole batch processed when the handler resolves. Default true. */
      eachBatchAutoResolve?: boolean
    }

/**
 * Events of a consumer (one group member).
 *
 * @example
 * ```ts
 * consumer.on('groupJoin', ({ generation, assignment }) => console.log(generation, assignment))
 * consumer.on('crash', ({ error, restart }) => console.error(error, restart))
 * ```
 */
export interface ConsumerEvents {
  /** The member received its assignment for a generation. */
  groupJoin: { groupId: string; memberId: string; generation: number; assignment: TopicPartition[] }
  partitionsAssigned: { groupId: string; generation: number; partitions: TopicPartition[] }
  partitionsRevoked: { groupId: string; generation: number; partitions: TopicPartition[] }
  commit: { groupId: string; offsets: CommittedOffset[] }
  /** A handler failed past its retries (HandlerError), or no valid offset with `autoOffsetReset: 'none'`. */
  crash: { groupId: string; error: Error; restart: boolean }
  /** A handler threw and the record will be retried after `delayMs`. */
  retry: {
    groupId: string
    error: unknown
    topic: string
    partition: number
    offset: number
    attempt: number
    delayMs: number
  }
  /** The coordinator removed this member (session or poll timeout, or fenced); it rejoins unless fenced. */
  removed: { groupId: string; memberId: string; reason: LogbusError }
  stop: { groupId: string }
}

/**
 * A deadline for the test hooks `joined`, `caughtUp` and `idle`.
 *
 * @example
 * ```ts
 * await consumer.caughtUp({ timeoutMs: 5_000 })
 * ```
 */
export interface WaitOptions {
  /** Reject with TimeoutError after this long (on the bus's clock). */
  timeoutMs?: number
  /** Reject with the signal's reason when it aborts. */
  signal?: AbortSignal
}

/** Not public: what a consumer needs from its bus. */
export interface ConsumerHost {
  readonly clock: Clock
  group(groupId: string): ConsumerGroup
  topicNames(): string[]
  findTopic(name: string): Topic<unknown> | undefined
  consumerClosed(consumer: Consumer): void
}

/** Consumption state of one assigned partition. */
interface FetchState {
  readonly topic: string
  readonly partition: Partition
  readonly key: string
  /** Next offset to fetch. */
  position: number
  /** Next offset to commit: everything before it was processed. */
  processed: number
  committed: number | undefined
  /** Set when the batch being delivered must be abandoned (revoked, paused, seeked, stopping). */
  interrupted: boolean
  revoked: boolean
  paused: boolean
  /** Failed deliveries in a row at `position`, for the retry schedule. */
  attempts: number
  /** Counts seeks, so a batch handler's automatic resolve does not undo a seek made inside it. */
  seeks: number
  /** Not fetched until onAssign returned (a seek in onAssign must take effect first). */
  ready: boolean
  /** A fetch loop is working on it: with several loops, a partition is still handled by one at a time. */
  busy: boolean
  /** Settled when the handler running on this partition returns: what a revoke waits for. */
  drained: Deferred<void> | undefined
  /** Set while a handler runs on it; with `watchSeq`/`strikes`, what the poll watchdog looks at. */
  delivering: boolean
  deliveries: number
  watchSeq: number
  strikes: number
  readonly unsubscribe: () => void
}

/** Deliver this many records, at most, before yielding to the event loop (sync handlers, memory). */
const YIELD_EVERY_RECORDS = 16_384

/**
 * One member of a consumer group. `run()` joins the group and consumes the assigned partitions with
 * `eachMessage` or `eachBatch`; `for await (const record of consumer)` does the same as a stream.
 * Delivery is at-least-once: what was processed is committed (automatically, or by `commit()`), and
 * what was not is delivered again, in order, to whoever owns the partition next.
 *
 * @example
 * ```ts
 * const consumer = bus.consumer({ groupId: 'billing', topics: ['orders'], fromBeginning: true })
 * await consumer.run({ eachMessage: async (record) => console.log(record.value?.toString()) })
 * // …
 * await consumer.close()
 * ```
 */
export class Consumer extends TypedEmitter<ConsumerEvents> implements AsyncIterable<LogRecord> {
  readonly groupId: string
  readonly #host: ConsumerHost
  readonly #options: ResolvedConsumerOptions
  readonly #group: ConsumerGroup
  readonly #assignors: readonly Assignor[]
  readonly #autoOffsetReset: 'earliest' | 'latest' | 'none'
  readonly #fetch = new Map<string, FetchState>()
  #order: FetchState[] = []
  #cursor = 0
  readonly #pausedTopics = new Set<string>()
  readonly #pausedPartitions = new Set<string>()

  #memberId = ''
  #generation = -1
  #member = false
  #running = false
  #started = false
  #closing: Promise<void> | undefined
  #eachMessage: EachMessageHandler | undefined
  #eachBatch: EachBatchHandler | undefined
  #eachBatchAutoResolve = true
  #channel: RecordChannel | undefined

  /** Fetch loops (and retry sleeps) waiting for something to happen; all are woken together. */
  #wakers: Array<() => void> = []
  /** Handler calls in flight, across the fetch loops. */
  #inFlight = 0
  #crashError: Error | undefined
  #loopDone: Promise<void> = Promise.resolve()
  #autoCommitTimer: ClockTimer | undefined
  #restartTimer: ClockTimer | undefined
  #heartbeatTimer: ClockTimer | undefined
  #watchdogTimer: ClockTimer | undefined
  #loopActive = false
  /** The waits of joined/caughtUp/idle: re-checked on progress, failed when the consumer stops for good. */
  #progressWaiters: Array<{ check: () => void; fail: (error: Error) => void }> = []
  /** How the coordinator sees this consumer, one per membership; kept off the public class. */
  #handle: GroupMember | undefined
  /** Why the coordinator removed this member, if it did: what a late commit is rejected with. */
  #removedReason: LogbusError | undefined
  readonly #notify = (): void => {
    if (this.#wakers.length === 0) return
    const wakers = this.#wakers
    this.#wakers = []
    for (const wake of wakers) wake()
  }

  /** @internal Use `bus.consumer()`. */
  constructor(host: ConsumerHost, options: ConsumerOptions) {
    super()
    this.#host = host
    this.#options = parseOptions(consumerOptionsSchema, options, 'consumer')
    checkConsumerOptions(this.#options)
    this.groupId = this.#options.groupId
    const choice = this.#options.assignor
    this.#assignors = (Array.isArray(choice) ? choice : [choice]).map((assignor) =>
      typeof assignor === 'string' ? assignorByName(assignor) : assignor,
    )
    this.#autoOffsetReset =
      this.#options.autoOffsetReset ?? (this.#options.fromBeginning ? 'earliest' : 'latest')
    this.#group = host.group(this.groupId)
  }

  /**
   * The coordinator's view of one membership. Its member id is fixed; calls through the handle of an
   * earlier membership (after a restart or a rejoin) are ignored, so a stale entry can never act on
   * the current one.
   */
  #makeHandle(memberId: string): GroupMember {
    const handle: GroupMember = {
      memberId,
      instanceId: this.#options.instanceId,
      clientId: this.#options.clientId,
      assignors: this.#assignors,
      rebalanceTimeoutMs: this.#options.rebalanceTimeoutMs ?? this.#options.maxPollIntervalMs ?? 300_000,
      sessionTimeoutMs: this.#options.sessionTimeoutMs,
      expel: (reason) => (this.#handle === handle ? this.#expel(reason) : Promise.resolve()),
      subscribedTopics: (existing) => this.#subscribedTopics(existing),
      revoke: (partitions) => (this.#handle === handle ? this.#revoke(partitions) : Promise.resolve()),
      assign: (assignment, generation) =>
        this.#handle === handle ? this.#assign(assignment, generation) : Promise.resolve(),
    }
    return handle
  }

  /**
   * This member's id in its group (a new one each time it joins), or '' before `run()`.
   *
   * @example
   * ```ts
   * console.log(consumer.memberId)
   * ```
   */
  get memberId(): string {
    return this.#memberId
  }

  /**
   * Joins the group and starts consuming; resolves once the member has joined and has its assignment.
   *
   * @example
   * ```ts
   * await consumer.run({ eachMessage: async (record) => handle(record) })
   * ```
   */
  async run(handlers: RunOptions): Promise<void> {
    if (this.#closing !== undefined) throw new ClosedError('Consumer')
    if (this.#started) throw new InvalidStateError('run() or iteration was already started on this consumer')
    if (handlers === null || typeof handlers !== 'object') {
      throw new InvalidConfigError('run', 'expected an object with eachMessage or eachBatch')
    }
    const { eachMessage, eachBatch } = handlers
    if ((typeof eachMessage === 'function') === (typeof eachBatch === 'function')) {
      throw new InvalidConfigError('run', 'give exactly one of eachMessage and eachBatch, as a function')
    }
    this.#eachMessage = eachMessage
    this.#eachBatch = eachBatch
    if ('eachBatchAutoResolve' in handlers && handlers.eachBatchAutoResolve === false) {
      this.#eachBatchAutoResolve = false
    }
    this.#started = true
    await this.#join()
  }

  /**
   * The records of the assigned partitions as an async stream. A record counts as processed once the
   * loop body completes (when the next one is requested). Leaving the loop (`break`, `return`, a
   * throw) closes the consumer; the last record is then not counted as processed, so it is delivered
   * again after a restart (at-least-once).
   *
   * @example
   * ```ts
   * for await (const record of consumer) {
   *   console.log(record.offset)
   *   if (record.offset >= 99) break
   * }
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<LogRecord> {
    if (this.#closing !== undefined) throw new ClosedError('Consumer')
    if (this.#started) throw new InvalidStateError('run() or iteration was already started on this consumer')
    this.#started = true
    const channel = new RecordChannel()
    this.#channel = channel
    this.#eachMessage = (record) => channel.offer(record)
    let joining: Promise<void> | undefined
    return {
      next: async () => {
        joining ??= this.#join()
        await joining
        return channel.take()
      },
      return: async () => {
        await this.close()
        return { done: true, value: undefined }
      },
    }
  }

  /**
   * Commits offsets: without arguments, everything processed on the assigned partitions; with a list,
   * exactly those (each the next offset to read). Rejects with IllegalGenerationError if the group
   * rebalanced since this member's generation, as Kafka does.
   *
   * @example
   * ```ts
   * await consumer.commit()
   * await consumer.commit([{ topic: 'orders', partition: 0, offset: 42 }])
   * ```
   */
  async commit(offsets?: CommittedOffset[]): Promise<void> {
    if (!this.#member) {
      // Removed by the coordinator: rejected as Kafka rejects it (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID).
      if (this.#removedReason !== undefined) throw this.#removedReason
      throw new InvalidStateError('The consumer is not a member of its group (call run() first)')
    }
    if (offsets === undefined) return this.#commitStates(this.#order)
    const list = offsets.map((o, i) => {
      if (typeof o?.topic !== 'string' || !Number.isInteger(o.partition) || o.partition < 0) {
        throw new InvalidConfigError(`offsets.${i}`, 'expected { topic, partition, offset }')
      }
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
        throw new InvalidConfigError(`offsets.${i}.offset`, 'must be a non-negative integer')
      }
      return { topic: o.topic, partition: o.partition, offset: o.offset }
    })
    await this.#group.commit(this.#memberId, this.#generation, list)
    for (const o of list) {
      const state = this.#fetch.get(tpKey(o.topic, o.partition))
      if (state !== undefined) state.committed = o.offset
    }
    this.emit('commit', { groupId: this.groupId, offsets: list })
  }

  /**
   * Moves the fetch position of an assigned partition; with auto-commit, the new position is what gets
   * committed next. An offset outside the log is reset per `autoOffsetReset` when fetched.
   *
   * @example
   * ```ts
   * consumer.seek({ topic: 'orders', partition: 0, offset: 0 })
   * ```
   */
  seek({ topic, partition, offset }: CommittedOffset): void {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new InvalidConfigError('offset', 'must be a non-negative integer')
    }
    const state = this.#fetch.get(tpKey(topic, partition))
    if (state === undefined) {
      throw new InvalidStateError(`Cannot seek ${topic}-${partition}: it is not assigned to this consumer`)
    }
    state.position = offset
    state.processed = offset
    state.attempts = 0
    state.seeks++
    state.interrupted = true
    this.#notify()
  }

  /**
   * Stops fetching from partitions (or, without `partition`, from every partition of a topic) until
   * `resume`. The pause survives rebalances, as it does in KafkaJS.
   *
   * @example
   * ```ts
   * consumer.pause([{ topic: 'orders', partition: 0 }])
   * consumer.pause([{ topic: 'audit' }])
   * ```
   */
  pause(partitions: Array<{ topic: string; partition?: number }>): void {
    for (const { topic, partition } of partitions) {
      if (partition === undefined) this.#pausedTopics.add(topic)
      else this.#pausedPartitions.add(tpKey(topic, partition))
    }
    this.#applyPauses()
  }

  /**
   * Undoes `pause`.
   *
   * @example
   * ```ts
   * consumer.resume([{ topic: 'orders', partition: 0 }])
   * ```
   */
  resume(partitions: Array<{ topic: string; partition?: number }>): void {
    for (const { topic, partition } of partitions) {
      if (partition === undefined) {
        this.#pausedTopics.delete(topic)
        for (const key of this.#pausedPartitions)
          if (key.startsWith(`${topic}\u0000`)) this.#pausedPartitions.delete(key)
      } else {
        this.#pausedPartitions.delete(tpKey(topic, partition))
      }
    }
    this.#applyPauses()
    this.#notify()
  }

  /**
   * The assigned partitions that are paused.
   *
   * @example
   * ```ts
   * expect(consumer.paused()).toEqual([{ topic: 'orders', partition: 0 }])
   * ```
   */
  paused(): TopicPartition[] {
    return this.#order
      .filter((s) => s.paused)
      .map((s) => ({ topic: s.topic, partition: s.partition.partition }))
  }

  /**
   * The partitions this member owns now.
   *
   * @example
   * ```ts
   * console.log(consumer.assignment())  // [{ topic: 'orders', partition: 0 }, …]
   * ```
   */
  assignment(): TopicPartition[] {
    return this.#order.map((s) => ({ topic: s.topic, partition: s.partition.partition }))
  }

  /**
   * The position (next offset to fetch) of an assigned partition, or undefined.
   *
   * @example
   * ```ts
   * const next = consumer.position({ topic: 'orders', partition: 0 })
   * ```
   */
  position({ topic, partition }: TopicPartition): number | undefined {
    return this.#fetch.get(tpKey(topic, partition))?.position
  }

  /**
   * Resolves once this member has joined its group and the group has settled (no rebalance running
   * or queued). A deterministic hook for tests: no sleeping until "it has probably joined".
   *
   * @example
   * ```ts
   * void consumer.run({ eachMessage })
   * await consumer.joined()
   * ```
   */
  joined(options?: WaitOptions): Promise<void> {
    return this.#waitFor(() => this.#member && this.#generation >= 0 && !this.#group.rebalancing, options)
  }

  /**
   * Resolves once every partition assigned to this member (except paused ones) has been processed up
   * to the log end offset it had when `caughtUp` was called (or when the partition was assigned, for
   * partitions assigned later).
   *
   * @example
   * ```ts
   * await producer.send('orders', records)
   * await consumer.caughtUp({ timeoutMs: 5_000 })
   * expect(handled).toHaveLength(records.length)
   * ```
   */
  async caughtUp(options?: WaitOptions): Promise<void> {
    await this.joined(options)
    const targets = new Map<string, number>()
    for (const state of this.#order) targets.set(state.key, state.partition.logEndOffset)
    return this.#waitFor(
      () =>
        this.#member &&
        !this.#group.rebalancing &&
        this.#order.every((s) => {
          if (s.paused) return true
          let target = targets.get(s.key)
          if (target === undefined) {
            target = s.partition.logEndOffset
            targets.set(s.key, target)
          }
          return s.processed >= target
        }),
      options,
    )
  }

  /**
   * Resolves once the member has nothing left to do: joined, the group settled, no handler running,
   * and every assigned partition (except paused ones) processed up to its current log end.
   *
   * @example
   * ```ts
   * await consumer.idle({ timeoutMs: 5_000 })
   * ```
   */
  idle(options?: WaitOptions): Promise<void> {
    return this.#waitFor(
      () =>
        this.#member &&
        this.#generation >= 0 &&
        !this.#group.rebalancing &&
        this.#inFlight === 0 &&
        this.#order.every((s) => s.paused || s.processed >= s.partition.logEndOffset),
      options,
    )
  }

  /**
   * Stops consuming (waiting for the handler in flight), commits what was processed (with
   * auto-commit), leaves the group (the others rebalance) and releases everything. Idempotent.
   * Do not await it from inside a handler: it waits for that handler.
   *
   * @example
   * ```ts
   * await consumer.close()
   * ```
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = this.#close()
      // #close started before #closing was set: the waits see the close only now.
      this.#checkProgress()
    }
    return this.#closing
  }

  /**
   * Same as `close()`, for `await using consumer = bus.consumer(…)`.
   *
   * @example
   * ```ts
   * await using consumer = bus.consumer({ groupId: 'g', topics: ['t'] })
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #subscribedTopics(existing: readonly string[]): string[] {
    const topics = this.#options.topics
    if (topics instanceof RegExp) {
      const pattern = new RegExp(topics.source, topics.flags.replace(/[gy]/g, ''))
      return existing.filter((name) => pattern.test(name))
    }
    const wanted = typeof topics === 'string' ? [topics] : topics
    return wanted.filter((name) => existing.includes(name))
  }

  /** Called by the coordinator's rebalance loop. */
  async #revoke(partitions: TopicPartition[]): Promise<void> {
    const states: FetchState[] = []
    for (const tp of partitions) {
      const state = this.#fetch.get(tpKey(tp.topic, tp.partition))
      if (state === undefined) continue
      state.revoked = true
      state.interrupted = true
      states.push(state)
    }
    this.#notify()
    // Only the handlers of the revoked partitions: with cooperative rebalancing the kept ones go on.
    await this.#deliveriesDone(states)
    if (this.#options.autoCommit && this.#member) {
      await this.#commitStates(states).catch(() => undefined)
    }
    const onRevoke = this.#options.onRevoke
    if (onRevoke !== undefined && states.length > 0) {
      try {
        await onRevoke(states.map(toTp))
      } catch (error) {
        this.#crash(asError(error))
      }
    }
    for (const state of states) this.#removeState(state)
    this.emit('partitionsRevoked', { groupId: this.groupId, generation: this.#generation, partitions })
    this.#checkProgress()
  }

  /** Called by the coordinator's rebalance loop. */
  async #assign(assignment: TopicPartition[], generation: number): Promise<void> {
    this.#generation = generation
    const added: TopicPartition[] = []
    for (const tp of assignment) {
      const key = tpKey(tp.topic, tp.partition)
      if (this.#fetch.has(key)) continue
      const partition = this.#host.findTopic(tp.topic)?.partitionList[tp.partition]
      if (partition === undefined) continue
      const committed = this.#group.committedOffset(tp.topic, tp.partition)
      const start = this.#startPosition(partition, committed)
      const state: FetchState = {
        topic: tp.topic,
        partition,
        key,
        position: start,
        processed: start,
        committed,
        interrupted: false,
        revoked: false,
        paused: false,
        attempts: 0,
        seeks: 0,
        ready: false,
        busy: false,
        drained: undefined,
        delivering: false,
        deliveries: 0,
        watchSeq: -1,
        strikes: 0,
        unsubscribe: partition.subscribe(this.#notify),
      }
      this.#fetch.set(key, state)
      added.push(tp)
      if (Number.isNaN(start)) {
        this.#crash(
          committed === undefined
            ? new OffsetOutOfRangeError(
                tp.topic,
                tp.partition,
                -1,
                `Undefined offset with no reset policy for ${tp.topic}-${tp.partition}: no committed offset and autoOffsetReset is 'none'`,
              )
            : new OffsetOutOfRangeError(tp.topic, tp.partition, committed),
        )
      }
    }
    this.#order = [...this.#fetch.values()].sort((a, b) => compareTopicPartitions(toTp(a), toTp(b)))
    this.#applyPauses()
    const onAssign = this.#options.onAssign
    if (onAssign !== undefined && added.length > 0) {
      try {
        await onAssign(added)
      } catch (error) {
        this.#crash(asError(error))
      }
    }
    for (const state of this.#order) state.ready = true
    this.emit('partitionsAssigned', { groupId: this.groupId, generation, partitions: added })
    this.emit('groupJoin', {
      groupId: this.groupId,
      memberId: this.#memberId,
      generation,
      assignment: this.assignment(),
    })
    this.#notify()
    this.#checkProgress()
  }

  async #join(): Promise<void> {
    if (this.#closing !== undefined) throw new ClosedError('Consumer')
    this.#memberId = `${this.#options.clientId}-${randomUUID()}`
    const handle = this.#makeHandle(this.#memberId)
    this.#handle = handle
    this.#removedReason = undefined
    this.#member = true
    if (!this.#loopActive) {
      this.#running = true
      this.#crashError = undefined
      this.#loopActive = true
      // Iteration hands records over one at a time: one loop.
      const concurrency = this.#channel === undefined ? this.#options.partitionsConsumedConcurrently : 1
      const loops = Array.from({ length: concurrency }, () => this.#fetchLoop())
      this.#loopDone = Promise.all(loops).then(() => {
        this.#loopActive = false
        return this.#afterLoop()
      })
    }
    this.#scheduleAutoCommit()
    this.#scheduleHeartbeat()
    this.#scheduleWatchdog()
    let joined: Promise<void>
    try {
      joined = this.#group.join(handle)
    } catch (error) {
      // Refused (another assignor than the group's): nothing of this membership may keep running.
      this.#dropMembership()
      this.#stopLoop()
      throw error
    }
    await joined
  }

  /** Where to start on a newly assigned partition: the committed offset if valid, else the reset policy. */
  #startPosition(partition: Partition, committed: number | undefined): number {
    if (
      committed !== undefined &&
      committed >= partition.logStartOffset &&
      committed <= partition.logEndOffset
    ) {
      return committed
    }
    switch (this.#autoOffsetReset) {
      case 'earliest':
        return partition.logStartOffset
      case 'latest':
        return partition.logEndOffset
      case 'none':
        return Number.NaN
    }
  }

  /** One fetch loop; `partitionsConsumedConcurrently` of them share the assigned partitions. */
  async #fetchLoop(): Promise<void> {
    let delivered = 0
    while (this.#running) {
      const state = this.#nextReady()
      if (state === undefined) {
        this.#checkProgress()
        await new Promise<void>((resolve) => {
          this.#wakers.push(resolve)
        })
        continue
      }
      state.busy = true
      try {
        delivered += await this.#fetchAndDeliver(state)
      } finally {
        state.busy = false
      }
      if (delivered >= YIELD_EVERY_RECORDS) {
        delivered = 0
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
      // Another loop may be waiting for this partition's next records.
      if (this.#wakers.length > 0 && this.#options.partitionsConsumedConcurrently > 1) this.#notify()
    }
  }

  /** Reads from one partition and hands the records over; returns how many were read. */
  async #fetchAndDeliver(state: FetchState): Promise<number> {
    const partition = state.partition
    if (state.position < partition.logStartOffset || state.position > partition.logEndOffset) {
      const reset = this.#startPosition(partition, undefined)
      if (Number.isNaN(reset)) {
        this.#crash(new OffsetOutOfRangeError(state.topic, partition.partition, state.position))
        return 0
      }
      state.position = state.processed = reset
      return 0
    }
    state.interrupted = false
    let records: LogRecord[]
    try {
      const read = partition.readNow(state.position, this.#options.maxBytesPerPartition)
      records = Array.isArray(read) ? read : await read
    } catch (error) {
      // Retention or deletion raced with the read: the next round re-checks the range.
      if (error instanceof OffsetOutOfRangeError || error instanceof UnknownTopicError) return 0
      this.#crash(error instanceof Error ? error : new Error(String(error)))
      return 0
    }
    if (state.interrupted || records.length === 0) return 0
    if (this.#eachBatch !== undefined) await this.#deliverBatch(state, records, partition.logEndOffset)
    else await this.#deliverEach(state, records)
    return records.length
  }

  /** Round-robin over assigned partitions that have something to fetch. */
  #nextReady(): FetchState | undefined {
    const order = this.#order
    const n = order.length
    for (let i = 0; i < n; i++) {
      const index = (this.#cursor + i) % n
      const state = order[index]!
      if (
        state.ready &&
        !state.busy &&
        !state.paused &&
        !state.revoked &&
        state.position !== state.partition.logEndOffset &&
        !state.partition.deleted
      ) {
        this.#cursor = index + 1
        return state
      }
    }
    return undefined
  }

  async #deliverEach(state: FetchState, records: LogRecord[]): Promise<void> {
    const handler = this.#eachMessage!
    for (let i = 0; i < records.length; i++) {
      if (state.interrupted) return
      const record = records[i]!
      if (record.offset < state.position) continue
      const seeksBefore = this.#delivering(state)
      let failure: { error: unknown } | undefined
      try {
        const result = handler(record)
        if (result !== undefined) await result
      } catch (error) {
        failure = { error }
      }
      // A seek made by the handler wins over the position after the record.
      if (failure === undefined && state.seeks === seeksBefore) {
        state.position = state.processed = record.offset + 1
        state.attempts = 0
      }
      this.#delivered(state)
      if (this.#progressWaiters.length > 0) this.#checkProgress()
      if (failure !== undefined) return this.#handleFailure(state, record, failure.error)
    }
  }

  async #deliverBatch(state: FetchState, records: LogRecord[], highWatermark: number): Promise<void> {
    let first = 0
    while (first < records.length && records[first]!.offset < state.position) first++
    if (first === records.length) return
    const batchRecords = first === 0 ? records : records.slice(first)
    const last = batchRecords[batchRecords.length - 1]!.offset
    const resolveOffset = (offset: number): void => {
      if (offset + 1 > state.processed && offset <= last && !state.revoked)
        state.position = state.processed = offset + 1
    }
    const payload: BatchPayload = {
      topic: state.topic,
      partition: state.partition.partition,
      records: batchRecords,
      highWatermark,
      resolveOffset,
      commit: () => this.commit(),
      isRunning: () => this.#running,
      isStale: () => state.interrupted,
    }
    const seeksBefore = this.#delivering(state)
    let failure: { error: unknown } | undefined
    try {
      await this.#eachBatch!(payload)
      if (this.#eachBatchAutoResolve && state.seeks === seeksBefore) resolveOffset(last)
      state.attempts = 0
    } catch (error) {
      failure = { error }
    }
    this.#delivered(state)
    if (this.#progressWaiters.length > 0) this.#checkProgress()
    if (failure === undefined) return
    const failedAt = batchRecords.find((r) => r.offset >= state.processed) ?? batchRecords[0]!
    await this.#handleFailure(state, failedAt, failure.error)
  }

  /**
   * A handler failed on `record`: wait the backoff, then let the fetch loop re-read from the first
   * unprocessed offset; past `retries`, crash. Nothing after the failed record counts as processed.
   */
  async #handleFailure(state: FetchState, record: LogRecord, error: unknown): Promise<void> {
    if (!this.#running || state.revoked) return
    state.interrupted = true
    const retry = this.#options.retry
    if (state.attempts >= retry.retries) {
      this.#crash(new HandlerError(record.topic, record.partition, record.offset, error))
      return
    }
    const delayMs = retryDelay(retry, state.attempts++)
    this.emit('retry', {
      groupId: this.groupId,
      error,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      attempt: state.attempts,
      delayMs,
    })
    await this.#sleep(delayMs, state)
  }

  /** Waits `ms`, or less if the partition is revoked or the consumer stops. */
  #sleep(ms: number, state: FetchState): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#host.clock.clearTimeout(timer)
        const index = this.#wakers.indexOf(check)
        if (index !== -1) this.#wakers.splice(index, 1)
        resolve()
      }
      const check = (): void => {
        if (state.revoked || !this.#running) done()
        else this.#wakers.push(check)
      }
      const timer = this.#host.clock.setTimeout(done, ms)
      this.#wakers.push(check)
    })
  }

  /** Stops the loop with an error; what happens next is decided in #afterLoop. */
  #crash(error: Error): void {
    this.#crashError ??= error
    this.#stopLoop()
  }

  #stopLoop(): void {
    this.#running = false
    for (const state of this.#order) state.interrupted = true
    this.#notify()
  }

  /** After a crash: commit what was processed, leave, then restart or stay stopped. */
  async #afterLoop(): Promise<void> {
    const error = this.#crashError
    if (error === undefined) return
    if (this.#options.autoCommit) await this.#commitStates(this.#order).catch(() => undefined)
    this.#leave()
    let restart = false
    if (this.#closing === undefined && !(error instanceof FencedInstanceIdError)) {
      const option = this.#options.restartOnFailure
      restart =
        typeof option === 'function' ? await Promise.resolve(option(error)).catch(() => false) : option
    }
    this.emit('crash', { groupId: this.groupId, error, restart })
    if (!restart || this.#closing !== undefined) {
      this.#channel?.close()
      // Stopped for good: nothing a test waits for can happen any more.
      for (const waiter of [...this.#progressWaiters]) waiter.fail(error)
      return
    }
    const delay = retryDelay(this.#options.retry, this.#options.retry.retries)
    this.#restartTimer = this.#host.clock.setTimeout(() => {
      this.#restartTimer = undefined
      if (this.#closing === undefined) this.#join().catch((cause: unknown) => this.#restartFailed(cause))
    }, delay)
  }

  #leave(): void {
    if (!this.#member) return
    this.#dropMembership()
    if (this.#handle !== undefined) this.#group.leave(this.#handle)
  }

  /** Stops the member's timers and forgets its partitions (without committing). */
  #dropMembership(): void {
    this.#member = false
    const clock = this.#host.clock
    for (const timer of [this.#autoCommitTimer, this.#heartbeatTimer, this.#watchdogTimer]) {
      if (timer !== undefined) clock.clearTimeout(timer)
    }
    this.#autoCommitTimer = undefined
    this.#heartbeatTimer = undefined
    this.#watchdogTimer = undefined
    for (const state of [...this.#order]) this.#removeState(state)
    this.#checkProgress()
  }

  /**
   * The coordinator removed this member. It owns nothing and may not commit from now on. Fenced (a
   * newer member has its instance id) is final, as in Kafka; otherwise the member rejoins once its
   * handler in flight returns, as a Kafka consumer does on its next poll.
   */
  #expel(reason: LogbusError): Promise<void> {
    if (!this.#member) return Promise.resolve()
    const memberId = this.#memberId
    this.#removedReason = reason
    const states = [...this.#order]
    this.#dropMembership()
    this.emit('removed', { groupId: this.groupId, memberId, reason })
    const safe = this.#deliveriesDone(states)
    if (reason instanceof FencedInstanceIdError) {
      this.#crash(reason)
    } else {
      void safe.then(() => {
        if (this.#closing === undefined && !this.#member && this.#loopActive && this.#running) {
          this.#join().catch((cause: unknown) => this.#restartFailed(cause))
        }
      })
    }
    return safe
  }

  /** A rejoin after a crash or a removal was refused: the consumer stops and says why. */
  #restartFailed(cause: unknown): void {
    const error = asError(cause)
    this.emit('crash', { groupId: this.groupId, error, restart: false })
    for (const waiter of [...this.#progressWaiters]) waiter.fail(error)
  }

  #scheduleHeartbeat(): void {
    this.#heartbeatTimer = this.#host.clock.setTimeout(
      () => {
        this.#heartbeatTimer = undefined
        if (!this.#member) return
        try {
          this.#group.heartbeat(this.#memberId)
        } catch {
          // The group no longer knows us: it has called expel, or will.
          return
        }
        this.#scheduleHeartbeat()
      },
      this.#options.heartbeatIntervalMs,
      { unref: true },
    )
  }

  /**
   * Kafka's poll timeout: ticks every half max.poll.interval.ms; the same delivery seen in flight on
   * three ticks in a row has run at least max.poll.interval.ms, and the member is removed.
   */
  #scheduleWatchdog(): void {
    const maxPollIntervalMs = this.#options.maxPollIntervalMs
    if (maxPollIntervalMs === null) return
    const tick = Math.max(1, Math.floor(maxPollIntervalMs / 2))
    this.#watchdogTimer = this.#host.clock.setTimeout(
      () => {
        this.#watchdogTimer = undefined
        if (!this.#member) return
        let stuck = false
        for (const state of this.#order) {
          if (state.delivering && state.deliveries === state.watchSeq) {
            state.strikes++
          } else {
            state.watchSeq = state.deliveries
            state.strikes = state.delivering ? 1 : 0
          }
          if (state.strikes >= 3) stuck = true
        }
        if (stuck) {
          if (this.#handle !== undefined) {
            this.#group.remove(this.#handle, new UnknownMemberError(this.groupId, this.#memberId))
          }
          return
        }
        this.#scheduleWatchdog()
      },
      tick,
      { unref: true },
    )
  }

  async #close(): Promise<void> {
    this.#stopLoop()
    this.#checkProgress()
    this.#channel?.close()
    if (this.#restartTimer !== undefined) this.#host.clock.clearTimeout(this.#restartTimer)
    await this.#loopDone
    // As Kafka's close: the partitions are revoked (commit with auto-commit, onRevoke), then the member leaves.
    if (this.#member) await this.#revoke(this.assignment())
    this.#leave()
    this.emit('stop', { groupId: this.groupId })
    this.removeAllListeners()
    this.#host.consumerClosed(this)
  }

  async #commitStates(states: readonly FetchState[]): Promise<void> {
    const offsets: CommittedOffset[] = []
    for (const s of states) {
      if (s.processed !== s.committed && !Number.isNaN(s.processed) && !s.partition.deleted) {
        offsets.push({ topic: s.topic, partition: s.partition.partition, offset: s.processed })
      }
    }
    if (offsets.length === 0) return
    await this.#group.commit(this.#memberId, this.#generation, offsets)
    for (let i = 0; i < offsets.length; i++) {
      const state = this.#fetch.get(tpKey(offsets[i]!.topic, offsets[i]!.partition))
      if (state !== undefined) state.committed = offsets[i]!.offset
    }
    this.emit('commit', { groupId: this.groupId, offsets })
  }

  #scheduleAutoCommit(): void {
    if (!this.#options.autoCommit) return
    this.#autoCommitTimer = this.#host.clock.setTimeout(
      () => {
        this.#autoCommitTimer = undefined
        if (!this.#member) return
        this.#commitStates(this.#order)
          .catch(() => undefined)
          .finally(() => {
            if (this.#member && this.#closing === undefined) this.#scheduleAutoCommit()
          })
      },
      this.#options.autoCommitIntervalMs,
      { unref: true },
    )
  }

  /** Resolves once no handler runs on any of `states`. */
  #deliveriesDone(states: readonly FetchState[]): Promise<void> {
    const running = states.filter((s) => s.delivering)
    if (running.length === 0) return Promise.resolve()
    return Promise.all(
      running.map((s) => {
        s.drained ??= deferred()
        return s.drained.promise
      }),
    ).then(() => undefined)
  }

  /** A handler call on `state` starts; returns the seek count, to tell whether the handler seeked. */
  #delivering(state: FetchState): number {
    this.#inFlight++
    state.delivering = true
    state.deliveries++
    return state.seeks
  }

  /** A handler call on `state` returned. */
  #delivered(state: FetchState): void {
    state.delivering = false
    this.#inFlight--
    const drained = state.drained
    if (drained !== undefined) {
      state.drained = undefined
      drained.resolve()
    }
  }

  /** Resolves when `condition` holds; re-checked whenever the member makes progress. */
  #waitFor(condition: () => boolean, options: WaitOptions | undefined): Promise<void> {
    if (!this.#started) {
      return Promise.reject(
        new InvalidStateError('The consumer has not started: call run() or iterate first'),
      )
    }
    if (condition()) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const clock = this.#host.clock
      let timer: ClockTimer | undefined
      const signal = options?.signal
      const finish = (error?: unknown): void => {
        const index = this.#progressWaiters.indexOf(waiter)
        if (index !== -1) this.#progressWaiters.splice(index, 1)
        if (timer !== undefined) clock.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (error === undefined) resolve()
        else reject(error)
      }
      const check = (): void => {
        if (this.#closing !== undefined) finish(new ClosedError('Consumer'))
        else if (condition()) finish()
      }
      const onAbort = (): void => finish(signal?.reason)
      if (options?.timeoutMs !== undefined) {
        const ms = options.timeoutMs
        timer = clock.setTimeout(
          () => finish(new TimeoutError(`The consumer did not get there within ${ms} ms`)),
          ms,
        )
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const waiter = { check, fail: (error: Error) => finish(error) }
      this.#progressWaiters.push(waiter)
      // Rebalances settle outside this member: look again when they do.
      void this.#group.settled().then(() => this.#checkProgress())
    })
  }

  #checkProgress(): void {
    if (this.#progressWaiters.length === 0) return
    for (const waiter of [...this.#progressWaiters]) waiter.check()
    if (this.#progressWaiters.length > 0 && this.#group.rebalancing) {
      void this.#group.settled().then(() => this.#checkProgress())
    }
  }

  #removeState(state: FetchState): void {
    state.revoked = true
    state.interrupted = true
    state.unsubscribe()
    if (this.#fetch.get(state.key) === state) this.#fetch.delete(state.key)
    this.#order = this.#order.filter((s) => s !== state)
    this.#cursor = 0
  }

  #applyPauses(): void {
    for (const state of this.#order) {
      const paused = this.#pausedTopics.has(state.topic) || this.#pausedPartitions.has(state.key)
      if (paused && !state.paused) state.interrupted = true
      state.paused = paused
    }
  }
}

function toTp(state: FetchState): TopicPartition {
  return { topic: state.topic, partition: state.partition.partition }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

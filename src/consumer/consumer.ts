import {
  ClosedError,
  FencedInstanceIdError,
  type HandlerError,
  InvalidConfigError,
  InvalidStateError,
  type LogbusError,
} from '../errors'
import { TypedEmitter } from '../events/typed-emitter'
import type { Assignor } from '../group/assignor'
import { assignorByName } from '../group/assignors'
import type { ConsumerGroup } from '../group/consumer-group'
import type { MetricsRecorder } from '../metrics/bus-metrics'
import type { LogRecord, TopicPartition } from '../record/log-record'
import type { Message } from '../record/message'
import type { CommittedOffset } from '../storage/storage'
import type { PartitionCore } from '../topic/partition-core'
import type { Topic } from '../topic/topic'
import type { Clock, ClockTimer } from '../util/clock'
import { parseOptions } from '../util/options'
import { Signal } from '../util/signal'
import { Delivery, type EachBatchHandler, type EachMessageHandler } from './delivery'
import { applyFailurePolicy, type FailureHost } from './failure-policy'
import { Fetcher } from './fetcher'
import { Membership } from './membership'
import {
  type ConsumerOptions,
  checkConsumerOptions,
  consumerOptionsSchema,
  type ResolvedConsumerOptions,
  retryDelay,
} from './options'
import { asError, Ownership, type OwnershipEvents } from './ownership'
import type { Participation } from './participation'
import { readableEnd } from './partition-state'
import { ProgressWaits, type WaitOptions } from './progress'
import { RecordChannel } from './record-channel'
import { Standalone } from './standalone'
import { Subscription } from './subscription'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/**
 * What `run()` takes: exactly one of `eachMessage` and `eachBatch`.
 *
 * @example
 * ```ts
 * await consumer.run({ eachMessage: async (record) => console.log(record.offset) })
 * ```
 */
export type RunOptions<R = LogRecord> =
  | { eachMessage: EachMessageHandler<R>; eachBatch?: undefined }
  | {
      eachBatch: EachBatchHandler<R>
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
  /** The member received its assignment for a generation (group members only). */
  groupJoin: {
    groupId: string | undefined
    memberId: string
    generation: number
    assignment: TopicPartition[]
  }
  partitionsAssigned: { groupId: string | undefined; generation: number; partitions: TopicPartition[] }
  partitionsRevoked: { groupId: string | undefined; generation: number; partitions: TopicPartition[] }
  commit: { groupId: string | undefined; offsets: CommittedOffset[] }
  /** The consumer stopped on an error: `onFailure: 'crash'`, no valid offset with `autoOffsetReset: 'none'`, … */
  crash: { groupId: string | undefined; error: Error; restart: boolean }
  /**
   * A record's handler failed past its retries and `onFailure` dealt with it: the partition was
   * paused, the record skipped, or sent to the dead-letter topic (`crash` is its own event).
   */
  failure: {
    groupId: string | undefined
    topic: string
    partition: number
    offset: number
    error: HandlerError
    action: 'paused' | 'skipped' | 'dead-lettered'
  }
  /** A handler threw and the record will be retried after `delayMs`. */
  retry: {
    groupId: string | undefined
    error: unknown
    topic: string
    partition: number
    offset: number
    attempt: number
    delayMs: number
  }
  /** The coordinator removed this member (session or poll timeout, or fenced); it rejoins unless fenced. */
  removed: { groupId: string | undefined; memberId: string; reason: LogbusError }
  stop: { groupId: string | undefined }
}

/** Not public: what a consumer needs from its bus. */
export interface ConsumerHost {
  readonly clock: Clock
  group(groupId: string): ConsumerGroup
  topicNames(): string[]
  /** A topic's declared view by name. */
  findTopic(name: string): AnyTopic | undefined
  /** Calls `listener` whenever topics or partitions are created or deleted; returns a stop function. */
  watchTopics(listener: () => void): () => void
  /** Sends one message to a topic by name, through its declared codecs (the dead-letter topic). */
  send(topic: string, message: Message<unknown, unknown>): Promise<unknown>
  /** The bus's latency histograms and instrumentation. */
  readonly metrics: MetricsRecorder
  consumerClosed(consumer: object): void
}

/**
 * One member of a consumer group. `run()` joins the group and consumes the assigned partitions with
 * `eachMessage` or `eachBatch`; `for await (const record of consumer)` does the same as a stream.
 * Delivery is at-least-once: what was processed is committed (automatically, or by `commit()`), and
 * what was not is delivered again, in order, to whoever owns the partition next. `R` is the record
 * type: keys and values in the subscribed topics' codecs' types.
 *
 * @example
 * ```ts
 * const consumer = bus.consumer({ groupId: 'billing', topics: ['orders'], fromBeginning: true })
 * await consumer.run({ eachMessage: async (record) => console.log(record.value) })
 * // …
 * await consumer.close()
 * ```
 */
export class Consumer<R = LogRecord> extends TypedEmitter<ConsumerEvents> implements AsyncIterable<R> {
  /** The group this consumer is a member of; undefined for a consumer on its own. */
  readonly groupId: string | undefined
  readonly #host: ConsumerHost
  readonly #options: ResolvedConsumerOptions
  readonly #group: ConsumerGroup | undefined
  readonly #failureHost: FailureHost
  readonly #signal = new Signal()
  readonly #progress: ProgressWaits
  readonly #fetcher: Fetcher
  readonly #ownership: Ownership
  readonly #membership: Participation

  #running = false
  #started = false
  #closing: Promise<void> | undefined
  /** close() is revoking the partitions: onRevoke may still commit, as in Kafka's close. */
  #revokingOnClose = false
  #delivery: Delivery | undefined
  #channel: RecordChannel<R> | undefined
  #crashError: Error | undefined
  #loopDone: Promise<void> = Promise.resolve()
  #loopActive = false
  #restartTimer: ClockTimer | undefined

  /** @internal Use `bus.consumer()`. */
  constructor(host: ConsumerHost, options: ConsumerOptions) {
    super()
    this.#host = host
    this.#options = parseOptions(consumerOptionsSchema(), options, 'consumer')
    checkConsumerOptions(this.#options)
    this.groupId = this.#options.groupId
    const subscription = new Subscription(this.#options, (name) => host.findTopic(name))
    const choice = this.#options.assignor
    const assignors: readonly Assignor[] = (Array.isArray(choice) ? choice : [choice]).map((assignor) =>
      typeof assignor === 'string' ? assignorByName(assignor) : assignor,
    )
    const groupId = this.groupId
    this.#group = groupId === undefined ? undefined : host.group(groupId)
    const clock = host.clock
    this.#progress = new ProgressWaits({
      clock,
      closed: () => this.#closing !== undefined,
      rebalancing: () => this.#membership.rebalancing,
      settled: () => this.#membership.settled(),
    })
    const resetPosition = (core: PartitionCore): number => subscription.resetPosition(core)
    const crash = (error: Error): void => this.#crash(error)
    this.#fetcher = new Fetcher({
      signal: this.#signal,
      progress: this.#progress,
      maxBytesPerPartition: this.#options.maxBytesPerPartition,
      fetchLatency: host.metrics.fetchLatency,
      running: () => this.#running,
      crash,
      resetPosition,
    })
    const emit: OwnershipEvents = {
      groupJoin: (payload) => this.emit('groupJoin', payload),
      partitionsAssigned: (payload) => this.emit('partitionsAssigned', payload),
      partitionsRevoked: (payload) => this.emit('partitionsRevoked', payload),
      commit: (payload) => this.emit('commit', payload),
      removed: (payload) => this.emit('removed', payload),
    }
    this.#ownership = new Ownership({
      groupId,
      options: this.#options,
      fetcher: this.#fetcher,
      progress: this.#progress,
      signal: this.#signal,
      emit,
      delivery: () => this.#delivery,
      source: (topic) => subscription.source(topic),
      resetPosition,
      crash,
    })
    const subscribedTopics = (existing: readonly string[]): string[] => subscription.topics(existing)
    const closing = (): boolean => this.#closing !== undefined
    if (groupId === undefined || this.#options.assign !== undefined) {
      this.#membership = new Standalone({
        groupId,
        clock,
        options: this.#options,
        group: this.#group,
        ownership: this.#ownership,
        fetcher: this.#fetcher,
        topicNames: () => host.topicNames(),
        subscribedTopics,
        partitionCount: (topic) => host.findTopic(topic)?.partitionCount ?? 0,
        watchTopics: (listener) => host.watchTopics(listener),
        closing,
      })
    } else {
      this.#membership = new Membership({
        groupId,
        clock,
        options: this.#options,
        assignors,
        group: this.#group!,
        fetcher: this.#fetcher,
        ownership: this.#ownership,
        emit,
        delivery: () => this.#delivery,
        subscribedTopics,
        crash,
        closing,
        rejoin: () => {
          if (this.#closing === undefined && !this.#membership.member && this.#loopActive && this.#running) {
            this.#join().catch((cause: unknown) => this.#restartFailed(cause))
          }
        },
      })
    }
    this.#failureHost = {
      groupId,
      policy: this.#options.onFailure,
      crash,
      pause: (topic, partition) => this.#fetcher.pause([{ topic, partition }]),
      send: (topic, message) => host.send(topic, message),
      commit: () => (this.#group === undefined ? Promise.resolve() : this.commit().catch(() => undefined)),
      failed: (event) => this.emit('failure', { groupId, ...event }),
    }
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
    return this.#membership.memberId
  }

  /**
   * Joins the group and starts consuming; resolves once the member has joined and has its assignment.
   *
   * @example
   * ```ts
   * await consumer.run({ eachMessage: async (record) => handle(record) })
   * ```
   */
  async run(handlers: RunOptions<R>): Promise<void> {
    this.#assertOpen()
    if (this.#started) throw new InvalidStateError('run() or iteration was already started on this consumer')
    if (handlers === null || typeof handlers !== 'object') {
      throw new InvalidConfigError('run', 'expected an object with eachMessage or eachBatch')
    }
    const { eachMessage, eachBatch } = handlers
    if ((typeof eachMessage === 'function') === (typeof eachBatch === 'function')) {
      throw new InvalidConfigError('run', 'give exactly one of eachMessage and eachBatch, as a function')
    }
    const autoResolve = !('eachBatchAutoResolve' in handlers && handlers.eachBatchAutoResolve === false)
    this.#delivery = this.#makeDelivery(
      eachMessage as EachMessageHandler<LogRecord<unknown, unknown>> | undefined,
      eachBatch as EachBatchHandler<LogRecord<unknown, unknown>> | undefined,
      autoResolve,
    )
    this.#started = true
    await this.#join()
  }

  /**
   * The records of the assigned partitions as an async stream. A record counts as processed once the
   * loop body completes (when the next one is requested). Leaving the loop (`break`, `return`, a
   * throw) closes the consumer, which commits what was processed (with auto-commit); the record the
   * loop was on when it left is not counted as processed, so it is delivered again after a restart
   * (at-least-once).
   *
   * @example
   * ```ts
   * for await (const record of consumer) {
   *   console.log(record.offset)
   *   if (record.offset >= 99) break
   * }
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<R> {
    this.#assertOpen()
    if (this.#started) throw new InvalidStateError('run() or iteration was already started on this consumer')
    this.#started = true
    const channel = new RecordChannel<R>()
    this.#channel = channel
    this.#delivery = this.#makeDelivery((record) => channel.offer(record as R), undefined, true)
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
    if (!this.#revokingOnClose) this.#assertOpen()
    const membership = this.#membership
    if (this.#group === undefined) {
      throw new InvalidStateError('A consumer without a groupId has no group to commit to: give it a groupId')
    }
    if (!membership.member) {
      // Removed by the coordinator: rejected as Kafka rejects it (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID).
      if (membership.removedReason !== undefined) throw membership.removedReason
      throw new InvalidStateError('The consumer is not a member of its group (call run() first)')
    }
    if (offsets === undefined) return membership.commitStates(this.#fetcher.states)
    const list = offsets.map((o, i) => {
      if (typeof o?.topic !== 'string' || !Number.isInteger(o.partition) || o.partition < 0) {
        throw new InvalidConfigError(`offsets.${i}`, 'expected { topic, partition, offset }')
      }
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
        throw new InvalidConfigError(`offsets.${i}.offset`, 'must be a non-negative integer')
      }
      return { topic: o.topic, partition: o.partition, offset: o.offset }
    })
    await membership.commitOffsets(list)
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
    this.#assertOpen()
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new InvalidConfigError('offset', 'must be a non-negative integer')
    }
    const state = this.#fetcher.get(topic, partition)
    if (state === undefined) {
      throw new InvalidStateError(`Cannot seek ${topic}-${partition}: it is not assigned to this consumer`)
    }
    state.position = offset
    state.processed = offset
    state.attempts = 0
    state.seeks++
    state.interrupted = true
    this.#signal.notify()
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
    this.#assertOpen()
    this.#fetcher.pause(partitions)
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
    this.#assertOpen()
    this.#fetcher.resume(partitions)
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
    this.#assertOpen()
    return this.#fetcher.states
      .filter((s) => s.paused)
      .map((s) => ({ topic: s.topic, partition: s.core.partition }))
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
    this.#assertOpen()
    return this.#membership.assignment()
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
    this.#assertOpen()
    return this.#fetcher.get(topic, partition)?.position
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
    return this.#waitFor(
      () => this.#membership.member && this.#membership.generation >= 0 && !this.#membership.rebalancing,
      options,
    )
  }

  /**
   * Resolves once every partition assigned to this member (except paused ones) has been processed up
   * to the log end offset it had when `caughtUp` was called (or when the partition was assigned, for
   * partitions assigned later). Processed is not committed: with auto-commit, offsets are committed
   * every `autoCommitIntervalMs`, so `group.lag()` may still show the lag until the next commit (or
   * call `consumer.commit()` first).
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
    for (const state of this.#fetcher.states) targets.set(state.key, readableEnd(state))
    return this.#waitFor(
      () =>
        this.#membership.member &&
        !this.#membership.rebalancing &&
        this.#fetcher.states.every((s) => {
          if (s.paused) return true
          let target = targets.get(s.key)
          if (target === undefined) {
            target = readableEnd(s)
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
        this.#membership.member &&
        this.#membership.generation >= 0 &&
        !this.#membership.rebalancing &&
        (this.#delivery?.inFlight ?? 0) === 0 &&
        this.#fetcher.states.every((s) => s.paused || s.processed >= readableEnd(s)),
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
    if (this.#closing === undefined && this.#delivery?.inHandler === true) {
      return Promise.reject(
        new InvalidStateError(
          'consumer.close() was called from inside its own handler: it would wait for that handler forever. Return from the handler first (e.g. close in a setImmediate), or stop it with pause()',
        ),
      )
    }
    if (this.#closing === undefined) {
      this.#closing = this.#close()
      // #close started before #closing was set: the waits see the close only now.
      this.#progress.check()
    }
    return this.#closing
  }

  /**
   * Same as `close()`, for `await using` (Node 22+; on Node 20 call `close()`).
   *
   * @example
   * ```ts
   * await consumer[Symbol.asyncDispose]()
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new ClosedError('Consumer')
  }

  #makeDelivery(
    eachMessage: EachMessageHandler<LogRecord<unknown, unknown>> | undefined,
    eachBatch: EachBatchHandler<LogRecord<unknown, unknown>> | undefined,
    autoResolve: boolean,
  ): Delivery {
    return new Delivery(
      {
        clock: this.#host.clock,
        options: this.#options,
        signal: this.#signal,
        progress: this.#progress,
        running: () => this.#running,
        crash: (error) => this.#crash(error),
        retry: (payload) => this.emit('retry', { groupId: this.groupId, ...payload }),
        exhausted: (state, record, error) => applyFailurePolicy(this.#failureHost, state, record, error),
        commit: () => this.commit(),
        groupId: this.groupId,
        instrumentation: () => this.#host.metrics.instrumentation,
      },
      eachMessage,
      eachBatch,
      autoResolve,
    )
  }

  async #join(): Promise<void> {
    if (this.#closing !== undefined) throw new ClosedError('Consumer')
    const memberId = `${this.#options.clientId}-${globalThis.crypto.randomUUID()}`
    if (!this.#loopActive) {
      this.#running = true
      this.#crashError = undefined
      this.#loopActive = true
      // Iteration hands records over one at a time: one loop.
      const concurrency = this.#channel === undefined ? this.#options.partitionsConsumedConcurrently : 1
      this.#loopDone = this.#fetcher.run(concurrency, this.#delivery!).then(() => {
        this.#loopActive = false
        return this.#afterLoop()
      })
    }
    let joined: Promise<void>
    try {
      joined = this.#membership.join(memberId)
    } catch (error) {
      this.#stopLoop()
      throw error
    }
    await joined
  }

  /** Stops the loop with an error; what happens next is decided in #afterLoop. */
  #crash(error: Error): void {
    this.#crashError ??= error
    this.#stopLoop()
  }

  #stopLoop(): void {
    this.#running = false
    for (const state of this.#fetcher.states) state.interrupted = true
    this.#signal.notify()
  }

  /** After a crash: commit what was processed, leave, then restart or stay stopped. */
  async #afterLoop(): Promise<void> {
    const error = this.#crashError
    if (error === undefined) return
    const membership = this.#membership
    if (this.#options.autoCommit && membership.member) {
      await membership.commitStates(this.#fetcher.states).catch(() => undefined)
    }
    membership.leave()
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
      this.#progress.failAll(error)
      return
    }
    const delay = retryDelay(this.#options.retry, this.#options.retry.retries)
    this.#restartTimer = this.#host.clock.setTimeout(() => {
      this.#restartTimer = undefined
      if (this.#closing === undefined) this.#join().catch((cause: unknown) => this.#restartFailed(cause))
    }, delay)
  }

  /** A rejoin after a crash or a removal was refused: the consumer stops and says why. */
  #restartFailed(cause: unknown): void {
    const error = asError(cause)
    this.emit('crash', { groupId: this.groupId, error, restart: false })
    this.#progress.failAll(error)
  }

  #waitFor(condition: () => boolean, options: WaitOptions | undefined): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new ClosedError('Consumer'))
    if (!this.#started) {
      return Promise.reject(
        new InvalidStateError('The consumer has not started: call run() or iterate first'),
      )
    }
    return this.#progress.waitFor(condition, options)
  }

  async #close(): Promise<void> {
    this.#stopLoop()
    this.#progress.check()
    this.#channel?.close()
    if (this.#restartTimer !== undefined) this.#host.clock.clearTimeout(this.#restartTimer)
    await this.#loopDone
    const membership = this.#membership
    // As Kafka's close: the partitions are revoked (commit with auto-commit, onRevoke), then the member leaves.
    if (membership.member) {
      this.#revokingOnClose = true
      try {
        await membership.revoke(membership.assignment())
      } finally {
        this.#revokingOnClose = false
      }
    }
    membership.leave()
    this.emit('stop', { groupId: this.groupId })
    this.removeAllListeners()
    this.#host.consumerClosed(this)
  }
}

import { InvalidRecordError } from '../errors'
import type { Instrumentation } from '../metrics/instrumentation'
import { EMPTY_HEADERS, type LogRecord } from '../record/log-record'
import type { RecordBatch } from '../record/record-batch'
import type { Clock } from '../util/clock'
import { deferred } from '../util/deferred'
import type { Signal } from '../util/signal'
import { type ResolvedConsumerOptions, retryDelay } from './options'
import type { PartitionState } from './partition-state'
import type { ProgressWaits } from './progress'
import { RecordRun } from './record-run'

/** The key type of a record type. */
type RecordKey<R> = R extends LogRecord<infer K, unknown> ? K : unknown
/** The value type of a record type. */
type RecordValue<R> = R extends LogRecord<unknown, infer V> ? V : unknown

/**
 * Handles one record. Resolve (or return) to mark it processed; throw to have it retried (then the
 * member crashes). A handler that does not return a promise is called without an `await` in between:
 * synchronous handlers are the fast path.
 *
 * @example
 * ```ts
 * const eachMessage: EachMessageHandler<LogRecord<string, Order>> = async (record) => {
 *   await db.insert(record.value)
 * }
 * ```
 */
export type EachMessageHandler<R = LogRecord> = (record: R) => Promise<void> | void

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
export interface BatchPayload<R = LogRecord> {
  readonly topic: string
  readonly partition: number
  /**
   * The records, as objects: made when first read, and the same array for the rest of the handler's
   * call. Read after the handler has resolved, it is made again (equal records, another array).
   */
  readonly records: readonly R[]
  /** The same records as runs of the stored batches' columns: for handlers that need no object per record. */
  readonly runs: readonly RecordRun<RecordKey<R>, RecordValue<R>>[]
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
export type EachBatchHandler<R = LogRecord> = (batch: BatchPayload<R>) => Promise<void> | void

/** What delivery needs from its consumer. */
export interface DeliveryHost {
  readonly clock: Clock
  readonly options: ResolvedConsumerOptions
  readonly signal: Signal
  readonly progress: ProgressWaits
  running(): boolean
  crash(error: Error): void
  retry(payload: {
    error: unknown
    topic: string
    partition: number
    offset: number
    attempt: number
    delayMs: number
  }): void
  /** A record failed past its retries: the consumer's failure policy decides. */
  exhausted(state: PartitionState, record: LogRecord<unknown, unknown>, error: unknown): Promise<void>
  commit(): Promise<void>
  readonly groupId: string | undefined
  /** The bus's instrumentation, looked up once per batch: handler calls go through its `process`. */
  instrumentation(): Instrumentation | undefined
}

/** Records delivered before a delivery yields to the event loop, so timers and I/O keep their turn. */
const RECORDS_PER_TURN = 2048

/**
 * Where #deliverEach stopped: record `i` of batch `b`, whose handler returned `waiting` (or, with no
 * `waiting`, the next record, after a turn of the event loop), and the count delivered so far.
 */
interface Pause {
  waiting: Promise<void> | undefined
  b: number
  i: number
  record: LogRecord<unknown, unknown> | undefined
  seeksBefore: number
  delivered: number
}

/** What #deliverEach returns when it filled in the pause it was given. */
const PAUSED = -1

/**
 * Builds records from batches at delivery and calls the handler: one plain object per record per
 * consumer, nothing else copied. Keeps the bookkeeping of handler calls (what a revoke waits for, what
 * the poll watchdog looks at) and the retry schedule of a failing record.
 */
export class Delivery {
  /** Handler calls in flight, across the fetch loops. */
  inFlight = 0
  /** True while a handler's synchronous part runs: a `close()` from there would wait for itself. */
  inHandler = false
  #sinceYield = 0

  constructor(
    private readonly host: DeliveryHost,
    private readonly eachMessage: EachMessageHandler<LogRecord<unknown, unknown>> | undefined,
    private readonly eachBatch: EachBatchHandler<LogRecord<unknown, unknown>> | undefined,
    private readonly autoResolve: boolean,
  ) {}

  /**
   * Hands the records of `batches` from the state's position on to the handler, up to `readableEnd`
   * (the last stable offset for read_committed); returns how many.
   */
  deliver(
    state: PartitionState,
    batches: readonly RecordBatch[],
    readableEnd: number,
  ): Promise<number> | number {
    const readable = this.#readable(state, batches, readableEnd)
    if (readable.length === 0) return 0
    if (this.eachBatch !== undefined) return this.#deliverBatch(state, readable, readableEnd)
    return this.#deliverEach(state, readable, 0, readable[0]!.indexFrom(state.position))
  }

  /**
   * The batches a consumer gets: up to its readable end; transaction markers never, and for
   * read_committed not the batches of aborted transactions — the position moves past those, as a
   * Kafka consumer's does.
   */
  #readable(
    state: PartitionState,
    batches: readonly RecordBatch[],
    readableEnd: number,
  ): readonly RecordBatch[] {
    let plain = true
    for (const batch of batches) {
      if (
        batch.control ||
        batch.count === 0 ||
        batch.baseOffset >= readableEnd ||
        this.#aborted(state, batch)
      ) {
        plain = false
        break
      }
    }
    if (plain) return batches
    const out: RecordBatch[] = []
    for (const batch of batches) {
      if (batch.baseOffset >= readableEnd) break
      // Markers, aborted batches and batches compaction emptied hold nothing to deliver.
      if (batch.control || batch.count === 0 || this.#aborted(state, batch)) {
        // Deliver what came before first; as far as this consumer goes, these offsets are processed.
        if (out.length > 0) break
        if (state.position < batch.nextOffset) state.position = state.processed = batch.nextOffset
        continue
      }
      out.push(batch)
    }
    return out
  }

  #aborted(state: PartitionState, batch: RecordBatch): boolean {
    return (
      state.readCommitted &&
      batch.transactional &&
      state.core.transactions.aborted(batch.producerId, batch.baseOffset)
    )
  }

  /** Resolves once no handler runs on any of `states`. */
  drained(states: readonly PartitionState[]): Promise<void> {
    const running = states.filter((s) => s.delivering)
    if (running.length === 0) return Promise.resolve()
    return Promise.all(
      running.map((s) => {
        s.drained ??= deferred()
        return s.drained.promise
      }),
    ).then(() => undefined)
  }

  /**
   * The records of one batch after another, from `b`/`i` on. Synchronous while handlers are; the
   * first handler that returns a promise turns the rest of the call asynchronous.
   */
  #deliverEach(
    state: PartitionState,
    batches: readonly RecordBatch[],
    b: number,
    i: number,
    delivered = 0,
    pause?: Pause,
  ): Promise<number> | number {
    const topic = state.topic
    const partition = state.core.partition
    const handler = this.#instrumented(this.eachMessage!, topic, partition)
    for (; b < batches.length; b++, i = 0) {
      const batch = batches[b]!
      if (batch.nextOffset <= state.position) continue
      const keys = batch.keysIn(state.keyCodec)
      const values = batch.valuesIn(state.valueCodec)
      const keyItems = keys.items
      const keyStart = keys.start
      const valueItems = values.items
      const valueStart = values.start
      const checkFailures = keys.failures !== null || values.failures !== null
      const headers = batch.headers
      const timestamps = batch.timestamps
      const deltas = batch.offsetDeltas
      const at = batch.columnStart
      const base = batch.baseOffset
      const first = batch.firstTimestamp
      const count = batch.count
      for (; i < count; i++) {
        const offset = deltas === null ? base + i : base + deltas[at + i]!
        if (offset < state.position) continue
        if (state.interrupted) return delivered
        const record: LogRecord<unknown, unknown> = {
          topic,
          partition,
          offset,
          timestamp: timestamps === null ? first : timestamps[at + i]!,
          key: keyItems[keyStart + i],
          value: valueItems[valueStart + i],
          headers: (headers === null ? undefined : headers[at + i]) ?? EMPTY_HEADERS,
        }
        const seeksBefore = this.#starting(state)
        let result: Promise<void> | void
        try {
          if (checkFailures) {
            const failure = keys.failures?.get(i) ?? values.failures?.get(i)
            if (failure !== undefined) throw new DecodeError(topic, partition, offset, failure)
          }
          this.inHandler = true
          result = handler(record)
          this.inHandler = false
        } catch (error) {
          this.inHandler = false
          this.#finished(state)
          return this.#failed(state, record, error).then(() => delivered)
        }
        if (result !== undefined) {
          return this.#pause(state, batches, pause, result, b, i, record, seeksBefore, delivered)
        }
        this.#succeeded(state, offset, seeksBefore)
        delivered++
        if (++this.#sinceYield >= RECORDS_PER_TURN) {
          this.#sinceYield = 0
          return this.#pause(state, batches, pause, undefined, b, i + 1, undefined, 0, delivered)
        }
      }
    }
    return delivered
  }

  /**
   * #deliverEach stops at record `i` of batch `b`: the rest goes on in #resume's one loop. Called from
   * that loop (`pause` given), it fills in the loop's pause rather than nesting another.
   */
  #pause(
    state: PartitionState,
    batches: readonly RecordBatch[],
    pause: Pause | undefined,
    waiting: Promise<void> | undefined,
    b: number,
    i: number,
    record: LogRecord<unknown, unknown> | undefined,
    seeksBefore: number,
    delivered: number,
  ): Promise<number> | number {
    if (pause !== undefined) {
      // Field by field: a pause is reused for every record of the loop, allocating nothing.
      pause.waiting = waiting
      pause.b = b
      pause.i = i
      pause.record = record
      pause.seeksBefore = seeksBefore
      pause.delivered = delivered
      return PAUSED
    }
    return this.#resume(state, batches, { waiting, b, i, record, seeksBefore, delivered })
  }

  /**
   * Delivers what follows a pause of #deliverEach (an asynchronous handler's promise, or a turn of the
   * event loop given back): one loop and one pause object for a whole run of asynchronous handlers,
   * rather than a chain of nested async calls per record.
   */
  async #resume(state: PartitionState, batches: readonly RecordBatch[], pause: Pause): Promise<number> {
    for (;;) {
      const waiting = pause.waiting
      if (waiting === undefined) await yieldTurn()
      else {
        const record = pause.record!
        try {
          await waiting
        } catch (error) {
          this.#finished(state)
          await this.#failed(state, record, error)
          return pause.delivered
        }
        this.#succeeded(state, record.offset, pause.seeksBefore)
        pause.delivered++
        pause.i++
      }
      const result = this.#deliverEach(state, batches, pause.b, pause.i, pause.delivered, pause)
      if (result !== PAUSED) return result
    }
  }

  async #deliverBatch(
    state: PartitionState,
    batches: readonly RecordBatch[],
    highWatermark: number,
  ): Promise<number> {
    const topic = state.topic
    const partition = state.core.partition
    const runs: RecordRun[] = []
    let count = 0
    let failedAt: { record: LogRecord<unknown, unknown>; error: Error } | undefined
    for (const batch of batches) {
      if (batch.nextOffset <= state.position) continue
      const keys = batch.keysIn(state.keyCodec)
      const values = batch.valuesIn(state.valueCodec)
      const from = batch.indexFrom(state.position)
      let to = batch.count
      // A record that cannot be read ends the batch: the ones before it are delivered first.
      const failing = Math.min(firstFailure(keys.failures, from), firstFailure(values.failures, from))
      if (failing < to) to = failing
      const run = new RecordRun(topic, partition, batch, keys, values, from, to)
      if (to < batch.count) {
        const cause = (keys.failures?.get(to) ?? values.failures?.get(to))!
        failedAt = {
          record: run.record(to),
          error: new DecodeError(topic, partition, run.offsetAt(to), cause),
        }
      }
      if (to > from) {
        runs.push(run)
        count += to - from
      }
      if (failedAt !== undefined) break
    }
    if (count === 0) {
      if (failedAt !== undefined) await this.#failed(state, failedAt.record, failedAt.error)
      return 0
    }
    const lastRun = runs[runs.length - 1]!
    const last = lastRun.offsetAt(lastRun.to - 1)
    const resolveOffset = (offset: number): void => {
      if (offset + 1 > state.processed && offset <= last && !state.revoked)
        state.position = state.processed = offset + 1
    }
    // Record objects are made only for a handler that reads them: one reading `runs` makes none.
    let records: LogRecord<unknown, unknown>[] | undefined
    const recordsOf = (): LogRecord<unknown, unknown>[] => {
      if (records === undefined) {
        records = []
        for (const run of runs) run.appendRecords(records)
      }
      return records
    }
    const payload: BatchPayload<LogRecord<unknown, unknown>> = {
      topic,
      partition,
      get records() {
        return recordsOf()
      },
      runs,
      highWatermark,
      resolveOffset,
      commit: () => this.host.commit(),
      isRunning: () => this.host.running(),
      isStale: () => state.interrupted,
    }
    const seeksBefore = this.#starting(state)
    const positionBefore = state.position
    let failure: { error: unknown } | undefined
    const process = this.host.instrumentation()?.process
    try {
      this.inHandler = true
      const result =
        process === undefined
          ? this.eachBatch!(payload)
          : this.#process(
              process,
              {
                groupId: this.host.groupId,
                topic: state.topic,
                partition: state.core.partition,
                kind: 'batch',
                records: recordsOf(),
              },
              () => this.eachBatch!(payload),
            )
      this.inHandler = false
      await result
      // Measured: until this function returns, its closures' shared context keeps the records alive,
      // and across the await they survived a scavenge each (GC 60% of an eachBatch run).
      records = undefined
      if (this.autoResolve && state.seeks === seeksBefore) resolveOffset(last)
      state.attempts = 0
    } catch (error) {
      this.inHandler = false
      failure = { error }
    }
    this.#finished(state)
    if (this.host.progress.pending) this.host.progress.check()
    if (failure !== undefined) {
      const record = failedRecord(runs, state.processed)
      await this.#failed(state, record, failure.error)
    } else if (failedAt !== undefined && state.processed > failedAt.record.offset - 1) {
      await this.#failed(state, failedAt.record, failedAt.error)
    } else if (state.position === positionBefore && !state.interrupted && this.host.running()) {
      // The handler resolved nothing: the same records come again, but on the next turn of the event
      // loop, so that timers and I/O (what the handler may be waiting for) are not starved.
      await yieldTurn()
    }
    return count
  }

  /** The message handler, through the instrumentation's `process` when there is one. */
  #instrumented(
    handler: EachMessageHandler<LogRecord<unknown, unknown>>,
    topic: string,
    partition: number,
  ): EachMessageHandler<LogRecord<unknown, unknown>> {
    const process = this.host.instrumentation()?.process
    if (process === undefined) return handler
    const groupId = this.host.groupId
    return (record) =>
      this.#process(process, { groupId, topic, partition, kind: 'message', records: [record] }, () =>
        handler(record),
      )
  }

  /** Runs a handler through `process`; an instrumentation that throws before running it is skipped. */
  #process(
    process: NonNullable<Instrumentation['process']>,
    context: Parameters<NonNullable<Instrumentation['process']>>[0],
    run: () => Promise<void> | void,
  ): Promise<void> | void {
    let ran = false
    const once = (): Promise<void> | void => {
      ran = true
      return run()
    }
    try {
      return process(context, once)
    } catch (error) {
      if (ran) throw error
      return run()
    }
  }

  /** A handler call on `state` starts; returns the seek count, to tell whether the handler seeked. */
  #starting(state: PartitionState): number {
    this.inFlight++
    state.delivering = true
    state.deliveries++
    return state.seeks
  }

  /** A handler call on `state` returned. */
  #finished(state: PartitionState): void {
    state.delivering = false
    this.inFlight--
    const drained = state.drained
    if (drained !== undefined) {
      state.drained = undefined
      drained.resolve()
    }
  }

  #succeeded(state: PartitionState, offset: number, seeksBefore: number): void {
    this.#finished(state)
    // A seek made by the handler wins over the position after the record.
    if (state.seeks === seeksBefore) {
      state.position = state.processed = offset + 1
      state.attempts = 0
    }
    if (this.host.progress.pending) this.host.progress.check()
  }

  /**
   * A handler failed on `record`: wait the backoff, then let the fetch loop re-read from the first
   * unprocessed offset; past `retries`, crash. Nothing after the failed record counts as processed.
   */
  async #failed(state: PartitionState, record: LogRecord<unknown, unknown>, error: unknown): Promise<void> {
    if (this.host.progress.pending) this.host.progress.check()
    if (!this.host.running() || state.revoked) return
    state.interrupted = true
    const retry = this.host.options.retry
    // A record its consumer cannot decode will not decode on a retry either.
    if (state.attempts >= retry.retries || error instanceof DecodeError) {
      await this.host.exhausted(state, record, error)
      return
    }
    const delayMs = retryDelay(retry, state.attempts++)
    this.host.retry({
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
  #sleep(ms: number, state: PartitionState): Promise<void> {
    return new Promise((resolve) => {
      const clock = this.host.clock
      const done = (): void => {
        clock.clearTimeout(timer)
        stopWatching()
        resolve()
      }
      const timer = clock.setTimeout(done, ms)
      const stopWatching = this.host.signal.watch(() => {
        if (!state.revoked && this.host.running()) return false
        done()
        return true
      })
    })
  }
}

/** A record whose key or value this consumer's codecs cannot decode. */
class DecodeError extends InvalidRecordError {
  constructor(topic: string, partition: number, offset: number, cause: Error) {
    super(`Cannot read the record at ${topic}-${partition}@${offset}: ${cause.message}`, { cause })
  }
}

/** The index of the first record from `from` on that did not decode, or infinity. */
function firstFailure(failures: ReadonlyMap<number, Error> | null, from: number): number {
  let first = Number.POSITIVE_INFINITY
  if (failures !== null)
    for (const index of failures.keys()) if (index >= from && index < first) first = index
  return first
}

/** The record a failed batch handler is blamed for: the first one it did not mark processed. */
function failedRecord(runs: readonly RecordRun[], processed: number): LogRecord<unknown, unknown> {
  for (const run of runs) {
    for (let i = run.from; i < run.to; i++) if (run.offsetAt(i) >= processed) return run.record(i)
  }
  return runs[0]!.record(runs[0]!.from)
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

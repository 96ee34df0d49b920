import type { Clock, LogRecord } from '../index'
import type { ConfigReader } from './config'
import type { DeadLetterQueue } from './dead-letter'
import { asError, ConnectTaskError, type ErrorStage, isRetriable } from './errors'
import { sleep } from './runner-host'

/** Kafka's first retry delay in RetryWithToleranceOperator; each next one doubles. */
const FIRST_RETRY_DELAY_MS = 300

/**
 * A connector's error policy, from Kafka Connect's `errors.*` properties.
 *
 * @example
 * ```ts
 * const policy: ErrorPolicy = { tolerance: 'all', retryTimeoutMs: 0, retryDelayMaxMs: 60_000, log: false, logMessages: false }
 * ```
 */
export interface ErrorPolicy {
  /** `errors.tolerance`: `none` fails the task on the first error, `all` skips the record. */
  tolerance: 'none' | 'all'
  /** `errors.retry.timeout`: how long a retriable failure is retried (0: never, -1: forever). */
  retryTimeoutMs: number
  /** `errors.retry.delay.max.ms`: the longest wait between retries. */
  retryDelayMaxMs: number
  /** `errors.log.enable` and `errors.log.include.messages`. */
  log: boolean
  logMessages: boolean
}

export function readErrorPolicy(read: ConfigReader): ErrorPolicy {
  return {
    tolerance: read.choice('errors.tolerance', ['none', 'all'], 'none'),
    retryTimeoutMs: read.int('errors.retry.timeout', 0, -1),
    retryDelayMaxMs: read.int('errors.retry.delay.max.ms', 60_000, 1),
    log: read.bool('errors.log.enable', false),
    logMessages: read.bool('errors.log.include.messages', false),
  }
}

/**
 * What the error handler tells the task's owner about a failed record.
 *
 * @example
 * ```ts
 * const report: RecordErrorReport = { stage: 'TRANSFORMATION', className: 'MaskField$Value', error, tolerated: true, deadLettered: false }
 * ```
 */
export interface RecordErrorReport {
  stage: ErrorStage
  className: string
  error: Error
  tolerated: boolean
  deadLettered: boolean
  /** Where the record came from, for sink records. */
  origin?: { topic: string; partition: number; offset: number }
}

/** Marks a record the error policy skipped. */
export const SKIPPED: unique symbol = Symbol('skipped')

/**
 * Kafka Connect's RetryWithToleranceOperator for one task: runs a stage of the pipeline on a record;
 * a retriable failure is retried with backoff (from 300 ms, doubling, at most `retryDelayMaxMs`) for
 * up to `retryTimeoutMs`; then `tolerance` decides: `none` throws a ConnectTaskError (the task fails),
 * `all` reports the record (to the dead-letter queue, for sink records) and returns SKIPPED.
 */
export class ErrorHandler {
  constructor(
    private readonly connector: string,
    private readonly task: number,
    private readonly policy: ErrorPolicy,
    private readonly clock: Clock,
    private readonly signal: AbortSignal,
    private readonly deadLetters: DeadLetterQueue | undefined,
    private readonly onReport: (report: RecordErrorReport) => void,
  ) {}

  get tolerance(): 'none' | 'all' {
    return this.policy.tolerance
  }

  /**
   * Runs `op`; returns its result (synchronously when it succeeds at once), or SKIPPED when the policy
   * tolerated its failure. `original` is the consumed record a sink stage works on.
   */
  run<T>(
    stage: ErrorStage,
    className: string | (() => string),
    op: () => T,
    original?: LogRecord<unknown, unknown>,
  ): T | typeof SKIPPED | Promise<T | typeof SKIPPED> {
    try {
      return op()
    } catch (error) {
      return this.#failed(stage, className, op, original, error)
    }
  }

  /** The same as `run` for an asynchronous operation. */
  async runAsync<T>(
    stage: ErrorStage,
    className: string,
    op: () => Promise<T>,
    original?: LogRecord<unknown, unknown>,
  ): Promise<T | typeof SKIPPED> {
    try {
      return await op()
    } catch (error) {
      return this.#failed(stage, className, op, original, error)
    }
  }

  /** Applies the policy to an error that was already retried (a task's own report of a bad record). */
  async tolerate(
    stage: ErrorStage,
    className: string,
    error: unknown,
    original?: LogRecord<unknown, unknown>,
  ): Promise<void> {
    await this.#decide(stage, className, asError(error), original)
  }

  async #failed<T>(
    stage: ErrorStage,
    className: string | (() => string),
    op: () => T | Promise<T>,
    original: LogRecord<unknown, unknown> | undefined,
    first: unknown,
  ): Promise<T | typeof SKIPPED> {
    const name = typeof className === 'function' ? className() : className
    let error = first
    const started = this.clock.now()
    let delay = FIRST_RETRY_DELAY_MS
    while (isRetriable(error) && this.#mayRetry(started, delay) && !this.signal.aborted) {
      await sleep(this.clock, delay, this.signal)
      delay = Math.min(delay * 2, this.policy.retryDelayMaxMs)
      try {
        return await op()
      } catch (again) {
        error = again
      }
    }
    // A task that is stopping gives up without judging the record: it was not handled, and comes again.
    if (this.signal.aborted) throw error
    await this.#decide(stage, name, asError(error), original)
    return SKIPPED
  }

  async #decide(
    stage: ErrorStage,
    className: string,
    error: Error,
    original: LogRecord<unknown, unknown> | undefined,
  ): Promise<void> {
    const origin =
      original === undefined
        ? undefined
        : { topic: original.topic, partition: original.partition, offset: original.offset }
    if (this.policy.tolerance === 'none') {
      this.onReport({ stage, className, error, tolerated: false, deadLettered: false, origin })
      throw new ConnectTaskError(this.connector, this.task, stage, error)
    }
    let deadLettered = false
    if (original !== undefined && this.deadLetters !== undefined) {
      await this.deadLetters.send(original, { stage, className, error, task: this.task })
      deadLettered = true
    }
    this.onReport({ stage, className, error, tolerated: true, deadLettered, origin })
  }

  #mayRetry(started: number, delay: number): boolean {
    const timeout = this.policy.retryTimeoutMs
    return timeout < 0 || this.clock.now() + delay - started <= timeout
  }
}

import { LogbusError } from '../index'

/**
 * Where in a task's pipeline a record failed (Kafka Connect's `Stage`; the value of the
 * `__connect.errors.stage` header).
 *
 * @example
 * ```ts
 * const stage: ErrorStage = 'TRANSFORMATION'
 * ```
 */
export type ErrorStage =
  | 'TASK_POLL'
  | 'TASK_PUT'
  | 'TRANSFORMATION'
  | 'KEY_CONVERTER'
  | 'VALUE_CONVERTER'
  | 'HEADER_CONVERTER'
  | 'KAFKA_PRODUCE'
  | 'KAFKA_CONSUME'

/**
 * A connector task stopped on an error it could not tolerate (`errors.tolerance=none`, or an error a
 * task cannot go on after). `cause` is the original error; the task's status is FAILED until the
 * connector is restarted.
 *
 * @example
 * ```ts
 * worker.on('taskState', ({ state, error }) => { if (error instanceof ConnectTaskError) console.error(error.stage) })
 * ```
 */
export class ConnectTaskError extends LogbusError {
  override readonly name = 'ConnectTaskError'
  constructor(
    readonly connector: string,
    readonly task: number,
    readonly stage: ErrorStage,
    cause: unknown,
  ) {
    super(
      'HANDLER_FAILED',
      `Task ${task} of connector "${connector}" failed in stage ${stage}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
  }
}

/** Whether an error says the same call may succeed later (logbus's and KafkaJS's `retriable` flag). */
export function isRetriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

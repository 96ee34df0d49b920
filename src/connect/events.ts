import type { CommittedOffset } from '../index'
import type { RecordErrorReport } from './error-handler'
import type { SourceOffset, SourcePartition } from './record'

/**
 * The state of a connector task, as Kafka Connect's status API reports it.
 *
 * @example
 * ```ts
 * const state: TaskState = 'RUNNING'
 * ```
 */
export type TaskState = 'UNASSIGNED' | 'RUNNING' | 'FAILED' | 'STOPPED'

/**
 * Events of a ConnectWorker: task states, progress, offset commits and record errors.
 *
 * @example
 * ```ts
 * worker.on('records', ({ connector, total }) => console.log(connector, total))
 * worker.on('taskState', ({ connector, task, state, error }) => { if (state === 'FAILED') console.error(error) })
 * ```
 */
export interface ConnectEvents {
  taskState: { connector: string; task: number; state: TaskState; error?: Error }
  /** A source task wrote records to topics, or a sink task put records (after transforms dropped some). */
  records: { connector: string; task: number; type: 'source' | 'sink'; count: number; total: number }
  /** A source task's offsets were stored in the offsets topic. */
  sourceCommit: {
    connector: string
    task: number
    offsets: { partition: SourcePartition; offset: SourceOffset }[]
  }
  /** A sink task's consumed offsets were committed to its group (after `flush`). */
  sinkCommit: { connector: string; task: number; offsets: CommittedOffset[] }
  /** A record failed in some stage: tolerated (skipped, maybe dead-lettered) or not (the task fails). */
  recordError: RecordErrorReport & { connector: string; task: number }
}

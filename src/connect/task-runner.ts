import { configReader } from './config'
import { asError } from './errors'
import type { TaskState } from './events'
import type { ConnectLogEntry, ConnectorSetup, RunnerHost } from './runner-host'
import type { TaskContext } from './task'

/** What source and sink task runners share: state, progress, events and logging. */
export abstract class TaskRunner {
  state: TaskState = 'UNASSIGNED'
  error: Error | undefined
  /** Records written (source) or put (sink) since the task started. */
  total = 0

  constructor(
    protected readonly host: RunnerHost,
    protected readonly connector: ConnectorSetup,
    readonly id: number,
  ) {}

  abstract start(): Promise<void>
  abstract stop(): Promise<void>

  /** What every task's context holds: who it is, its configuration, the clock, its stop signal. */
  protected taskContext(config: ConnectorSetup['config'], signal: AbortSignal): TaskContext {
    const name = this.connector.name
    return {
      connector: name,
      taskId: this.id,
      config,
      read: configReader(config, `connector.${name}.task.${this.id}`),
      clock: this.host.clock,
      signal,
    }
  }

  protected log(level: ConnectLogEntry['level'], message: string, error?: unknown): void {
    this.host.log({
      level,
      message,
      connector: this.connector.name,
      task: this.id,
      error: error === undefined ? undefined : asError(error),
    })
  }

  protected setState(state: TaskState, error?: Error): void {
    this.state = state
    this.host.emit('taskState', { connector: this.connector.name, task: this.id, state, error })
  }

  /** Marks the task FAILED and logs why; false when it had failed already. */
  protected markFailed(error: Error): boolean {
    if (this.state === 'FAILED') return false
    this.error = error
    this.setState('FAILED', error)
    this.log('error', error.message, error)
    return true
  }

  /** Calls the task's `stop`, logging (not throwing) its failure. */
  protected async stopTask(task: { stop(): Promise<void> | void }): Promise<void> {
    try {
      await task.stop()
    } catch (error) {
      this.log('warn', 'Task stop failed', error)
    }
  }

  protected counted(type: 'source' | 'sink', count: number): void {
    this.total += count
    this.host.emit('records', {
      connector: this.connector.name,
      task: this.id,
      type,
      count,
      total: this.total,
    })
  }
}

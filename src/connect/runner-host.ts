import type { Bus, Clock, TopicDeclarations } from '../index'
import type { ConfigReader, ConnectorConfig } from './config'
import type { Converter } from './converters'
import type { ErrorPolicy } from './error-handler'
import type { ConnectEvents } from './events'
import type { OffsetStore } from './offset-store'
import type { TransformChain } from './transforms/registry'

/**
 * A log line of the runtime (what Kafka Connect writes to its log), given to the worker's `logger`.
 *
 * @example
 * ```ts
 * const logger = (entry: ConnectLogEntry) => console.error(entry.level, entry.connector, entry.message)
 * ```
 */
export interface ConnectLogEntry {
  level: 'info' | 'warn' | 'error'
  message: string
  connector?: string
  task?: number
  error?: Error
}

/** What a task runner needs from its worker. */
export interface RunnerHost {
  readonly bus: Bus<TopicDeclarations>
  readonly clock: Clock
  readonly offsets: OffsetStore
  readonly offsetFlushIntervalMs: number
  emit<E extends keyof ConnectEvents>(event: E, payload: ConnectEvents[E]): void
  log(entry: ConnectLogEntry): void
}

/** A connector as its tasks see it: name, configuration, and the pipeline built from it. */
export interface ConnectorSetup {
  readonly name: string
  readonly config: ConnectorConfig
  readonly read: ConfigReader
  readonly chain: TransformChain
  readonly keyConverter: Converter
  readonly valueConverter: Converter
  readonly errors: ErrorPolicy
}

/** Waits `ms` on `clock`; an abort of `signal` ends the wait early. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer)
      resolve()
    }
    const timer = clock.setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      },
      Math.max(0, Math.ceil(ms)),
    )
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Runs functions one at a time, in call order: the task's calls never overlap. */
export class Lane {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(fn)
    this.#tail = result.catch(() => undefined)
    return result
  }

  /** Resolves once everything queued so far has run. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined)
  }
}

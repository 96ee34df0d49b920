import { KafkaJSNonRetriableError } from './errors'
import type { InstrumentationEvent, Logger } from './types'

let nextId = 0

type PayloadOf<T> = T extends InstrumentationEvent<infer P> ? P : never

/**
 * KafkaJS's instrumentation emitter: `on` accepts only the client's event names, and an event object
 * (`{ id, type, timestamp, payload }`) is built only when someone listens. A listener that throws or
 * rejects is logged, never breaks the client.
 */
export class Instrumentation<Payloads extends { [K in keyof Payloads]: InstrumentationEvent<unknown> }> {
  readonly #listeners = new Map<string, Set<(event: InstrumentationEvent<unknown>) => void>>()
  readonly #names: Readonly<Record<string, string>>
  readonly #prefix: string
  readonly #logger: Logger
  readonly #now: () => number

  /** `now` gives event timestamps: the client's bus clock once it has a bus. */
  constructor(names: object, prefix: string, logger: Logger, now: () => number) {
    this.#names = names as Readonly<Record<string, string>>
    this.#prefix = prefix
    this.#logger = logger
    this.#now = now
  }

  on<E extends keyof Payloads & string>(eventName: E, listener: (event: Payloads[E]) => void): () => void {
    if (!Object.values(this.#names).includes(eventName)) {
      const keys = Object.keys(this.#names)
        .map((key) => `${this.#prefix}.events.${key}`)
        .join(', ')
      throw new KafkaJSNonRetriableError(`Event name should be one of ${keys}`)
    }
    let set = this.#listeners.get(eventName)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(eventName, set)
    }
    const wrapped = listener as (event: InstrumentationEvent<unknown>) => void
    set.add(wrapped)
    return () => {
      set.delete(wrapped)
    }
  }

  emit<E extends keyof Payloads & string>(eventName: E, payload: PayloadOf<Payloads[E]>): void {
    const set = this.#listeners.get(eventName)
    if (set === undefined || set.size === 0) return
    const event: InstrumentationEvent<unknown> = {
      id: String(nextId++),
      type: eventName,
      timestamp: this.#now(),
      payload,
    }
    for (const listener of [...set]) {
      try {
        Promise.resolve(listener(event)).catch((error: unknown) => this.#failed(eventName, error))
      } catch (error) {
        this.#failed(eventName, error)
      }
    }
  }

  #failed(eventName: string, error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error))
    this.#logger.error(`Failed to execute listener: ${e.message}`, { eventName, stack: e.stack })
  }
}

import { EventEmitter } from 'eventemitter3'

/**
 * Stops a listener added with `on` or `once`.
 *
 * @example
 * ```ts
 * const off = consumer.on('crash', ({ error }) => console.error(error))
 * off()
 * ```
 */
export type Unsubscribe = () => void

/** A map of event name → the payload its listeners receive. */
export type EventMap = { [event: string]: unknown }

/**
 * Typed events over eventemitter3. `on` and `once` return an unsubscribe function. A listener that
 * throws does not break the emitting component: its error is rethrown on the next tick, where it
 * surfaces as an uncaught exception like any other bug in application code. Exported as a class so that
 * layers over the core (connectors, datagen) give their components the same kind of events by extending it.
 *
 * @example
 * ```ts
 * const off = bus.on('topicCreated', ({ topic }) => console.log('new topic', topic))
 * ```
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  readonly #emitter = new EventEmitter()

  /**
   * Adds a listener; returns a function that removes it.
   *
   * @example
   * ```ts
   * const off = consumer.on('groupJoin', ({ generation }) => console.log(generation))
   * ```
   */
  on<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): Unsubscribe {
    this.#emitter.on(event, listener)
    return () => {
      this.#emitter.off(event, listener)
    }
  }

  /**
   * Adds a listener called at most once; returns a function that removes it.
   *
   * @example
   * ```ts
   * consumer.once('groupJoin', () => console.log('joined'))
   * ```
   */
  once<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): Unsubscribe {
    this.#emitter.once(event, listener)
    return () => {
      this.#emitter.off(event, listener)
    }
  }

  /**
   * Resolves with the next payload of `event`; rejects with `signal`'s reason if it aborts first.
   *
   * @example
   * ```ts
   * const { generation } = await group.waitFor('rebalance', AbortSignal.timeout(1000))
   * ```
   */
  waitFor<E extends keyof Events & string>(event: E, signal?: AbortSignal): Promise<Events[E]> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = () => {
        off()
        reject(signal?.reason)
      }
      const off = this.once(event, (payload) => {
        signal?.removeEventListener('abort', onAbort)
        resolve(payload)
      })
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** @internal */
  protected emit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    if (this.#emitter.listenerCount(event) === 0) return
    try {
      this.#emitter.emit(event, payload)
    } catch (error) {
      process.nextTick(() => {
        throw error
      })
    }
  }

  /** @internal */
  protected hasListeners(event: keyof Events & string): boolean {
    return this.#emitter.listenerCount(event) > 0
  }

  /** @internal */
  protected removeAllListeners(): void {
    this.#emitter.removeAllListeners()
  }
}

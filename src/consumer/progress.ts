import { ClosedError, TimeoutError } from '../errors'
import type { Clock, ClockTimer } from '../util/clock'

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

interface Waiter {
  check(): void
  fail(error: Error): void
}

/** What the waits look at besides their own condition. */
export interface ProgressHost {
  readonly clock: Clock
  closed(): boolean
  rebalancing(): boolean
  settled(): Promise<void>
}

/**
 * The waits of `joined`, `caughtUp` and `idle`: re-checked whenever the member makes progress, failed
 * when it stops for good. Deterministic hooks for tests, instead of sleeping until "it probably did".
 */
export class ProgressWaits {
  #waiters: Waiter[] = []

  constructor(private readonly host: ProgressHost) {}

  get pending(): boolean {
    return this.#waiters.length > 0
  }

  /** Resolves when `condition` holds; re-checked at every `check()`. */
  waitFor(condition: () => boolean, options: WaitOptions | undefined): Promise<void> {
    if (condition()) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const clock = this.host.clock
      let timer: ClockTimer | undefined
      const signal = options?.signal
      const finish = (error?: unknown): void => {
        const index = this.#waiters.indexOf(waiter)
        if (index !== -1) this.#waiters.splice(index, 1)
        if (timer !== undefined) clock.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (error === undefined) resolve()
        else reject(error)
      }
      const check = (): void => {
        if (this.host.closed()) finish(new ClosedError('Consumer'))
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
      const waiter: Waiter = { check, fail: (error: Error) => finish(error) }
      this.#waiters.push(waiter)
      // Rebalances settle outside this member: look again when they do.
      void this.host.settled().then(() => this.check())
    })
  }

  check(): void {
    if (this.#waiters.length === 0) return
    for (const waiter of [...this.#waiters]) waiter.check()
    if (this.#waiters.length > 0 && this.host.rebalancing()) {
      void this.host.settled().then(() => this.check())
    }
  }

  /** The member stopped for good: nothing waited for can happen any more. */
  failAll(error: Error): void {
    for (const waiter of [...this.#waiters]) waiter.fail(error)
  }
}

/**
 * Time as the library sees it. Injectable so that tests of timeouts (sessions, linger, backoff)
 * need no real waiting. Timers of pending work (linger, a blocked send, a retry backoff) keep the
 * process alive like any Node timer; background timers (auto-commit) pass `unref: true`.
 *
 * @example
 * ```ts
 * const bus = await Bus.open({ clock: myFakeClock })
 * ```
 */
export interface Clock {
  now(): number
  setTimeout(callback: () => void, ms: number, options?: { unref?: boolean }): ClockTimer
  clearTimeout(timer: ClockTimer): void
}

/** An opaque timer handle from a {@link Clock}. */
export type ClockTimer = { readonly __timer: unique symbol } | NodeJS.Timeout

/** The real clock: `Date.now` and Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms, options) {
    const timer = setTimeout(callback, ms)
    if (options?.unref === true) timer.unref()
    return timer
  },
  clearTimeout(timer) {
    clearTimeout(timer as NodeJS.Timeout)
  },
}

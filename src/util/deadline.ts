import type { Clock, ClockTimer } from './clock'

/** What {@link within} answers when the deadline came first. */
export const timedOut: unique symbol = Symbol('timedOut')

/**
 * Races `work` against `ms` of `clock`: its value, or `timedOut` if the time ran out first. The work
 * goes on either way (nothing here can stop it; its late failure is not an unhandled rejection), and
 * the timer never outlives the race.
 */
export async function within<T>(
  clock: Clock,
  work: T | Promise<T>,
  ms: number,
): Promise<T | typeof timedOut> {
  let timer: ClockTimer | undefined
  const deadline = new Promise<typeof timedOut>((resolve) => {
    timer = clock.setTimeout(() => resolve(timedOut), ms, { unref: true })
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clock.clearTimeout(timer!)
  }
}

/** Waits for `work` to settle (a failure counts as settled) at most `ms`; true if it overran. */
export async function overruns(clock: Clock, work: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = work.then(
    () => undefined,
    () => undefined,
  )
  return (await within(clock, settled, ms)) === timedOut
}

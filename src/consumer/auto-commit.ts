import type { Clock, ClockTimer } from '../util/clock'

/**
 * Kafka's auto-commit: `commit` every `intervalMs` while `active()`; a failed commit is retried at the
 * next tick. Returns a function that stops it. The timer never keeps the process alive.
 */
export function startAutoCommit(
  clock: Clock,
  intervalMs: number,
  commit: () => Promise<void>,
  active: () => boolean,
): () => void {
  let timer: ClockTimer | undefined
  let stopped = false
  const schedule = (): void => {
    timer = clock.setTimeout(
      () => {
        timer = undefined
        if (stopped || !active()) return
        commit()
          .catch(() => undefined)
          .finally(() => {
            if (!stopped && active()) schedule()
          })
      },
      intervalMs,
      { unref: true },
    )
  }
  schedule()
  return () => {
    stopped = true
    if (timer !== undefined) clock.clearTimeout(timer)
  }
}

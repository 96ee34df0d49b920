/**
 * Resolves when `signal` aborts. Holds the process open meanwhile: a pending promise alone does not,
 * and a command that waits to be interrupted must not end by itself (leaving its work unfinished).
 */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  const keepAlive = setInterval(() => undefined, 1 << 30)
  return new Promise<void>((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(keepAlive)
        resolve()
      },
      { once: true },
    )
  })
}

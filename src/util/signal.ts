/**
 * Wakes every waiter at once: loops that park until "something happened" (an append, a seek, a
 * resume, a stop) and then look again for themselves.
 */
export class Signal {
  #waiters: Array<() => void> = []

  /** Resolves at the next `notify`. */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#waiters.push(resolve)
    })
  }

  /** Calls `check` at every `notify` until `check` returns true (the waiter is then dropped). */
  watch(check: () => boolean): () => void {
    const waiter = (): void => {
      if (!check()) this.#waiters.push(waiter)
    }
    this.#waiters.push(waiter)
    return () => {
      const index = this.#waiters.indexOf(waiter)
      if (index !== -1) this.#waiters.splice(index, 1)
    }
  }

  get waiting(): boolean {
    return this.#waiters.length > 0
  }

  notify = (): void => {
    if (this.#waiters.length === 0) return
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }
}

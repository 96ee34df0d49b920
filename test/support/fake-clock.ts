import type { Clock, ClockTimer } from '../../src/index'

interface Pending {
  at: number
  seq: number
  callback: () => void
}

/** A clock that only moves when the test says so: timeouts without real waiting. */
export class FakeClock implements Clock {
  #now: number
  #seq = 0
  readonly #timers = new Map<number, Pending>()

  constructor(start = 1_700_000_000_000) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    const seq = ++this.#seq
    this.#timers.set(seq, { at: this.#now + ms, seq, callback })
    return seq as unknown as ClockTimer
  }

  clearTimeout(timer: ClockTimer): void {
    this.#timers.delete(timer as unknown as number)
  }

  /** Timers still pending. */
  get pending(): number {
    return this.#timers.size
  }

  /** Moves time forward, firing due timers in order; lets promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms
    for (;;) {
      const next = [...this.#timers.values()]
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (next === undefined) break
      this.#timers.delete(next.seq)
      this.#now = Math.max(this.#now, next.at)
      next.callback()
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    this.#now = target
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

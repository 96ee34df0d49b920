/**
 * A latency histogram as Prometheus keeps one: cumulative counts per upper bound (`le`, in seconds),
 * the number of observations and their sum. The last bucket (`+Inf`) is `count`.
 *
 * @example
 * ```ts
 * const { buckets, count, sum } = bus.metrics().produceLatency
 * const underOneMs = buckets.find((b) => b.le === 0.001)?.count ?? 0
 * console.log(`${underOneMs} of ${count} batches stored within 1 ms; mean ${sum / count} s`)
 * ```
 */
export interface HistogramSnapshot {
  /** Cumulative counts per upper bound in seconds, ascending; `+Inf` is `count`. */
  readonly buckets: ReadonlyArray<{ readonly le: number; readonly count: number }>
  readonly count: number
  /** The sum of all observations, in seconds. */
  readonly sum: number
}

/** From 50 µs to 10 s: an in-process append takes microseconds, an fsync milliseconds. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

/**
 * Counts observations per bucket; `observe` is a few comparisons and two additions, cheap enough to
 * call once per batch. Not public: snapshots are.
 */
export class LatencyHistogram {
  readonly #counts = new Float64Array(LATENCY_BUCKETS.length)
  #count = 0
  #sum = 0

  observe(seconds: number): void {
    this.#count++
    this.#sum += seconds
    const bounds = LATENCY_BUCKETS
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        this.#counts[i]!++
        return
      }
    }
  }

  /** Observes the time since `startedAt`, a `performance.now()` reading. */
  observeSince(startedAt: number): void {
    this.observe((performance.now() - startedAt) / 1000)
  }

  snapshot(): HistogramSnapshot {
    let cumulative = 0
    const buckets = LATENCY_BUCKETS.map((le, i) => {
      cumulative += this.#counts[i]!
      return { le, count: cumulative }
    })
    return { buckets, count: this.#count, sum: this.#sum }
  }
}

import type { Bus } from '../../index'

/** One sample: per-topic counters and per-group lag at a moment. */
interface Sample {
  time: number
  topics: Map<string, { in: number; out: number }>
  lag: Map<string, number>
}

/** A series for a chart: per-second rates (or lag values) at the sample times. */
export interface Series {
  times: number[]
  values: number[]
}

/**
 * Samples `bus.metrics()` every `intervalMs` and keeps the last `size` samples: what the console's
 * throughput charts, record rates and lag sparklines draw. Runs only while the console is served; its
 * timer does not keep the process alive.
 */
export class MetricsHistory {
  readonly #samples: Sample[] = []
  readonly #timer: NodeJS.Timeout

  constructor(
    private readonly bus: Bus,
    readonly intervalMs = 2_000,
    private readonly size = 300,
  ) {
    this.sample()
    this.#timer = setInterval(() => this.sample(), intervalMs)
    this.#timer.unref()
  }

  /** Takes a sample now (also what the timer does). */
  sample(): void {
    let metrics: ReturnType<Bus['metrics']>
    try {
      metrics = this.bus.metrics()
    } catch {
      return // the bus closed: the server closes with it
    }
    const topics = new Map(metrics.topics.map((t) => [t.topic, { in: t.recordsIn, out: t.recordsOut }]))
    const lag = new Map(metrics.groups.map((g) => [g.groupId, g.totalLag]))
    this.#samples.push({ time: metrics.time, topics, lag })
    if (this.#samples.length > this.size) this.#samples.shift()
  }

  /** Records per second in and out of a topic (or of all topics), between consecutive samples. */
  rates(topic: string | undefined): { in: Series; out: Series } {
    const rates = {
      in: { times: [] as number[], values: [] as number[] },
      out: { times: [] as number[], values: [] as number[] },
    }
    const total = (sample: Sample, field: 'in' | 'out'): number => {
      if (topic !== undefined) return sample.topics.get(topic)?.[field] ?? 0
      let sum = 0
      for (const t of sample.topics.values()) sum += t[field]
      return sum
    }
    for (let i = 1; i < this.#samples.length; i++) {
      const a = this.#samples[i - 1]!
      const b = this.#samples[i]!
      const seconds = Math.max((b.time - a.time) / 1000, 0.001)
      for (const field of ['in', 'out'] as const) {
        rates[field].times.push(b.time)
        // A deleted and recreated topic starts its counters again: never a negative rate.
        rates[field].values.push(Math.max(0, (total(b, field) - total(a, field)) / seconds))
      }
    }
    return rates
  }

  /** The latest rates of every topic: what the topic list shows. */
  latestRates(): Map<string, { in: number; out: number }> {
    const out = new Map<string, { in: number; out: number }>()
    const a = this.#samples.at(-2)
    const b = this.#samples.at(-1)
    if (a === undefined || b === undefined) return out
    const seconds = Math.max((b.time - a.time) / 1000, 0.001)
    for (const [topic, now] of b.topics) {
      const before = a.topics.get(topic) ?? { in: 0, out: 0 }
      out.set(topic, {
        in: Math.max(0, (now.in - before.in) / seconds),
        out: Math.max(0, (now.out - before.out) / seconds),
      })
    }
    return out
  }

  /** A group's total lag over time. */
  lag(groupId: string): Series {
    const series: Series = { times: [], values: [] }
    for (const sample of this.#samples) {
      const lag = sample.lag.get(groupId)
      if (lag === undefined) continue
      series.times.push(sample.time)
      series.values.push(lag)
    }
    return series
  }

  close(): void {
    clearInterval(this.#timer)
  }
}

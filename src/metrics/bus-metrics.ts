import type { GroupState, PartitionLag } from '../group/consumer-group'
import type { HistogramSnapshot } from './histogram'
import { LatencyHistogram } from './histogram'
import type { Instrumentation } from './instrumentation'

/**
 * One partition's numbers. `recordsIn`/`bytesIn` count what was appended (Kafka's MessagesIn and
 * BytesIn), `recordsOut` what was handed to consumers' handlers and `bytesOut` the batches they read
 * (Kafka's BytesOut), since the bus opened. Transaction markers are not records and are not counted.
 *
 * @example
 * ```ts
 * const p = bus.metrics().topics[0]!.partitions[0]!
 * console.log(p.logEndOffset - p.logStartOffset, p.sizeBytes, p.recordsIn, p.recordsOut)
 * ```
 */
export interface PartitionMetrics {
  readonly partition: number
  readonly logStartOffset: number
  readonly logEndOffset: number
  /** Bytes held in storage (what `retentionBytes` limits). */
  readonly sizeBytes: number
  readonly recordsIn: number
  readonly bytesIn: number
  readonly recordsOut: number
  readonly bytesOut: number
}

/**
 * One topic's numbers: its partitions', and their sums.
 *
 * @example
 * ```ts
 * for (const t of bus.metrics().topics) console.log(t.topic, t.recordsIn, t.recordsOut, t.sizeBytes)
 * ```
 */
export interface TopicMetrics {
  readonly topic: string
  readonly partitions: readonly PartitionMetrics[]
  readonly recordsIn: number
  readonly bytesIn: number
  readonly recordsOut: number
  readonly bytesOut: number
  readonly sizeBytes: number
}

/**
 * One group's numbers: state, members, completed rebalances since the bus opened, and its lag.
 *
 * @example
 * ```ts
 * for (const g of bus.metrics().groups) console.log(g.groupId, g.state, g.totalLag, g.rebalances)
 * ```
 */
export interface GroupMetrics {
  readonly groupId: string
  readonly state: GroupState
  readonly generation: number
  readonly members: number
  readonly rebalances: number
  readonly lag: readonly PartitionLag[]
  readonly totalLag: number
}

/**
 * A snapshot of the bus's counters, what `GET /metrics` of `logbus/http` exposes. Counters only grow
 * while the bus is open; they start at zero when it opens (they are not persisted).
 *
 * @example
 * ```ts
 * const m = bus.metrics()
 * console.log(m.topics.length, m.groups.length, m.produceLatency.count, m.storage.bytes, m.connections)
 * ```
 */
export interface BusMetrics {
  /** When the snapshot was taken (the bus clock, ms since the epoch). */
  readonly time: number
  readonly topics: readonly TopicMetrics[]
  readonly groups: readonly GroupMetrics[]
  /** Per batch: from the batch's first send to the storage acknowledging it (linger and fsync included). */
  readonly produceLatency: HistogramSnapshot
  /** Per consumer read: the time storage took to return the batches (a file log read, or memory). */
  readonly fetchLatency: HistogramSnapshot
  readonly storage: {
    /** Bytes held by every partition's log. */
    readonly bytes: number
    /** Per flush of a segment file (fdatasync); null for a storage that does not flush (memory). */
    readonly fsyncLatency: HistogramSnapshot | null
  }
  /** Open connections per listener that reports them (`bus.reportConnections`): `{ http: 2, kafka: 5 }`. */
  readonly connections: Readonly<Record<string, number>>
}

/** The bus's shared recorders: what producers, consumers and servers add to. Not public. */
export class MetricsRecorder {
  readonly produceLatency = new LatencyHistogram()
  readonly fetchLatency = new LatencyHistogram()
  instrumentation: Instrumentation | undefined
  readonly #connections = new Map<string, Set<() => number>>()

  addConnections(listener: string, count: () => number): () => void {
    let sources = this.#connections.get(listener)
    if (sources === undefined) {
      sources = new Set()
      this.#connections.set(listener, sources)
    }
    sources.add(count)
    return () => {
      sources.delete(count)
      if (sources.size === 0 && this.#connections.get(listener) === sources)
        this.#connections.delete(listener)
    }
  }

  connections(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [listener, sources] of [...this.#connections].sort(([a], [b]) => (a < b ? -1 : 1))) {
      let total = 0
      for (const count of sources) total += count()
      out[listener] = total
    }
    return out
  }
}

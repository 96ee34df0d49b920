import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Bus, BusMetrics, HistogramSnapshot } from '../../index'

/**
 * Prometheus's text format, version 0.0.4: what every Prometheus server and agent scrapes, and what
 * `GET /metrics` answers.
 *
 * @example
 * ```ts
 * import { PROMETHEUS_CONTENT_TYPE } from 'logbus/http'
 * res.setHeader('content-type', PROMETHEUS_CONTENT_TYPE)
 * ```
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/**
 * One `bus.metrics()` snapshot per scrape, shared by every metric of the registry: a scrape calls the
 * metrics' collectors one after the other in one synchronous pass, so the snapshot is kept until the
 * microtasks after it; a later scrape takes a new one.
 */
class ScrapeSnapshot {
  #current: BusMetrics | undefined

  constructor(private readonly bus: Bus) {}

  get(): BusMetrics {
    if (this.#current === undefined) {
      this.#current = this.bus.metrics()
      queueMicrotask(() => {
        this.#current = undefined
      })
    }
    return this.#current
  }
}

/** Adds a sample: labels and value. */
type Add = (labels: Record<string, string | number>, value: number) => void
type Reading = (metrics: BusMetrics, add: Add) => void

/**
 * A gauge or a counter whose samples are read from the scrape's snapshot by its `collect` (prom-client's
 * custom collector): the bus keeps the numbers, the metric only shows them.
 */
function readAtScrape(
  type: 'gauge' | 'counter',
  registry: Registry,
  snapshot: ScrapeSnapshot,
  name: string,
  help: string,
  labelNames: string[],
  read: Reading,
): void {
  const config = { name, help, labelNames, registers: [registry] }
  if (type === 'gauge') {
    new Gauge({
      ...config,
      collect() {
        this.reset()
        read(snapshot.get(), (labels, value) => this.set(labels, value))
      },
    })
  } else {
    new Counter({
      ...config,
      collect() {
        this.reset()
        read(snapshot.get(), (labels, value) => this.inc(labels, value))
      },
    })
  }
}

type HistogramValues = Awaited<ReturnType<Histogram['get']>>

/**
 * A histogram exposed from the bus's own bucket counts: prom-client's histograms count observations
 * themselves, and these are counted where they happen (per batch, per read, per fsync), so the scrape
 * reports the snapshot's buckets instead of observing anything.
 */
class SnapshotHistogram extends Histogram {
  readonly #name: string
  readonly #help: string
  readonly #snapshot: ScrapeSnapshot
  readonly #read: (metrics: BusMetrics) => HistogramSnapshot | null

  constructor(
    registry: Registry,
    snapshot: ScrapeSnapshot,
    name: string,
    help: string,
    read: (metrics: BusMetrics) => HistogramSnapshot | null,
  ) {
    super({ name, help, registers: [] })
    this.#name = name
    this.#help = help
    this.#snapshot = snapshot
    this.#read = read
    registry.registerMetric(this)
  }

  override async get(): Promise<HistogramValues> {
    return this.getForPromString()
  }

  /** What the registry writes as text (prom-client asks for it before `get`). */
  async getForPromString(): Promise<HistogramValues> {
    const histogram = this.#read(this.#snapshot.get())
    const name = this.#name
    const values: HistogramValues['values'] = []
    if (histogram !== null) {
      for (const { le, count } of histogram.buckets) {
        values.push({ metricName: `${name}_bucket`, labels: { le }, value: count })
      }
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: histogram.count })
      values.push({ metricName: `${name}_sum`, labels: {}, value: histogram.sum })
      values.push({ metricName: `${name}_count`, labels: {}, value: histogram.count })
    }
    return {
      name,
      help: this.#help,
      // prom-client declares the type as a numeric enum it does not export; the registry prints the text.
      type: 'histogram' as unknown as HistogramValues['type'],
      values,
      aggregator: 'sum',
      collect: () => undefined,
    }
  }
}

/**
 * A prom-client registry of every number of `bus.metrics()`, read when it is scraped: records and
 * bytes in and out per topic, offsets and sizes per partition, lag per group and partition, group
 * state, members, generation and rebalances, storage bytes, produce, fetch and fsync latency
 * histograms, open connections per listener. `GET /metrics` of `serveHttp` answers it; to expose the
 * bus beside an application's own metrics, register them into the application's registry (prom-client's
 * global `register`, say) or merge the two with `Registry.merge`.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { busRegistry } from 'logbus/http'
 *
 * const bus = await Bus.open()
 * const registry = busRegistry(bus)
 * console.log(await registry.metrics()) // Prometheus's text format
 * ```
 */
export function busRegistry(bus: Bus, registry: Registry = new Registry()): Registry {
  const snapshot = new ScrapeSnapshot(bus)
  const perTopic = [
    ['logbus_topic_records_in_total', 'recordsIn', 'Records appended to the topic since the bus opened.'],
    [
      'logbus_topic_bytes_in_total',
      'bytesIn',
      'Bytes of the batches appended to the topic since the bus opened.',
    ],
    [
      'logbus_topic_records_out_total',
      'recordsOut',
      'Records handed to consumers of the topic since the bus opened.',
    ],
    [
      'logbus_topic_bytes_out_total',
      'bytesOut',
      'Bytes of the batches consumers of the topic read since the bus opened.',
    ],
  ] as const
  for (const [name, field, help] of perTopic) {
    readAtScrape('counter', registry, snapshot, name, help, ['topic'], (metrics, add) => {
      for (const topic of metrics.topics) add({ topic: topic.topic }, topic[field])
    })
  }
  const perPartition = [
    ['logbus_partition_log_start_offset', 'logStartOffset', 'The first offset the partition holds.'],
    [
      'logbus_partition_log_end_offset',
      'logEndOffset',
      'One past the last offset of the partition (the high watermark).',
    ],
    ['logbus_partition_size_bytes', 'sizeBytes', 'Bytes the partition holds in storage.'],
  ] as const
  for (const [name, field, help] of perPartition) {
    readAtScrape('gauge', registry, snapshot, name, help, ['topic', 'partition'], (metrics, add) => {
      for (const topic of metrics.topics) {
        for (const p of topic.partitions) add({ topic: topic.topic, partition: p.partition }, p[field])
      }
    })
  }
  readAtScrape(
    'gauge',
    registry,
    snapshot,
    'logbus_storage_bytes',
    'Bytes held by every partition log.',
    [],
    (metrics, add) => add({}, metrics.storage.bytes),
  )
  readAtScrape(
    'gauge',
    registry,
    snapshot,
    'logbus_group_lag',
    "Records between the group's committed offset and the log end, per partition.",
    ['group', 'topic', 'partition'],
    (metrics, add) => {
      for (const group of metrics.groups) {
        for (const lag of group.lag)
          add({ group: group.groupId, topic: lag.topic, partition: lag.partition }, lag.lag)
      }
    },
  )
  const perGroup = [
    ['logbus_group_lag_sum', 'gauge', 'totalLag', 'The lag of the group over all its partitions.'],
    ['logbus_group_members', 'gauge', 'members', 'Members of the group.'],
    ['logbus_group_generation', 'gauge', 'generation', 'The generation of the group.'],
    [
      'logbus_group_rebalances_total',
      'counter',
      'rebalances',
      'Rebalances the group completed since the bus opened.',
    ],
  ] as const
  for (const [name, type, field, help] of perGroup) {
    readAtScrape(type, registry, snapshot, name, help, ['group'], (metrics, add) => {
      for (const group of metrics.groups) add({ group: group.groupId }, group[field])
    })
  }
  readAtScrape(
    'gauge',
    registry,
    snapshot,
    'logbus_group_state',
    'The state of the group: 1 for the state it is in.',
    ['group', 'state'],
    (metrics, add) => {
      for (const group of metrics.groups) add({ group: group.groupId, state: group.state }, 1)
    },
  )
  new SnapshotHistogram(
    registry,
    snapshot,
    'logbus_produce_latency_seconds',
    'Per batch: from its first send to storage acknowledging it.',
    (metrics) => metrics.produceLatency,
  )
  new SnapshotHistogram(
    registry,
    snapshot,
    'logbus_fetch_latency_seconds',
    'Per consumer read: the time storage took to return the batches.',
    (metrics) => metrics.fetchLatency,
  )
  // Only a storage that flushes (the file log) has fsyncs to count; its kind does not change.
  if (bus.metrics().storage.fsyncLatency !== null) {
    new SnapshotHistogram(
      registry,
      snapshot,
      'logbus_fsync_latency_seconds',
      'Per flush (fdatasync) of a file of the file log.',
      (metrics) => metrics.storage.fsyncLatency,
    )
  }
  readAtScrape(
    'gauge',
    registry,
    snapshot,
    'logbus_open_connections',
    'Open connections per listener.',
    ['listener'],
    (metrics, add) => {
      for (const [listener, count] of Object.entries(metrics.connections)) add({ listener }, count)
    },
  )
  return registry
}

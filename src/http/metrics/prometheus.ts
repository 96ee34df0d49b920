import { Gauge, Histogram, Registry } from 'prom-client'
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

/** A metric of a registry, shown from the scrape's snapshot. */
interface MetricSource {
  readonly registry: Registry
  readonly snapshot: ScrapeSnapshot
  readonly name: string
  readonly help: string
}

/** A gauge or counter: its label names, and how its samples are read from the snapshot. */
interface SnapshotMetric extends MetricSource {
  readonly labelNames: string[]
  readonly read: (metrics: BusMetrics, add: Add) => void
}

type MetricValues = Awaited<ReturnType<Gauge['get']>>
type HistogramValues = Awaited<ReturnType<Histogram['get']>>

/**
 * What the registry prints of a metric. prom-client declares `type` as a numeric enum it does not
 * export; the registry prints the text.
 */
function metricObject<V>(metric: MetricSource, type: string, values: V[]) {
  return {
    name: metric.name,
    help: metric.help,
    type: type as unknown as MetricValues['type'],
    values,
    aggregator: 'sum' as const,
    collect: () => undefined,
  }
}

function samples(metric: SnapshotMetric): MetricValues['values'] {
  const values: MetricValues['values'] = []
  metric.read(metric.snapshot.get(), (labels, value) => values.push({ labels, value }))
  return values
}

/*
 * prom-client's registry asks each metric for its samples (`get`) when scraped. These metrics answer
 * from the bus's snapshot instead of from values set on them: the bus keeps the numbers (per batch, per
 * read, per fsync), and copying thousands of them into prom-client's label maps at every scrape would
 * double what a scrape costs.
 */

/**
 * A gauge, or a counter: prom-client's two differ only in how values are set on them, and these are
 * never set. The instance's `type` is the one it shows (an OpenMetrics registry names counters by it).
 */
class SnapshotSamples extends Gauge {
  constructor(
    private readonly metric: SnapshotMetric,
    private readonly kind: 'gauge' | 'counter',
  ) {
    super({ name: metric.name, help: metric.help, labelNames: metric.labelNames, registers: [] })
    ;(this as unknown as { type: string }).type = kind
    metric.registry.registerMetric(this)
  }

  override async get(): Promise<MetricValues> {
    return metricObject(this.metric, this.kind, samples(this.metric))
  }
}

/** A histogram with the bus's own bucket counts. */
class SnapshotHistogram extends Histogram {
  constructor(
    private readonly metric: MetricSource,
    private readonly histogram: (metrics: BusMetrics) => HistogramSnapshot | null,
  ) {
    super({ name: metric.name, help: metric.help, registers: [] })
    metric.registry.registerMetric(this)
  }

  override async get(): Promise<HistogramValues> {
    return this.getForPromString()
  }

  /** What the registry prints (prom-client asks a histogram for it rather than `get`). */
  async getForPromString(): Promise<HistogramValues> {
    const histogram = this.histogram(this.metric.snapshot.get())
    const name = this.metric.name
    const values: HistogramValues['values'] = []
    if (histogram !== null) {
      for (const { le, count } of histogram.buckets) {
        values.push({ metricName: `${name}_bucket`, labels: { le }, value: count })
      }
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: histogram.count })
      values.push({ metricName: `${name}_sum`, labels: {}, value: histogram.sum })
      values.push({ metricName: `${name}_count`, labels: {}, value: histogram.count })
    }
    return metricObject(this.metric, 'histogram', values)
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
  const show = (
    type: 'gauge' | 'counter',
    name: string,
    help: string,
    labelNames: string[],
    read: SnapshotMetric['read'],
  ): void => {
    new SnapshotSamples({ registry, snapshot, name, help, labelNames, read }, type)
  }
  const histogram = (
    name: string,
    help: string,
    read: (metrics: BusMetrics) => HistogramSnapshot | null,
  ): void => {
    new SnapshotHistogram({ registry, snapshot, name, help }, read)
  }
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
    show('counter', name, help, ['topic'], (metrics, add) => {
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
    show('gauge', name, help, ['topic', 'partition'], (metrics, add) => {
      for (const topic of metrics.topics) {
        for (const p of topic.partitions) add({ topic: topic.topic, partition: p.partition }, p[field])
      }
    })
  }
  show('gauge', 'logbus_storage_bytes', 'Bytes held by every partition log.', [], (metrics, add) =>
    add({}, metrics.storage.bytes),
  )
  show(
    'gauge',
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
    show(type, name, help, ['group'], (metrics, add) => {
      for (const group of metrics.groups) add({ group: group.groupId }, group[field])
    })
  }
  show(
    'gauge',
    'logbus_group_state',
    'The state of the group: 1 for the state it is in.',
    ['group', 'state'],
    (metrics, add) => {
      for (const group of metrics.groups) add({ group: group.groupId, state: group.state }, 1)
    },
  )
  histogram(
    'logbus_produce_latency_seconds',
    'Per batch: from its first send to storage acknowledging it.',
    (metrics) => metrics.produceLatency,
  )
  histogram(
    'logbus_fetch_latency_seconds',
    'Per consumer read: the time storage took to return the batches.',
    (metrics) => metrics.fetchLatency,
  )
  // Only a storage that flushes (the file log) has fsyncs to count; its kind does not change.
  if (bus.metrics().storage.fsyncLatency !== null) {
    histogram(
      'logbus_fsync_latency_seconds',
      'Per flush (fdatasync) of a file of the file log.',
      (metrics) => metrics.storage.fsyncLatency,
    )
  }
  show('gauge', 'logbus_open_connections', 'Open connections per listener.', ['listener'], (metrics, add) => {
    for (const [listener, count] of Object.entries(metrics.connections)) add({ listener }, count)
  })
  return registry
}

import type { BusMetrics, HistogramSnapshot } from '../../index'

/** Prometheus's text format, version 0.0.4: what every Prometheus server and agent scrapes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

const formatNumber = (value: number): string =>
  Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value)

/**
 * Writes metric families in Prometheus's text format: `# HELP` and `# TYPE` once per family, then its
 * samples. Written by hand rather than through prom-client: the numbers are already in
 * `bus.metrics()`'s snapshot, so a registry of live counters would only copy them again at every
 * scrape; the format is small, and `test/http/prometheus-format.test.ts` parses the output strictly.
 */
export class Exposition {
  readonly #lines: string[] = []

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.#lines.push(
      `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
      `# TYPE ${name} ${type}`,
    )
    return this
  }

  sample(name: string, labels: Readonly<Record<string, string | number>>, value: number): this {
    const keys = Object.keys(labels)
    const text =
      keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(String(labels[k]))}"`).join(',')}}`
    this.#lines.push(`${name}${text} ${formatNumber(value)}`)
    return this
  }

  histogram(name: string, help: string, snapshot: HistogramSnapshot): this {
    this.family(name, 'histogram', help)
    for (const { le, count } of snapshot.buckets) this.sample(`${name}_bucket`, { le }, count)
    this.sample(`${name}_bucket`, { le: '+Inf' }, snapshot.count)
    this.sample(`${name}_sum`, {}, snapshot.sum)
    this.sample(`${name}_count`, {}, snapshot.count)
    return this
  }

  toString(): string {
    return `${this.#lines.join('\n')}\n`
  }
}

/** Every number of a `bus.metrics()` snapshot as Prometheus metric families. */
export function busExposition(metrics: BusMetrics, out = new Exposition()): Exposition {
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
    out.family(name, 'counter', help)
    for (const topic of metrics.topics) out.sample(name, { topic: topic.topic }, topic[field])
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
    out.family(name, 'gauge', help)
    for (const topic of metrics.topics) {
      for (const p of topic.partitions)
        out.sample(name, { topic: topic.topic, partition: p.partition }, p[field])
    }
  }
  out.family('logbus_storage_bytes', 'gauge', 'Bytes held by every partition log.')
  out.sample('logbus_storage_bytes', {}, metrics.storage.bytes)

  out.family(
    'logbus_group_lag',
    'gauge',
    "Records between the group's committed offset and the log end, per partition.",
  )
  for (const group of metrics.groups) {
    for (const lag of group.lag) {
      out.sample(
        'logbus_group_lag',
        { group: group.groupId, topic: lag.topic, partition: lag.partition },
        lag.lag,
      )
    }
  }
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
    out.family(name, type, help)
    for (const group of metrics.groups) out.sample(name, { group: group.groupId }, group[field])
  }
  out.family('logbus_group_state', 'gauge', 'The state of the group: 1 for the state it is in.')
  for (const group of metrics.groups)
    out.sample('logbus_group_state', { group: group.groupId, state: group.state }, 1)

  out.histogram(
    'logbus_produce_latency_seconds',
    'Per batch: from its first send to storage acknowledging it.',
    metrics.produceLatency,
  )
  out.histogram(
    'logbus_fetch_latency_seconds',
    'Per consumer read: the time storage took to return the batches.',
    metrics.fetchLatency,
  )
  if (metrics.storage.fsyncLatency !== null) {
    out.histogram(
      'logbus_fsync_latency_seconds',
      'Per flush (fdatasync) of a file of the file log.',
      metrics.storage.fsyncLatency,
    )
  }
  out.family('logbus_open_connections', 'gauge', 'Open connections per listener.')
  for (const [listener, count] of Object.entries(metrics.connections)) {
    out.sample('logbus_open_connections', { listener }, count)
  }
  return out
}

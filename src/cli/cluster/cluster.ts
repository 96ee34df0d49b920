import {
  type CommittedOffset,
  OffsetOutOfRangeError,
  type RecordBatch,
  type RecordHeaders,
  type TopicConfig,
} from '../../index'

/**
 * What the commands need from where the data is. The data-directory backend implements it over a
 * `Bus` on a FileStorage; a backend over Kafka's wire protocol (`--bootstrap-server`) implements the
 * same interface, so every command and its output stay the same.
 */
export interface Cluster {
  listTopics(): Promise<string[]>
  /** UnknownTopicError when absent. */
  describeTopic(name: string): Promise<TopicDescription>
  createTopic(name: string, options: CreateTopicOptions): Promise<TopicDescription>
  deleteTopic(name: string): Promise<void>
  /** Grows partitions and/or changes configs; resolves with the topic as it is now. */
  alterTopic(name: string, changes: AlterTopicChanges): Promise<TopicDescription>
  /** A producer to one topic. */
  producer(topic: string): Promise<ClusterProducer>
  /** Reads records and hands them to `sink` batch by batch, in order per partition. */
  consume(spec: ConsumeSpec, sink: RecordSink): Promise<ConsumeSummary>
  listGroups(): Promise<GroupListing[]>
  /** GroupNotFoundError when the group has neither members nor offsets. */
  describeGroup(groupId: string): Promise<GroupReport>
  deleteGroup(groupId: string): Promise<void>
  /** Kafka's `--reset-offsets`: the new offsets (set, unless `dryRun`). Refused while the group has members. */
  resetOffsets(groupId: string, options: ResetSpec): Promise<OffsetChange[]>
  close(): Promise<void>
}

/** A topic's configuration, in Kafka's config names (`retention.ms`, …). */
export type KafkaConfigs = Record<string, string>

export interface PartitionDescription {
  partition: number
  logStartOffset: number
  logEndOffset: number
  sizeBytes: number
}

export interface TopicDescription {
  name: string
  partitions: PartitionDescription[]
  configs: KafkaConfigs
}

export interface CreateTopicOptions {
  partitions: number
  configs: KafkaConfigs
  ifNotExists: boolean
}

export interface AlterTopicChanges {
  partitions?: number
  configs?: KafkaConfigs
}

/** RecordBatch v2 batches (as `RecordBatchWriter` makes them) by partition, each partition's in order. */
export type PartitionBatches = ReadonlyMap<number, readonly Buffer[]>

export interface ClusterProducer {
  /** The topic's `max.message.bytes`: the largest batch it takes. */
  readonly maxMessageBytes: number
  /** Sends each partition's batches in order, after those of earlier calls; resolves once all are written. */
  send(batches: PartitionBatches): Promise<void>
  close(): Promise<void>
}

/** Where consumption starts on each partition. */
export type StartAt = 'earliest' | 'latest' | { offset: number }

export interface ConsumeSpec {
  topic: string
  /** Only these partitions; default all. */
  partitions?: number[]
  /** Where to start (for a group: where it has no committed offset). */
  start: StartAt
  /** Resume from and commit to this group's offsets. */
  group?: string
  /** At the end, keep waiting for new records until `signal` aborts. */
  follow: boolean
  /** Stop after this many records. */
  max?: number
  signal: AbortSignal
  /**
   * While following: called whenever the reader has handed over what there is and is about to wait
   * for more, so that what the sink wrote reaches its reader now rather than at the end.
   */
  caughtUp?: () => Promise<void>
}

/**
 * Records handed to a sink: `batch`'s records from index `from` (inclusive) to `to` (exclusive), as raw
 * columns (Buffers). Record `i` is at `batch.columnStart + i` of each column; its offset is
 * `batch.baseOffset + (batch.offsetDeltas?.[batch.columnStart + i] ?? i)`.
 */
export interface RecordSlice {
  topic: string
  partition: number
  batch: RecordBatch
  from: number
  to: number
}

/** Takes records; a promise it returns holds the next read back (backpressure). */
export type RecordSink = (slice: RecordSlice) => void | Promise<void>

export interface ConsumeSummary {
  records: number
  /** With a group: the offsets committed at the end. */
  committed: CommittedOffset[]
}

export interface GroupListing {
  groupId: string
  state: string
}

export interface GroupPartitionReport {
  topic: string
  partition: number
  currentOffset: number | null
  logEndOffset: number
  lag: number
  consumerId: string | null
  clientId: string | null
}

export interface GroupReport {
  groupId: string
  state: string
  protocol: string
  members: { memberId: string; clientId: string; instanceId: string | null; assignment: string[] }[]
  partitions: GroupPartitionReport[]
}

/** Where `--reset-offsets` moves a group. */
export interface ResetSpec {
  to: 'earliest' | 'latest' | { timestamp: number } | { offset: number } | { shiftBy: number }
  /** Topics to reset; undefined: every topic the group has offsets for. */
  topics?: string[]
  dryRun: boolean
}

export interface OffsetChange {
  topic: string
  partition: number
  /** The committed offset before the reset; null when there was none. */
  previous: number | null
  offset: number
}

/** Kafka's topic config names and the core's `TopicConfig` fields they map to. */
export const KAFKA_CONFIG_NAMES: Record<string, keyof TopicConfig> = {
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'segment.bytes': 'segmentBytes',
  'cleanup.policy': 'cleanupPolicy',
  'max.message.bytes': 'maxMessageBytes',
}

/** The configs that can change after creation (the others are fixed). */
export const ALTERABLE_CONFIGS = ['retention.ms', 'retention.bytes', 'max.message.bytes'] as const

/** A `TopicConfig` in Kafka's names; null (unlimited) is Kafka's -1. */
export function toKafkaConfigs(config: Readonly<TopicConfig>): KafkaConfigs {
  const out: KafkaConfigs = {}
  for (const [kafka, field] of Object.entries(KAFKA_CONFIG_NAMES)) {
    const value = config[field]
    out[kafka] = value === null ? '-1' : String(value)
  }
  return out
}

/** The offset of record `index` of a batch (compaction may leave gaps between offsets). */
export function offsetAt(batch: RecordBatch, index: number): number {
  const deltas = batch.offsetDeltas
  return batch.baseOffset + (deltas === null ? index : deltas[batch.columnStart + index]!)
}

/** The timestamp of record `index` of a batch. */
export function timestampAt(batch: RecordBatch, index: number): number {
  return batch.timestamps?.[batch.columnStart + index] ?? batch.firstTimestamp
}

/** The header map of record `index` of a batch (empty when it has none). */
export function headersAt(batch: RecordBatch, index: number): RecordHeaders {
  return batch.headers?.[batch.columnStart + index] ?? {}
}

/**
 * Where consumption starts on a partition that holds `logStart..logEnd`: OffsetOutOfRangeError for an
 * offset outside it.
 */
export function startOffsetIn(
  topic: string,
  partition: number,
  start: StartAt,
  logStart: number,
  logEnd: number,
): number {
  if (start === 'earliest') return logStart
  if (start === 'latest') return logEnd
  if (start.offset < logStart || start.offset > logEnd) {
    throw new OffsetOutOfRangeError(
      topic,
      partition,
      start.offset,
      `Offset ${start.offset} is out of range for ${topic}-${partition} (it holds ${logStart}..${logEnd})`,
    )
  }
  return start.offset
}

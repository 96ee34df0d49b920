import type { LogRecord } from '../record/log-record'

/** A value or a promise of it: memory storage answers synchronously, file storage may not. */
export type MaybePromise<T> = T | Promise<T>

/**
 * A topic's configuration, with every default applied. Field names follow Kafka's topic configs
 * (`retention.ms` → `retentionMs`, …); `null` means unlimited (Kafka's -1).
 *
 * @example
 * ```ts
 * const { partitions, maxMessageBytes } = bus.topic('orders').config
 * ```
 */
export interface TopicConfig {
  partitions: number
  retentionMs: number | null
  retentionBytes: number | null
  segmentBytes: number
  cleanupPolicy: 'delete'
  maxMessageBytes: number
}

/**
 * A topic as storage persists it.
 *
 * @example
 * ```ts
 * const meta: TopicMetadata = { name: 'orders', config: bus.topic('orders').config }
 * ```
 */
export interface TopicMetadata {
  name: string
  config: TopicConfig
}

/**
 * One committed group offset: the next offset the group will read from that partition.
 *
 * @example
 * ```ts
 * const committed: CommittedOffset = { topic: 'orders', partition: 0, offset: 42 }
 * ```
 */
export interface CommittedOffset {
  topic: string
  partition: number
  offset: number
}

/**
 * What storage holds when it opens: the topics and every group's committed offsets.
 *
 * @example
 * ```ts
 * const { topics, groups } = await storage.open()
 * ```
 */
export interface StorageSnapshot {
  topics: TopicMetadata[]
  groups: Record<string, CommittedOffset[]>
}

/**
 * What retention applies to one partition at `now`; null means unlimited.
 *
 * @example
 * ```ts
 * await log.applyRetention({ now: Date.now(), retentionMs: 86_400_000, retentionBytes: null })
 * ```
 */
export interface RetentionPolicy {
  now: number
  retentionMs: number | null
  retentionBytes: number | null
}

/**
 * The log of one partition. Appends are serialised by the caller (one writer per partition), and a
 * log assigns offsets synchronously, in call order, so that concurrent appends keep their order.
 *
 * @example
 * ```ts
 * const base = await log.append(records)   // records[i].offset === base + i
 * const again = await log.read(base, 1 << 20)
 * ```
 */
export interface PartitionLog {
  /** The first offset still held (retention and `truncateBefore` advance it). */
  readonly logStartOffset: number
  /** One past the last offset readers may see: records become visible once their append resolves. */
  readonly logEndOffset: number
  /**
   * Appends one batch. Sets `offset` on every record (dense from the current end) before it returns,
   * and resolves with the base offset once the batch is stored as the storage's durability policy says.
   */
  append(records: LogRecord[], bytes: number): MaybePromise<number>
  /**
   * Records from `offset` on, up to about `maxBytes` (at least one batch, as Kafka's fetch does, so a
   * record larger than the budget is still returned). Empty at the log end.
   */
  read(offset: number, maxBytes: number): MaybePromise<LogRecord[]>
  /** The first offset whose timestamp is at or after `timestamp`, or null if there is none. */
  offsetForTimestamp(timestamp: number): MaybePromise<number | null>
  /** Drops records before `offset` (Kafka's DeleteRecords); `logStartOffset` becomes `offset`. */
  truncateBefore(offset: number): MaybePromise<void>
  /**
   * Deletes what retention allows: whole segments (whole batches in memory) older than `retentionMs`
   * or past `retentionBytes`, never the active segment. `logStartOffset` advances past them.
   */
  applyRetention(policy: RetentionPolicy): MaybePromise<void>
  close(): MaybePromise<void>
}

/**
 * Where a bus keeps its logs and metadata. `MemoryStorage` and `FileStorage` implement it and pass
 * the same conformance suite; a custom backend can too.
 *
 * @example
 * ```ts
 * const bus = await Bus.open({ storage: new MemoryStorage() })
 * ```
 */
export interface Storage {
  /** Acquires the storage (locks, recovery) and returns what it already holds. */
  open(): Promise<StorageSnapshot>
  openLog(topic: string, partition: number, config: TopicConfig): Promise<PartitionLog>
  saveTopic(topic: TopicMetadata): Promise<void>
  /** Removes a topic, its logs (already closed by the caller) and every group's offsets for it. */
  deleteTopic(name: string): Promise<void>
  /** Records a group's committed offsets (merged with what is there). */
  saveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void>
  deleteGroup(groupId: string): Promise<void>
  close(): Promise<void>
}

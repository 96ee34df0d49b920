import type { HistogramSnapshot } from '../metrics/histogram'
import type { RecordBatch } from '../record/record-batch'

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
  cleanupPolicy: 'delete' | 'compact' | 'compact,delete'
  /** How long compaction keeps a tombstone (and a transaction marker) after it first kept it. */
  deleteRetentionMs: number
  /** The dirty share of the cleanable log from which compaction runs (0..1). */
  minCleanableDirtyRatio: number
  /** A record stays uncompacted at least this long after its timestamp. */
  minCompactionLagMs: number
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
 * One segment of a partition log, as retention sees it: the unit retention deletes. Memory storage
 * has no files: each batch it stores (small ones appended back to back are joined) is a segment there.
 *
 * @example
 * ```ts
 * for (const s of log.segments()) console.log(s.baseOffset, s.nextOffset, s.sizeBytes)
 * ```
 */
export interface SegmentInfo {
  baseOffset: number
  /** One past the segment's last offset. */
  nextOffset: number
  sizeBytes: number
  /** The largest record timestamp in the segment; -1 when it has none. */
  maxTimestamp: number
}

/**
 * What the core asks of a log's compaction (Kafka's log cleaner for one partition): the topic's
 * settings as of `now`, and the transaction state only the core knows.
 *
 * @example
 * ```ts
 * const request: CompactionRequest = {
 *   now: Date.now(), deleteRetentionMs: 86_400_000, minCleanableDirtyRatio: 0.5, minCompactionLagMs: 0,
 *   lastStableOffset: log.logEndOffset, aborted: () => false,
 * }
 * ```
 */
export interface CompactionRequest {
  now: number
  /** A tombstone or transaction marker goes this long after compaction first kept it. */
  deleteRetentionMs: number
  /** Compact only once the dirty part is at least this share of the cleanable log (0..1). */
  minCleanableDirtyRatio: number
  /** Segments holding a record newer than `now - minCompactionLagMs` are not compacted. */
  minCompactionLagMs: number
  /** Nothing from here on is compacted: an open transaction's records may still be aborted. */
  lastStableOffset: number
  /** Whether the transactional batch of `producerId` at `offset` belongs to an aborted transaction. */
  aborted(producerId: number, offset: number): boolean
  /** Compact whatever the dirty ratio (an explicit `bus.compact()`). */
  force?: boolean
}

/**
 * What one compaction pass did.
 *
 * @example
 * ```ts
 * const result = await log.compact!(request)
 * if (result !== null) console.log(result.removedRecords, result.bytesBefore - result.bytesAfter)
 * ```
 */
export interface CompactionResult {
  /** One past the last offset compacted: the dirty part starts here next time. */
  cleanedTo: number
  removedRecords: number
  bytesBefore: number
  bytesAfter: number
}

/**
 * The log of one partition: batches appended in call order, read back from an offset.
 *
 * **Contract** (every backend passes the shared conformance suite, `test/storage/conformance.ts`):
 * - `append` assigns the batch's base offset synchronously, in call order (`batch.assignBaseOffset`),
 *   before it returns, so that concurrent appends keep their order; the records become visible to
 *   `read` and `logEndOffset` once the returned value settles (after the fsync the policy asks for).
 * - `read(offset)` with `offset` outside `[logStartOffset, logEndOffset]` throws (or rejects with)
 *   `OffsetOutOfRangeError`; at `logEndOffset` it returns `[]`. It returns whole batches, the first one
 *   holding `offset` (records before `offset` in it are the caller's to skip), at least one batch and
 *   otherwise up to about `maxBytes`. Batches are returned as stored and shared: never mutate one.
 * - A batch that cannot be read because it is damaged throws `CorruptLogError` naming its offset; the
 *   batches before it stay readable (a read from an earlier offset returns them and stops before it).
 * - Failures of the medium are `StorageError` (retriable when the same call may succeed later, as
 *   after ENOSPC once space is freed); nothing else leaves a backend.
 * - After `close()` (idempotent), every call throws `ClosedError`.
 *
 * @example
 * ```ts
 * const base = await log.append(batch)        // batch.baseOffset === base
 * const batches = await log.read(base, 1 << 20)
 * ```
 */
export interface PartitionLog {
  /** The first offset still held (retention and `truncateBefore` advance it). */
  readonly logStartOffset: number
  /** One past the last offset readers may see. */
  readonly logEndOffset: number
  /** Bytes held, what `retentionBytes` limits. */
  readonly sizeBytes: number
  /**
   * Appends one batch; resolves with its base offset once it is stored as the durability policy says.
   * A backend may store it joined with the batch before it (memory storage joins small plain ones).
   */
  append(batch: RecordBatch): MaybePromise<number>
  /** Whole batches from the one holding `offset`, up to about `maxBytes` (at least one batch). */
  read(offset: number, maxBytes: number): MaybePromise<readonly RecordBatch[]>
  /** The first offset whose timestamp is at or after `timestamp`, or null if there is none. */
  offsetForTimestamp(timestamp: number): MaybePromise<number | null>
  /** Segments, oldest first; the last one is the active segment (never deleted by retention). */
  segments(): Iterable<SegmentInfo>
  /**
   * Drops records before `offset` (Kafka's DeleteRecords, and retention with a segment boundary):
   * `logStartOffset` becomes `offset`, and whole segments below it are deleted.
   */
  truncateBefore(offset: number): MaybePromise<void>
  /**
   * Kafka's log compaction of the segments before the active one (see `CompactionRequest`): keeps the
   * last record of every key, removes tombstones and markers past their delete horizon and aborted
   * transactions' records, and preserves every surviving record's offset (the removed ones leave gaps,
   * covered by empty batches so that batches still follow on from each other). Reads and appends go on
   * meanwhile; readers see the old or the compacted batches, never a mix within a segment. Resolves
   * with null when nothing was due. A backend without it cannot hold compacted topics.
   */
  compact?(request: CompactionRequest): MaybePromise<CompactionResult | null>
  close(): MaybePromise<void>
}

/**
 * Where a bus keeps its logs and metadata. `MemoryStorage` and `FileStorage` (from `logbus/file`)
 * implement it and pass the same conformance suite; a custom backend (SQLite, IndexedDB/OPFS, …) can
 * too, and may extend `BaseStorage` for the open/closed lifecycle.
 *
 * **Contract**: `open` once (a second open of a storage that is in use throws `LockedError`); every
 * other call before `open` or after `close` throws `ClosedError`; `close` is idempotent and closes
 * every log it opened. Failures of the medium are `StorageError`; nothing else leaves a backend.
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
  /**
   * Removes a topic, its logs (closing any still open, including partitions of a creation that failed
   * halfway, before the topic was saved) and every group's offsets for it.
   */
  deleteTopic(name: string): Promise<void>
  /** Records a group's committed offsets (merged with what is there). */
  saveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void>
  deleteGroup(groupId: string): Promise<void>
  close(): Promise<void>
  /** Optional: the storage's own numbers for `bus.metrics()` (the file log's fsync latency). */
  metrics?(): StorageMetrics
}

/**
 * What a storage may report to `bus.metrics()`.
 *
 * @example
 * ```ts
 * const fsync = new FileStorage({ dir: './data' }).metrics().fsyncLatency
 * ```
 */
export interface StorageMetrics {
  /** Per flush of a file (fdatasync), in seconds. */
  fsyncLatency?: HistogramSnapshot
}

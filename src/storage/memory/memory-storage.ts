import { ClosedError, OffsetOutOfRangeError } from '../../errors'
import type { RecordBatch } from '../../record/record-batch'
import { BaseStorage } from '../base-storage'
import { BatchList } from '../batch-list'
import { cleanableRange } from '../compaction/cleanable'
import { Cleaner } from '../compaction/cleaner'
import type {
  CommittedOffset,
  CompactionRequest,
  CompactionResult,
  PartitionLog,
  SegmentInfo,
  StorageSnapshot,
  TopicConfig,
  TopicMetadata,
} from '../storage'
import { ColumnStore, JOIN_BYTES } from './column-store'

/** A partition's data, which outlives a bus: the next bus on the same MemoryStorage sees it. */
interface MemoryLogData {
  readonly batches: BatchList
  readonly columns: ColumnStore
  start: number
  end: number
  /** Where compaction's dirty part starts: what it has not compacted yet. */
  firstDirty: number
  /** The earliest delete horizon compaction left on a batch; -1 for none. */
  nextHorizon: number
  /** How large a stored batch may grow by joining the next appended one; 0 never joins. */
  joinBytes: number
}

/**
 * Small batches appended back to back are joined up to the topic's segment size (a stored batch is
 * this storage's segment) and at most `JOIN_BYTES`. Not on a compacted topic: compaction never cleans
 * the newest segment, and a compacted topic is kept at its producers' batches so that it stays about
 * as small as its keys.
 */
function joinBytesFor(config: TopicConfig): number {
  return config.cleanupPolicy === 'delete' ? Math.min(JOIN_BYTES, config.segmentBytes) : 0
}

/**
 * Batches are kept as producers made them, nothing serialised, nothing copied, except that small
 * plain batches appended back to back are joined into one stored batch (see `joinBytesFor`).
 */
class MemoryPartitionLog implements PartitionLog {
  #closed = false

  constructor(
    readonly topic: string,
    private readonly partition: number,
    private readonly data: MemoryLogData,
  ) {}

  get logStartOffset(): number {
    this.#assertOpen()
    return this.data.start
  }

  get logEndOffset(): number {
    this.#assertOpen()
    return this.data.end
  }

  get sizeBytes(): number {
    this.#assertOpen()
    return this.data.batches.bytes
  }

  append(batch: RecordBatch): number {
    this.#assertOpen()
    const data = this.data
    const base = data.end
    batch.assignBaseOffset(base)
    const kept = data.columns.keep(batch)
    const last = data.batches.last
    const joined =
      last === undefined || data.joinBytes === 0 ? undefined : data.columns.join(last, kept, data.joinBytes)
    if (joined === undefined) data.batches.push(kept)
    else data.batches.replaceLast(joined)
    data.end = batch.nextOffset
    return base
  }

  read(offset: number, maxBytes: number): readonly RecordBatch[] {
    this.#assertOpen()
    const data = this.data
    if (offset < data.start || offset > data.end) {
      throw new OffsetOutOfRangeError(this.topic, this.partition, offset)
    }
    if (offset === data.end) return []
    return data.batches.from(offset, maxBytes)
  }

  offsetForTimestamp(timestamp: number): number | null {
    this.#assertOpen()
    const start = this.data.start
    for (const batch of this.data.batches) {
      if (batch.maxTimestamp < timestamp || batch.nextOffset <= start) continue
      const timestamps = batch.timestamps
      const deltas = batch.offsetDeltas
      const at = batch.columnStart
      for (let i = 0; i < batch.count; i++) {
        const offset = batch.baseOffset + (deltas === null ? i : deltas[at + i]!)
        if (
          offset >= start &&
          (timestamps === null ? batch.firstTimestamp : timestamps[at + i]!) >= timestamp
        ) {
          return offset
        }
      }
    }
    return null
  }

  *segments(): IterableIterator<SegmentInfo> {
    this.#assertOpen()
    for (const batch of this.data.batches) yield segmentOf(batch)
  }

  truncateBefore(offset: number): void {
    this.#assertOpen()
    const data = this.data
    if (offset <= data.start) return
    if (offset > data.end) throw new OffsetOutOfRangeError(this.topic, this.partition, offset)
    data.start = offset
    while (data.batches.length > 0 && data.batches.first!.nextOffset <= offset) {
      data.columns.release(data.batches.shift()!)
    }
  }

  /** Compaction over the batches before the newest (each stored batch is a segment here), synchronously. */
  compact(request: CompactionRequest): CompactionResult | null {
    this.#assertOpen()
    const data = this.data
    const batches = [...data.batches]
    const range = cleanableRange(batches.map(segmentOf), data.firstDirty, data.nextHorizon, request)
    if (range === null) return null
    const cleanable = batches.slice(0, range.segments)
    const cleaner = new Cleaner(request)
    for (const batch of cleanable) if (batch.baseOffset >= range.firstDirty) cleaner.index(batch)
    const cleaned = cleaner.clean(cleanable, cleanable[0]!.baseOffset, range.end)
    const bytesBefore = data.batches.bytes
    data.batches.replaceFirst(cleanable.length, cleaned)
    const kept = new Set(cleaned)
    for (const batch of cleanable) if (!kept.has(batch)) data.columns.release(batch)
    data.firstDirty = range.end
    data.nextHorizon = cleaner.nextHorizon
    return {
      cleanedTo: range.end,
      removedRecords: cleaner.removedRecords,
      bytesBefore,
      bytesAfter: data.batches.bytes,
    }
  }

  close(): void {
    this.#closed = true
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError(`The log of ${this.topic}-${this.partition}`)
  }
}

/** A batch as a segment: memory storage has no files, each stored (perhaps joined) batch is one. */
function segmentOf(batch: RecordBatch): SegmentInfo {
  return {
    baseOffset: batch.baseOffset,
    nextOffset: batch.nextOffset,
    sizeBytes: batch.sizeBytes,
    maxTimestamp: batch.maxTimestamp,
  }
}

/**
 * Storage in the process's memory: the embedded default. Nothing survives the process, but the data
 * survives a `Bus` closing: a new `Bus` opened on the same `MemoryStorage` instance sees the topics,
 * records and committed offsets of the last one (handy to test restarts).
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage()
 * const bus = await Bus.open({ storage })
 * ```
 */
export class MemoryStorage extends BaseStorage {
  readonly #topics = new Map<string, TopicMetadata>()
  /** Topic → partition → data. */
  readonly #data = new Map<string, Map<number, MemoryLogData>>()
  readonly #open = new Set<MemoryPartitionLog>()
  readonly #groups = new Map<string, Map<string, CommittedOffset>>()

  /**
   * An empty memory storage.
   *
   * @example
   * ```ts
   * const storage = new MemoryStorage()
   * ```
   */
  constructor() {
    super('memory storage')
  }

  protected async doOpen(): Promise<StorageSnapshot> {
    // fromEntries, not assignment: a group may be called "__proto__".
    const groups: Record<string, CommittedOffset[]> = Object.fromEntries(
      [...this.#groups].map(([groupId, offsets]) => [groupId, [...offsets.values()].map((o) => ({ ...o }))]),
    )
    return { topics: [...this.#topics.values()].map((t) => structuredClone(t)), groups }
  }

  protected async doOpenLog(topic: string, partition: number, config: TopicConfig): Promise<PartitionLog> {
    let partitions = this.#data.get(topic)
    if (partitions === undefined) {
      partitions = new Map()
      this.#data.set(topic, partitions)
    }
    let data = partitions.get(partition)
    if (data === undefined) {
      data = {
        batches: new BatchList(),
        columns: new ColumnStore(),
        start: 0,
        end: 0,
        firstDirty: 0,
        nextHorizon: -1,
        joinBytes: 0,
      }
      partitions.set(partition, data)
    }
    data.joinBytes = joinBytesFor(config)
    const log = new MemoryPartitionLog(topic, partition, data)
    this.#open.add(log)
    return log
  }

  protected async doSaveTopic(topic: TopicMetadata): Promise<void> {
    this.#topics.set(topic.name, structuredClone(topic))
    // A changed config (a topic that became compacted, a smaller segment) applies to the next append.
    const joinBytes = joinBytesFor(topic.config)
    for (const data of this.#data.get(topic.name)?.values() ?? []) data.joinBytes = joinBytes
  }

  protected async doDeleteTopic(name: string): Promise<void> {
    this.#topics.delete(name)
    this.#data.delete(name)
    for (const log of this.#open) if (log.topic === name) log.close()
    for (const [groupId, offsets] of this.#groups) {
      for (const [key, committed] of offsets) if (committed.topic === name) offsets.delete(key)
      if (offsets.size === 0) this.#groups.delete(groupId)
    }
  }

  protected async doSaveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void> {
    if (offsets.length === 0) return
    let stored = this.#groups.get(groupId)
    if (stored === undefined) {
      stored = new Map()
      this.#groups.set(groupId, stored)
    }
    for (const o of offsets) stored.set(`${o.topic}\u0000${o.partition}`, { ...o })
  }

  protected async doDeleteGroup(groupId: string): Promise<void> {
    this.#groups.delete(groupId)
  }

  protected async doClose(): Promise<void> {
    for (const log of this.#open) log.close()
    this.#open.clear()
  }
}

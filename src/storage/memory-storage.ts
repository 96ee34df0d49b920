import { LockedError, OffsetOutOfRangeError } from '../errors'
import type { LogRecord } from '../record/log-record'
import type {
  CommittedOffset,
  PartitionLog,
  RetentionPolicy,
  Storage,
  StorageSnapshot,
  TopicConfig,
  TopicMetadata,
} from './storage'

interface MemoryBatch {
  baseOffset: number
  records: LogRecord[]
  bytes: number
  maxTimestamp: number
}

const DROPPED: MemoryBatch = Object.freeze({ baseOffset: -1, records: [], bytes: 0, maxTimestamp: -1 })

/** Batches are stored as they were appended; records are the very objects producers created. */
class MemoryPartitionLog implements PartitionLog {
  private batches: MemoryBatch[] = []
  /** Index of the first live batch; dropped batches are compacted away in bulk, not shifted one by one. */
  private head = 0
  private start = 0
  private end = 0
  /** Bytes of the live batches, as producers counted them. */
  private bytes = 0

  constructor(
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  get logStartOffset(): number {
    return this.start
  }

  get logEndOffset(): number {
    return this.end
  }

  append(records: LogRecord[], bytes: number): number {
    const baseOffset = this.end
    let maxTimestamp = -1
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      record.offset = baseOffset + i
      if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp
    }
    this.batches.push({ baseOffset, records, bytes, maxTimestamp })
    this.bytes += bytes
    this.end = baseOffset + records.length
    return baseOffset
  }

  read(offset: number, maxBytes: number): LogRecord[] {
    if (offset < this.start || offset > this.end) {
      throw new OffsetOutOfRangeError(this.topic, this.partition, offset)
    }
    if (offset === this.end) return []
    let index = this.batchIndexOf(offset)
    const first = this.batches[index]!
    if (first.baseOffset === offset && (first.bytes >= maxBytes || index === this.batches.length - 1)) {
      return first.records
    }
    const out: LogRecord[] = []
    let bytes = 0
    for (; index < this.batches.length && (bytes === 0 || bytes < maxBytes); index++) {
      const batch = this.batches[index]!
      const records = batch.records
      for (let i = offset > batch.baseOffset ? offset - batch.baseOffset : 0; i < records.length; i++) {
        out.push(records[i]!)
      }
      bytes += batch.bytes
    }
    return out
  }

  offsetForTimestamp(timestamp: number): number | null {
    for (let b = this.head; b < this.batches.length; b++) {
      for (const record of this.batches[b]!.records) {
        if (record.offset >= this.start && record.timestamp >= timestamp) return record.offset
      }
    }
    return null
  }

  truncateBefore(offset: number): void {
    if (offset <= this.start) return
    if (offset > this.end) throw new OffsetOutOfRangeError(this.topic, this.partition, offset)
    this.start = offset
    while (this.head < this.batches.length) {
      const batch = this.batches[this.head]!
      if (batch.baseOffset + batch.records.length > offset) break
      this.dropHead()
    }
  }

  /**
   * Memory has no segments: whole batches are what retention deletes, oldest first, and the newest
   * batch stays, as file storage keeps its active segment.
   */
  applyRetention({ now, retentionMs, retentionBytes }: RetentionPolicy): void {
    while (this.head < this.batches.length - 1) {
      const oldest = this.batches[this.head]!
      const expired = retentionMs !== null && oldest.maxTimestamp < now - retentionMs
      const oversized = retentionBytes !== null && this.bytes - oldest.bytes >= retentionBytes
      if (!expired && !oversized) break
      this.dropHead()
      this.start = Math.max(this.start, oldest.baseOffset + oldest.records.length)
    }
  }

  private dropHead(): void {
    this.bytes -= this.batches[this.head]!.bytes
    // Cleared at once, so dropped records are garbage now, not when the array is next compacted.
    this.batches[this.head] = DROPPED
    this.head++
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head)
      this.head = 0
    }
  }

  close(): void {}

  /** Binary search for the batch holding `offset` (which is within [start, end)). */
  private batchIndexOf(offset: number): number {
    let lo = this.head
    let hi = this.batches.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.batches[mid]!.baseOffset <= offset) lo = mid
      else hi = mid - 1
    }
    return lo
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
export class MemoryStorage implements Storage {
  private readonly topics = new Map<string, TopicMetadata>()
  private readonly logs = new Map<string, MemoryPartitionLog>()
  private readonly groups = new Map<string, Map<string, CommittedOffset>>()
  private opened = false

  async open(): Promise<StorageSnapshot> {
    if (this.opened) throw new LockedError('memory storage')
    this.opened = true
    const groups: Record<string, CommittedOffset[]> = {}
    for (const [groupId, offsets] of this.groups) groups[groupId] = [...offsets.values()]
    return { topics: [...this.topics.values()].map((t) => structuredClone(t)), groups }
  }

  async openLog(topic: string, partition: number, _config: TopicConfig): Promise<PartitionLog> {
    const key = `${topic}-${partition}`
    let log = this.logs.get(key)
    if (log === undefined) {
      log = new MemoryPartitionLog(topic, partition)
      this.logs.set(key, log)
    }
    return log
  }

  async saveTopic(topic: TopicMetadata): Promise<void> {
    this.topics.set(topic.name, structuredClone(topic))
  }

  async deleteTopic(name: string): Promise<void> {
    const topic = this.topics.get(name)
    this.topics.delete(name)
    if (topic !== undefined) {
      for (let p = 0; p < topic.config.partitions; p++) this.logs.delete(`${name}-${p}`)
    }
    for (const [groupId, offsets] of this.groups) {
      for (const [key, committed] of offsets) if (committed.topic === name) offsets.delete(key)
      if (offsets.size === 0) this.groups.delete(groupId)
    }
  }

  async saveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void> {
    if (offsets.length === 0) return
    let stored = this.groups.get(groupId)
    if (stored === undefined) {
      stored = new Map()
      this.groups.set(groupId, stored)
    }
    for (const o of offsets) stored.set(`${o.topic}-${o.partition}`, { ...o })
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.groups.delete(groupId)
  }

  async close(): Promise<void> {
    this.opened = false
  }
}

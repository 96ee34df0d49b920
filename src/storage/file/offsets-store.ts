import { CorruptLogError } from '../../errors'
import { nullable, RAW, string } from '../../record/codec'
import { RecordBatch } from '../../record/record-batch'
import type { CommittedOffset } from '../storage'
import {
  type FileLogOptions,
  FilePartitionLog,
  type FsyncPolicy,
  type LogServices,
} from './file-partition-log'
import { fsyncDirectory } from './file-system'
import { OFFSETS_DIR, OFFSETS_TOPIC } from './paths'
import type { PartitionState } from './recovery'

/** Rewrite the offsets log at open once it holds this many times more records than live offsets. */
const COMPACT_RATIO = 4
const COMPACT_MIN_RECORDS = 10_000
const SEGMENT_BYTES = 64 << 20
const READ_BYTES = 1 << 20
const COPY_BATCH = 1000
const KEY_CODEC = string()
const VALUE_CODEC = nullable(string())

interface StoredOffset extends CommittedOffset {
  groupId: string
}

/** One entry of the offsets log: a group's offset for a partition, or null when it was removed. */
interface OffsetEntry {
  groupId: string
  topic: string
  partition: number
  offset: number | null
}

/**
 * Committed group offsets, kept as Kafka keeps `__consumer_offsets`: an append-only log of
 * RecordBatch v2 records (key `[groupId, topic, partition]` as JSON, value the offset as text, null
 * for a removal), replayed into memory at open and compacted then when it holds mostly superseded
 * commits.
 *
 * @example
 * ```ts
 * const store = OffsetsStore.open(services, `${dir}/__logbus`, 'always', clean, onClose)
 * await store.save([{ groupId: 'billing', topic: 'orders', partition: 0, offset: 42 }])
 * ```
 */
export class OffsetsStore {
  readonly #offsets = new Map<string, StoredOffset>()

  #log: FilePartitionLog

  private constructor(log: FilePartitionLog) {
    this.#log = log
  }

  /** Opens (and replays, and if worth it compacts) the offsets log in `metaDir`. */
  static async open(
    services: LogServices,
    metaDir: string,
    fsync: FsyncPolicy,
    clean: PartitionState | undefined,
    onClose: (state: PartitionState | undefined) => void,
  ): Promise<OffsetsStore> {
    const { fs } = services
    const dir = `${metaDir}/${OFFSETS_DIR}`
    const compacting = `${dir}.compacting`
    // A crash between the two renames of a compaction leaves the finished copy under its temporary name.
    if (!fs.existsSync(dir) && fs.existsSync(compacting)) fs.renameSync(compacting, dir)
    fs.rmSync(compacting)
    fs.rmSync(`${dir}.old`)
    const options = (path: string, policy: FsyncPolicy, state?: PartitionState): FileLogOptions => ({
      dir: path,
      topic: OFFSETS_TOPIC,
      partition: 0,
      segmentBytes: SEGMENT_BYTES,
      fsync: policy,
      // Read once, at open: a read cache would hold every commit of the process's life.
      readCacheBytes: 0,
      clean: state,
      onClose,
    })
    const store = new OffsetsStore(FilePartitionLog.open(services, options(dir, fsync, clean)))
    try {
      const count = store.#replay()
      if (count >= COMPACT_MIN_RECORDS && count > COMPACT_RATIO * store.#offsets.size) {
        await store.#compact(services, metaDir, (path, policy) => options(path, policy))
        store.#log = FilePartitionLog.open(services, options(dir, fsync))
      }
    } catch (error) {
      await store.#log.close().catch(() => undefined)
      throw error
    }
    return store
  }

  /** Every group's committed offsets. */
  groups(): Record<string, CommittedOffset[]> {
    const groups: Record<string, CommittedOffset[]> = {}
    for (const { groupId, topic, partition, offset } of this.#offsets.values()) {
      const list = groups[groupId] ?? []
      list.push({ topic, partition, offset })
      groups[groupId] = list
    }
    return groups
  }

  save(groupId: string, offsets: readonly CommittedOffset[]): Promise<void> {
    return this.#append(
      offsets.map((o) => ({ groupId, topic: o.topic, partition: o.partition, offset: o.offset })),
    )
  }

  deleteGroup(groupId: string): Promise<void> {
    return this.#removeWhere((o) => o.groupId === groupId)
  }

  deleteTopic(topic: string): Promise<void> {
    return this.#removeWhere((o) => o.topic === topic)
  }

  close(): Promise<void> {
    return this.#log.close()
  }

  #removeWhere(doomed: (offset: StoredOffset) => boolean): Promise<void> {
    const gone = [...this.#offsets.values()].filter(doomed)
    return this.#append(gone.map((o) => ({ ...o, offset: null })))
  }

  async #append(entries: OffsetEntry[]): Promise<void> {
    if (entries.length === 0) return
    await this.#log.append(offsetBatch(entries))
    for (const entry of entries) this.#apply(keyOf(entry), entry.offset)
  }

  /** Loads every entry of the log; damage (reported by the log) skips the entries it covers. */
  #replay(): number {
    const log = this.#log
    let count = 0
    let offset = log.logStartOffset
    while (offset < log.logEndOffset) {
      let batches: readonly RecordBatch[]
      try {
        batches = log.read(offset, READ_BYTES)
      } catch (error) {
        const damage = error instanceof CorruptLogError ? log.damageAt(offset) : undefined
        if (damage === undefined || damage.toOffset === null) throw error
        // An older commit of those partitions (if any) stands: at worst a group reads records again.
        offset = damage.toOffset
        continue
      }
      if (batches.length === 0) break
      for (const batch of batches) {
        const keys = batch.keysIn(RAW)
        const values = batch.valuesIn(RAW)
        for (let i = 0; i < batch.count; i++) {
          const key = keys.items[keys.start + i] as Buffer | null | undefined
          if (key === null || key === undefined) continue
          const value = values.items[values.start + i] as Buffer | null | undefined
          this.#apply(
            key.toString('utf8'),
            value === null || value === undefined ? null : Number(value.toString('utf8')),
          )
          count++
        }
      }
      offset = batches.at(-1)!.nextOffset
    }
    return count
  }

  #apply(key: string, offset: number | null): void {
    if (offset === null) {
      this.#offsets.delete(key)
      return
    }
    const [groupId, topic, partition] = JSON.parse(key) as [string, string, number]
    this.#offsets.set(key, { groupId, topic, partition, offset })
  }

  /**
   * Writes the live offsets to a copy, makes it durable, then swaps it in with two renames (a crash in
   * between is finished at the next open).
   */
  async #compact(
    services: LogServices,
    metaDir: string,
    options: (path: string, policy: FsyncPolicy) => FileLogOptions,
  ): Promise<void> {
    const { fs } = services
    const dir = `${metaDir}/${OFFSETS_DIR}`
    const compacting = `${dir}.compacting`
    await this.#log.close()
    // Flushed once, when it closes: it replaces the original only after that.
    const copy = FilePartitionLog.open(services, { ...options(compacting, 'never'), onClose: undefined })
    const live = [...this.#offsets.values()]
    for (let i = 0; i < live.length; i += COPY_BATCH) copy.append(offsetBatch(live.slice(i, i + COPY_BATCH)))
    await copy.close()
    fsyncDirectory(fs, compacting)
    fs.renameSync(dir, `${dir}.old`)
    fs.renameSync(compacting, dir)
    fsyncDirectory(fs, metaDir)
    fs.rmSync(`${dir}.old`)
  }
}

function keyOf(entry: { groupId: string; topic: string; partition: number }): string {
  return JSON.stringify([entry.groupId, entry.topic, entry.partition])
}

function offsetBatch(entries: readonly OffsetEntry[]): RecordBatch {
  const now = Date.now()
  const keys = entries.map(keyOf)
  const values = entries.map((e) => (e.offset === null ? null : String(e.offset)))
  let size = 0
  for (let i = 0; i < keys.length; i++) size += keys[i]!.length + (values[i]?.length ?? 0) + 16
  return RecordBatch.fromColumns(
    { keyCodec: KEY_CODEC, valueCodec: VALUE_CODEC },
    { keys, values, headers: null, timestamps: null, offsetDeltas: null, start: 0 },
    { count: entries.length, firstTimestamp: now, maxTimestamp: now, sizeBytes: size },
  )
}

import { readBatchHeader } from '../../record/v2/layout'
import { CachedFile, type DescriptorCache } from './descriptor-cache'
import type { FileSystem } from './file-system'

/** Kafka's log.index.interval.bytes: one index entry per this many bytes of log. */
export const INDEX_INTERVAL_BYTES = 4096
const INDEX_ENTRY_BYTES = 8
const HEADER_PROBE_BYTES = 61

/**
 * Kafka's segment file name: the base offset, zero-padded to 20 digits.
 *
 * @example
 * ```ts
 * segmentName(42) // '00000000000000000042'
 * ```
 */
export function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0')
}

/** The base offsets of the `.log` files in a partition directory's listing, in order. */
export function segmentBases(entries: readonly string[]): number[] {
  return entries
    .filter((name) => /^\d{20}\.log$/.test(name))
    .map((name) => Number(name.slice(0, 20)))
    .sort((a, b) => a - b)
}

/**
 * What the clean-shutdown marker records of a segment, so that a clean reopen scans nothing.
 *
 * @example
 * ```ts
 * const state: SegmentState = { baseOffset: 0, size: 4096, nextOffset: 40, maxTimestamp: 1_700_000_000_000 }
 * ```
 */
export interface SegmentState {
  baseOffset: number
  size: number
  nextOffset: number
  maxTimestamp: number
  /** Damage known in the segment (absent when there is none). */
  damaged?: DamagedRange[]
}

/**
 * Bytes of a segment that hold no readable batch where one must be: reads of the offsets they cover
 * throw CorruptLogError; the batches around them stay readable. Found by a recovery scan or when a read
 * meets them.
 */
export interface DamagedRange {
  position: number
  /** Where the next valid batch starts (the end of the file if none does). */
  end: number
  /** The first offset the range covers: the one expected at `position`. */
  fromOffset: number
  /** The base offset of the next valid batch; null when none follows in this segment. */
  toOffset: number | null
  reason: string
  /** What a crash leaves at the end of a file: a batch cut short, or zeros. */
  torn: boolean
}

/**
 * One `.log` file of RecordBatch v2 batches and its sparse `.index` (Kafka's OffsetIndex layout:
 * entries of the batch's last offset relative to the segment base, int32, and the batch's byte
 * position, int32). The index lives in memory and is written to disk when the segment rolls or the
 * log closes; after a crash it is rebuilt by the recovery scan. The descriptor is the cache's: open
 * while the segment is in use, closed when others need it.
 */
export class Segment {
  readonly logPath: string
  readonly indexPath: string
  readonly file: CachedFile
  size = 0
  nextOffset: number
  maxTimestamp = -1
  /** Bytes known to be on disk (flushed, or found there at open): a failed flush cuts back to it. */
  durableSize = 0
  /** The in-memory index differs from the `.index` file. */
  indexDirty = true
  damaged: DamagedRange[] = []
  private indexOffsets: number[] = []
  private indexPositions: number[] = []
  private bytesSinceIndex = 0

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    flags: 'r+' | 'r' = 'r+',
  ) {
    const name = segmentName(baseOffset)
    this.logPath = `${dir}/${name}.log`
    this.indexPath = `${dir}/${name}.index`
    this.file = new CachedFile(this.logPath, flags)
    this.nextOffset = baseOffset
  }

  /** Bytes written that no flush covered yet. */
  get unsynced(): boolean {
    return this.size > this.durableSize
  }

  /** Forgets the index and what the segment holds, before a scan rebuilds them. */
  reset(): void {
    this.indexOffsets = []
    this.indexPositions = []
    this.bytesSinceIndex = 0
    this.size = 0
    this.nextOffset = this.baseOffset
    this.maxTimestamp = -1
    this.damaged = []
    this.indexDirty = true
  }

  /** Accounts for a batch written (or found) at `position`. */
  addBatch(position: number, size: number, lastOffset: number, maxTimestamp: number): void {
    if (this.bytesSinceIndex >= INDEX_INTERVAL_BYTES || this.indexOffsets.length === 0) {
      this.indexOffsets.push(lastOffset - this.baseOffset)
      this.indexPositions.push(position)
      this.bytesSinceIndex = 0
    }
    this.bytesSinceIndex += size
    this.indexDirty = true
    this.size = position + size
    this.nextOffset = lastOffset + 1
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp
  }

  /** The next batch gets an index entry of its own: the first one after a damaged range does. */
  indexNextBatch(): void {
    this.bytesSinceIndex = INDEX_INTERVAL_BYTES
  }

  /**
   * Where a forward scan for `offset` starts: the last indexed batch that ends before it (`lastOffset`
   * is that batch's last offset, which the batch found there must end at), or the segment start.
   */
  lookup(offset: number): { position: number; lastOffset: number | null } {
    const relative = offset - this.baseOffset
    const offsets = this.indexOffsets
    let lo = 0
    let hi = offsets.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (offsets[mid]! < relative) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    if (found === -1) return { position: 0, lastOffset: null }
    return { position: this.indexPositions[found]!, lastOffset: this.baseOffset + offsets[found]! }
  }

  /** The damaged range holding `offset`, if one does. */
  damageAt(offset: number): DamagedRange | undefined {
    for (const range of this.damaged) {
      if (offset >= range.fromOffset && (range.toOffset === null || offset < range.toOffset)) return range
    }
    return undefined
  }

  /** The damaged range that starts at byte `position`, if one does. */
  damageStartingAt(position: number): DamagedRange | undefined {
    for (const range of this.damaged) if (range.position === position) return range
    return undefined
  }

  /** Writes the `.index` file (not flushed: a crash makes recovery rebuild it). */
  writeIndex(fs: FileSystem): void {
    const buf = Buffer.allocUnsafe(this.indexOffsets.length * INDEX_ENTRY_BYTES)
    for (let i = 0; i < this.indexOffsets.length; i++) {
      buf.writeInt32BE(this.indexOffsets[i]!, i * INDEX_ENTRY_BYTES)
      buf.writeInt32BE(this.indexPositions[i]!, i * INDEX_ENTRY_BYTES + 4)
    }
    fs.writeFileSync(this.indexPath, buf)
    this.indexDirty = false
  }

  /**
   * Loads the `.index` file when it agrees with the log: whole entries, increasing offsets and
   * positions inside the segment, and the last entry pointing at a batch that ends at that offset.
   * Returns false (and keeps no entry) when it disagrees, so the caller rebuilds it.
   */
  loadIndex(fs: FileSystem, files: DescriptorCache): boolean {
    let buf: Buffer
    try {
      buf = fs.readFileSync(this.indexPath)
    } catch {
      return false
    }
    if (buf.length % INDEX_ENTRY_BYTES !== 0) return false
    const offsets: number[] = []
    const positions: number[] = []
    for (let p = 0; p < buf.length; p += INDEX_ENTRY_BYTES) {
      const offset = buf.readInt32BE(p)
      const position = buf.readInt32BE(p + 4)
      if (position < 0 || position >= this.size || offset < 0 || this.baseOffset + offset >= this.nextOffset)
        return false
      if (offsets.length > 0 && (offset <= offsets.at(-1)! || position <= positions.at(-1)!)) return false
      offsets.push(offset)
      positions.push(position)
    }
    if (offsets.length === 0 && this.size > 0) return false
    if (offsets.length > 0) {
      const header = Buffer.allocUnsafe(HEADER_PROBE_BYTES)
      const read = fs.readSync(files.fd(this.file), header, 0, HEADER_PROBE_BYTES, positions.at(-1)!)
      if (read !== HEADER_PROBE_BYTES) return false
      const h = readBatchHeader(header, 0)
      if (h.magic !== 2 || h.baseOffset + h.lastOffsetDelta !== this.baseOffset + offsets.at(-1)!)
        return false
    }
    this.indexOffsets = offsets
    this.indexPositions = positions
    this.bytesSinceIndex = INDEX_INTERVAL_BYTES
    this.indexDirty = false
    return true
  }

  toState(): SegmentState {
    const state: SegmentState = {
      baseOffset: this.baseOffset,
      size: this.size,
      nextOffset: this.nextOffset,
      maxTimestamp: this.maxTimestamp,
    }
    if (this.damaged.length > 0) state.damaged = this.damaged.map((range) => ({ ...range }))
    return state
  }
}

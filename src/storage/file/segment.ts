import { CorruptLogError } from '../../errors'
import type { FileSystem } from './file-system'
import { BATCH_HEADER_BYTES, checkBatch, readBatchHeader } from './record-batch'

/** Kafka's log.index.interval.bytes: one index entry per this many bytes of log. */
export const INDEX_INTERVAL_BYTES = 4096
const INDEX_ENTRY_BYTES = 8
/** Reads during scans go this far at a time, so a scan costs one syscall per chunk, not per batch. */
const SCAN_CHUNK_BYTES = 1 << 20
const LOG_OVERHEAD = 12
const MAGIC_OFFSET = 16

/** Kafka's segment file name: the base offset, zero-padded to 20 digits. */
export function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0')
}

/** What the clean-shutdown marker records of a segment, so that a clean reopen scans nothing. */
export interface SegmentState {
  baseOffset: number
  size: number
  nextOffset: number
  maxTimestamp: number
}

/** The outcome of scanning a segment: where valid data ends and, if it ended early, why. */
export interface ScanResult {
  validEnd: number
  failure: string | undefined
}

/**
 * One `.log` file of RecordBatch v2 batches and its sparse `.index` (Kafka's OffsetIndex layout:
 * entries of the batch's last offset relative to the segment base, int32, and the batch's byte
 * position, int32). The index lives in memory and is written to disk when the segment rolls or the
 * log closes; after a crash it is rebuilt by the recovery scan.
 */
export class Segment {
  readonly logPath: string
  readonly indexPath: string
  size = 0
  nextOffset: number
  maxTimestamp = -1
  /** Bytes appended since the last fsync. */
  dirty = false
  /** Bytes known to be on disk (fsynced, or found there at open): a failed fsync cuts back to it. */
  durableSize = 0
  /** The in-memory index differs from the `.index` file. */
  indexDirty = true
  private indexOffsets: number[] = []
  private indexPositions: number[] = []
  private bytesSinceIndex = 0

  constructor(
    private readonly fs: FileSystem,
    dir: string,
    readonly baseOffset: number,
    readonly fd: number,
  ) {
    const name = segmentName(baseOffset)
    this.logPath = `${dir}/${name}.log`
    this.indexPath = `${dir}/${name}.index`
    this.nextOffset = baseOffset
  }

  /** Accounts for a batch written at `position`. */
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

  /** A byte position from which a forward scan reaches `offset`: the last indexed batch ending before it. */
  lookup(offset: number): number {
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
    return found === -1 ? 0 : this.indexPositions[found]!
  }

  writeIndex(): void {
    const buf = Buffer.allocUnsafe(this.indexOffsets.length * INDEX_ENTRY_BYTES)
    for (let i = 0; i < this.indexOffsets.length; i++) {
      buf.writeInt32BE(this.indexOffsets[i]!, i * INDEX_ENTRY_BYTES)
      buf.writeInt32BE(this.indexPositions[i]!, i * INDEX_ENTRY_BYTES + 4)
    }
    this.fs.writeFileSync(this.indexPath, buf)
    this.indexDirty = false
  }

  /**
   * Loads the `.index` file when it agrees with the log: whole entries, increasing offsets and
   * positions inside the segment, and the last entry pointing at a batch that ends at that offset.
   * Returns false (and keeps no entry) when it disagrees, so the caller rebuilds it.
   */
  loadIndex(): boolean {
    let buf: Buffer
    try {
      buf = this.fs.readFileSync(this.indexPath)
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
      const header = Buffer.allocUnsafe(BATCH_HEADER_BYTES)
      if (this.fs.readSync(this.fd, header, 0, BATCH_HEADER_BYTES, positions.at(-1)!) !== BATCH_HEADER_BYTES)
        return false
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

  /**
   * Reads the segment from the start, checking every batch (with its CRC when `verifyCrc`) and that
   * offsets continue from the base offset, and rebuilds the index, size, next offset and max timestamp.
   * Stops at the first batch that fails; `validEnd` is where it starts.
   */
  scan(fileSize: number, verifyCrc: boolean): ScanResult {
    this.indexOffsets = []
    this.indexPositions = []
    this.bytesSinceIndex = 0
    this.size = 0
    this.nextOffset = this.baseOffset
    this.maxTimestamp = -1
    let position = 0
    let chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, Math.max(fileSize, 1)))
    while (position < fileSize) {
      const length = Math.min(chunk.length, fileSize - position)
      const read = this.fs.readSync(this.fd, chunk, 0, length, position)
      let p = 0
      while (p + BATCH_HEADER_BYTES <= read) {
        const size = LOG_OVERHEAD + chunk.readInt32BE(p + 8)
        if (size < BATCH_HEADER_BYTES)
          return this.stop(position + p, `batchLength ${size - LOG_OVERHEAD} is too small`)
        if (position + p + size > fileSize)
          return this.stop(position + p, 'the batch runs past the end of the file')
        if (p + size > read) break
        const failure = verifyCrc ? checkOrReason(chunk, p, p + size) : headerReason(chunk, p)
        if (failure !== undefined) return this.stop(position + p, failure)
        const header = readBatchHeader(chunk, p)
        if (header.baseOffset !== this.nextOffset) {
          return this.stop(
            position + p,
            `base offset ${header.baseOffset} where ${this.nextOffset} was expected`,
          )
        }
        this.addBatch(position + p, size, header.baseOffset + header.lastOffsetDelta, header.maxTimestamp)
        p += size
      }
      if (p === 0) {
        // A batch larger than the chunk (or a header cut by the file end): read it whole.
        if (fileSize - position < BATCH_HEADER_BYTES) return this.stop(position, 'a partial batch header')
        const header = Buffer.allocUnsafe(12)
        this.fs.readSync(this.fd, header, 0, 12, position)
        const size = LOG_OVERHEAD + header.readInt32BE(8)
        if (size < BATCH_HEADER_BYTES || position + size > fileSize) {
          return this.stop(position, 'a batch that runs past the end of the file')
        }
        chunk = Buffer.allocUnsafe(size)
        continue
      }
      position += p
    }
    return { validEnd: position, failure: undefined }
  }

  /**
   * After a scan failed at `position`: whether a valid batch with a later offset follows it anywhere
   * in the file. If one does, the failure is corruption inside the log, not a torn tail.
   */
  validBatchAfter(position: number, fileSize: number): number | undefined {
    const tail = Buffer.allocUnsafe(fileSize - position)
    let read = 0
    while (read < tail.length) {
      const n = this.fs.readSync(this.fd, tail, read, tail.length - read, position + read)
      if (n === 0) break
      read += n
    }
    for (let p = 1; p + BATCH_HEADER_BYTES <= read; p++) {
      if (tail[p + MAGIC_OFFSET] !== 2) continue
      const size = LOG_OVERHEAD + tail.readInt32BE(p + 8)
      if (size < BATCH_HEADER_BYTES || p + size > read) continue
      const baseOffset = Number(tail.readBigInt64BE(p))
      if (baseOffset < this.nextOffset) continue
      if (checkBatch(tail, p, p + size).ok) return position + p
    }
    return undefined
  }

  /** Throws CorruptLogError when a batch that must be valid (already acknowledged, mid-log) is not. */
  corrupt(position: number, reason: string): never {
    throw new CorruptLogError(this.logPath, position, reason)
  }

  toState(): SegmentState {
    return {
      baseOffset: this.baseOffset,
      size: this.size,
      nextOffset: this.nextOffset,
      maxTimestamp: this.maxTimestamp,
    }
  }

  private stop(position: number, reason: string): ScanResult {
    return { validEnd: position, failure: reason }
  }
}

function checkOrReason(buf: Buffer, start: number, end: number): string | undefined {
  const check = checkBatch(buf, start, end)
  return check.ok ? undefined : check.reason
}

function headerReason(buf: Buffer, position: number): string | undefined {
  const magic = buf[position + MAGIC_OFFSET]
  return magic === 2 ? undefined : `magic ${String(magic)} is not 2`
}

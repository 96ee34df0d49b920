import { dirname } from 'node:path'
import {
  ClosedError,
  CorruptLogError,
  type LogbusError,
  OffsetOutOfRangeError,
  StorageError,
} from '../../errors'
import type { LogRecord } from '../../record/log-record'
import { type Deferred, deferred } from '../../util/deferred'
import type { PartitionLog, RetentionPolicy } from '../storage'
import { type FileSystem, fsyncDirectory, isCode, writeFileAtomic } from './file-system'
import {
  BATCH_HEADER_BYTES,
  checkBatch,
  decodeRecordBatch,
  encodedBatchSize,
  encodeRecordBatch,
} from './record-batch'
import { Segment, type SegmentState, segmentName } from './segment'

/**
 * When an append is durable: `'always'` fsyncs before the append resolves (concurrent appends share one
 * fsync: group commit); `'interval'` fsyncs in the background every `fsyncIntervalMs`; `'never'` leaves
 * it to the operating system (and to close).
 *
 * @example
 * ```ts
 * const storage = new FileStorage({ dir: './data', fsync: 'interval', fsyncIntervalMs: 200 })
 * ```
 */
export type FsyncPolicy = 'always' | 'interval' | 'never'

/** What the clean-shutdown marker records of one partition. */
export interface PartitionState {
  segments: SegmentState[]
}

export interface FileLogOptions {
  fs: FileSystem
  dir: string
  topic: string
  partition: number
  segmentBytes: number
  fsync: FsyncPolicy
  /** Recently appended batches kept in memory, so tailing consumers read without decoding. */
  readCacheBytes: number
  /** From the clean-shutdown marker: when it matches the files, reopening scans nothing. */
  clean: PartitionState | undefined
  /** Arms the background fsync of the 'interval' policy. */
  scheduleInterval: (run: () => void) => () => void
}

interface CachedBatch {
  baseOffset: number
  records: LogRecord[]
  bytes: number
}

interface SyncWaiter {
  end: number
  base: number
  done: Deferred<number>
}

const LOG_START_FILE = 'log-start-offset'
/** What an evicted cache slot holds until the array is compacted: nothing that keeps records alive. */
const EVICTED: CachedBatch = Object.freeze({ baseOffset: -1, records: [], bytes: 0 })
const MIN_READ_BYTES = 64 * 1024
const LOG_OVERHEAD = 12

/**
 * A partition's durable log: segment files of Kafka RecordBatch v2, one batch per append. Appends are
 * written synchronously in call order (offsets are assigned on the spot); readers see records once
 * they are durable per the fsync policy. A failed write is cut back off the file, so a failed append
 * leaves nothing behind; a failed fsync fails the log (what the disk holds is then unknown), and the
 * log must be reopened to recover.
 */
export class FilePartitionLog implements PartitionLog {
  readonly #o: FileLogOptions
  readonly #segments: Segment[]
  #start: number
  #next: number
  #visibleEnd: number
  #cache: CachedBatch[] = []
  #cacheHead = 0
  #cacheBytes = 0
  #slab: Buffer = Buffer.allocUnsafe(64 * 1024)
  #waiters: SyncWaiter[] = []
  #syncing: Promise<void> | undefined
  #failed: LogbusError | undefined
  #closed = false
  #finalState: PartitionState | undefined
  /** The segment an fsync runs on: its file descriptor must stay open until the fsync returns. */
  #segmentInSync: Segment | undefined
  #cancelInterval: (() => void) | undefined

  private constructor(options: FileLogOptions, segments: Segment[], start: number) {
    this.#o = options
    this.#segments = segments
    const last = segments.at(-1)!
    for (const segment of segments) segment.durableSize = segment.size
    this.#next = last.nextOffset
    this.#visibleEnd = this.#next
    this.#start = Math.min(Math.max(start, segments[0]!.baseOffset), this.#next)
    if (options.fsync === 'interval')
      this.#cancelInterval = options.scheduleInterval(() => this.#backgroundSync())
  }

  /**
   * Opens (creating it if needed) and recovers a partition directory. Without a matching clean-shutdown
   * state, older segments are checked batch by batch (headers and offset continuity) and the last one
   * fully, CRCs included: a torn tail is cut off; a bad batch followed by valid ones is corruption, and
   * opening fails with CorruptLogError naming the file and byte.
   */
  static open(options: FileLogOptions): FilePartitionLog {
    const { fs, dir } = options
    try {
      const createdDir = !fs.existsSync(dir)
      fs.mkdirSync(dir)
      const bases = fs
        .readdirSync(dir)
        .filter((name) => /^\d{20}\.log$/.test(name))
        .map((name) => Number(name.slice(0, 20)))
        .sort((a, b) => a - b)
      let start = readLogStart(fs, dir)
      if (bases.length === 0) bases.push(start ?? 0)
      // Never O_APPEND: on Linux it makes positioned writes ignore their position.
      let createdFile = false
      const segments = bases.map((base) => {
        const path = `${dir}/${segmentName(base)}.log`
        const exists = fs.existsSync(path)
        createdFile ||= !exists
        return new Segment(fs, dir, base, fs.openSync(path, exists ? 'r+' : 'w+'))
      })
      // A new directory or file is durable only once its parent directory's entry is.
      if (options.fsync !== 'never') {
        if (createdFile) fsyncDirectory(fs, dir)
        if (createdDir) fsyncDirectory(fs, dirname(dir))
      }
      try {
        recover(options, segments)
      } catch (error) {
        for (const segment of segments) fs.closeSync(segment.fd)
        throw error
      }
      start ??= segments[0]!.baseOffset
      return new FilePartitionLog(options, segments, start)
    } catch (error) {
      throw asStorageError(error, `Cannot open the log of ${options.topic}-${options.partition} in ${dir}`)
    }
  }

  get logStartOffset(): number {
    return this.#start
  }

  get logEndOffset(): number {
    return this.#visibleEnd
  }

  /** Bytes on disk, all segments. */
  get sizeBytes(): number {
    let size = 0
    for (const segment of this.#segments) size += segment.size
    return size
  }

  append(records: LogRecord[], bytes: number): number | Promise<number> {
    if (this.#closed) throw new ClosedError(`The log of ${this.#o.topic}-${this.#o.partition}`)
    if (this.#failed !== undefined) throw this.#failed
    const base = this.#next
    const size = encodedBatchSize(records)
    if (size > this.#slab.length) this.#slab = Buffer.allocUnsafe(Math.max(size, this.#slab.length * 2))
    const encoded = encodeRecordBatch(records, base, this.#slab, 0)
    let segment = this.#segments.at(-1)!
    if (segment.size > 0 && segment.size + size > this.#o.segmentBytes) segment = this.#roll()
    this.#write(segment, encoded)
    let maxTimestamp = -1
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      record.offset = base + i
      if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp
    }
    segment.addBatch(segment.size, size, base + records.length - 1, maxTimestamp)
    segment.dirty = true
    this.#next = base + records.length
    this.#cachePush({ baseOffset: base, records, bytes })
    if (this.#o.fsync !== 'always') {
      this.#visibleEnd = this.#next
      return base
    }
    const done = deferred<number>()
    this.#waiters.push({ end: this.#next, base, done })
    this.#syncing ??= this.#syncLoop()
    return done.promise
  }

  read(offset: number, maxBytes: number): LogRecord[] {
    if (offset < this.#start || offset > this.#visibleEnd) {
      throw new OffsetOutOfRangeError(this.#o.topic, this.#o.partition, offset)
    }
    if (offset === this.#visibleEnd) return []
    const cache = this.#cache
    if (this.#cacheHead < cache.length && offset >= cache[this.#cacheHead]!.baseOffset)
      return this.#readCache(offset, maxBytes)
    return this.#readDisk(offset, maxBytes)
  }

  offsetForTimestamp(timestamp: number): number | null {
    for (const segment of this.#segments) {
      if (segment.maxTimestamp < timestamp || segment.nextOffset <= this.#start) continue
      let offset = Math.max(segment.baseOffset, this.#start)
      while (offset < Math.min(segment.nextOffset, this.#visibleEnd)) {
        const records = this.read(offset, 1 << 20)
        if (records.length === 0) break
        for (const record of records) if (record.timestamp >= timestamp) return record.offset
        offset = records.at(-1)!.offset + 1
      }
    }
    return null
  }

  truncateBefore(offset: number): void {
    if (offset <= this.#start) return
    if (offset > this.#visibleEnd) throw new OffsetOutOfRangeError(this.#o.topic, this.#o.partition, offset)
    this.#start = offset
    writeFileAtomic(this.#o.fs, this.#o.dir, LOG_START_FILE, String(offset))
    while (
      this.#segments.length > 1 &&
      this.#segments[1]!.baseOffset <= offset &&
      this.#deletable(this.#segments[0]!)
    ) {
      this.#deleteOldest()
    }
    this.#trimCache()
  }

  applyRetention({ now, retentionMs, retentionBytes }: RetentionPolicy): void {
    if (this.#closed) return
    // As in Kafka, the active segment is never deleted; whole older segments are.
    while (this.#segments.length > 1) {
      const oldest = this.#segments[0]!
      const expired =
        retentionMs !== null && oldest.maxTimestamp >= 0 && oldest.maxTimestamp < now - retentionMs
      const oversized = retentionBytes !== null && this.sizeBytes - oldest.size >= retentionBytes
      if ((!expired && !oversized) || !this.#deletable(oldest)) break
      this.#deleteOldest()
    }
    const first = this.#segments[0]!.baseOffset
    if (first > this.#start) {
      this.#start = first
      this.#trimCache()
    }
  }

  /** Waits for pending fsyncs, then closes; resolves with what the clean-shutdown marker keeps. */
  async closeAndDescribe(): Promise<PartitionState | undefined> {
    this.#cancelInterval?.()
    while (this.#syncing !== undefined) await this.#syncing
    return this.closeNow()
  }

  /**
   * Syncs everything, writes the indexes and closes the files, now (nothing may be in flight).
   * Idempotent: a second call returns the state of the first. A failed log has no clean state.
   */
  closeNow(): PartitionState | undefined {
    if (this.#closed) return this.#finalState
    this.#cancelInterval?.()
    this.#closed = true
    const fs = this.#o.fs
    try {
      if (this.#failed === undefined) {
        for (const segment of this.#segments) {
          if (segment.dirty) fs.fsyncSync(segment.fd)
          segment.dirty = false
        }
        for (const segment of this.#segments) if (segment.indexDirty) segment.writeIndex()
        this.#finalState = { segments: this.#segments.map((s) => s.toState()) }
      }
    } finally {
      for (const segment of this.#segments) fs.closeSync(segment.fd)
      this.#cache = []
    }
    return this.#finalState
  }

  async close(): Promise<void> {
    await this.closeAndDescribe()
  }

  #write(segment: Segment, bytes: Buffer): void {
    const fs = this.#o.fs
    let written = 0
    try {
      while (written < bytes.length) {
        written += fs.writeSync(segment.fd, bytes, written, bytes.length - written, segment.size + written)
      }
    } catch (error) {
      let undone = true
      if (written > 0) {
        try {
          fs.ftruncateSync(segment.fd, segment.size)
        } catch (cause) {
          undone = false
          this.#failed = asStorageError(cause, `Cannot cut a failed write off ${segment.logPath}`)
        }
      }
      const detail = error instanceof Error ? error.message : String(error)
      throw new StorageError(`Cannot append to ${segment.logPath}: ${detail}`, {
        cause: error,
        retriable: undone,
      })
    }
  }

  /** Closes the active segment (index written, data synced unless 'never') and starts a new one. */
  #roll(): Segment {
    const fs = this.#o.fs
    const old = this.#segments.at(-1)!
    try {
      old.writeIndex()
      if (this.#o.fsync !== 'never' && old.dirty) {
        fs.fsyncSync(old.fd)
        old.dirty = false
      }
      const base = this.#next
      const fd = fs.openSync(`${this.#o.dir}/${segmentName(base)}.log`, 'w+')
      const segment = new Segment(fs, this.#o.dir, base, fd)
      this.#segments.push(segment)
      if (this.#o.fsync !== 'never') fsyncDirectory(fs, this.#o.dir)
      return segment
    } catch (error) {
      // The old segment may not be durable: fail the log rather than acknowledge on top of it.
      this.#failed = asStorageError(error, `Cannot roll a new segment in ${this.#o.dir}`)
      throw this.#failed
    }
  }

  /** Group commit: every append written while an fsync runs is made durable by the next one. */
  async #syncLoop(): Promise<void> {
    while (this.#waiters.length > 0) {
      const waiters = this.#waiters
      this.#waiters = []
      const target = this.#next
      const segment = this.#segments.at(-1)!
      const size = segment.size
      this.#segmentInSync = segment
      try {
        if (this.#failed !== undefined) throw this.#failed
        segment.dirty = false
        await this.#o.fs.fdatasync(segment.fd)
        segment.durableSize = size
      } catch (error) {
        // After a failed fsync the page cache may have dropped the data (Linux marks the pages clean):
        // nothing more is accepted, and what was never acknowledged is cut off so that it cannot
        // resurface after a reopen or sit as a hole in front of later data.
        this.#failed ??= asStorageError(error, `fsync of ${segment.logPath} failed`)
        try {
          if (this.#segments.includes(segment)) this.#o.fs.ftruncateSync(segment.fd, segment.durableSize)
        } catch {
          // The reopen's recovery scan deals with whatever is left.
        }
        for (const waiter of [...waiters, ...this.#waiters]) waiter.done.reject(this.#failed)
        this.#waiters = []
        break
      }
      if (target > this.#visibleEnd) this.#visibleEnd = target
      for (const waiter of waiters) waiter.done.resolve(waiter.base)
    }
    this.#segmentInSync = undefined
    this.#syncing = undefined
  }

  #backgroundSync(): void {
    const segment = this.#segments.at(-1)
    if (this.#closed || this.#syncing !== undefined || segment === undefined || !segment.dirty) return
    segment.dirty = false
    this.#segmentInSync = segment
    this.#syncing = this.#o.fs
      .fdatasync(segment.fd)
      .catch((error: unknown) => {
        this.#failed ??= asStorageError(error, `fsync of ${segment.logPath} failed`)
      })
      .finally(() => {
        this.#segmentInSync = undefined
        this.#syncing = undefined
      })
  }

  #cachePush(batch: CachedBatch): void {
    if (this.#o.readCacheBytes <= 0) return
    this.#cache.push(batch)
    this.#cacheBytes += batch.bytes
    while (this.#cacheBytes > this.#o.readCacheBytes && this.#cache.length - this.#cacheHead > 1) {
      this.#evictCacheHead()
    }
  }

  #trimCache(): void {
    while (this.#cacheHead < this.#cache.length) {
      const batch = this.#cache[this.#cacheHead]!
      if (batch.baseOffset + batch.records.length > this.#start) break
      this.#evictCacheHead()
    }
  }

  /** Drops the oldest cached batch; its slot is cleared at once, so the budget bounds what stays alive. */
  #evictCacheHead(): void {
    this.#cacheBytes -= this.#cache[this.#cacheHead]!.bytes
    this.#cache[this.#cacheHead] = EVICTED
    this.#cacheHead++
    if (this.#cacheHead > 1024 && this.#cacheHead * 2 > this.#cache.length) {
      this.#cache = this.#cache.slice(this.#cacheHead)
      this.#cacheHead = 0
    }
  }

  #readCache(offset: number, maxBytes: number): LogRecord[] {
    const cache = this.#cache
    let lo = this.#cacheHead
    let hi = cache.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (cache[mid]!.baseOffset <= offset) lo = mid
      else hi = mid - 1
    }
    const out: LogRecord[] = []
    let bytes = 0
    for (let i = lo; i < cache.length && (bytes === 0 || bytes < maxBytes); i++) {
      const batch = cache[i]!
      if (batch.baseOffset >= this.#visibleEnd) break
      if (batch.baseOffset === offset && i === lo && (batch.bytes >= maxBytes || i === cache.length - 1))
        return batch.records
      const records = batch.records
      for (let r = offset > batch.baseOffset ? offset - batch.baseOffset : 0; r < records.length; r++)
        out.push(records[r]!)
      bytes += batch.bytes
    }
    return out
  }

  /**
   * Reads whole batches from the segment holding `offset`, checking each CRC, decoding into views.
   * The index is trusted only as far as the log agrees: if the batch it points at is not a valid batch
   * starting at or before `offset`, the segment's index is rebuilt from the log and the read retried.
   */
  #readDisk(offset: number, maxBytes: number): LogRecord[] {
    const segment = this.#segments[this.#segmentIndexFor(offset)]!
    const position = segment.lookup(offset)
    if (position > 0 && !this.#batchStartsBefore(segment, position, offset)) {
      const result = segment.scan(segment.size, false)
      if (result.failure !== undefined) segment.corrupt(result.validEnd, result.failure)
    }
    return this.#readFrom(offset, maxBytes)
  }

  #batchStartsBefore(segment: Segment, position: number, offset: number): boolean {
    if (position + BATCH_HEADER_BYTES > segment.size) return false
    const header = Buffer.allocUnsafe(BATCH_HEADER_BYTES)
    readFully(this.#o.fs, segment, header, position)
    const size = LOG_OVERHEAD + header.readInt32BE(8)
    if (header[16] !== 2 || size < BATCH_HEADER_BYTES || position + size > segment.size) return false
    return Number(header.readBigInt64BE(0)) <= offset
  }

  #readFrom(offset: number, maxBytes: number): LogRecord[] {
    const fs = this.#o.fs
    const out: LogRecord[] = []
    let bytes = 0
    let index = this.#segmentIndexFor(offset)
    let position = this.#segments[index]!.lookup(offset)
    while (index < this.#segments.length && bytes < maxBytes) {
      const segment = this.#segments[index]!
      if (position >= segment.size) {
        index++
        position = 0
        continue
      }
      let length = Math.min(segment.size - position, Math.max(maxBytes - bytes, MIN_READ_BYTES))
      let buf = Buffer.allocUnsafe(length)
      readFully(fs, segment, buf, position)
      let p = 0
      while (p + LOG_OVERHEAD <= length) {
        const size = LOG_OVERHEAD + buf.readInt32BE(p + 8)
        if (p + size > length) {
          if (p > 0) break
          if (position + size > segment.size || size < LOG_OVERHEAD) {
            throw new CorruptLogError(
              segment.logPath,
              position,
              `batch length ${size} runs past the segment end`,
            )
          }
          length = size
          buf = Buffer.allocUnsafe(size)
          readFully(fs, segment, buf, position)
        }
        const check = checkBatch(buf, p, p + size)
        if (!check.ok) throw new CorruptLogError(segment.logPath, position + p, check.reason)
        const { baseOffset, lastOffsetDelta } = check.header
        if (baseOffset >= this.#visibleEnd) return out
        if (baseOffset + lastOffsetDelta >= offset) {
          const records = decodeRecordBatch(buf, p, this.#o.topic, this.#o.partition)
          for (const record of records) if (record.offset >= offset) out.push(record)
          bytes += size
        }
        p += size
        if (bytes >= maxBytes) return out
      }
      position += p
    }
    return out
  }

  #segmentIndexFor(offset: number): number {
    let lo = 0
    let hi = this.#segments.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.#segments[mid]!.baseOffset <= offset) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** Retention may delete a segment only once all of it is visible, and never under an fsync. */
  #deletable(segment: Segment): boolean {
    return segment !== this.#segmentInSync && segment.nextOffset <= this.#visibleEnd
  }

  #deleteOldest(): void {
    const fs = this.#o.fs
    const segment = this.#segments.shift()!
    fs.closeSync(segment.fd)
    fs.unlinkSync(segment.logPath)
    try {
      fs.unlinkSync(segment.indexPath)
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw error
    }
  }
}

/** Brings segments to a consistent state: from the clean marker when it matches, else by scanning. */
function recover(options: FileLogOptions, segments: Segment[]): void {
  const { fs, clean } = options
  const sizes = segments.map((s) => fs.fstatSize(s.fd))
  const matches =
    clean !== undefined &&
    clean.segments.length === segments.length &&
    clean.segments.every((s, i) => s.baseOffset === segments[i]!.baseOffset && s.size === sizes[i])
  if (matches) {
    clean.segments.forEach((state, i) => {
      const segment = segments[i]!
      segment.size = state.size
      segment.nextOffset = state.nextOffset
      segment.maxTimestamp = state.maxTimestamp
      if (!segment.loadIndex()) rebuild(segment, sizes[i]!, false)
    })
    return
  }
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1
    const result = segment.scan(sizes[i]!, last)
    if (i > 0 && segment.baseOffset !== segments[i - 1]!.nextOffset) {
      segment.corrupt(
        0,
        `segment starts at offset ${segment.baseOffset}, the previous one ends at ${segments[i - 1]!.nextOffset}`,
      )
    }
    if (result.failure === undefined) return
    if (!last || segment.validBatchAfter(result.validEnd, sizes[i]!) !== undefined) {
      segment.corrupt(result.validEnd, result.failure)
    }
    // A torn tail: what a crash left half-written is cut off, durably.
    fs.ftruncateSync(segment.fd, result.validEnd)
    fs.fsyncSync(segment.fd)
  })
}

function rebuild(segment: Segment, fileSize: number, verifyCrc: boolean): void {
  const result = segment.scan(fileSize, verifyCrc)
  if (result.failure !== undefined) segment.corrupt(result.validEnd, result.failure)
}

function readLogStart(fs: FileSystem, dir: string): number | undefined {
  try {
    const value = Number(fs.readFileSync(`${dir}/${LOG_START_FILE}`).toString('utf8'))
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  } catch {
    return undefined
  }
}

function readFully(fs: FileSystem, segment: Segment, buf: Buffer, position: number): void {
  let read = 0
  while (read < buf.length) {
    const n = fs.readSync(segment.fd, buf, read, buf.length - read, position + read)
    if (n === 0) throw new CorruptLogError(segment.logPath, position + read, 'unexpected end of file')
    read += n
  }
}

export function asStorageError(
  error: unknown,
  message: string,
): StorageError | CorruptLogError | ClosedError {
  if (error instanceof StorageError || error instanceof CorruptLogError || error instanceof ClosedError)
    return error
  const detail = error instanceof Error ? error.message : String(error)
  return new StorageError(`${message}: ${detail}`, { cause: error })
}

import { dirname } from 'node:path'
import { ClosedError, InvalidRecordError, LogbusError, OffsetOutOfRangeError } from '../../errors'
import type { RecordBatch } from '../../record/record-batch'
import { encodeBatch } from '../../record/v2/encode'
import { BatchList } from '../batch-list'
import type { PartitionLog, SegmentInfo } from '../storage'
import type { DamageListener } from './damage'
import type { DescriptorCache } from './descriptor-cache'
import { type FileSystem, isCode, writeFileAtomic } from './file-system'
import { toStorageError } from './fs-errors'
import type { GroupCommit, SyncJob, SyncSource } from './group-commit'
import { type PartitionState, type RecoveryContext, recoverSegments } from './recovery'
import { Segment, segmentBases } from './segment'
import { type ReadSource, readFromDisk, segmentIndexFor } from './segment-reader'

/**
 * When an append is durable: `'always'` flushes before the append resolves (appends of the same
 * moment, on any partitions, share one flush round: group commit); `'interval'` flushes in the
 * background every `fsyncIntervalMs`; `'never'` leaves it to the operating system (and to close).
 *
 * @example
 * ```ts
 * const storage = new FileStorage({ dir: './data', fsync: 'interval', fsyncIntervalMs: 200 })
 * ```
 */
export type FsyncPolicy = 'always' | 'interval' | 'never'

/** What every log of a storage shares. */
export interface LogServices {
  fs: FileSystem
  files: DescriptorCache
  commit: GroupCommit
  report: DamageListener
}

export interface FileLogOptions {
  dir: string
  topic: string
  partition: number
  segmentBytes: number
  fsync: FsyncPolicy
  /** Recently appended batches kept in memory, so tailing consumers read without decoding. */
  readCacheBytes: number
  /** From the clean-shutdown marker: when it matches the files, opening scans nothing. */
  clean: PartitionState | undefined
  /** Told what the clean-shutdown marker keeps of the log once it closed (undefined: nothing, scan it). */
  onClose?: (state: PartitionState | undefined) => void
}

interface Waiter {
  base: number
  resolve: (base: number) => void
  reject: (error: unknown) => void
}

const LOG_START_FILE = 'log-start-offset'
const TIMESTAMP_READ_BYTES = 1 << 20

/**
 * A partition's durable log: segment files of Kafka RecordBatch v2, one batch per append. Each batch
 * is encoded exactly once, at append, and keeps its bytes (`batch.encoded`) for later readers and the
 * wire; appended batches stay in a read cache with their producer columns, so tailing readers decode
 * nothing, and batches read from disk decode lazily, once. Appends are written synchronously in call
 * order (offsets are assigned on the spot); readers see them once they are durable per the fsync
 * policy. A failed write is cut back off the file, so a failed append leaves nothing behind; a failed
 * flush fails the log (what the disk holds is then unknown) until it is reopened.
 *
 * @example
 * ```ts
 * const log = FilePartitionLog.open(services, { dir, topic: 'orders', partition: 0, segmentBytes, fsync: 'always', readCacheBytes, clean: undefined })
 * await log.append(batch)
 * ```
 */
export class FilePartitionLog implements PartitionLog, SyncSource {
  readonly #s: LogServices
  readonly #o: FileLogOptions
  readonly #ctx: RecoveryContext
  readonly #segments: Segment[]
  readonly #cache = new BatchList()
  #start: number
  #next: number
  #visibleEnd: number
  #waiters: Waiter[] = []
  #pendingDirs: string[] = []
  /** Settles when the commit round flushing this log ends. */
  #syncing: Promise<void> | undefined
  #failed: LogbusError | undefined
  #closed = false
  #closing: Promise<void> | undefined
  readonly #source: ReadSource

  private constructor(
    services: LogServices,
    options: FileLogOptions,
    ctx: RecoveryContext,
    segments: Segment[],
    start: number,
  ) {
    this.#s = services
    this.#o = options
    this.#ctx = ctx
    this.#segments = segments
    this.#next = segments.at(-1)!.nextOffset
    this.#visibleEnd = this.#next
    this.#start = Math.min(Math.max(start, segments[0]!.baseOffset), this.#next)
    const log = this
    this.#source = {
      segments,
      get visibleEnd() {
        return log.#visibleEnd
      },
      get nextOffset() {
        return log.#next
      },
    }
  }

  /**
   * Opens (creating it if needed) and recovers a partition directory (see `recoverSegments`). A new
   * directory or segment file is made durable by the first flush round, before any append into it is
   * acknowledged.
   */
  static open(services: LogServices, options: FileLogOptions): FilePartitionLog {
    const { fs, files } = services
    const { dir } = options
    const segments: Segment[] = []
    try {
      const createdDir = !fs.existsSync(dir)
      fs.mkdirSync(dir)
      const bases = segmentBases(fs.readdirSync(dir))
      const start = readLogStart(fs, dir)
      const created = bases.length === 0
      if (created) bases.push(start ?? 0)
      for (const base of bases) {
        const segment = new Segment(dir, base)
        segments.push(segment)
        // Never O_APPEND: on Linux it makes positioned writes ignore their position.
        if (created) files.create(segment.file, 'w+')
      }
      const ctx: RecoveryContext = {
        fs,
        files,
        topic: options.topic,
        partition: options.partition,
        report: services.report,
      }
      recoverSegments(ctx, segments, options.clean)
      const log = new FilePartitionLog(services, options, ctx, segments, start ?? segments[0]!.baseOffset)
      if (options.fsync !== 'never') {
        if (created) log.#pendingDirs.push(dir)
        if (createdDir) log.#pendingDirs.push(dirname(dir))
      }
      return log
    } catch (error) {
      for (const segment of segments) {
        try {
          files.close(segment.file)
        } catch {
          // Opening failed already; that error is the one to report.
        }
      }
      throw toStorageError(error, `Cannot open the log of ${options.topic}-${options.partition} in ${dir}`)
    }
  }

  get logStartOffset(): number {
    this.#assertOpen()
    return this.#start
  }

  get logEndOffset(): number {
    this.#assertOpen()
    return this.#visibleEnd
  }

  /** Bytes on disk, all segments. */
  get sizeBytes(): number {
    this.#assertOpen()
    let size = 0
    for (const segment of this.#segments) size += segment.size
    return size
  }

  append(batch: RecordBatch): number | Promise<number> {
    this.#assertOpen()
    if (this.#failed !== undefined) throw this.#failed
    const base = this.#next
    const received = batch.encoded
    batch.assignBaseOffset(base)
    let bytes = received
    if (bytes === undefined) {
      try {
        bytes = encodeBatch(batch, base)
      } catch (error) {
        if (error instanceof LogbusError) throw error
        throw new InvalidRecordError(
          `Cannot encode a batch for ${this.#o.topic}-${this.#o.partition}: ${(error as Error).message}`,
          { cause: error },
        )
      }
    }
    let segment = this.#segments.at(-1)!
    if (segment.size > 0 && segment.size + bytes.length > this.#o.segmentBytes) segment = this.#roll()
    const position = segment.size
    this.#write(segment, bytes)
    if (received === undefined) batch.keepEncoded(bytes)
    segment.addBatch(position, bytes.length, batch.nextOffset - 1, batch.maxTimestamp)
    this.#next = batch.nextOffset
    if (this.#o.readCacheBytes > 0) {
      this.#cache.push(batch)
      while (this.#cache.bytes > this.#o.readCacheBytes && this.#cache.length > 1) this.#cache.shift()
    }
    switch (this.#o.fsync) {
      case 'never':
        this.#visibleEnd = this.#next
        return base
      case 'interval':
        this.#visibleEnd = this.#next
        this.#s.commit.markDirty(this)
        return base
      case 'always':
        return new Promise<number>((resolve, reject) => {
          this.#waiters.push({ base, resolve, reject })
          this.#s.commit.request(this)
        })
    }
  }

  read(offset: number, maxBytes: number): readonly RecordBatch[] {
    this.#assertOpen()
    if (offset < this.#start || offset > this.#visibleEnd) {
      throw new OffsetOutOfRangeError(this.#o.topic, this.#o.partition, offset)
    }
    if (offset === this.#visibleEnd) return []
    if (this.#cache.covers(offset)) {
      const batches = this.#cache.from(offset, maxBytes)
      let visible = batches.length
      while (visible > 0 && batches[visible - 1]!.baseOffset >= this.#visibleEnd) visible--
      return visible === batches.length ? batches : batches.slice(0, visible)
    }
    try {
      return readFromDisk(this.#ctx, this.#source, offset, maxBytes)
    } catch (error) {
      throw toStorageError(error, `Cannot read ${this.#o.topic}-${this.#o.partition} at offset ${offset}`)
    }
  }

  offsetForTimestamp(timestamp: number): number | null {
    this.#assertOpen()
    for (const segment of this.#segments) {
      if (segment.maxTimestamp < timestamp || segment.nextOffset <= this.#start) continue
      let offset = Math.max(segment.baseOffset, this.#start)
      const end = Math.min(segment.nextOffset, this.#visibleEnd)
      while (offset < end) {
        const batches = this.read(offset, TIMESTAMP_READ_BYTES)
        if (batches.length === 0) break
        for (const batch of batches) {
          if (batch.maxTimestamp < timestamp || batch.nextOffset <= offset) continue
          const found = firstAtOrAfter(batch, timestamp, offset)
          if (found !== null) return found
        }
        offset = batches.at(-1)!.nextOffset
      }
    }
    return null
  }

  /**
   * Segments, oldest first. A segment not yet entirely durable ends the list (as the active one), so
   * that retention never deletes what readers cannot see yet.
   */
  *segments(): IterableIterator<SegmentInfo> {
    this.#assertOpen()
    for (const segment of this.#segments) {
      yield {
        baseOffset: segment.baseOffset,
        nextOffset: Math.min(segment.nextOffset, this.#visibleEnd),
        sizeBytes: segment.size,
        maxTimestamp: segment.maxTimestamp,
      }
      if (segment.nextOffset > this.#visibleEnd) return
    }
  }

  truncateBefore(offset: number): void {
    this.#assertOpen()
    if (offset <= this.#start) return
    if (offset > this.#visibleEnd) throw new OffsetOutOfRangeError(this.#o.topic, this.#o.partition, offset)
    const { fs, files } = this.#s
    try {
      writeFileAtomic(fs, this.#o.dir, LOG_START_FILE, String(offset))
    } catch (error) {
      throw toStorageError(error, `Cannot record the new start of ${this.#o.topic}-${this.#o.partition}`)
    }
    this.#start = offset
    this.#cache.dropBefore(offset)
    const segments = this.#segments
    while (segments.length > 1 && segments[1]!.baseOffset <= offset && this.#deletable(segments[0]!)) {
      const segment = segments.shift()!
      try {
        files.close(segment.file)
        fs.unlinkSync(segment.logPath)
        try {
          fs.unlinkSync(segment.indexPath)
        } catch (error) {
          if (!isCode(error, 'ENOENT')) throw error
        }
      } catch (error) {
        throw toStorageError(error, `Cannot delete ${segment.logPath}`)
      }
    }
  }

  /**
   * Waits for the flush running on this log, makes everything written durable, writes the indexes and
   * closes the files. Idempotent: every call settles as the first one did (a failure included).
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  /** The first offset of the damaged range holding `offset`, and where it ends; undefined if none does. */
  damageAt(offset: number): { fromOffset: number; toOffset: number | null } | undefined {
    return this.#segments[segmentIndexFor(this.#segments, offset)]!.damageAt(offset)
  }

  /** For the commit round: what to flush now, with what to do once it is durable. */
  takeSyncJob(): SyncJob | undefined {
    if (this.#failed !== undefined) {
      this.#rejectWaiters(this.#failed)
      return undefined
    }
    const segments = this.#segments.filter((s) => s.unsynced)
    const dirs = this.#pendingDirs
    const waiters = this.#waiters
    if (segments.length === 0 && dirs.length === 0 && waiters.length === 0) return undefined
    this.#pendingDirs = []
    this.#waiters = []
    const target = this.#next
    const sizes = segments.map((s) => s.size)
    let settle!: () => void
    this.#syncing = new Promise<void>((resolve) => {
      settle = resolve
    })
    return {
      files: segments.map((s) => s.file),
      dirs,
      complete: (error) => {
        this.#syncing = undefined
        settle()
        if (error === undefined && this.#failed === undefined) {
          segments.forEach((segment, i) => {
            segment.durableSize = Math.max(segment.durableSize, sizes[i]!)
            if (!segment.unsynced) segment.file.unsynced = false
          })
          if (target > this.#visibleEnd) this.#visibleEnd = target
          for (const waiter of waiters) waiter.resolve(waiter.base)
        } else {
          this.#fail(error ?? this.#failed)
          for (const waiter of waiters) waiter.reject(this.#failed)
        }
      },
    }
  }

  async #close(): Promise<void> {
    this.#closed = true
    while (this.#syncing !== undefined) await this.#syncing
    // A log that failed before reported it then (to the appends it failed); closing it releases it all the same.
    const failedBefore = this.#failed !== undefined
    // Through the commit, so that logs closing together flush in one parallel round.
    if (!failedBefore && this.#needsFlush()) await this.#s.commit.flush(this)
    this.#s.commit.forget(this)
    const { fs, files } = this.#s
    let failure: LogbusError | undefined = failedBefore ? undefined : this.#failed
    let state: PartitionState | undefined
    try {
      if (this.#failed === undefined) {
        for (const segment of this.#segments) {
          // Written after the round took its job (never by a closed log), or the round was skipped.
          if (!segment.unsynced) continue
          fs.fsyncSync(files.fd(segment.file))
          segment.durableSize = segment.size
          segment.file.unsynced = false
        }
        this.#visibleEnd = this.#next
        for (const waiter of this.#waiters) waiter.resolve(waiter.base)
        this.#waiters = []
        for (const segment of this.#segments) {
          // An empty segment needs no index: its absence costs nothing to rebuild.
          if (!segment.indexDirty || segment.size === 0) continue
          try {
            segment.writeIndex(fs)
          } catch (error) {
            // The data is safe; the next open rebuilds the missing index.
            failure ??= toStorageError(
              error,
              `Cannot write ${segment.indexPath} (the next open rebuilds it)`,
              false,
            )
          }
        }
        state = { segments: this.#segments.map((s) => s.toState()) }
      }
    } catch (error) {
      failure ??= toStorageError(
        error,
        `Cannot flush the log of ${this.#o.topic}-${this.#o.partition}`,
        false,
      )
      state = undefined
    } finally {
      this.#rejectWaiters(failure ?? this.#failed ?? new ClosedError(this.#what()))
      for (const segment of this.#segments) {
        try {
          files.close(segment.file)
        } catch (error) {
          failure ??= toStorageError(error, `Cannot close ${segment.logPath}`)
        }
      }
      this.#cache.dropBefore(Number.POSITIVE_INFINITY)
      this.#o.onClose?.(state)
    }
    if (failure !== undefined) throw failure
  }

  #needsFlush(): boolean {
    return this.#waiters.length > 0 || this.#pendingDirs.length > 0 || this.#segments.some((s) => s.unsynced)
  }

  #write(segment: Segment, bytes: Buffer): void {
    const { fs, files } = this.#s
    let written = 0
    try {
      const fd = files.fd(segment.file)
      while (written < bytes.length) {
        written += fs.writeSync(fd, bytes, written, bytes.length - written, segment.size + written)
      }
      segment.file.unsynced = true
    } catch (error) {
      let undone = true
      if (written > 0) {
        try {
          fs.ftruncateSync(files.fd(segment.file), segment.size)
        } catch (cause) {
          undone = false
          this.#fail(toStorageError(cause, `Cannot cut a failed write off ${segment.logPath}`, false))
        }
      }
      throw toStorageError(error, `Cannot append to ${segment.logPath}`, undone ? undefined : false)
    }
  }

  /**
   * Starts a new segment: the old one is flushed first (unless 'never'), so that a segment other than
   * the last is always complete on disk, and its index written (rebuilt at the next open if that fails).
   */
  #roll(): Segment {
    const { fs, files } = this.#s
    const old = this.#segments.at(-1)!
    if (this.#o.fsync !== 'never' && old.unsynced) {
      try {
        fs.fsyncSync(files.fd(old.file))
      } catch (error) {
        this.#fail(toStorageError(error, `Cannot flush ${old.logPath}`, false))
        throw this.#failed
      }
      old.durableSize = old.size
      old.file.unsynced = false
    }
    try {
      old.writeIndex(fs)
    } catch {
      // Only an optimisation: the next open rebuilds a missing index.
    }
    const segment = new Segment(this.#o.dir, this.#next)
    try {
      files.create(segment.file, 'w+')
    } catch (error) {
      throw toStorageError(error, `Cannot create ${segment.logPath}`)
    }
    this.#segments.push(segment)
    if (this.#o.fsync !== 'never') this.#pendingDirs.push(this.#o.dir)
    return segment
  }

  /**
   * After a failed flush the page cache may have dropped the data (Linux marks the pages clean):
   * nothing more is accepted. Under 'always', what was never acknowledged is cut off so that it
   * cannot resurface after a reopen or sit as a hole in front of later data; under 'interval' and
   * 'never' everything written was acknowledged already, and stays.
   */
  #fail(error: unknown): void {
    this.#failed ??= toStorageError(
      error,
      `Cannot make the log of ${this.#o.topic}-${this.#o.partition} durable`,
      false,
    )
    const { fs, files } = this.#s
    if (this.#o.fsync === 'always') {
      for (const segment of this.#segments) {
        if (!segment.unsynced) continue
        try {
          fs.ftruncateSync(files.fd(segment.file), segment.durableSize)
        } catch {
          // The reopen's recovery scan deals with whatever is left.
        }
      }
      this.#cache.dropFrom(this.#visibleEnd)
    }
    this.#rejectWaiters(this.#failed)
  }

  #rejectWaiters(error: unknown): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter.reject(error)
  }

  /** Deletable by truncateBefore: entirely durable and visible, and no flush running on it. */
  #deletable(segment: Segment): boolean {
    return segment.file.pins === 0 && segment.nextOffset <= this.#visibleEnd
  }

  #what(): string {
    return `The log of ${this.#o.topic}-${this.#o.partition}`
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError(this.#what())
  }
}

/** The first offset at or after `from` in `batch` whose timestamp is at or after `timestamp`. */
function firstAtOrAfter(batch: RecordBatch, timestamp: number, from: number): number | null {
  const timestamps = batch.timestamps
  const deltas = batch.offsetDeltas
  for (let i = 0; i < batch.count; i++) {
    const offset = batch.baseOffset + (deltas === null ? i : deltas[i]!)
    if (offset >= from && (timestamps === null ? batch.firstTimestamp : timestamps[i]!) >= timestamp)
      return offset
  }
  return null
}

function readLogStart(fs: FileSystem, dir: string): number | undefined {
  try {
    const value = Number(fs.readFileSync(`${dir}/${LOG_START_FILE}`).toString('utf8'))
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  } catch {
    return undefined
  }
}

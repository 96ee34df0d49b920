import { ClosedError, InvalidRecordError, LogbusError, OffsetOutOfRangeError } from '../../errors'
import type { RecordBatch } from '../../record/record-batch'
import { encodeBatch } from '../../record/v2/encode'
import { BatchList } from '../batch-list'
import type { CompactionRequest, CompactionResult, PartitionLog, SegmentInfo } from '../storage'
import type { DamageListener } from './damage'
import type { DescriptorCache } from './descriptor-cache'
import { type FileSystem, isCode, writeFileAtomic } from './file-system'
import { toStorageError } from './fs-errors'
import type { GroupCommit, SyncJob, SyncSource } from './group-commit'
import { LogCompaction } from './log-compaction'
import { LOG_START_FILE } from './paths'
import type { PartitionState, RecoveryContext } from './recovery'
import type { Segment } from './segment'
import { appendToSegment, closeSegments, openSegments, rollSegment } from './segment-files'
import { findOffsetForTimestamp, type ReadSource, readFromDisk, segmentIndexFor } from './segment-reader'

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
  readonly #compaction: LogCompaction
  /** The compaction pass under way: one at a time, and close waits for it to stop. */
  #compacting: Promise<CompactionResult | null> | undefined

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
    this.#compaction = new LogCompaction({
      fs: services.fs,
      files: services.files,
      ctx,
      source: this.#source,
      dir: options.dir,
      flush: options.fsync !== 'never',
      closed: () => this.#closed,
      segmentInfos: () => [...this.segments()],
      sizeBytes: () => this.sizeBytes,
      dropCachedBefore: (offset) => this.#cache.dropBefore(offset),
    })
  }

  /**
   * Opens (creating it if needed) and recovers a partition directory (see `openSegments`). A new
   * directory or segment file is made durable by the first flush, before any append into it is
   * acknowledged.
   */
  static open(services: LogServices, options: FileLogOptions): FilePartitionLog {
    const { fs, files, report } = services
    const ctx: RecoveryContext = { fs, files, topic: options.topic, partition: options.partition, report }
    const { segments, start, newEntries } = openSegments(ctx, options.dir, options.clean)
    const log = new FilePartitionLog(services, options, ctx, segments, start)
    if (options.fsync !== 'never') log.#pendingDirs.push(...newEntries)
    return log
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
    appendToSegment(this.#s.fs, this.#s.files, segment, bytes, (error) => this.#fail(error))
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
    return findOffsetForTimestamp(this.#segments, this.#start, this.#visibleEnd, timestamp, (offset) =>
      this.read(offset, TIMESTAMP_READ_BYTES),
    )
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
   * Compaction in the background (see `PartitionLog.compact`): segment by segment, each read and its
   * cleaned copy written in steps that yield to the event loop, so appends and reads go on meanwhile
   * (they see the old segment until the cleaned one is swapped in, in one synchronous step). A segment
   * that retention deleted meanwhile, or that holds damage, is left alone; close stops the pass between
   * two steps. Crash-safe as Kafka's cleaner: see `swapIn` and `settleCleaning`.
   */
  compact(request: CompactionRequest): Promise<CompactionResult | null> {
    this.#assertOpen()
    if (this.#failed !== undefined) return Promise.reject(this.#failed)
    const run = (this.#compacting ?? Promise.resolve(null))
      .catch(() => null)
      .then(() => this.#compaction.run(request))
    this.#compacting = run
    return run
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
    if (this.#syncing !== undefined) {
      // The last round's flush of this log still runs (a round that failed elsewhere ended early).
      void this.#syncing.then(() => this.#s.commit.request(this))
      return undefined
    }
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
    // A compaction pass stops at its next step; what it swapped in already is complete.
    await this.#compacting?.catch(() => undefined)
    while (this.#syncing !== undefined) await this.#syncing
    // A log that failed before reported it then (to the appends it failed); closing it releases it all the same.
    const failedBefore = this.#failed !== undefined
    // Through the commit, so that logs closing together flush in one batch.
    if (!failedBefore && this.#needsFlush()) await this.#s.commit.flush(this)
    this.#s.commit.forget(this)
    const { fs, files } = this.#s
    let failure = failedBefore ? undefined : this.#failed
    try {
      // Written after the flush took its job, or never given one: flushed here.
      for (const segment of this.#segments) {
        if (failure !== undefined || !segment.unsynced) continue
        fs.fsyncSync(files.fd(segment.file))
        segment.durableSize = segment.size
        segment.file.unsynced = false
      }
    } catch (error) {
      failure = toStorageError(error, `Cannot flush the log of ${this.#o.topic}-${this.#o.partition}`, false)
    }
    const clean = failure === undefined && this.#failed === undefined
    if (clean) {
      this.#visibleEnd = this.#next
      for (const waiter of this.#waiters) waiter.resolve(waiter.base)
      this.#waiters = []
    }
    this.#rejectWaiters(failure ?? this.#failed ?? new ClosedError(this.#what()))
    const closing = closeSegments(fs, files, this.#segments, clean)
    failure ??= closing
    this.#cache.dropBefore(Number.POSITIVE_INFINITY)
    // A failed log has no clean state: the next open scans it.
    this.#o.onClose?.(clean ? { segments: this.#segments.map((s) => s.toState()) } : undefined)
    if (failure !== undefined) throw failure
  }

  #needsFlush(): boolean {
    return this.#waiters.length > 0 || this.#pendingDirs.length > 0 || this.#segments.some((s) => s.unsynced)
  }

  /** Starts a new segment (see `rollSegment`); a failed flush of the old one fails the log. */
  #roll(): Segment {
    const { fs, files } = this.#s
    const where = { dir: this.#o.dir, base: this.#next, flush: this.#o.fsync !== 'never' }
    const segment = rollSegment(fs, files, this.#segments.at(-1)!, where, (error) => this.#fail(error))
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

import type { RecordBatch } from '../../record/record-batch'
import { cleanableRange } from '../compaction/cleanable'
import { Cleaner } from '../compaction/cleaner'
import type { CompactionRequest, CompactionResult, SegmentInfo } from '../storage'
import type { DescriptorCache } from './descriptor-cache'
import { type FileSystem, writeFileAtomic } from './file-system'
import { toStorageError } from './fs-errors'
import type { RecoveryContext } from './recovery'
import type { Segment } from './segment'
import { CLEANED_SUFFIX, swapIn, writeCleaned } from './segment-cleaning'
import { type ReadSource, readFromDisk } from './segment-reader'

/** Compaction reads a segment in steps of this size, yielding to appends and reads in between. */
const CLEAN_READ_BYTES = 1 << 20
/** In a partition directory: where compaction got to (Kafka's cleaner-offset-checkpoint). */
const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint'

interface CleanerCheckpoint {
  /** Where the dirty (not yet compacted) part of the log starts. */
  firstDirty: number
  /** The earliest delete horizon compaction left on a batch; -1 for none. */
  nextHorizon: number
}

function readCleanerCheckpoint(fs: FileSystem, dir: string): CleanerCheckpoint {
  try {
    const [firstDirty, nextHorizon] = fs
      .readFileSync(`${dir}/${CLEANER_CHECKPOINT_FILE}`)
      .toString('utf8')
      .split(' ')
      .map(Number)
    if (Number.isSafeInteger(firstDirty) && Number.isSafeInteger(nextHorizon))
      return { firstDirty: firstDirty!, nextHorizon: nextHorizon! }
  } catch {
    // None yet, or unreadable: the whole log counts as dirty, which costs one more pass at most.
  }
  return { firstDirty: 0, nextHorizon: -1 }
}

function writeCleanerCheckpoint(fs: FileSystem, dir: string, checkpoint: CleanerCheckpoint): void {
  writeFileAtomic(fs, dir, CLEANER_CHECKPOINT_FILE, `${checkpoint.firstDirty} ${checkpoint.nextHorizon}`)
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** What compaction needs of its log. */
export interface CompactionHost {
  readonly fs: FileSystem
  readonly files: DescriptorCache
  readonly ctx: RecoveryContext
  readonly source: ReadSource
  readonly dir: string
  /** Flush the cleaned copy and the directory (every fsync policy but 'never'). */
  readonly flush: boolean
  closed(): boolean
  /** The log's segments as retention sees them (the last one active). */
  segmentInfos(): SegmentInfo[]
  sizeBytes(): number
  /** The read cache must not serve the uncompacted batches of a segment swapped out. */
  dropCachedBefore(offset: number): void
}

/**
 * The file log's compaction (see `FilePartitionLog.compact`): one pass at a time, segment by segment,
 * each read and its cleaned copy written in steps that yield to the event loop, so appends and reads
 * go on meanwhile (they see the old segment until the cleaned one is swapped in, in one synchronous
 * step). A segment that retention deleted meanwhile, or that holds damage, is left alone; a closing
 * log stops the pass between two steps. Where it got to is kept in the partition directory.
 */
export class LogCompaction {
  readonly #host: CompactionHost
  #checkpoint: CleanerCheckpoint

  constructor(host: CompactionHost) {
    this.#host = host
    this.#checkpoint = readCleanerCheckpoint(host.fs, host.dir)
  }

  async run(request: CompactionRequest): Promise<CompactionResult | null> {
    const h = this.#host
    if (h.closed()) return null
    const infos: SegmentInfo[] = []
    for (const info of h.segmentInfos()) {
      infos.push(info)
      // Damage ends what may be compacted: the segment before it acts as the active one.
      if (h.source.segments.find((s) => s.baseOffset === info.baseOffset)!.damaged.length > 0) break
    }
    const range = cleanableRange(infos, this.#checkpoint.firstDirty, this.#checkpoint.nextHorizon, request)
    if (range === null) return null
    const targets = h.source.segments.slice(0, range.segments)
    const bytesBefore = h.sizeBytes()
    const cleaner = new Cleaner(request)
    const { fs, flush } = h
    try {
      for (const segment of targets) {
        if (segment.baseOffset < range.firstDirty) continue
        const batches = await this.#segmentBatches(segment)
        if (batches === undefined) return null
        for (const batch of batches) cleaner.index(batch)
      }
      let cleanedTo = targets[0]!.baseOffset
      for (const segment of targets) {
        const batches = await this.#segmentBatches(segment)
        if (batches === undefined) break
        const cleaned = cleaner.clean(batches, segment.baseOffset, segment.nextOffset)
        if (cleaned.length !== batches.length || cleaned.some((batch, i) => batch !== batches[i])) {
          const placed = writeCleaned(fs, segment, cleaned, flush)
          await yieldTurn()
          if (h.closed() || !h.source.segments.includes(segment) || segment.file.pins > 0) {
            fs.unlinkSync(segment.logPath + CLEANED_SUFFIX)
            break
          }
          swapIn(fs, h.files, segment, flush)
          const nextOffset = segment.nextOffset
          segment.reset()
          for (const { position, size, batch } of placed)
            segment.addBatch(position, size, batch.nextOffset - 1, batch.maxTimestamp)
          segment.nextOffset = nextOffset
          segment.durableSize = segment.size
          segment.file.unsynced = false
          h.dropCachedBefore(nextOffset)
        }
        cleanedTo = segment.nextOffset
      }
      this.#checkpoint = { firstDirty: cleanedTo, nextHorizon: cleaner.nextHorizon }
      writeCleanerCheckpoint(fs, h.dir, this.#checkpoint)
      return { cleanedTo, removedRecords: cleaner.removedRecords, bytesBefore, bytesAfter: h.sizeBytes() }
    } catch (error) {
      for (const segment of targets) {
        try {
          if (fs.existsSync(segment.logPath + CLEANED_SUFFIX)) fs.unlinkSync(segment.logPath + CLEANED_SUFFIX)
        } catch {
          // The next open deletes it.
        }
      }
      throw toStorageError(error, `Cannot compact ${h.ctx.topic}-${h.ctx.partition}`)
    }
  }

  /** Every batch of a segment, read in steps; undefined once the log closed or the segment went. */
  async #segmentBatches(segment: Segment): Promise<RecordBatch[] | undefined> {
    const h = this.#host
    const out: RecordBatch[] = []
    let offset = segment.baseOffset
    while (offset < segment.nextOffset) {
      if (h.closed() || !h.source.segments.includes(segment)) return undefined
      const batches = readFromDisk(h.ctx, h.source, offset, CLEAN_READ_BYTES)
      if (batches.length === 0) break
      for (const batch of batches) {
        if (batch.baseOffset >= segment.nextOffset) break
        if (batch.nextOffset <= offset) continue
        out.push(batch)
        offset = batch.nextOffset
      }
      await yieldTurn()
    }
    return out
  }
}

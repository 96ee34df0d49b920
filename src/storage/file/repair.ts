import { CorruptLogError } from '../../errors'
import { RAW } from '../../record/codec'
import { RecordBatch } from '../../record/record-batch'
import { encodeBatch } from '../../record/v2/encode'
import { setAside } from './damage'
import { DescriptorCache } from './descriptor-cache'
import { type FileSystem, fsyncDirectory, isCode, nodeFileSystem } from './file-system'
import { toStorageError } from './fs-errors'
import type { DamageReport, InspectedPartition } from './inspect'
import { acquireLock } from './lock'
import { CLEAN_FILE, META_DIR } from './paths'
import type { Segment } from './segment'
import { readFully } from './segment-scan'
import { inspectAll, type LogToolOptions } from './verify'

/**
 * How `repairLog` fixes damage:
 * - `'truncate'`: as Kafka's recovery does, the log ends where the first damage starts; the bytes
 *   from there on (the damage, and valid batches after it) are moved to `.cut` files next to the
 *   segments, never deleted.
 * - `'skip'`: every damaged range becomes one empty batch that keeps its offsets (Kafka's format
 *   allows a batch without records, as compaction leaves them), so offsets never move and everything
 *   valid after the damage stays; the damaged bytes are moved to `.damaged` files. A consumer passes
 *   the empty batch as it passes a compacted gap. Damage at the very end of the log (nothing valid
 *   after it) is cut, as in 'truncate'.
 *
 * @example
 * ```ts
 * const mode: RepairMode = 'skip'
 * ```
 */
export type RepairMode = 'truncate' | 'skip'

/**
 * What `repairLog` did (or, with `dryRun`, would do) to one partition.
 *
 * @example
 * ```ts
 * for (const a of report.actions) console.log(a.action, `${a.topic}-${a.partition}`, a.fromOffset, a.movedTo)
 * ```
 */
export interface RepairAction {
  topic: string
  partition: number
  file: string
  /** `cut`: the log now ends at `fromOffset`; `skipped`: offsets `fromOffset..toOffset - 1` now hold no record; `removed`: a whole segment after a cut was moved aside. */
  action: 'cut' | 'skipped' | 'removed'
  position: number
  bytes: number
  fromOffset: number
  toOffset: number | null
  /** Where the bytes that left the log went. */
  movedTo: string | null
  reason: string
}

/**
 * What `repairLog` found and did. Plain data, for a CLI's JSON output.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(await repairLog({ dir, mode: 'skip' }), null, 2))
 * ```
 */
export interface RepairReport {
  dir: string
  mode: RepairMode
  dryRun: boolean
  /** The damage found before repairing. */
  damage: DamageReport[]
  actions: RepairAction[]
}

/**
 * Options of `repairLog`.
 *
 * @example
 * ```ts
 * const options: RepairOptions = { dir: './data', mode: 'truncate', dryRun: true }
 * ```
 */
export interface RepairOptions extends LogToolOptions {
  mode: RepairMode
  /** Report what would be done, change nothing. */
  dryRun?: boolean
}

/**
 * Repairs the damage `verifyLog` reports, with the user's consent as to how (`mode`), like Kafka's
 * log recovery: every partition is scanned, and each damaged one is cut at its first damage
 * (`'truncate'`) or has each damaged range replaced by an empty batch keeping its offsets (`'skip'`).
 * Nothing leaves the directory: bytes taken out of a log go to `.cut` / `.damaged` files next to its
 * segments. Segment files are rewritten through a temporary file and a rename; the clean-shutdown
 * marker is removed, so the next open checks every log. Run it on a directory no bus has open.
 *
 * @throws LockedError if a bus has the directory open; StorageError if a file cannot be read or
 *   written; CorruptLogError in `'skip'` mode for segments that overlap (only 'truncate' can fix those)
 *
 * @example
 * ```ts
 * import { repairLog, verifyLog } from 'logbus/file'
 * const plan = await repairLog({ dir: './data', mode: 'skip', dryRun: true })
 * if (plan.actions.length > 0 && (await confirm(plan))) await repairLog({ dir: './data', mode: 'skip' })
 * ```
 */
export async function repairLog(options: RepairOptions): Promise<RepairReport> {
  const fs = options.fs ?? nodeFileSystem
  const dir = options.dir.replace(/\/+$/, '') || '/'
  const dryRun = options.dryRun ?? false
  const release = acquireLock(fs, dir, { breakLock: options.breakLock ?? false })
  try {
    const partitions = inspectAll(fs, dir, options)
    const files = new DescriptorCache(fs, 16)
    const actions: RepairAction[] = []
    for (const partition of partitions) {
      if (partition.damage.length === 0) continue
      const plan = options.mode === 'truncate' ? planTruncate(partition) : planSkip(partition)
      actions.push(...(dryRun ? plan.flatMap(describe) : plan.flatMap((step) => apply(fs, files, step))))
    }
    if (!dryRun && actions.length > 0) {
      try {
        fs.unlinkSync(`${dir}/${META_DIR}/${CLEAN_FILE}`)
        fsyncDirectory(fs, `${dir}/${META_DIR}`)
      } catch (error) {
        if (!isCode(error, 'ENOENT')) throw error
      }
    }
    return { dir, mode: options.mode, dryRun, damage: partitions.flatMap((p) => p.damage), actions }
  } catch (error) {
    throw toStorageError(error, `Cannot repair ${dir}`)
  } finally {
    release()
  }
}

/** One change to one segment file. */
type Step =
  | {
      kind: 'cut'
      partition: InspectedPartition
      segment: Segment
      position: number
      size: number
      fromOffset: number
      reason: string
      keep: boolean
    }
  | { kind: 'remove'; partition: InspectedPartition; segment: Segment; size: number }
  | { kind: 'rewrite'; partition: InspectedPartition; segment: Segment; size: number; pieces: Piece[] }

/** What a rewritten segment is made of: byte ranges of the old file, and empty batches for damage. */
type Piece =
  | { kind: 'copy'; from: number; to: number }
  | { kind: 'skip'; position: number; end: number; fromOffset: number; toOffset: number; reason: string }

/** Cut the log at its first damage; segments after it go aside whole. */
function planTruncate(p: InspectedPartition): Step[] {
  const first = p.damage[0]!
  const index = p.segments.findIndex((s) => s.logPath === first.file)
  const segment = p.segments[index]!
  const steps: Step[] = [
    {
      kind: 'cut',
      partition: p,
      segment,
      position: first.position,
      size: p.sizes[index]!,
      fromOffset: first.offset,
      reason: first.reason,
      keep: first.kind !== 'torn-tail',
    },
  ]
  for (let i = index + 1; i < p.segments.length; i++) {
    steps.push({ kind: 'remove', partition: p, segment: p.segments[i]!, size: p.sizes[i]! })
  }
  return steps
}

/** Replace every damaged range that valid data follows by an empty batch; cut damage that ends the log. */
function planSkip(p: InspectedPartition): Step[] {
  const steps: Step[] = []
  const { segments, sizes } = p
  const removeAfter = (i: number): void => {
    for (let j = i + 1; j < segments.length; j++)
      steps.push({ kind: 'remove', partition: p, segment: segments[j]!, size: sizes[j]! })
  }
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    const size = sizes[i]!
    const next = segments[i + 1]
    // An empty batch must never end the log (a reader would find no record after it): with nothing
    // after this segment, damage at its end is cut instead.
    const dataAfter = sizes.slice(i + 1).some((n) => n > 0)
    const pieces: Piece[] = []
    let at = 0
    let end = segment.nextOffset
    for (const range of segment.damaged) {
      if (range.position > at) pieces.push({ kind: 'copy', from: at, to: range.position })
      const toOffset = range.toOffset ?? (dataAfter ? next!.baseOffset : null)
      if (toOffset === null) {
        const keep = !range.torn
        steps.push({
          kind: 'cut',
          partition: p,
          segment,
          position: range.position,
          size,
          fromOffset: range.fromOffset,
          reason: range.reason,
          keep,
        })
        removeAfter(i)
        if (pieces.some((piece) => piece.kind === 'skip'))
          steps.unshift(rewriteStep(p, segment, range.position, pieces))
        return steps
      }
      pieces.push({
        kind: 'skip',
        position: range.position,
        end: range.end,
        fromOffset: range.fromOffset,
        toOffset,
        reason: range.reason,
      })
      at = range.end
      end = toOffset
    }
    if (at < size) pieces.push({ kind: 'copy', from: at, to: size })
    if (next !== undefined && end !== next.baseOffset) {
      if (end > next.baseOffset) {
        throw new CorruptLogError(
          next.logPath,
          0,
          `the segment starts at offset ${next.baseOffset}, inside the previous one; only mode 'truncate' can repair that`,
        )
      }
      if (!dataAfter) {
        if (pieces.some((piece) => piece.kind === 'skip')) steps.push(rewriteStep(p, segment, size, pieces))
        removeAfter(i)
        return steps
      }
      const reason = `offsets ${end}..${next.baseOffset - 1} are missing`
      pieces.push({
        kind: 'skip',
        position: size,
        end: size,
        fromOffset: end,
        toOffset: next.baseOffset,
        reason,
      })
    }
    if (pieces.some((piece) => piece.kind === 'skip')) steps.push(rewriteStep(p, segment, size, pieces))
  }
  return steps
}

function rewriteStep(p: InspectedPartition, segment: Segment, size: number, pieces: Piece[]): Step {
  return { kind: 'rewrite', partition: p, segment, size, pieces }
}

/** The actions a step stands for, without doing anything (`dryRun`). */
function describe(step: Step): RepairAction[] {
  return actionsOf(step, () => null)
}

/** Does a step: bytes leaving the log are set aside (durably) before the segment changes. */
function apply(fs: FileSystem, files: DescriptorCache, step: Step): RepairAction[] {
  const { segment } = step
  files.close(segment.file)
  let actions: RepairAction[]
  switch (step.kind) {
    case 'cut': {
      actions = actionsOf(step, (position, end) => cutAside(fs, setAside(fs, files, segment, position, end)))
      files.close(segment.file)
      const fd = fs.openSync(segment.logPath, 'r+')
      try {
        fs.ftruncateSync(fd, step.position)
        fs.fsyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
      break
    }
    case 'remove':
      actions = actionsOf(step, () => {
        const path = uniquePath(fs, `${segment.logPath}.0`, 'cut')
        fs.renameSync(segment.logPath, path)
        return path
      })
      break
    case 'rewrite':
      actions = actionsOf(step, (position, end) => setAside(fs, files, segment, position, end))
      writeSegment(fs, files, segment, step.pieces)
      break
  }
  try {
    fs.unlinkSync(segment.indexPath)
  } catch (error) {
    if (!isCode(error, 'ENOENT')) throw error
  }
  fsyncDirectory(fs, segment.dir)
  return actions
}

/** The actions of a step; `moveAside(position, end)` sets bytes aside and says where (null: nowhere). */
function actionsOf(step: Step, moveAside: (position: number, end: number) => string | null): RepairAction[] {
  const base = {
    topic: step.partition.topic,
    partition: step.partition.partition,
    file: step.segment.logPath,
  }
  switch (step.kind) {
    case 'cut':
      return [
        {
          ...base,
          action: 'cut',
          position: step.position,
          bytes: step.size - step.position,
          fromOffset: step.fromOffset,
          toOffset: null,
          movedTo: step.keep ? moveAside(step.position, step.size) : null,
          reason: step.reason,
        },
      ]
    case 'remove':
      return [
        {
          ...base,
          action: 'removed',
          position: 0,
          bytes: step.size,
          fromOffset: step.segment.baseOffset,
          toOffset: null,
          movedTo: moveAside(0, step.size),
          reason: 'the log was cut before this segment',
        },
      ]
    case 'rewrite':
      return step.pieces.flatMap((piece) =>
        piece.kind === 'copy'
          ? []
          : [
              {
                ...base,
                action: 'skipped' as const,
                position: piece.position,
                bytes: piece.end - piece.position,
                fromOffset: piece.fromOffset,
                toOffset: piece.toOffset,
                movedTo: piece.end > piece.position ? moveAside(piece.position, piece.end) : null,
                reason: piece.reason,
              },
            ],
      )
  }
}

/** A set-aside `.damaged` file of bytes that were valid data after a cut, renamed `.cut`. */
function cutAside(fs: FileSystem, damagedPath: string): string {
  const path = uniquePath(fs, damagedPath.replace(/\.damaged$/, ''), 'cut')
  fs.renameSync(damagedPath, path)
  return path
}

function uniquePath(fs: FileSystem, stem: string, suffix: string): string {
  let path = `${stem}.${suffix}`
  for (let n = 2; fs.existsSync(path); n++) path = `${stem}-${n}.${suffix}`
  return path
}

/** Writes the pieces to a temporary file, flushes it, and renames it over the segment. */
function writeSegment(fs: FileSystem, files: DescriptorCache, segment: Segment, pieces: Piece[]): void {
  const temporary = `${segment.logPath}.repairing`
  const fd = fs.openSync(temporary, 'w')
  let position = 0
  const write = (bytes: Buffer): void => {
    for (let written = 0; written < bytes.length; )
      written += fs.writeSync(fd, bytes, written, bytes.length - written, position + written)
    position += bytes.length
  }
  try {
    for (const piece of pieces) {
      if (piece.kind === 'skip') {
        write(emptyBatch(piece.fromOffset, piece.toOffset))
        continue
      }
      const chunk = Buffer.allocUnsafe(Math.min(piece.to - piece.from, 1 << 20))
      for (let at = piece.from; at < piece.to; ) {
        const read = readFully(fs, files, segment, chunk, Math.min(chunk.length, piece.to - at), at)
        if (read === 0) break
        write(read === chunk.length ? chunk : chunk.subarray(0, read))
        at += read
      }
    }
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
    files.close(segment.file)
  }
  fs.renameSync(temporary, segment.logPath)
}

/** A valid RecordBatch v2 without records covering offsets `[from, to)`. */
function emptyBatch(from: number, to: number): Buffer {
  const batch = RecordBatch.fromColumns(
    { keyCodec: RAW, valueCodec: RAW },
    { keys: [], values: [], headers: null, timestamps: null, offsetDeltas: null, start: 0 },
    { count: 0, firstTimestamp: -1, maxTimestamp: -1, sizeBytes: 0, lastOffsetDelta: to - from - 1 },
  )
  return encodeBatch(batch, from)
}

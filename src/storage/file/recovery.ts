import { CorruptLogError } from '../../errors'
import { type DamageListener, setAside } from './damage'
import type { DescriptorCache } from './descriptor-cache'
import type { FileSystem } from './file-system'
import type { DamagedRange, Segment, SegmentState } from './segment'
import { scanSegment } from './segment-scan'

/**
 * What the clean-shutdown marker records of one partition.
 *
 * @example
 * ```ts
 * const state: PartitionState = { segments: [{ baseOffset: 0, size: 4096, nextOffset: 40, maxTimestamp: 5 }] }
 * ```
 */
export interface PartitionState {
  segments: SegmentState[]
}

/** What recovery needs besides the segments. */
export interface RecoveryContext {
  fs: FileSystem
  files: DescriptorCache
  topic: string
  partition: number
  report: DamageListener
}

/**
 * Brings a partition's segments to a consistent state when its log opens.
 *
 * - After a clean shutdown whose marker matches the files, nothing is scanned: sizes, offsets and
 *   timestamps come from the marker, indexes from their files (rebuilt when they disagree).
 * - Otherwise every segment is scanned (the last one with CRCs): a torn tail — a batch cut short by
 *   the end of the file, or zeros, what a crash leaves — is cut off. A complete last batch that fails
 *   its CRC is damage, not a torn write: its bytes are moved to a `.damaged` file and reported, then
 *   cut off. Damage followed by valid batches stays in place as a damaged range: reported, and reads
 *   of its offsets fail with CorruptLogError while everything around it stays readable.
 *
 * Throws CorruptLogError when the segments overlap (a layout no repair can read).
 */
export function recoverSegments(
  ctx: RecoveryContext,
  segments: Segment[],
  clean: PartitionState | undefined,
): void {
  const { fs, files } = ctx
  const sizes = segments.map((s) => fs.fstatSize(files.fd(s.file)))
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
      segment.damaged = (state.damaged ?? []).map((range) => ({ ...range }))
      if (!segment.loadIndex(fs, files)) {
        scanSegment(fs, files, segment, state.size, { verifyCrc: false, resync: true })
        // The marker knows where the segment ends, also when damage hides it from the scan.
        const known = new Set(segment.damaged.map((range) => range.position))
        for (const range of state.damaged ?? [])
          if (!known.has(range.position)) segment.damaged.push({ ...range })
        segment.damaged.sort((a, b) => a.position - b.position)
        segment.size = state.size
        segment.nextOffset = state.nextOffset
        segment.maxTimestamp = state.maxTimestamp
      }
    })
    linkSegments(segments, clean.segments.at(-1)!.nextOffset)
  } else {
    const last = segments.length - 1
    segments.forEach((segment, i) => {
      scanSegment(fs, files, segment, sizes[i]!, { verifyCrc: i === last, resync: true })
    })
    cutTail(ctx, segments[last]!, sizes[last]!)
    linkSegments(segments, segments[last]!.nextOffset)
  }
  for (const segment of segments) {
    segment.durableSize = segment.size
    for (const range of segment.damaged) ctx.report(keptDamage(ctx, segment, range))
  }
}

/**
 * Scans one segment again, CRCs included, after a read met a batch that is not what the index or the
 * offsets promised: rebuilds its index and records the damaged ranges, reporting the new ones. What the
 * log knows of the segment (its size, next offset, timestamps) is kept. `nextOffset` is where the
 * segment's offsets end (the next segment's base, or the log end for the active segment).
 */
export function rescanSegment(ctx: RecoveryContext, segment: Segment, nextOffset: number): void {
  const known = new Set(segment.damaged.map((range) => range.position))
  const { size, maxTimestamp } = segment
  scanSegment(ctx.fs, ctx.files, segment, size, { verifyCrc: true, resync: true })
  segment.size = size
  segment.nextOffset = nextOffset
  segment.maxTimestamp = maxTimestamp
  const trailing = segment.damaged.at(-1)
  if (trailing !== undefined && trailing.toOffset === null) trailing.toOffset = nextOffset
  for (const range of segment.damaged) {
    if (!known.has(range.position)) ctx.report(keptDamage(ctx, segment, range))
  }
}

/**
 * After an unclean shutdown, the end of the last segment: a torn write is cut off; a complete batch
 * that is not valid is set aside in a `.damaged` file, reported, then cut off.
 */
function cutTail(ctx: RecoveryContext, segment: Segment, fileSize: number): void {
  const trailing = segment.damaged.at(-1)
  if (trailing === undefined || trailing.toOffset !== null) return
  segment.damaged.pop()
  const { fs, files } = ctx
  let damagedFile: string | null = null
  if (!trailing.torn) damagedFile = setAside(fs, files, segment, trailing.position, fileSize)
  const fd = files.fd(segment.file)
  fs.ftruncateSync(fd, trailing.position)
  fs.fsyncSync(fd)
  segment.size = trailing.position
  if (damagedFile !== null) {
    ctx.report({
      ...keptDamage(ctx, segment, trailing),
      length: fileSize - trailing.position,
      action: 'set-aside',
      damagedFile,
    })
  }
}

/**
 * Makes the segments' offsets follow on: damage at the end of a segment runs to the next segment's
 * base offset (or `end` for the last), offsets missing between segments are a damaged range, and
 * segments that overlap cannot be read at all.
 */
function linkSegments(segments: Segment[], end: number): void {
  segments.forEach((segment, i) => {
    const next = i + 1 < segments.length ? segments[i + 1]!.baseOffset : end
    const trailing = segment.damaged.at(-1)
    if (trailing !== undefined && trailing.toOffset === null) {
      trailing.toOffset = next
      segment.nextOffset = next
    }
    if (i + 1 === segments.length) return
    if (segment.nextOffset > next) {
      throw new CorruptLogError(
        segments[i + 1]!.logPath,
        0,
        `the segment starts at offset ${next}, inside the previous one, which ends at ${segment.nextOffset}`,
      )
    }
    if (segment.nextOffset < next) {
      segment.damaged.push({
        position: segment.size,
        end: segment.size,
        fromOffset: segment.nextOffset,
        toOffset: next,
        reason: `offsets ${segment.nextOffset}..${next - 1} are missing: the segment ends before the next one starts`,
        torn: false,
      })
      segment.nextOffset = next
    }
  })
}

function keptDamage(ctx: RecoveryContext, segment: Segment, range: DamagedRange) {
  return {
    topic: ctx.topic,
    partition: ctx.partition,
    file: segment.logPath,
    position: range.position,
    length: range.end - range.position,
    offset: range.fromOffset,
    endOffset: range.toOffset,
    reason: range.reason,
    action: 'kept' as const,
    damagedFile: null,
  }
}

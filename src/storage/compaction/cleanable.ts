import type { CompactionRequest, SegmentInfo } from '../storage'

/**
 * The part of a log one compaction pass works on: from the log's first segment up to `end` (a segment
 * boundary), of which the segments from `firstDirty` on are the dirty part, not compacted yet.
 */
export interface CleanableRange {
  /** How many segments (from the first) the pass compacts. */
  segments: number
  /** One past the last offset compacted. */
  end: number
  /** Where the dirty part starts: the keys are learnt from there to `end`. */
  firstDirty: number
}

/**
 * What Kafka's log cleaner would compact now, or null when nothing is due. Only whole segments before
 * the active (last) one, before the last stable offset, and whose newest record is at least
 * `minCompactionLagMs` old; and only when the dirty part is at least `minCleanableDirtyRatio` of those
 * bytes — or the pass is forced, or a delete horizon (`nextHorizon`, -1 for none) has passed, so that
 * tombstones and markers due to go do go.
 *
 * @example
 * ```ts
 * const range = cleanableRange([...log.segments()], firstDirty, nextHorizon, request)
 * ```
 */
export function cleanableRange(
  segments: readonly SegmentInfo[],
  firstDirty: number,
  nextHorizon: number,
  request: CompactionRequest,
): CleanableRange | null {
  const newest = request.now - request.minCompactionLagMs
  let count = 0
  let end = -1
  let bytes = 0
  let dirtyBytes = 0
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i]!
    if (segment.nextOffset > request.lastStableOffset) break
    if (request.minCompactionLagMs > 0 && segment.maxTimestamp > newest) break
    count = i + 1
    end = segment.nextOffset
    bytes += segment.sizeBytes
    if (segment.baseOffset >= firstDirty) dirtyBytes += segment.sizeBytes
  }
  if (count === 0) return null
  const horizonDue = nextHorizon >= 0 && nextHorizon <= request.now
  if (!request.force && !horizonDue) {
    if (dirtyBytes === 0 || dirtyBytes < request.minCleanableDirtyRatio * bytes) return null
  }
  return { segments: count, end, firstDirty: Math.min(firstDirty, end) }
}

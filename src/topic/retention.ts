import type { SegmentInfo } from '../storage/storage'

/**
 * What retention keeps, as Kafka's log cleaner decides it for `cleanup.policy=delete`.
 *
 * @example
 * ```ts
 * const policy: RetentionPolicy = { now: Date.now(), retentionMs: 86_400_000, retentionBytes: null }
 * ```
 */
export interface RetentionPolicy {
  now: number
  /** Segments whose newest record is older than this are deleted; null keeps them. */
  retentionMs: number | null
  /** The oldest segments are deleted while the log stays at or above this size; null is unlimited. */
  retentionBytes: number | null
}

/**
 * The offset the log may be truncated before under `policy`: the base offset of the first segment to
 * keep, or undefined when nothing goes. Whole segments only, oldest first, never the active (last)
 * segment — as Kafka deletes segments whose max timestamp is past retention.ms, or while the log
 * minus the segment is still at or above retention.bytes.
 *
 * @example
 * ```ts
 * const cut = retentionCut(log.segments(), log.sizeBytes, policy)
 * if (cut !== undefined) await log.truncateBefore(cut)
 * ```
 */
export function retentionCut(
  segments: Iterable<SegmentInfo>,
  sizeBytes: number,
  { now, retentionMs, retentionBytes }: RetentionPolicy,
): number | undefined {
  if (retentionMs === null && retentionBytes === null) return undefined
  let cut: number | undefined
  let size = sizeBytes
  let previous: SegmentInfo | undefined
  for (const segment of segments) {
    // `previous` is deletable only now that a later segment exists: the last one is active.
    if (previous !== undefined) {
      const expired =
        retentionMs !== null && previous.maxTimestamp >= 0 && previous.maxTimestamp < now - retentionMs
      const oversized = retentionBytes !== null && size - previous.sizeBytes >= retentionBytes
      if (!expired && !oversized) return cut
      size -= previous.sizeBytes
      cut = segment.baseOffset
    }
    previous = segment
  }
  return cut
}

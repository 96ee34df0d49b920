import { CorruptLogError } from '../../errors'
import type { RecordBatch } from '../../record/record-batch'
import { checkBatch } from '../../record/v2/check'
import { batchFromBytes } from '../../record/v2/decode'
import { BATCH_HEADER_BYTES, LENGTH_OFFSET, LOG_OVERHEAD } from '../../record/v2/layout'
import { type RecoveryContext, rescanSegment } from './recovery'
import type { Segment } from './segment'
import { readFully } from './segment-scan'

/** Disk reads fetch at least this much, so that a small budget does not cost a system call per batch. */
const MIN_READ_BYTES = 64 * 1024

/** What a disk read needs of its log. */
export interface ReadSource {
  readonly segments: readonly Segment[]
  /** Batches at or past this offset are not readable yet (not durable under fsync 'always'). */
  readonly visibleEnd: number
  /** One past the last offset written: where the active segment's offsets end. */
  readonly nextOffset: number
}

interface ReadFailure {
  segment: Segment
  position: number
  offset: number | undefined
  reason: string
}

/**
 * Whole batches from the one holding `offset`, read from the segment files, at least one batch with
 * records and otherwise up to about `maxBytes`. Every batch is checked on every read — its CRC, and
 * that its offsets are the ones expected there (baseOffset is outside Kafka's CRC, so a flipped byte
 * there is caught only this way) — and returned as a `RecordBatch` over its bytes, decoded lazily.
 *
 * When a batch is not what it must be, the segment is scanned again (its index may be what is wrong;
 * otherwise the damage is recorded and reported) and the read retried once. Damage never hides the
 * batches before it: a read from an earlier offset returns them and stops; a read of a damaged offset
 * throws CorruptLogError naming it; a read past it goes on after it.
 *
 * @example
 * ```ts
 * const batches = readFromDisk(ctx, log, offset, 1 << 20)
 * ```
 */
export function readFromDisk(
  ctx: RecoveryContext,
  source: ReadSource,
  offset: number,
  maxBytes: number,
): RecordBatch[] {
  for (let attempt = 0; ; attempt++) {
    const out: RecordBatch[] = []
    const failure = readInto(ctx, source, offset, maxBytes, out)
    if (failure === undefined || out.length > 0) return out
    if (attempt === 0) {
      const { segments } = source
      const index = segments.indexOf(failure.segment)
      const next = index + 1 < segments.length ? segments[index + 1]!.baseOffset : source.nextOffset
      rescanSegment(ctx, failure.segment, next)
      continue
    }
    throw new CorruptLogError(failure.segment.logPath, failure.position, failure.reason, failure.offset)
  }
}

/**
 * The index of the segment holding `offset` (the last one whose base offset is at or below it).
 *
 * @example
 * ```ts
 * const segment = segments[segmentIndexFor(segments, offset)]
 * ```
 */
export function segmentIndexFor(segments: readonly Segment[], offset: number): number {
  let lo = 0
  let hi = segments.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (segments[mid]!.baseOffset <= offset) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * Kafka's ListOffsets by time over a log: the first offset at or after `start` (and before `end`)
 * whose timestamp is at or after `timestamp`, reading only segments and batches whose max timestamp
 * can hold it.
 *
 * @example
 * ```ts
 * const offset = findOffsetForTimestamp(segments, logStart, logEnd, ts, (o) => log.read(o, 1 << 20))
 * ```
 */
export function findOffsetForTimestamp(
  segments: readonly Segment[],
  start: number,
  end: number,
  timestamp: number,
  read: (offset: number) => readonly RecordBatch[],
): number | null {
  for (const segment of segments) {
    if (segment.maxTimestamp < timestamp || segment.nextOffset <= start) continue
    let offset = Math.max(segment.baseOffset, start)
    const until = Math.min(segment.nextOffset, end)
    while (offset < until) {
      const batches = read(offset)
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

/** One pass of readFromDisk: fills `out`, and says where it met a batch that is not valid. */
function readInto(
  ctx: RecoveryContext,
  source: ReadSource,
  offset: number,
  maxBytes: number,
  out: RecordBatch[],
): ReadFailure | undefined {
  const { segments, visibleEnd } = source
  let index = segmentIndexFor(segments, offset)
  const first = segments[index]!
  const damage = first.damageAt(offset)
  if (damage !== undefined) {
    throw new CorruptLogError(first.logPath, damage.position, damage.reason, damage.fromOffset)
  }
  const start = first.lookup(offset)
  let position = start.position
  /** The base offset the batch at `position` must have; null when only its last offset is known. */
  let expected: number | null = start.lastOffset === null ? first.baseOffset : null
  let expectedLast = start.lastOffset
  let bytes = 0
  let withRecords = false
  for (; index < segments.length; index++) {
    const segment = segments[index]!
    if (segment !== first) {
      // Offsets missing between segments: stop before them; the next read reports them.
      if (out.length > 0 && expected !== null && expected < segment.baseOffset) return undefined
      position = 0
      expected = segment.baseOffset
      expectedLast = null
    }
    const window = new ReadWindow(ctx, segment)
    while (position < segment.size) {
      const range = segment.damageStartingAt(position)
      if (range !== undefined) {
        if (out.length > 0) return undefined
        // Still looking for `offset`, which lies past the damage.
        position = range.end
        expected = range.toOffset
        expectedLast = null
        continue
      }
      const failure = (reason: string): ReadFailure => ({
        segment,
        position,
        offset: expected ?? undefined,
        reason,
      })
      if (segment.size - position < BATCH_HEADER_BYTES)
        return failure('the segment ends inside a batch header')
      let view = window.at(position, BATCH_HEADER_BYTES, maxBytes - bytes)
      const size = LOG_OVERHEAD + view.buf.readInt32BE(view.p + LENGTH_OFFSET)
      if (size < BATCH_HEADER_BYTES || position + size > segment.size) {
        return failure(`batch length ${size} does not fit in the segment`)
      }
      view = window.at(position, size, maxBytes - bytes)
      const check = checkBatch(view.buf, view.p, view.p + size)
      if (!check.ok) return failure(check.reason)
      const { header } = check
      if (expected !== null && header.baseOffset !== expected) {
        return failure(`base offset ${header.baseOffset} where ${expected} was expected`)
      }
      const last = header.baseOffset + header.lastOffsetDelta
      if (expectedLast !== null && last !== expectedLast) {
        return failure(
          `the index says a batch ending at offset ${expectedLast} starts here; this one ends at ${last}`,
        )
      }
      if (header.baseOffset >= visibleEnd) return undefined
      if (last >= offset) {
        out.push(batchFromBytes(view.buf.subarray(view.p, view.p + size), header))
        bytes += size
        if (header.recordCount > 0) withRecords = true
        if (bytes >= maxBytes && withRecords) return undefined
      }
      position += size
      expected = last + 1
      expectedLast = null
    }
  }
  return undefined
}

/**
 * A segment's bytes, read in windows of about the read budget. Batches handed out are views into a
 * window, so a window is never reused: a new read allocates a new one.
 */
class ReadWindow {
  #buf: Buffer = Buffer.alloc(0)
  #start = 0

  constructor(
    private readonly ctx: RecoveryContext,
    private readonly segment: Segment,
  ) {}

  at(position: number, length: number, budget: number): { buf: Buffer; p: number } {
    if (position < this.#start || position + length > this.#start + this.#buf.length) {
      const size = Math.min(this.segment.size - position, Math.max(length, budget, MIN_READ_BYTES))
      const buf = Buffer.allocUnsafe(size)
      const read = readFully(this.ctx.fs, this.ctx.files, this.segment, buf, size, position)
      this.#buf = read === size ? buf : buf.subarray(0, read)
      this.#start = position
      if (read < length) {
        throw new CorruptLogError(this.segment.logPath, position + read, 'unexpected end of file')
      }
    }
    return { buf: this.#buf, p: position - this.#start }
  }
}

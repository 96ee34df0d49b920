import { crc32c } from './crc32c'
import {
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  type BatchHeader,
  COMPRESSION_MASK,
  CRC_OFFSET,
  int32At,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC,
  MAGIC_OFFSET,
  MIN_BATCH_LENGTH,
  readBatchHeader,
} from './layout'

/**
 * The verdict of {@link checkBatch}: the header and size of a valid batch, or why it is not one.
 *
 * @example
 * ```ts
 * const check: BatchCheck = checkBatch(buf, pos, buf.length)
 * if (!check.ok) throw new CorruptLogError(file, pos, check.reason)
 * ```
 */
export type BatchCheck = { ok: true; header: BatchHeader; size: number } | { ok: false; reason: string }

/** attributes, timestampDelta, offsetDelta, keyLength, valueLength and headersCount: one byte each. */
const MIN_RECORD_BODY_BYTES = 6

/**
 * Validates the batch at `position`, which must end by `end`: enough bytes for the header, a sane
 * `batchLength` (at least 49, not past `end`), magic 2, the CRC-32C over attributes..end, a record
 * count between 0 and `lastOffsetDelta + 1`, and (for uncompressed batches) record length prefixes
 * that frame exactly `recordCount` records filling the batch. Never throws.
 *
 * baseOffset and partitionLeaderEpoch are outside the CRC in Kafka's format (the broker rewrites them
 * on append), so corruption there is not detected here: callers check baseOffset against the offset
 * they expect. `recordCount` may be below `lastOffsetDelta + 1` because Kafka's compaction removes
 * records from a batch while keeping its offset range.
 *
 * @example
 * ```ts
 * let pos = 0
 * for (;;) {
 *   const check = checkBatch(buf, pos, buf.length)
 *   if (!check.ok) break
 *   pos += check.size
 * }
 * ```
 */
export function checkBatch(buf: Buffer, position: number, end: number): BatchCheck {
  if (end > buf.length) end = buf.length
  const available = end - position
  if (available < BATCH_HEADER_BYTES) {
    return fail(`${Math.max(available, 0)} bytes left, fewer than a batch header (${BATCH_HEADER_BYTES})`)
  }
  const batchLength = int32At(buf, position + LENGTH_OFFSET)
  if (batchLength < MIN_BATCH_LENGTH) {
    return fail(`batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`)
  }
  const size = LOG_OVERHEAD + batchLength
  if (size > available) return fail(`batch of ${size} bytes runs past the end (${available} bytes left)`)
  const magic = buf[position + MAGIC_OFFSET]!
  if (magic !== MAGIC) return fail(`magic ${magic} is not ${MAGIC}`)
  const batchEnd = position + size
  const stored = int32At(buf, position + CRC_OFFSET) >>> 0
  const computed = crc32c(buf, position + ATTRIBUTES_OFFSET, batchEnd)
  if (stored !== computed) {
    return fail(`CRC mismatch: stored 0x${hex(stored)}, computed 0x${hex(computed)}`)
  }
  const header = readBatchHeader(buf, position)
  const count = header.recordCount
  if (count < 0 || count > header.lastOffsetDelta + 1) {
    return fail(`recordCount ${count} does not fit lastOffsetDelta ${header.lastOffsetDelta}`)
  }
  if ((header.attributes & COMPRESSION_MASK) === 0) {
    const framing = checkFraming(buf, position + BATCH_HEADER_BYTES, batchEnd, count)
    if (framing !== undefined) return fail(framing)
  }
  return { ok: true, header, size }
}

/**
 * Returns a reason if the record length prefixes do not frame exactly `count` records in [pos, end).
 * It runs once per record of every batch a log checks, so the zigzag varint of each length is read
 * inline (Kafka's varint: at most 5 bytes) with nothing allocated and no cursor to store.
 */
function checkFraming(buf: Buffer, pos: number, end: number, count: number): string | undefined {
  for (let i = 0; i < count; i++) {
    if (pos >= end) return `record ${i} runs past the end of the batch`
    const at = pos
    let b = buf[pos++]!
    let z = b & 0x7f
    if ((b & 0x80) !== 0) {
      let shift = 7
      do {
        if (shift > 28) return `Varint at byte ${at} is longer than 5 bytes`
        if (pos >= end) return `record ${i} runs past the end of the batch`
        b = buf[pos++]!
        z |= (b & 0x7f) << shift
        shift += 7
      } while ((b & 0x80) !== 0)
    }
    const length = (z >>> 1) ^ -(z & 1)
    if (length < MIN_RECORD_BODY_BYTES) return `record ${i} has length ${length}`
    pos += length
    if (pos > end) return `record ${i} runs past the end of the batch`
  }
  if (pos !== end) return `${end - pos} bytes after the last of ${count} records`
  return undefined
}

function fail(reason: string): BatchCheck {
  return { ok: false, reason }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0')
}

/**
 * Kafka's RecordBatch v2 (magic 2), byte for byte, so that Kafka's own tools (`kafka-dump-log.sh`) can
 * read logbus segments. Layout, all integers big-endian:
 *
 * ```
 *  0 baseOffset int64            27 baseTimestamp int64
 *  8 batchLength int32           35 maxTimestamp int64
 * 12 partitionLeaderEpoch int32  43 producerId int64
 * 16 magic int8 = 2              51 producerEpoch int16
 * 17 crc uint32                  53 baseSequence int32
 * 21 attributes int16            57 recordsCount int32
 * 23 lastOffsetDelta int32       61 records
 *
 * record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 *         keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
 *         headersCount varint, headers: keyLength varint, key (UTF-8), valueLength varint, value
 * ```
 *
 * The CRC-32C covers attributes through the end of the batch, so that a broker can rewrite baseOffset
 * and partitionLeaderEpoch on append without recomputing it.
 *
 * `batchLength` counts the bytes after itself, so a batch takes `12 + batchLength` bytes on disk.
 */

import { LogbusError } from '../../errors'
import { EMPTY_HEADERS, type LogRecord, type RecordHeaders } from '../../record/log-record'
import { crc32c } from './crc32c'
import {
  type Cursor,
  readVarint,
  readVarlong,
  varintSize,
  varlongSize,
  writeVarint,
  writeVarlong,
} from './varint'

/**
 * Size in bytes of the batch header up to and including recordsCount (61 bytes).
 *
 * @example
 * ```ts
 * const firstRecordAt = batchPosition + BATCH_HEADER_BYTES
 * ```
 */
export const BATCH_HEADER_BYTES = 61

const LENGTH_OFFSET = 8
const PARTITION_LEADER_EPOCH_OFFSET = 12
const MAGIC_OFFSET = 16
const CRC_OFFSET = 17
const ATTRIBUTES_OFFSET = 21
const LAST_OFFSET_DELTA_OFFSET = 23
const BASE_TIMESTAMP_OFFSET = 27
const MAX_TIMESTAMP_OFFSET = 35
const PRODUCER_ID_OFFSET = 43
const PRODUCER_EPOCH_OFFSET = 51
const BASE_SEQUENCE_OFFSET = 53
const RECORDS_COUNT_OFFSET = 57
/** baseOffset and batchLength precede what batchLength counts. */
const LOG_OVERHEAD = 12
/** The smallest batchLength: a header with no records. */
const MIN_BATCH_LENGTH = BATCH_HEADER_BYTES - LOG_OVERHEAD
const MAGIC = 2
/**
 * The epoch a single-broker Kafka writes into every batch it appends as leader of a new partition:
 * producers send -1 (NO_PARTITION_LEADER_EPOCH) and the leader overwrites it with its epoch, which
 * starts at 0.
 */
const PARTITION_LEADER_EPOCH = 0
const NO_PRODUCER_ID = -1
const NO_PRODUCER_EPOCH = -1
const NO_SEQUENCE = -1
/** Kafka's RecordBatch.NO_TIMESTAMP, for the timestamps of a batch without records. */
const NO_TIMESTAMP = -1
const COMPRESSION_MASK = 0x07
const LOG_APPEND_TIME_FLAG = 0x08
/** attributes, timestampDelta, offsetDelta, keyLength, valueLength and headersCount: one byte each. */
const MIN_RECORD_BODY_BYTES = 6
const TWO_POW_32 = 4294967296
const INT32_MAX = 0x7fffffff
/** Below this length a byte loop beats `Uint8Array.set`, whose call overhead dominates small copies. */
const SMALL_COPY_BYTES = 32
/** Header keys up to this length get their UTF-8 length and bytes computed in JS, not through C++. */
const SMALL_STRING_CHARS = 64

/**
 * The fixed part of a RecordBatch v2, as {@link readBatchHeader} reads it. 64-bit fields are numbers
 * (exact up to 2^53).
 *
 * @example
 * ```ts
 * const h: BatchHeader = readBatchHeader(buf, 0)
 * const nextOffset = h.baseOffset + h.lastOffsetDelta + 1
 * ```
 */
export interface BatchHeader {
  baseOffset: number
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  /** As stored: unsigned 32-bit. */
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordCount: number
}

/**
 * The verdict of {@link checkBatch}: the header and on-disk size of a valid batch, or why it is not one.
 *
 * @example
 * ```ts
 * const check: BatchCheck = checkBatch(buf, pos, buf.length)
 * if (!check.ok) throw new CorruptLogError(file, pos, check.reason)
 * ```
 */
export type BatchCheck = { ok: true; header: BatchHeader; size: number } | { ok: false; reason: string }

/** Reused by the size pass of encodeRecordBatch so encoding allocates nothing per record. */
let bodySizes = new Int32Array(256)
/** Reused by checkBatch and decodeRecordBatch; both are synchronous, so nothing else can hold it. */
const cursor: Cursor = { pos: 0 }

/**
 * The exact number of bytes {@link encodeRecordBatch} writes for these records, without allocating.
 *
 * @example
 * ```ts
 * const size = encodedBatchSize(records)
 * if (position + size > segmentBuffer.length) rollSegment()
 * ```
 */
export function encodedBatchSize(records: readonly LogRecord[]): number {
  const n = records.length
  if (n === 0) return BATCH_HEADER_BYTES
  const baseTimestamp = records[0]!.timestamp
  let size = BATCH_HEADER_BYTES
  for (let i = 0; i < n; i++) {
    const body = recordBodySize(records[i]!, i, baseTimestamp)
    size += varintSize(body) + body
  }
  return size
}

/**
 * Encodes records as one RecordBatch v2, as a plain (non-idempotent, uncompressed, CreateTime) Kafka
 * producer batch appended by a leader of epoch 0: record `i` gets offset `baseOffset + i` (the
 * records' own `offset` fields are ignored), `baseTimestamp` is the first record's timestamp (later
 * ones may be earlier: deltas can be negative) and `maxTimestamp` the largest. A header whose value is
 * an array is written as one header per element, in order, under the same key.
 *
 * With a `target`, the batch is written into it at `position` and the written subarray is returned;
 * otherwise a buffer of exactly the batch's size is allocated. An empty `records` gives a valid
 * 61-byte batch with `lastOffsetDelta` -1 and timestamps -1 (Kafka never writes one; logbus should not
 * either, but it decodes to no records).
 *
 * @throws RangeError if `target` has no room for the batch, or an offset or timestamp (or the delta of
 *   a timestamp from the first) is not a safe integer
 *
 * @example
 * ```ts
 * const batch = encodeRecordBatch(records, logEndOffset)
 * await handle.write(batch, 0, batch.length, filePosition)
 * ```
 */
export function encodeRecordBatch(
  records: readonly LogRecord[],
  baseOffset: number,
  target?: Buffer,
  position = 0,
): Buffer {
  const n = records.length
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) {
    throw new RangeError(`Invalid base offset ${baseOffset}: not a non-negative safe integer`)
  }
  const baseTimestamp = n === 0 ? NO_TIMESTAMP : records[0]!.timestamp
  if (!Number.isSafeInteger(baseTimestamp)) {
    throw new RangeError(`Invalid record timestamp ${baseTimestamp}: not a safe integer`)
  }
  if (bodySizes.length < n) bodySizes = new Int32Array(Math.max(n, bodySizes.length * 2))
  const sizes = bodySizes
  let maxTimestamp = baseTimestamp
  let size = BATCH_HEADER_BYTES
  for (let i = 0; i < n; i++) {
    const record = records[i]!
    if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp
    const body = recordBodySize(record, i, baseTimestamp)
    sizes[i] = body
    size += varintSize(body) + body
  }
  if (size - LOG_OVERHEAD > INT32_MAX) throw new RangeError(`Record batch of ${size} bytes is too large`)

  let buf: Buffer
  let start: number
  if (target === undefined) {
    buf = Buffer.allocUnsafe(size)
    start = 0
  } else {
    if (position < 0 || position + size > target.length) {
      throw new RangeError(
        `Record batch of ${size} bytes does not fit in the target at ${position} (length ${target.length})`,
      )
    }
    buf = target
    start = position
  }

  writeInt64(buf, start, baseOffset)
  writeInt32(buf, start + LENGTH_OFFSET, size - LOG_OVERHEAD)
  writeInt32(buf, start + PARTITION_LEADER_EPOCH_OFFSET, PARTITION_LEADER_EPOCH)
  buf[start + MAGIC_OFFSET] = MAGIC
  // CRC at 17..21 is filled in last, once the bytes it covers are written.
  buf[start + ATTRIBUTES_OFFSET] = 0
  buf[start + ATTRIBUTES_OFFSET + 1] = 0
  writeInt32(buf, start + LAST_OFFSET_DELTA_OFFSET, n - 1)
  writeInt64(buf, start + BASE_TIMESTAMP_OFFSET, baseTimestamp)
  writeInt64(buf, start + MAX_TIMESTAMP_OFFSET, maxTimestamp)
  writeInt64(buf, start + PRODUCER_ID_OFFSET, NO_PRODUCER_ID)
  buf[start + PRODUCER_EPOCH_OFFSET] = NO_PRODUCER_EPOCH
  buf[start + PRODUCER_EPOCH_OFFSET + 1] = NO_PRODUCER_EPOCH
  writeInt32(buf, start + BASE_SEQUENCE_OFFSET, NO_SEQUENCE)
  writeInt32(buf, start + RECORDS_COUNT_OFFSET, n)

  let pos = start + BATCH_HEADER_BYTES
  for (let i = 0; i < n; i++) {
    const record = records[i]!
    pos = writeVarint(buf, pos, sizes[i]!)
    buf[pos++] = 0
    pos = writeVarlong(buf, pos, record.timestamp - baseTimestamp)
    pos = writeVarint(buf, pos, i)
    pos = writeBytes(buf, pos, record.key)
    pos = writeBytes(buf, pos, record.value)
    const headers = record.headers
    if (headers === EMPTY_HEADERS) {
      buf[pos++] = 0
    } else {
      pos = writeVarint(buf, pos, headerCount(headers))
      for (const name in headers) {
        const value = headers[name]!
        if (Array.isArray(value)) {
          for (let j = 0; j < value.length; j++) {
            pos = writeString(buf, pos, name)
            pos = writeBytes(buf, pos, value[j]!)
          }
        } else {
          pos = writeString(buf, pos, name)
          pos = writeBytes(buf, pos, value)
        }
      }
    }
  }

  const end = start + size
  writeInt32(buf, start + CRC_OFFSET, crc32c(buf, start + ATTRIBUTES_OFFSET, end))
  return target === undefined ? buf : buf.subarray(start, end)
}

/**
 * Reads the fixed header of the batch at `position` without validating anything: pair it with
 * {@link checkBatch}. Never throws; bytes past the end of `buf` read as 0.
 *
 * @example
 * ```ts
 * const { baseOffset, lastOffsetDelta } = readBatchHeader(buf, position)
 * ```
 */
export function readBatchHeader(buf: Buffer, position: number): BatchHeader {
  return {
    baseOffset: int64At(buf, position),
    batchLength: int32At(buf, position + LENGTH_OFFSET),
    partitionLeaderEpoch: int32At(buf, position + PARTITION_LEADER_EPOCH_OFFSET),
    magic: ((buf[position + MAGIC_OFFSET] ?? 0) << 24) >> 24,
    crc: int32At(buf, position + CRC_OFFSET) >>> 0,
    attributes: int16At(buf, position + ATTRIBUTES_OFFSET),
    lastOffsetDelta: int32At(buf, position + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: int64At(buf, position + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: int64At(buf, position + MAX_TIMESTAMP_OFFSET),
    producerId: int64At(buf, position + PRODUCER_ID_OFFSET),
    producerEpoch: int16At(buf, position + PRODUCER_EPOCH_OFFSET),
    baseSequence: int32At(buf, position + BASE_SEQUENCE_OFFSET),
    recordCount: int32At(buf, position + RECORDS_COUNT_OFFSET),
  }
}

/**
 * Validates the batch at `position`, which must end by `end`: enough bytes for the header, a sane
 * `batchLength` (at least 49, not past `end`), magic 2, the CRC-32C over attributes..end, a record
 * count between 0 and `lastOffsetDelta + 1`, and (for uncompressed batches) record length prefixes
 * that frame exactly `recordCount` records filling the batch. Never throws.
 *
 * baseOffset and partitionLeaderEpoch are outside the CRC in Kafka's format (the broker rewrites them
 * on append), so corruption there is not detected here; callers check baseOffset against the offset
 * they expect. `recordCount` may be below `lastOffsetDelta + 1` because Kafka's compaction removes
 * records from a batch while keeping its offset range.
 *
 * @example
 * ```ts
 * let pos = 0
 * for (;;) {
 *   const check = checkBatch(buf, pos, buf.length)
 *   if (!check.ok) break // torn tail: cut the file at pos
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
 * Decodes the records of a batch that {@link checkBatch} accepted. Keys, values and header values are
 * views into `buf` (no copies: keep `buf` alive and unmodified while the records are in use). Offsets
 * are `baseOffset + offsetDelta`, timestamps `baseTimestamp + timestampDelta` (or `maxTimestamp` when
 * the batch says LogAppendTime). A header key that repeats becomes an array of its values, in order;
 * a null header value (which Kafka allows and logbus never writes) reads as an empty Buffer.
 *
 * @throws LogbusError (`CORRUPT_MESSAGE`) if the batch is compressed, a header key is null, or a record
 *   does not end where its length prefix says
 *
 * @example
 * ```ts
 * const check = checkBatch(buf, pos, buf.length)
 * if (check.ok) records.push(...decodeRecordBatch(buf, pos, 'orders', 0))
 * ```
 */
export function decodeRecordBatch(
  buf: Buffer,
  position: number,
  topic: string,
  partition: number,
): LogRecord[] {
  const attributes = int16At(buf, position + ATTRIBUTES_OFFSET)
  if ((attributes & COMPRESSION_MASK) !== 0) {
    throw new LogbusError(
      'CORRUPT_MESSAGE',
      `Record batch at byte ${position} is compressed (codec ${attributes & COMPRESSION_MASK}); logbus reads only uncompressed batches`,
    )
  }
  const baseOffset = int64At(buf, position)
  const baseTimestamp = int64At(buf, position + BASE_TIMESTAMP_OFFSET)
  const logAppendTime = (attributes & LOG_APPEND_TIME_FLAG) !== 0
  const maxTimestamp = logAppendTime ? int64At(buf, position + MAX_TIMESTAMP_OFFSET) : 0
  const count = int32At(buf, position + RECORDS_COUNT_OFFSET)
  const records = new Array<LogRecord>(count)
  const c = cursor
  c.pos = position + BATCH_HEADER_BYTES
  for (let i = 0; i < count; i++) {
    const length = readVarint(buf, c)
    const recordEnd = c.pos + length
    c.pos++ // record attributes: unused by Kafka
    const timestampDelta = readVarlong(buf, c)
    const offsetDelta = readVarint(buf, c)
    const key = readBytes(buf, c)
    const value = readBytes(buf, c)
    const headerCount = readVarint(buf, c)
    const headers = headerCount === 0 ? EMPTY_HEADERS : readHeaders(buf, c, headerCount)
    if (c.pos !== recordEnd) {
      throw new LogbusError(
        'CORRUPT_MESSAGE',
        `Record ${i} of the batch at byte ${position} ends at byte ${c.pos}, not at ${recordEnd} as its length says`,
      )
    }
    records[i] = {
      topic,
      partition,
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    }
  }
  return records
}

function recordBodySize(record: LogRecord, index: number, baseTimestamp: number): number {
  const timestampDelta = record.timestamp - baseTimestamp
  // Checked here, before anything is written, rather than by writeVarlong mid-batch.
  if ((timestampDelta | 0) !== timestampDelta && !Number.isSafeInteger(timestampDelta)) {
    throw new RangeError(
      `Invalid record timestamp ${record.timestamp}: not a safe integer delta from the first`,
    )
  }
  let size = 1 + varlongSize(timestampDelta) + varintSize(index)
  const key = record.key
  size += key === null ? 1 : varintSize(key.length) + key.length
  const value = record.value
  size += value === null ? 1 : varintSize(value.length) + value.length
  const headers = record.headers
  if (headers === EMPTY_HEADERS) return size + 1
  let count = 0
  for (const name in headers) {
    const v = headers[name]!
    const nameBytes = utf8Length(name)
    const nameSize = varintSize(nameBytes) + nameBytes
    if (Array.isArray(v)) {
      for (let j = 0; j < v.length; j++) {
        const len = v[j]!.length
        size += nameSize + varintSize(len) + len
      }
      count += v.length
    } else {
      size += nameSize + varintSize(v.length) + v.length
      count++
    }
  }
  return size + varintSize(count)
}

function headerCount(headers: RecordHeaders): number {
  let count = 0
  for (const name in headers) {
    const v = headers[name]!
    count += Array.isArray(v) ? v.length : 1
  }
  return count
}

function writeBytes(buf: Buffer, pos: number, bytes: Uint8Array | null): number {
  if (bytes === null) {
    buf[pos] = 1 // zigzag(-1)
    return pos + 1
  }
  const len = bytes.length
  pos = writeVarint(buf, pos, len)
  if (len < SMALL_COPY_BYTES) {
    for (let i = 0; i < len; i++) buf[pos + i] = bytes[i]!
  } else {
    buf.set(bytes, pos)
  }
  return pos + len
}

function writeString(buf: Buffer, pos: number, s: string): number {
  const bytes = utf8Length(s)
  pos = writeVarint(buf, pos, bytes)
  if (bytes === s.length && s.length <= SMALL_STRING_CHARS) {
    // Equal lengths mean every char is ASCII: one byte each.
    for (let i = 0; i < bytes; i++) buf[pos + i] = s.charCodeAt(i)
  } else {
    buf.write(s, pos, bytes, 'utf8')
  }
  return pos + bytes
}

/** UTF-8 byte length as Buffer.byteLength computes it (a lone surrogate becomes 3-byte U+FFFD). */
function utf8Length(s: string): number {
  const n = s.length
  if (n > SMALL_STRING_CHARS) return Buffer.byteLength(s, 'utf8')
  let bytes = n
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) {
      bytes += 1
    } else {
      bytes += 2
      // A surrogate pair is 2 chars and 4 bytes: skip the low half, already counted as 1 + 1.
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const next = s.charCodeAt(i + 1)
        if (next >= 0xdc00 && next <= 0xdfff) i++
      }
    }
  }
  return bytes
}

function readBytes(buf: Buffer, c: Cursor): Buffer | null {
  const len = readVarint(buf, c)
  if (len < 0) return null
  const start = c.pos
  c.pos = start + len
  return buf.subarray(start, start + len)
}

function readHeaders(buf: Buffer, c: Cursor, count: number): RecordHeaders {
  const headers: RecordHeaders = {}
  for (let h = 0; h < count; h++) {
    const keyLength = readVarint(buf, c)
    if (keyLength < 0) {
      throw new LogbusError('CORRUPT_MESSAGE', `Header key of length ${keyLength} at byte ${c.pos}`)
    }
    const keyStart = c.pos
    const name = buf.toString('utf8', keyStart, keyStart + keyLength)
    c.pos = keyStart + keyLength
    const valueLength = readVarint(buf, c)
    const valueStart = c.pos
    const valueEnd = valueLength < 0 ? valueStart : valueStart + valueLength
    const value = buf.subarray(valueStart, valueEnd)
    c.pos = valueEnd
    // hasOwn, not `headers[name] === undefined`: names like "toString" exist on the prototype.
    if (!Object.hasOwn(headers, name)) {
      if (name === '__proto__') {
        // Plain assignment would call the prototype setter instead of creating a header.
        Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true })
      } else {
        headers[name] = value
      }
    } else {
      const previous = headers[name]!
      if (Array.isArray(previous)) previous.push(value)
      else headers[name] = [previous, value]
    }
  }
  return headers
}

/** Returns a reason if the record length prefixes do not frame exactly `count` records in [pos, end). */
function checkFraming(buf: Buffer, pos: number, end: number, count: number): string | undefined {
  const c = cursor
  c.pos = pos
  try {
    for (let i = 0; i < count; i++) {
      const length = readVarint(buf, c)
      if (length < MIN_RECORD_BODY_BYTES) return `record ${i} has length ${length}`
      c.pos += length
      if (c.pos > end) return `record ${i} runs past the end of the batch`
    }
  } catch (err) {
    return (err as Error).message
  }
  if (c.pos !== end) return `${end - c.pos} bytes after the last of ${count} records`
  return undefined
}

function fail(reason: string): BatchCheck {
  return { ok: false, reason }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0')
}

function int16At(buf: Uint8Array, p: number): number {
  return (((buf[p]! << 8) | buf[p + 1]!) << 16) >> 16
}

function int32At(buf: Uint8Array, p: number): number {
  return (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!
}

function int64At(buf: Uint8Array, p: number): number {
  return int32At(buf, p) * TWO_POW_32 + (int32At(buf, p + 4) >>> 0)
}

function writeInt32(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v >>> 24
  buf[p + 1] = v >>> 16
  buf[p + 2] = v >>> 8
  buf[p + 3] = v
}

function writeInt64(buf: Uint8Array, p: number, v: number): void {
  const hi = Math.floor(v / TWO_POW_32)
  writeInt32(buf, p, hi)
  writeInt32(buf, p + 4, v - hi * TWO_POW_32)
}

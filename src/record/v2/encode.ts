import { RAW } from '../codec'
import type { RecordHeaders } from '../log-record'
import type { RecordBatch } from '../record-batch'
import { crc32c } from './crc32c'
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_BYTES,
  CONTROL_FLAG,
  CRC_OFFSET,
  DELETE_HORIZON_FLAG,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  NO_TIMESTAMP,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  TRANSACTIONAL_FLAG,
  writeInt16,
  writeInt32,
  writeInt64,
} from './layout'
import { varintSize, varlongSize, writeVarint, writeVarlong } from './varint'

/**
 * The epoch a single-broker Kafka writes into every batch it appends as leader of a new partition:
 * producers send -1 (NO_PARTITION_LEADER_EPOCH) and the leader overwrites it with its epoch, which
 * starts at 0.
 */
const PARTITION_LEADER_EPOCH = 0
const INT32_MAX = 0x7fffffff
/** Below this length a byte loop beats `Uint8Array.set`, whose call overhead dominates small copies. */
const SMALL_COPY_BYTES = 32
/** Strings up to this length get their UTF-8 length and bytes computed in JS, not through C++. */
const SMALL_STRING_CHARS = 64

/** A key or value in the form the writer takes: bytes, a string (its UTF-8), or null. */
type Field = Uint8Array | string | null

/**
 * Scratch columns of the batch being encoded, reused so that encoding allocates nothing per record:
 * each key and value made by its codec (encoded once, written in the second pass), their byte lengths,
 * and each record's body size.
 */
let fields: Field[] = []
let lengths = new Int32Array(512)
let bodySizes = new Int32Array(256)

/**
 * Encodes a batch's columns as one RecordBatch v2 at `baseOffset`, through the batch's codecs: each
 * key and value is encoded exactly once (`codec.encode`); a string is written straight into the batch
 * as UTF-8, bytes are copied in. `baseTimestamp` is the first record's timestamp (later ones may be
 * earlier: deltas can be negative), `maxTimestamp` the largest; offsets are `baseOffset + offsetDelta`
 * (dense unless the batch says otherwise). Kafka's producer fields (producerId, epoch, base sequence,
 * transactional and control bits) are written as the batch holds them; the records are never
 * compressed. A header whose value is an array is written as one header per element, in order, under
 * the same key. A batch without records gives a valid 61-byte batch with timestamps -1.
 *
 * @throws RangeError if an offset or timestamp (or the delta of a timestamp from the first) is not a
 *   safe integer, or the batch would be larger than Kafka's int32 batchLength
 * @throws whatever a codec's `encode` throws
 *
 * @example
 * ```ts
 * const bytes = encodeBatch(batch, log.logEndOffset)
 * batch.assignBaseOffset(log.logEndOffset)
 * batch.keepEncoded(bytes)
 * ```
 */
export function encodeBatch(batch: RecordBatch, baseOffset: number): Buffer {
  const n = batch.count
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) {
    throw new RangeError(`Invalid base offset ${baseOffset}: not a non-negative safe integer`)
  }
  // An empty batch (what compaction leaves where records went) may carry the time of what it replaced.
  const firstRecord = n === 0 ? Math.max(batch.firstTimestamp, NO_TIMESTAMP) : batch.firstTimestamp
  // With a delete horizon, baseTimestamp holds it and record timestamps are deltas from it (KIP-534).
  const horizon = batch.deleteHorizonMs >= 0
  const first = horizon ? batch.deleteHorizonMs : firstRecord
  if (!Number.isSafeInteger(first))
    throw new RangeError(`Invalid record timestamp ${first}: not a safe integer`)
  const keyCodec = batch.keyCodec
  const valueCodec = batch.valueCodec
  const { keys, values, headers, timestamps, offsetDeltas: deltas, start: at } = batch.columns
  if (fields.length < 2 * n) fields = new Array<Field>(Math.max(2 * n, fields.length * 2)).fill(null)
  if (lengths.length < 2 * n) lengths = new Int32Array(Math.max(2 * n, lengths.length * 2))
  if (bodySizes.length < n) bodySizes = new Int32Array(Math.max(n, bodySizes.length * 2))
  try {
    let maxTimestamp = n === 0 ? Math.max(batch.maxTimestamp, NO_TIMESTAMP) : firstRecord
    let size = BATCH_HEADER_BYTES
    for (let i = 0; i < n; i++) {
      const timestamp = timestamps === null ? firstRecord : timestamps[at + i]!
      const timestampDelta = timestamp - first
      // Checked here, before anything is written, rather than by writeVarlong mid-batch.
      if (!Number.isSafeInteger(timestampDelta)) {
        throw new RangeError(`Invalid record timestamp ${timestamp}: not a safe integer delta from the first`)
      }
      if (timestamp > maxTimestamp) maxTimestamp = timestamp
      const key = encodeField(keyCodec, keys[at + i])
      const value = encodeField(valueCodec, values[at + i])
      const keyLength = key === null ? -1 : typeof key === 'string' ? utf8Length(key) : key.length
      const valueLength = value === null ? -1 : typeof value === 'string' ? utf8Length(value) : value.length
      fields[2 * i] = key
      fields[2 * i + 1] = value
      lengths[2 * i] = keyLength
      lengths[2 * i + 1] = valueLength
      let body = 1 + varlongSize(timestampDelta) + varintSize(deltas === null ? i : deltas[at + i]!)
      body += keyLength < 0 ? 1 : varintSize(keyLength) + keyLength
      body += valueLength < 0 ? 1 : varintSize(valueLength) + valueLength
      body += headersSize(headers === null ? undefined : headers[at + i])
      bodySizes[i] = body
      size += varintSize(body) + body
    }
    if (size - LOG_OVERHEAD > INT32_MAX) throw new RangeError(`Record batch of ${size} bytes is too large`)

    const buf = Buffer.allocUnsafe(size)
    let pos = BATCH_HEADER_BYTES
    for (let i = 0; i < n; i++) {
      pos = writeVarint(buf, pos, bodySizes[i]!)
      buf[pos++] = 0
      pos = writeVarlong(buf, pos, (timestamps === null ? firstRecord : timestamps[at + i]!) - first)
      pos = writeVarint(buf, pos, deltas === null ? i : deltas[at + i]!)
      pos = writeField(buf, pos, fields[2 * i]!, lengths[2 * i]!)
      pos = writeField(buf, pos, fields[2 * i + 1]!, lengths[2 * i + 1]!)
      pos = writeHeaders(buf, pos, headers === null ? undefined : headers[at + i])
    }
    sealBatch(buf, size, {
      baseOffset,
      partitionLeaderEpoch: PARTITION_LEADER_EPOCH,
      attributes:
        (batch.transactional ? TRANSACTIONAL_FLAG : 0) |
        (batch.control ? CONTROL_FLAG : 0) |
        (horizon ? DELETE_HORIZON_FLAG : 0),
      lastOffsetDelta: batch.lastOffsetDelta,
      baseTimestamp: first,
      maxTimestamp,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      count: n,
    })
    return buf
  } finally {
    // The scratch column must not keep the batch's values alive.
    fields.fill(null, 0, 2 * n)
  }
}

/** What a RecordBatch v2 header holds besides its length, magic and CRC. */
export interface BatchHeader {
  readonly baseOffset: number
  readonly partitionLeaderEpoch: number
  readonly attributes: number
  readonly lastOffsetDelta: number
  readonly baseTimestamp: number
  readonly maxTimestamp: number
  readonly producerId: number
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly count: number
}

/**
 * Writes the header of the RecordBatch v2 in `buf[0, size)` (its records already written after the
 * header), and last the CRC-32C over everything from the attributes on.
 *
 * @example
 * ```ts
 * sealBatch(buf, size, { ...header, count: n })
 * ```
 */
export function sealBatch(buf: Buffer, size: number, header: BatchHeader): void {
  writeInt64(buf, 0, header.baseOffset)
  writeInt32(buf, LENGTH_OFFSET, size - LOG_OVERHEAD)
  writeInt32(buf, PARTITION_LEADER_EPOCH_OFFSET, header.partitionLeaderEpoch)
  buf[MAGIC_OFFSET] = MAGIC
  writeInt16(buf, ATTRIBUTES_OFFSET, header.attributes)
  writeInt32(buf, LAST_OFFSET_DELTA_OFFSET, header.lastOffsetDelta)
  writeInt64(buf, BASE_TIMESTAMP_OFFSET, header.baseTimestamp)
  writeInt64(buf, MAX_TIMESTAMP_OFFSET, header.maxTimestamp)
  writeInt64(buf, PRODUCER_ID_OFFSET, header.producerId)
  writeInt16(buf, PRODUCER_EPOCH_OFFSET, header.producerEpoch)
  writeInt32(buf, BASE_SEQUENCE_OFFSET, header.baseSequence)
  writeInt32(buf, RECORDS_COUNT_OFFSET, header.count)
  writeInt32(buf, CRC_OFFSET, crc32c(buf, ATTRIBUTES_OFFSET, size))
}

function encodeField(codec: RecordBatch['keyCodec'], item: unknown): Field {
  if (item === null || item === undefined) return null
  if (codec === RAW) return item as Uint8Array
  return codec.encode(item)
}

function writeField(buf: Buffer, pos: number, field: Field, length: number): number {
  if (field === null) {
    buf[pos] = 1 // zigzag(-1)
    return pos + 1
  }
  pos = writeVarint(buf, pos, length)
  if (typeof field === 'string') return writeUtf8(buf, pos, field, length)
  if (length < SMALL_COPY_BYTES) {
    for (let i = 0; i < length; i++) buf[pos + i] = field[i]!
  } else {
    buf.set(field, pos)
  }
  return pos + length
}

/** The bytes `headers` take in a record: their count and each key and value with its length. */
export function headersSize(headers: RecordHeaders | undefined): number {
  if (headers === undefined) return 1
  let size = 0
  let count = 0
  for (const name in headers) {
    const v = headers[name]!
    const nameBytes = utf8Length(name)
    const nameSize = varintSize(nameBytes) + nameBytes
    if (Array.isArray(v)) {
      for (let j = 0; j < v.length; j++) {
        const len = (v[j] as Buffer).length
        size += nameSize + varintSize(len) + len
      }
      count += v.length
    } else {
      const len = (v as Buffer).length
      size += nameSize + varintSize(len) + len
      count++
    }
  }
  return size + varintSize(count)
}

/** Writes `headers` as a record holds them at `pos`; returns the position after them. */
export function writeHeaders(buf: Buffer, pos: number, headers: RecordHeaders | undefined): number {
  if (headers === undefined) {
    buf[pos] = 0
    return pos + 1
  }
  let count = 0
  for (const name in headers) {
    const v = headers[name]!
    count += Array.isArray(v) ? v.length : 1
  }
  pos = writeVarint(buf, pos, count)
  for (const name in headers) {
    const value = headers[name]!
    const nameBytes = utf8Length(name)
    if (Array.isArray(value)) {
      for (let j = 0; j < value.length; j++) {
        pos = writeUtf8(buf, writeVarint(buf, pos, nameBytes), name, nameBytes)
        pos = writeField(buf, pos, value[j] as Buffer, (value[j] as Buffer).length)
      }
    } else {
      pos = writeUtf8(buf, writeVarint(buf, pos, nameBytes), name, nameBytes)
      pos = writeField(buf, pos, value as Buffer, (value as Buffer).length)
    }
  }
  return pos
}

/** Writes `s` as UTF-8 straight into `buf` (no intermediate Buffer); `bytes` is its UTF-8 length. */
function writeUtf8(buf: Buffer, pos: number, s: string, bytes: number): number {
  if (bytes === s.length && bytes <= SMALL_STRING_CHARS) {
    // Equal lengths mean every char is ASCII: one byte each.
    for (let i = 0; i < bytes; i++) buf[pos + i] = s.charCodeAt(i)
  } else if (buf.write(s, pos, bytes, 'utf8') !== bytes) {
    throw new RangeError(`A string of ${bytes} UTF-8 bytes did not fit where it was measured to`)
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

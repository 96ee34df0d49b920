import { LogbusError } from '../../errors'
import { decompressSync } from '../compression'
import type { RecordHeaders } from '../log-record'
import { type BatchColumns, type BatchMeta, RecordBatch } from '../record-batch'
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_BYTES,
  type BatchHeader,
  COMPRESSION_MASK,
  CONTROL_FLAG,
  DELETE_HORIZON_FLAG,
  int16At,
  int32At,
  int64At,
  LOG_APPEND_TIME_FLAG,
  MAX_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  TRANSACTIONAL_FLAG,
} from './layout'
import { type Cursor, readVarint, readVarlong } from './varint'

/**
 * Turns the compressed records section of a batch into its uncompressed bytes. `codec` is the
 * batch's compression (Kafka's attribute bits 0-2: 1 gzip, 2 snappy, 3 lz4, 4 zstd). By default Kafka's
 * codecs (`decompressSync`; whoever takes compressed bytes in loads their codec first, `loadCodec`).
 *
 * @example
 * ```ts
 * import { gunzipSync } from 'node:zlib'
 * const decompress: Decompress = (codec, bytes) => {
 *   if (codec === 1) return gunzipSync(bytes)
 *   throw new Error(`compression ${codec} is not supported`)
 * }
 * ```
 */
export type Decompress = (codec: number, bytes: Buffer) => Buffer

/** Kafka's codecs, synchronously: a batch decodes lazily, inside a getter. */
const defaultDecompress: Decompress = (codec, bytes) => decompressSync(codec, bytes)

/** Reused by the decoder: it is synchronous, so nothing else can hold it. */
const cursor: Cursor = { pos: 0 }

/**
 * What a batch header says of its batch, as `RecordBatch` meta: a batch read from bytes knows its
 * exact size, its offset range and Kafka's producer fields without decoding a record.
 *
 * @example
 * ```ts
 * const meta = batchMeta(readBatchHeader(bytes, 0), bytes.length)
 * ```
 */
export function batchMeta(header: BatchHeader, size: number): BatchMeta {
  const logAppendTime = (header.attributes & LOG_APPEND_TIME_FLAG) !== 0
  return {
    count: header.recordCount,
    firstTimestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp,
    maxTimestamp: header.maxTimestamp,
    sizeBytes: size,
    lastOffsetDelta: header.lastOffsetDelta,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    transactional: (header.attributes & TRANSACTIONAL_FLAG) !== 0,
    control: (header.attributes & CONTROL_FLAG) !== 0,
    deleteHorizonMs: (header.attributes & DELETE_HORIZON_FLAG) !== 0 ? header.baseTimestamp : -1,
  }
}

/**
 * A `RecordBatch` over the bytes of one batch that `checkBatch` accepted (exactly its bytes, base
 * offset included). Nothing is decoded until a reader asks for a column; then the batch is decoded
 * once, from a private copy of `bytes`, so a handler that changes a delivered key or value can never
 * change `bytes` (what a later reader, or the wire, is served).
 *
 * @example
 * ```ts
 * const batch = batchFromBytes(segmentBytes.subarray(position, position + size), header)
 * ```
 */
export function batchFromBytes(bytes: Buffer, header: BatchHeader, decompress?: Decompress): RecordBatch {
  return RecordBatch.fromEncoded(bytes, header.baseOffset, batchMeta(header, bytes.length), (batch) =>
    decodeColumns(batch.encoded!, decompress),
  )
}

/**
 * Decodes the records of one batch (bytes that `checkBatch` accepted) into columns. Keys, values and
 * header values are views into ONE private copy of `bytes` (or into the decompressed records), never
 * into `bytes` itself. Timestamps are `baseTimestamp + timestampDelta` (every one `maxTimestamp` when
 * the batch says LogAppendTime); the timestamps column is null when all equal the first, the
 * offset-delta column null when offsets are dense. A header key that repeats becomes a frozen array of
 * its values, in order; header maps are frozen; a null header value (which Kafka allows and logbus
 * never writes) reads as an empty Buffer.
 *
 * @throws LogbusError (`CORRUPT_MESSAGE`) if a header key is null, a record does not end where its
 *   length prefix says, or the batch is compressed and `decompress` cannot undo it
 *
 * @example
 * ```ts
 * const { keys, values } = decodeColumns(bytes)
 * ```
 */
export function decodeColumns(bytes: Buffer, decompress: Decompress = defaultDecompress): BatchColumns {
  const attributes = int16At(bytes, ATTRIBUTES_OFFSET)
  const compression = attributes & COMPRESSION_MASK
  let buf: Buffer
  let start: number
  if (compression === 0) {
    buf = Buffer.allocUnsafe(bytes.length)
    bytes.copy(buf)
    start = BATCH_HEADER_BYTES
  } else {
    buf = decompress(compression, bytes.subarray(BATCH_HEADER_BYTES))
    start = 0
  }
  const logAppendTime = (attributes & LOG_APPEND_TIME_FLAG) !== 0
  const baseTimestamp = int64At(bytes, BASE_TIMESTAMP_OFFSET)
  const first = logAppendTime ? int64At(bytes, MAX_TIMESTAMP_OFFSET) : baseTimestamp
  const count = int32At(bytes, RECORDS_COUNT_OFFSET)
  const keys = new Array<Buffer | null>(count)
  const values = new Array<Buffer | null>(count)
  let headers: Array<RecordHeaders | undefined> | null = null
  let timestamps: number[] | null = null
  let offsetDeltas: Int32Array | null = null
  const c = cursor
  c.pos = start
  for (let i = 0; i < count; i++) {
    const length = readVarint(buf, c)
    const recordEnd = c.pos + length
    c.pos++ // record attributes: unused by Kafka
    const timestampDelta = readVarlong(buf, c)
    const offsetDelta = readVarint(buf, c)
    keys[i] = readBytes(buf, c)
    values[i] = readBytes(buf, c)
    const headerCount = readVarint(buf, c)
    if (headerCount !== 0) {
      headers ??= new Array<RecordHeaders | undefined>(count).fill(undefined)
      headers[i] = readHeaders(buf, c, headerCount)
    }
    if (c.pos !== recordEnd) {
      throw new LogbusError(
        'CORRUPT_MESSAGE',
        `Record ${i} of the batch ends at byte ${c.pos}, not at ${recordEnd} as its length says`,
      )
    }
    const timestamp = logAppendTime ? first : baseTimestamp + timestampDelta
    if (timestamp !== first && timestamps === null) timestamps = new Array<number>(count).fill(first)
    if (timestamps !== null) timestamps[i] = timestamp
    if (offsetDelta !== i && offsetDeltas === null) {
      offsetDeltas = new Int32Array(count)
      for (let j = 0; j < i; j++) offsetDeltas[j] = j
    }
    if (offsetDeltas !== null) offsetDeltas[i] = offsetDelta
  }
  return { keys, values, headers, timestamps, offsetDeltas, start: 0 }
}

function readBytes(buf: Buffer, c: Cursor): Buffer | null {
  const len = readVarint(buf, c)
  if (len < 0) return null
  const start = c.pos
  c.pos = start + len
  return buf.subarray(start, start + len)
}

function readHeaders(buf: Buffer, c: Cursor, count: number): RecordHeaders {
  const headers: Record<string, Buffer | Buffer[]> = {}
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
  for (const name in headers) {
    const value = headers[name]!
    if (Array.isArray(value)) Object.freeze(value)
  }
  return Object.freeze(headers)
}

/**
 * Kafka's RecordBatch v2 (magic 2), byte for byte, so that Kafka's own tools (`kafka-dump-log.sh`) and
 * clients can read what logbus writes. Layout, all integers big-endian:
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
 * and partitionLeaderEpoch on append without recomputing it. `batchLength` counts the bytes after
 * itself, so a batch takes `12 + batchLength` bytes.
 */

/**
 * Size in bytes of the batch header up to and including recordsCount (61 bytes).
 *
 * @example
 * ```ts
 * const firstRecordAt = batchPosition + BATCH_HEADER_BYTES
 * ```
 */
export const BATCH_HEADER_BYTES = 61

/**
 * baseOffset and batchLength: the bytes before what batchLength counts.
 *
 * @example
 * ```ts
 * const size = LOG_OVERHEAD + buf.readInt32BE(position + 8)
 * ```
 */
export const LOG_OVERHEAD = 12

export const LENGTH_OFFSET = 8
export const PARTITION_LEADER_EPOCH_OFFSET = 12
export const MAGIC_OFFSET = 16
export const CRC_OFFSET = 17
export const ATTRIBUTES_OFFSET = 21
export const LAST_OFFSET_DELTA_OFFSET = 23
export const BASE_TIMESTAMP_OFFSET = 27
export const MAX_TIMESTAMP_OFFSET = 35
export const PRODUCER_ID_OFFSET = 43
export const PRODUCER_EPOCH_OFFSET = 51
export const BASE_SEQUENCE_OFFSET = 53
export const RECORDS_COUNT_OFFSET = 57
/** The smallest batchLength: a header with no records. */
export const MIN_BATCH_LENGTH = BATCH_HEADER_BYTES - LOG_OVERHEAD
export const MAGIC = 2

/** attributes bits 0-2: the compression codec of the records section (0 = none). */
export const COMPRESSION_MASK = 0x07
/** attributes bit 3: the timestamps are the broker's LogAppendTime (all equal to maxTimestamp). */
export const LOG_APPEND_TIME_FLAG = 0x08
/** attributes bit 4: the batch belongs to a transaction. */
export const TRANSACTIONAL_FLAG = 0x10
/** attributes bit 5: a control batch (a transaction marker). */
export const CONTROL_FLAG = 0x20
/**
 * attributes bit 6: the log cleaner set the batch's delete horizon, held in baseTimestamp (Kafka's
 * KIP-534): its tombstones and its transaction marker may go once that time has passed.
 */
export const DELETE_HORIZON_FLAG = 0x40

/** Kafka's RecordBatch.NO_TIMESTAMP, for the timestamps of a batch without records. */
export const NO_TIMESTAMP = -1

const TWO_POW_32 = 4294967296

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
 * Reads the fixed header of the batch at `position` without validating anything: pair it with
 * `checkBatch`. Never throws; bytes past the end of `buf` read as 0.
 *
 * @example
 * ```ts
 * const { baseOffset, lastOffsetDelta } = readBatchHeader(buf, position)
 * ```
 */
export function readBatchHeader(buf: Uint8Array, position: number): BatchHeader {
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

// Bytes past the end read as undefined, which bitwise operators turn into 0.
export function int16At(buf: Uint8Array, p: number): number {
  return (((buf[p]! << 8) | buf[p + 1]!) << 16) >> 16
}

export function int32At(buf: Uint8Array, p: number): number {
  return (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!
}

export function int64At(buf: Uint8Array, p: number): number {
  return int32At(buf, p) * TWO_POW_32 + (int32At(buf, p + 4) >>> 0)
}

export function writeInt16(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v >>> 8
  buf[p + 1] = v
}

export function writeInt32(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v >>> 24
  buf[p + 1] = v >>> 16
  buf[p + 2] = v >>> 8
  buf[p + 3] = v
}

export function writeInt64(buf: Uint8Array, p: number, v: number): void {
  const hi = Math.floor(v / TWO_POW_32)
  writeInt32(buf, p, hi)
  writeInt32(buf, p + 4, v - hi * TWO_POW_32)
}

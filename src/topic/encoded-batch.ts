import { InvalidRecordError, LogbusError, RecordTooLargeError } from '../errors'
import type { RecordBatch } from '../record/record-batch'
import { checkBatch } from '../record/v2/check'
import { batchFromBytes } from '../record/v2/decode'
import { encodeBatch } from '../record/v2/encode'
import {
  COMPRESSION_MASK,
  CONTROL_FLAG,
  LOG_APPEND_TIME_FLAG,
  PARTITION_LEADER_EPOCH_OFFSET,
  TRANSACTIONAL_FLAG,
  writeInt32,
} from '../record/v2/layout'

/** The highest compression codec id Kafka defines (zstd). */
const MAX_CODEC = 4
/** What a single-broker Kafka stamps as the partition leader epoch (outside the CRC). */
const LEADER_EPOCH = 0

/**
 * Validates one RecordBatch v2 a client sent, as Kafka's broker does before it appends: exactly one
 * batch, magic 2, the CRC, record framing (uncompressed), a known compression codec, at least one
 * record with dense offset deltas, no control batch (only the coordinator writes markers), producer
 * fields that go together, and the topic's `max.message.bytes`. Returns the batch over a private copy
 * of the bytes (so that a socket's buffer is not kept alive, and a later change to `bytes` changes
 * nothing stored), its leader epoch stamped; throws InvalidRecordError, RecordTooLargeError or
 * LogbusError('CORRUPT_MESSAGE' | 'UNSUPPORTED_COMPRESSION_TYPE').
 */
export function receiveBatch(bytes: Uint8Array, topic: string, maxMessageBytes: number): RecordBatch {
  const view = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const check = checkBatch(view, 0, view.length)
  if (!check.ok) throw new LogbusError('CORRUPT_MESSAGE', `Invalid record batch: ${check.reason}`)
  if (check.size !== view.length) {
    throw new InvalidRecordError(
      `Expected exactly one record batch of ${check.size} bytes, got ${view.length} bytes`,
    )
  }
  const { header } = check
  if (view.length > maxMessageBytes) throw new RecordTooLargeError(topic, view.length, maxMessageBytes)
  const codec = header.attributes & COMPRESSION_MASK
  if (codec > MAX_CODEC) {
    throw new LogbusError('UNSUPPORTED_COMPRESSION_TYPE', `Unknown compression codec ${codec}`)
  }
  if ((header.attributes & CONTROL_FLAG) !== 0) {
    throw new InvalidRecordError('Clients may not write control batches')
  }
  if ((header.attributes & LOG_APPEND_TIME_FLAG) !== 0) {
    throw new InvalidRecordError('The batch claims LogAppendTime; the topic uses CreateTime')
  }
  if (header.recordCount < 1 || header.recordCount !== header.lastOffsetDelta + 1) {
    throw new InvalidRecordError(
      `The batch holds ${header.recordCount} records over offset deltas 0..${header.lastOffsetDelta}`,
    )
  }
  if (!validTimestamp(header.baseTimestamp) || !validTimestamp(header.maxTimestamp)) {
    throw new InvalidRecordError(`Invalid batch timestamps ${header.baseTimestamp}/${header.maxTimestamp}`)
  }
  const transactional = (header.attributes & TRANSACTIONAL_FLAG) !== 0
  // A sequence without a producer id means nothing (KafkaJS sends 0 there): Kafka checks sequences
  // only for batches of a producer id.
  if (transactional && (header.producerId < 0 || header.baseSequence < 0)) {
    throw new InvalidRecordError('A transactional batch needs a producer id and a sequence')
  }
  if (header.producerId >= 0 && header.baseSequence < 0) {
    throw new InvalidRecordError('A batch of a producer id needs a sequence')
  }
  const copy = Buffer.allocUnsafe(view.length)
  view.copy(copy)
  writeInt32(copy, PARTITION_LEADER_EPOCH_OFFSET, LEADER_EPOCH)
  return batchFromBytes(copy, header)
}

/** Kafka's NO_TIMESTAMP (-1) or a non-negative safe integer. */
function validTimestamp(timestamp: number): boolean {
  return timestamp === -1 || (timestamp >= 0 && Number.isSafeInteger(timestamp))
}

/**
 * A stored batch's RecordBatch v2 bytes, made once if it has none yet (memory storage keeps columns)
 * and kept with the batch for the next reader.
 */
export function encodedBytes(batch: RecordBatch): Buffer {
  let bytes = batch.encoded
  if (bytes === undefined) {
    bytes = encodeBatch(batch, batch.baseOffset)
    batch.keepEncoded(bytes)
  }
  return bytes
}

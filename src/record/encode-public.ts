// Interim: delegates to the file log's encoder until the RecordBatch v2 code moves under record/.
import { crc32c } from '../storage/file/crc32c'
import { encodeRecordBatch as encodeRecords } from '../storage/file/record-batch'
import { RAW } from './codec'
import { EMPTY_HEADERS, type LogRecord } from './log-record'
import { type RecordBatch, toBuffer } from './record-batch'

/** Where Kafka's RecordBatch v2 header keeps the fields a plain batch leaves at their defaults. */
const CRC_OFFSET = 17
const ATTRIBUTES_OFFSET = 21
const PRODUCER_ID_OFFSET = 43
const PRODUCER_EPOCH_OFFSET = 51
const BASE_SEQUENCE_OFFSET = 53
const TRANSACTIONAL_FLAG = 0x10
const CONTROL_FLAG = 0x20

/**
 * A batch as Kafka's RecordBatch v2 bytes (magic 2, CRC-32C, uncompressed, CreateTime), the form of
 * Kafka's log segments and of its produce and fetch requests: what the file log writes and the wire
 * protocol serves. A batch the storage already holds as bytes (`batch.encoded`) gives those bytes,
 * shared (do not change them); any other batch is encoded now, each key and value through the
 * batch's codecs once. The base offset is the batch's, or 0 before a log assigned one (what a Kafka
 * producer sends); Kafka's producer fields (producer id, epoch, base sequence) and the transactional
 * and control bits are the batch's. A header whose value is an array is written once per element,
 * under the same key.
 *
 * @throws RangeError for a batch with gaps in its offsets that has no bytes yet (logbus does not make
 *   such batches), or a timestamp that is not a safe integer
 *
 * @example
 * ```ts
 * import { encodeRecordBatch } from 'logbus'
 *
 * const [batch] = await bus.topic('orders').partition(0).readBatches(0)
 * if (batch !== undefined) console.log(encodeRecordBatch(batch).length) // bytes on disk and on the wire
 * ```
 */
export function encodeRecordBatch(batch: RecordBatch): Buffer {
  const kept = batch.encoded
  if (kept !== undefined) return kept
  if (batch.offsetDeltas !== null) {
    throw new RangeError(
      'A batch with gaps in its offsets can only be served from the bytes it was read from',
    )
  }
  const { keys, values, headers, timestamps, start } = batch.columns
  const records = new Array<LogRecord>(batch.count)
  for (let i = 0; i < batch.count; i++) {
    records[i] = {
      topic: '',
      partition: 0,
      offset: i,
      timestamp: timestamps === null ? batch.firstTimestamp : timestamps[start + i]!,
      key: bytesOf(batch.keyCodec, keys[start + i]),
      value: bytesOf(batch.valueCodec, values[start + i]),
      headers: (headers === null ? undefined : headers[start + i]) ?? EMPTY_HEADERS,
    }
  }
  const bytes = encodeRecords(records, Math.max(batch.baseOffset, 0))
  if (batch.producerId === -1 && !batch.transactional && !batch.control) return bytes
  bytes.writeBigInt64BE(BigInt(batch.producerId), PRODUCER_ID_OFFSET)
  bytes.writeInt16BE(batch.producerEpoch, PRODUCER_EPOCH_OFFSET)
  bytes.writeInt32BE(batch.baseSequence, BASE_SEQUENCE_OFFSET)
  bytes.writeInt16BE(
    (batch.transactional ? TRANSACTIONAL_FLAG : 0) | (batch.control ? CONTROL_FLAG : 0),
    ATTRIBUTES_OFFSET,
  )
  bytes.writeUInt32BE(crc32c(bytes, ATTRIBUTES_OFFSET, bytes.length), CRC_OFFSET)
  return bytes
}

function bytesOf(codec: RecordBatch['keyCodec'], item: unknown): Buffer | null {
  if (item === null || item === undefined) return null
  return codec === RAW ? (item as Buffer) : toBuffer(codec.encode(item))
}

import type { RecordBatch } from './record-batch'
import { encodeBatch } from './v2/encode'

/**
 * A batch as Kafka's RecordBatch v2 bytes (magic 2, CRC-32C, uncompressed, CreateTime), the form of
 * Kafka's log segments and of its produce and fetch requests: what the file log writes and the wire
 * protocol serves. A batch that already has its bytes (`batch.encoded`: the file log made them, or a
 * client sent them) gives those bytes, shared (do not change them); any other batch is encoded now —
 * each key and value through the batch's codecs once — and, once the log assigned its base offset,
 * keeps the bytes for the next reader. Kafka's producer fields (producer id, epoch, base sequence),
 * the transactional and control bits and any gaps compaction left in the offsets are the batch's.
 * The base offset is the batch's, or 0 before a log assigned one (what a Kafka producer sends).
 *
 * @throws RangeError for a timestamp that is not a safe integer, or a batch past Kafka's size limit
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
  const base = batch.baseOffset
  const bytes = encodeBatch(batch, Math.max(base, 0))
  if (base >= 0) batch.keepEncoded(bytes)
  return bytes
}

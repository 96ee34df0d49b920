import { CorruptLogError } from '../errors'
import type { RecordBatch } from './record-batch'
import { checkBatch } from './v2/check'
import { batchFromBytes } from './v2/decode'

/**
 * The batch held in Kafka RecordBatch v2 bytes (one whole batch, from its base offset field to its
 * end): what a tool reading a segment file or a capture gets back as a `RecordBatch`, with its base
 * offset, Kafka's producer fields and columns of raw keys and values (Buffers). The bytes are checked
 * first — framing, magic, CRC-32C, record lengths — and nothing is decoded until a column is read.
 * Uncompressed batches only (what logbus writes); a compressed one fails when its columns are read.
 * The inverse of `encodeRecordBatch`.
 *
 * @throws CorruptLogError (`file` is `'<bytes>'`) when the bytes are not exactly one valid batch
 *
 * @example
 * ```ts
 * import { decodeRecordBatch, encodeRecordBatch } from 'logbus'
 *
 * const [stored] = await bus.topic('orders').partition(0).readBatches(0)
 * const batch = decodeRecordBatch(encodeRecordBatch(stored!))
 * console.log(batch.baseOffset, batch.count, batch.values[batch.columnStart])
 * ```
 */
export function decodeRecordBatch(bytes: Buffer): RecordBatch {
  const check = checkBatch(bytes, 0, bytes.length)
  if (!check.ok) throw new CorruptLogError('<bytes>', 0, check.reason)
  if (check.size !== bytes.length) {
    throw new CorruptLogError(
      '<bytes>',
      check.size,
      `${bytes.length - check.size} bytes follow the batch (${check.size} bytes)`,
    )
  }
  return batchFromBytes(bytes, check.header)
}

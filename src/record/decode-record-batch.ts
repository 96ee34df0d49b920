import { CorruptLogError } from '../errors'
import { loadCodec } from './compression'
import type { RecordBatch } from './record-batch'
import { checkBatch } from './v2/check'
import { batchFromBytes } from './v2/decode'
import {
  ATTRIBUTES_OFFSET,
  COMPRESSION_MASK,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC,
  MAGIC_OFFSET,
} from './v2/layout'

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

/**
 * Every whole batch in a run of RecordBatch v2 bytes: a Fetch response's `records`, or a stretch of a
 * segment file. A last batch cut short is left out, as a Kafka consumer leaves it for its next fetch
 * (a Fetch may end mid-batch at its size limit). The codec of a compressed batch is loaded first, so
 * its columns can be read. Each batch is checked as `decodeRecordBatch` checks it.
 *
 * @throws CorruptLogError (`file` is `'<bytes>'`) for a batch of another message format (Kafka before
 *   0.11) or one that does not check
 *
 * @example
 * ```ts
 * import { decodeRecordBatches, encodeRecordBatch } from 'logbus'
 *
 * const stored = await bus.topic('orders').partition(0).readBatches(0)
 * const batches = await decodeRecordBatches(Buffer.concat(stored.map(encodeRecordBatch)))
 * console.log(batches.map((b) => b.baseOffset))
 * ```
 */
export async function decodeRecordBatches(bytes: Buffer): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = []
  for (let at = 0; at + LOG_OVERHEAD <= bytes.length; ) {
    const size = LOG_OVERHEAD + bytes.readInt32BE(at + LENGTH_OFFSET)
    if (at + size > bytes.length) break
    const magic = bytes[at + MAGIC_OFFSET]
    if (magic !== MAGIC) {
      throw new CorruptLogError(
        '<bytes>',
        at,
        `message format v${magic}; only RecordBatch v2 (Kafka 0.11 and later) is read`,
      )
    }
    const compression = bytes.readInt16BE(at + ATTRIBUTES_OFFSET) & COMPRESSION_MASK
    if (compression !== 0) await loadCodec(compression)
    batches.push(decodeRecordBatch(bytes.subarray(at, at + size)))
    at += size
  }
  return batches
}

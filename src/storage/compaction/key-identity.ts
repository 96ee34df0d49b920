import { RAW } from '../../record/codec'
import type { RecordBatch } from '../../record/record-batch'

/**
 * A key as compaction compares keys: its bytes as a latin1 string (one character per byte), so that
 * a key held in a codec's form (a producer's batch in memory) and the same key as bytes (a batch from
 * the wire, or read from a file) are the same key. Null for a record without a key.
 *
 * @example
 * ```ts
 * const id = keyIdentity(batch, batch.keys[batch.columnStart + i])
 * ```
 */
export function keyIdentity(batch: RecordBatch, key: unknown): string | null {
  if (key === null || key === undefined) return null
  const encoded = batch.keyCodec === RAW ? (key as Uint8Array) : batch.keyCodec.encode(key)
  if (typeof encoded === 'string') {
    // An ASCII string's UTF-8 bytes read as latin1 are the string itself: no copy.
    return Buffer.byteLength(encoded, 'utf8') === encoded.length
      ? encoded
      : Buffer.from(encoded, 'utf8').toString('latin1')
  }
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength).toString('latin1')
}

import { InvalidRecordError } from '../errors'
import type { Codec } from './codec'
import { EMPTY_HEADERS, type LogRecord } from './log-record'
import type { RecordBatch } from './record-batch'

/**
 * Builds the plain records of `batch` from `offset` on, keys and values in the given codecs' form,
 * appending them to `out`. A key or value that cannot be decoded in that form throws an
 * InvalidRecordError naming its offset.
 *
 * @example
 * ```ts
 * const records = batchRecords(batch, 0, 'orders', 0, RAW, RAW, [])
 * ```
 */
export function batchRecords<K, V>(
  batch: RecordBatch,
  offset: number,
  topic: string,
  partition: number,
  keyCodec: Codec<K, unknown>,
  valueCodec: Codec<V, unknown>,
  out: LogRecord<K, V>[],
): LogRecord<K, V>[] {
  const keys = batch.keysIn(keyCodec as Codec<unknown, unknown>)
  const values = batch.valuesIn(valueCodec as Codec<unknown, unknown>)
  const headers = batch.headers
  const timestamps = batch.timestamps
  const deltas = batch.offsetDeltas
  const base = batch.baseOffset
  const at = batch.columnStart
  for (let i = batch.indexFrom(offset); i < batch.count; i++) {
    const recordOffset = base + (deltas === null ? i : deltas[at + i]!)
    if (recordOffset < offset) continue
    const failure = keys.failures?.get(i) ?? values.failures?.get(i)
    if (failure !== undefined) {
      throw new InvalidRecordError(
        `Cannot read the record at ${topic}-${partition}@${recordOffset}: ${failure.message}`,
        {
          cause: failure,
        },
      )
    }
    out.push({
      topic,
      partition,
      offset: recordOffset,
      timestamp: timestamps === null ? batch.firstTimestamp : timestamps[at + i]!,
      key: keys.items[keys.start + i] as K | null,
      value: values.items[values.start + i] as V,
      headers: (headers === null ? undefined : headers[at + i]) ?? EMPTY_HEADERS,
    })
  }
  return out
}

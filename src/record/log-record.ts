/**
 * Header values as they are read back: a Buffer, or an array of Buffers when the producer repeated
 * a key (Kafka allows repeated header keys; KafkaJS delivers them the same way).
 *
 * @example
 * ```ts
 * const traceId = record.headers['trace-id']?.toString()
 * ```
 */
export type RecordHeaders = Record<string, Buffer | Buffer[]>

/**
 * One record as stored in a partition and delivered to consumers. Offsets are dense from 0 per
 * partition; `timestamp` is milliseconds since the epoch (Kafka's CreateTime).
 *
 * Records are shared, not copied, between every consumer that reads them: treat them as read-only.
 *
 * @example
 * ```ts
 * await consumer.run({
 *   eachMessage: async (record: LogRecord) => {
 *     console.log(record.topic, record.partition, record.offset, record.value?.toString())
 *   },
 * })
 * ```
 */
export interface LogRecord {
  readonly topic: string
  readonly partition: number
  /** Assigned by the partition log at append; dense from 0. */
  offset: number
  readonly timestamp: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: RecordHeaders
}

/**
 * A topic and partition pair, as Kafka's `TopicPartition`.
 *
 * @example
 * ```ts
 * const tp: TopicPartition = { topic: 'orders', partition: 0 }
 * ```
 */
export interface TopicPartition {
  topic: string
  partition: number
}

/** Shared, frozen empty header map so a record without headers allocates nothing for them. */
export const EMPTY_HEADERS: RecordHeaders = Object.freeze({}) as RecordHeaders

/**
 * Kafka's per-record overhead in a RecordBatch v2 is a handful of varints; 16 bytes is a fair upper
 * estimate for small records and keeps byte budgets close to what the file log will use.
 */
const RECORD_OVERHEAD_BYTES = 16

/** Estimated size of one record in a batch: what byte budgets (batchBytes, fetch maxBytes) count. */
export function recordSize(record: LogRecord): number {
  let size = RECORD_OVERHEAD_BYTES
  if (record.key !== null) size += record.key.length
  if (record.value !== null) size += record.value.length
  if (record.headers !== EMPTY_HEADERS) {
    for (const name in record.headers) {
      const value = record.headers[name]!
      if (Array.isArray(value)) {
        for (const v of value) size += name.length + v.length + 2
      } else {
        size += name.length + value.length + 2
      }
    }
  }
  return size
}

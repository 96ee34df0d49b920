/**
 * Header values as they are read back: a Buffer, or an array of Buffers when the producer repeated a
 * key (Kafka allows repeated header keys; KafkaJS delivers them the same way). Frozen: the same header
 * map is shared by every consumer of a record.
 *
 * @example
 * ```ts
 * const traceId = record.headers['trace-id']?.toString()
 * ```
 */
export type RecordHeaders = Readonly<Record<string, Buffer | readonly Buffer[]>>

/**
 * One record as a consumer receives it: a plain object built at delivery (spread, `toEqual` and
 * `JSON.stringify` work), never shared with another consumer. `key` and `value` are the topic codecs'
 * types — `Buffer` on a raw topic, a string or the schema's type on a typed one — and they are shared
 * by every consumer of the record, not copied: treat them as read-only (typed values are frozen).
 * Offsets are dense from 0 per partition (compaction leaves gaps); `timestamp` is milliseconds since
 * the epoch (Kafka's CreateTime).
 *
 * @example
 * ```ts
 * await consumer.run({
 *   eachMessage: async (record: LogRecord<string, Order>) => {
 *     console.log(record.topic, record.partition, record.offset, record.value.total)
 *   },
 * })
 * ```
 */
export interface LogRecord<K = Buffer, V = Buffer | null> {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly timestamp: number
  readonly key: K | null
  readonly value: V
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
export const EMPTY_HEADERS: RecordHeaders = Object.freeze({})

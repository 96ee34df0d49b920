import { InvalidRecordError } from '../errors'
import { describeType } from '../record/codec'
import type { Topic } from '../topic/topic'
import { murmur2, murmur2String } from './murmur2'
import type { PartitionChooser } from './stage'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/**
 * What a partitioner sees for one record. `partitionCount` is the topic's current number of partitions
 * (at least 1). Records sent with an explicit `partition` never reach the partitioner.
 *
 * @example
 * ```ts
 * const input: PartitionerInput = { topic: 'orders', partitionCount: 6, key: Buffer.from('u1'), value: null }
 * ```
 */
export interface PartitionerInput {
  topic: string
  partitionCount: number
  /** The key as the topic holds it: a Buffer on a raw topic, the key codec's type (a string, …) on a typed one. */
  key: unknown
  /** The value as the topic holds it, like `key`. */
  value: unknown
}

/**
 * Chooses the partition, in `[0, partitionCount)`, of a record sent without an explicit partition. A
 * partitioner may keep state (a round-robin counter): the factories below return a fresh one per call.
 *
 * @example
 * ```ts
 * const byRegion: Partitioner = ({ value, partitionCount }) =>
 *   (String(value).startsWith('eu') ? 0 : 1) % partitionCount
 * const producer = bus.producer({ partitioner: byRegion })
 * ```
 */
export type Partitioner = (input: PartitionerInput) => number

/**
 * Kafka's `Utils.toPositive`: clears the sign bit instead of taking `Math.abs`, so that the most negative
 * int maps to 0 rather than staying negative.
 *
 * @example
 * ```ts
 * toPositive(-973932308) // → 1173551340
 * toPositive(-2147483648) // → 0
 * ```
 */
export function toPositive(n: number): number {
  return n & 0x7fffffff
}

/**
 * The partition Kafka's default partitioner gives a keyed record: `toPositive(murmur2(key)) % partitionCount`.
 * The same key bytes land on the same partition as in Kafka and KafkaJS, for the same partition count.
 *
 * @example
 * ```ts
 * partitionForKey(Buffer.from('abc'), 4) // → 3, as Kafka's DefaultPartitioner with 4 partitions
 * partitionForKey('abc', 4) // → 3: a string key hashes as its UTF-8 bytes
 * ```
 */
export function partitionForKey(key: Uint8Array | string, partitionCount: number): number {
  return toPositive(typeof key === 'string' ? murmur2String(key) : murmur2(key)) % partitionCount
}

/**
 * A counter per topic: with one shared counter, records alternating between two topics of two
 * partitions would always land on partition 0 of one and partition 1 of the other. The raw count is
 * kept (not reduced modulo the partition count) so the cycle goes on over all partitions when a topic
 * grows.
 */
export function roundRobinCounter(): (topic: string, partitionCount: number) => number {
  const counters = new Map<string, number>()
  return (topic, partitionCount) => {
    const next = counters.get(topic) ?? 0
    counters.set(topic, next + 1)
    return next % partitionCount
  }
}

/**
 * Kafka's default partitioning: a keyed record (an empty key counts as a key, as in Kafka) goes to
 * {@link partitionForKey}; a keyless record goes round-robin over the topic's partitions, a counter per
 * topic starting at partition 0.
 *
 * Kafka 3.3+ spreads keyless records in sticky batches instead (KIP-794); logbus has no broker batches
 * to fill, so it keeps the older round-robin, as KafkaJS does. Kafka's old partitioner and KafkaJS start
 * each topic's cycle at a random partition; starting at 0 keeps runs deterministic.
 *
 * @example
 * ```ts
 * const partition = defaultPartitioner()
 * partition({ topic: 'orders', partitionCount: 3, key: null, value: null }) // → 0
 * partition({ topic: 'orders', partitionCount: 3, key: null, value: null }) // → 1
 * partition({ topic: 'orders', partitionCount: 4, key: Buffer.from('abc'), value: null }) // → 3
 * ```
 */
export function defaultPartitioner(): Partitioner {
  const next = roundRobinCounter()
  return ({ topic, partitionCount, key }) =>
    key === null ? next(topic, partitionCount) : partitionForKey(keyBytes(key), partitionCount)
}

function keyBytes(key: unknown): Uint8Array | string {
  if (typeof key === 'string' || key instanceof Uint8Array) return key
  throw new InvalidRecordError(
    `The default partitioner hashes string or Buffer keys, got ${describeType(key)}`,
  )
}

/**
 * Kafka's `RoundRobinPartitioner`: every record, keyed or not, goes to the topic's next partition in
 * turn (a counter per topic, starting at 0). Spreads load evenly but gives up per-key ordering.
 *
 * @example
 * ```ts
 * const producer = bus.producer({ partitioner: roundRobinPartitioner() })
 * ```
 */
export function roundRobinPartitioner(): Partitioner {
  const next = roundRobinCounter()
  return ({ topic, partitionCount }) => next(topic, partitionCount)
}

/**
 * The partition chooser of a producer's `partitioner` option: a user's function (its answer checked),
 * round-robin, or Kafka's default — murmur2 of the key as the topic holds it (a string's UTF-8 bytes,
 * a Buffer, or the bytes the key codec makes), round-robin without a key. `nextCount(topic)` is the
 * producer's round-robin count for a topic.
 */
export function partitionChooser(
  option: 'default' | 'round-robin' | Partitioner,
  nextCount: (topic: AnyTopic) => number,
): PartitionChooser {
  if (typeof option === 'function') {
    return (topic, key, value) => {
      const partitionCount = topic.entry.partitions.length
      const partition = option({ topic: topic.name, partitionCount, key, value })
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
        throw new InvalidRecordError(
          `The partitioner returned ${String(partition)} for topic "${topic.name}" with ${partitionCount} partitions`,
        )
      }
      return partition
    }
  }
  const roundRobin = (topic: AnyTopic): number => nextCount(topic) % topic.entry.partitions.length
  if (option === 'round-robin') return roundRobin
  return (topic, key) => {
    if (key === null) return roundRobin(topic)
    const count = topic.entry.partitions.length
    if (typeof key === 'string') return toPositive(murmur2String(key)) % count
    if (key instanceof Uint8Array) return toPositive(murmur2(key)) % count
    // A typed key that is neither: Kafka hashes the serialised key, and so does logbus.
    const bytes = topic.keyCodec.encode(key)
    return toPositive(typeof bytes === 'string' ? murmur2String(bytes) : murmur2(bytes)) % count
  }
}

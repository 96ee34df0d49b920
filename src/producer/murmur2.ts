/** Java Kafka's seed and mixing constants; any change would send keys to different partitions than Kafka. */
const SEED = 0x9747b28c
const M = 0x5bd1e995
const R = 24

/**
 * MurmurHash2 of `bytes`, bit for bit the same as Java Kafka's `Utils.murmur2` (seed `0x9747b28c`), as a
 * signed 32-bit integer. Kafka's default partitioner hashes key bytes with it, so a key lands on the same
 * partition in logbus as in Kafka (and KafkaJS).
 *
 * Allocation-free: it runs once per keyed record.
 *
 * @example
 * ```ts
 * murmur2(Buffer.from('21')) // → -973932308
 * const partition = (murmur2(keyBytes) & 0x7fffffff) % partitionCount
 * ```
 */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length
  // Java ints wrap on overflow: Math.imul and the bitwise operators keep every step in signed 32 bits.
  let h = SEED ^ length
  const tail = length & ~3
  for (let i = 0; i < tail; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> R
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  // Kafka's switch falls through from the highest remaining byte down; the ifs reproduce that order.
  const rest = length & 3
  if (rest === 3) h ^= bytes[tail + 2]! << 16
  if (rest >= 2) h ^= bytes[tail + 1]! << 8
  if (rest >= 1) {
    h ^= bytes[tail]!
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h
}

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
  return finish(h)
}

/** Scratch for the UTF-8 bytes of non-ASCII keys; hashing is synchronous, so nothing else holds it. */
let scratch = new Uint8Array(256)
const encoder = new TextEncoder()

/**
 * {@link murmur2} of a string's UTF-8 bytes, without allocating: an ASCII string (the usual key) is
 * hashed straight from its char codes, any other is encoded into a reused scratch array.
 *
 * @example
 * ```ts
 * murmur2String('21') === murmur2(Buffer.from('21')) // true
 * ```
 */
export function murmur2String(key: string): number {
  const length = key.length
  // Hashed straight from the char codes, which are the UTF-8 bytes when every one is below 0x80; the
  // codes are OR-ed together on the way, and a string that was not all ASCII is hashed again as UTF-8.
  let seen = 0
  let h = SEED ^ length
  const tail = length & ~3
  for (let i = 0; i < tail; i += 4) {
    const c0 = key.charCodeAt(i)
    const c1 = key.charCodeAt(i + 1)
    const c2 = key.charCodeAt(i + 2)
    const c3 = key.charCodeAt(i + 3)
    seen |= c0 | c1 | c2 | c3
    let k = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24)
    k = Math.imul(k, M)
    k ^= k >>> R
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  const rest = length & 3
  if (rest === 3) {
    const c = key.charCodeAt(tail + 2)
    seen |= c
    h ^= c << 16
  }
  if (rest >= 2) {
    const c = key.charCodeAt(tail + 1)
    seen |= c
    h ^= c << 8
  }
  if (rest >= 1) {
    const c = key.charCodeAt(tail)
    seen |= c
    h ^= c
    h = Math.imul(h, M)
  }
  if (seen >= 0x80) return murmur2(utf8Scratch(key))
  return finish(h)
}

function utf8Scratch(key: string): Uint8Array {
  if (scratch.length < key.length * 3) scratch = new Uint8Array(key.length * 3)
  const { written } = encoder.encodeInto(key, scratch)
  return scratch.subarray(0, written)
}

function finish(h: number): number {
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h
}

/**
 * The LZ4 frame format as Kafka uses it for record batches (`KafkaLZ4BlockOutputStream`: independent
 * 64 KiB blocks, no checksums beyond the header's). Written here rather than taken from a package: the
 * pure-JS LZ4 packages on npm either lack the frame format or are unmaintained without bounds checks,
 * and a decoder that reads hostile bytes must check every offset and length itself. Decoding accepts
 * every frame option (content size, block and content checksums, dependent blocks) and verifies the
 * checksums it finds.
 */

const MAGIC = 0x184d2204
const BLOCK_SIZES: Record<number, number> = { 4: 0x10000, 5: 0x40000, 6: 0x100000, 7: 0x400000 }
const COMPRESS_BLOCK_SIZE = 0x10000
const MIN_MATCH = 4
/** The last 5 bytes of a block are literals; the last match starts 12 bytes before the end. */
const LAST_LITERALS = 5
const MATCH_LIMIT = 12
const HASH_BITS = 14

const PRIME1 = 2654435761
const PRIME2 = 2246822519
const PRIME3 = 3266489917
const PRIME4 = 668265263
const PRIME5 = 374761393

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

function read32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0
}

/**
 * xxHash32 of `data[start, end)` with seed 0, as the LZ4 frame format checksums with it.
 *
 * @example
 * ```ts
 * xxhash32(Buffer.from('abc')) // 0x32d153ff
 * ```
 */
export function xxhash32(data: Uint8Array, start = 0, end = data.length): number {
  let i = start
  let h: number
  if (end - start >= 16) {
    let v1 = (PRIME1 + PRIME2) | 0
    let v2 = PRIME2 | 0
    let v3 = 0
    let v4 = -PRIME1 | 0
    for (; i <= end - 16; i += 16) {
      v1 = Math.imul(rotl((v1 + Math.imul(read32(data, i), PRIME2)) | 0, 13), PRIME1)
      v2 = Math.imul(rotl((v2 + Math.imul(read32(data, i + 4), PRIME2)) | 0, 13), PRIME1)
      v3 = Math.imul(rotl((v3 + Math.imul(read32(data, i + 8), PRIME2)) | 0, 13), PRIME1)
      v4 = Math.imul(rotl((v4 + Math.imul(read32(data, i + 12), PRIME2)) | 0, 13), PRIME1)
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0
  } else h = PRIME5 | 0
  h = (h + (end - start)) | 0
  for (; i <= end - 4; i += 4) h = Math.imul(rotl((h + Math.imul(read32(data, i), PRIME3)) | 0, 17), PRIME4)
  for (; i < end; i++) h = Math.imul(rotl((h + Math.imul(data[i]!, PRIME5)) | 0, 11), PRIME1)
  h = Math.imul(h ^ (h >>> 15), PRIME2)
  h = Math.imul(h ^ (h >>> 13), PRIME3)
  return (h ^ (h >>> 16)) >>> 0
}

/** A bounded, growable output; blocks may refer back into earlier blocks (dependent blocks). */
class Output {
  buf: Uint8Array
  length = 0

  constructor(
    initial: number,
    private readonly max: number,
  ) {
    this.buf = new Uint8Array(Math.min(Math.max(initial, 64), max))
  }

  reserve(n: number): void {
    const need = this.length + n
    if (need <= this.buf.length) return
    if (need > this.max) throw new RangeError(`LZ4 output exceeds ${this.max} bytes`)
    const next = new Uint8Array(Math.min(this.max, Math.max(need, this.buf.length * 2)))
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }
}

function corrupt(reason: string): never {
  throw new RangeError(`Corrupt LZ4 data: ${reason}`)
}

/** Where the last `extraLength` stopped reading. */
let extraEnd = 0

/** The 255-run continuation of a literal or match length that reached 15 in the token. */
function extraLength(src: Uint8Array, ip: number, end: number): number {
  let sum = 0
  let b: number
  do {
    if (ip >= end) corrupt('truncated length')
    b = src[ip++]!
    sum += b
  } while (b === 255)
  extraEnd = ip
  return sum
}

function decodeBlock(src: Uint8Array, start: number, end: number, out: Output, maxBlock: number): void {
  const blockStart = out.length
  let ip = start
  for (;;) {
    if (ip >= end) corrupt('block ends inside a sequence')
    const token = src[ip++]!
    let literals = token >>> 4
    if (literals === 15) {
      literals += extraLength(src, ip, end)
      ip = extraEnd
    }
    if (literals > end - ip) corrupt('literals past the end of the block')
    if (out.length - blockStart + literals > maxBlock) corrupt('block larger than its maximum size')
    out.reserve(literals)
    out.buf.set(src.subarray(ip, ip + literals), out.length)
    out.length += literals
    ip += literals
    if (ip === end) return
    if (end - ip < 2) corrupt('truncated match offset')
    const offset = src[ip]! | (src[ip + 1]! << 8)
    ip += 2
    if (offset === 0 || offset > out.length) corrupt('match offset out of range')
    let length = token & 15
    if (length === 15) {
      length += extraLength(src, ip, end)
      ip = extraEnd
    }
    length += MIN_MATCH
    if (out.length - blockStart + length > maxBlock) corrupt('block larger than its maximum size')
    out.reserve(length)
    const buf = out.buf
    let from = out.length - offset
    let to = out.length
    // Overlapping copies are the run-length case; copy forward byte by byte.
    for (const stop = to + length; to < stop; ) buf[to++] = buf[from++]!
    out.length = to
  }
}

/**
 * Decompresses an LZ4 frame (or several concatenated), refusing output past `maxBytes`.
 * Throws `RangeError` on corrupt input.
 *
 * @example
 * ```ts
 * const plain = lz4Decompress(compressed, 1 << 20)
 * ```
 */
export function lz4Decompress(src: Uint8Array, maxBytes: number): Uint8Array {
  const out = new Output(src.length * 3, maxBytes)
  let ip = 0
  while (ip < src.length) {
    if (src.length - ip < 7) corrupt('truncated frame header')
    if (read32(src, ip) !== MAGIC) corrupt('bad magic number')
    const descriptor = ip + 4
    const flags = src[descriptor]!
    const bd = src[descriptor + 1]!
    if (flags >>> 6 !== 1) corrupt(`unsupported frame version ${flags >>> 6}`)
    const maxBlock = BLOCK_SIZES[(bd >>> 4) & 7]
    if (maxBlock === undefined) corrupt('bad block maximum size')
    const blockChecksum = (flags & 0x10) !== 0
    const contentSize = (flags & 0x08) !== 0
    const contentChecksum = (flags & 0x04) !== 0
    const dictionary = (flags & 0x01) !== 0
    if (dictionary) corrupt('dictionaries are not supported')
    ip = descriptor + 2 + (contentSize ? 8 : 0)
    if (ip >= src.length) corrupt('truncated frame header')
    if (src[ip] !== (xxhash32(src, descriptor, ip) >>> 8) % 256) corrupt('header checksum mismatch')
    ip++
    const frameStart = out.length
    for (;;) {
      if (src.length - ip < 4) corrupt('truncated block size')
      const word = read32(src, ip)
      ip += 4
      if (word === 0) break
      const size = word & 0x7fffffff
      if (size > maxBlock) corrupt('block larger than its maximum size')
      if (src.length - ip < size + (blockChecksum ? 4 : 0)) corrupt('truncated block')
      if (blockChecksum && xxhash32(src, ip, ip + size) !== read32(src, ip + size))
        corrupt('block checksum mismatch')
      if (word & 0x80000000) {
        out.reserve(size)
        out.buf.set(src.subarray(ip, ip + size), out.length)
        out.length += size
      } else decodeBlock(src, ip, ip + size, out, maxBlock)
      ip += size + (blockChecksum ? 4 : 0)
    }
    if (contentChecksum) {
      if (src.length - ip < 4) corrupt('truncated content checksum')
      if (xxhash32(out.buf, frameStart, out.length) !== read32(src, ip)) corrupt('content checksum mismatch')
      ip += 4
    }
  }
  return out.buf.subarray(0, out.length)
}

function writeLength(dst: Uint8Array, op: number, n: number): number {
  while (n >= 255) {
    dst[op++] = 255
    n -= 255
  }
  dst[op++] = n
  return op
}

/** Greedy LZ4 block compression with a hash table of 4-byte sequences; returns the output end. */
function encodeBlock(src: Uint8Array, start: number, end: number, dst: Uint8Array, op: number): number {
  const table = new Int32Array(1 << HASH_BITS).fill(-1)
  let anchor = start
  let ip = start
  const matchLimit = end - MATCH_LIMIT
  while (ip < matchLimit) {
    const sequence = read32(src, ip)
    const h = Math.imul(sequence, PRIME1) >>> (32 - HASH_BITS)
    const ref = table[h]!
    table[h] = ip
    if (ref < 0 || ip - ref > 0xffff || read32(src, ref) !== sequence) {
      ip++
      continue
    }
    let length = MIN_MATCH
    while (ip + length < end - LAST_LITERALS && src[ref + length] === src[ip + length]) length++
    const literals = ip - anchor
    const tokenAt = op++
    const matchCode = length - MIN_MATCH
    dst[tokenAt] = (Math.min(literals, 15) << 4) | Math.min(matchCode, 15)
    if (literals >= 15) op = writeLength(dst, op, literals - 15)
    dst.set(src.subarray(anchor, ip), op)
    op += literals
    dst[op++] = (ip - ref) & 0xff
    dst[op++] = (ip - ref) >>> 8
    if (matchCode >= 15) op = writeLength(dst, op, matchCode - 15)
    ip += length
    anchor = ip
  }
  const literals = end - anchor
  dst[op++] = Math.min(literals, 15) << 4
  if (literals >= 15) op = writeLength(dst, op, literals - 15)
  dst.set(src.subarray(anchor, end), op)
  return op + literals
}

/**
 * Compresses into one LZ4 frame as Kafka's Java producer writes it: independent 64 KiB blocks, a
 * block stored raw when compression does not shrink it.
 *
 * @example
 * ```ts
 * const frame = lz4Compress(Buffer.from('aaaaaaaaaaaaaaaaaaaaaaaa'))
 * ```
 */
export function lz4Compress(src: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(src.length / COMPRESS_BLOCK_SIZE))
  const bound = 7 + 4 + blocks * (4 + COMPRESS_BLOCK_SIZE + COMPRESS_BLOCK_SIZE / 255 + 16)
  const dst = new Uint8Array(Math.ceil(bound))
  dst.set([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40], 0)
  dst[6] = (xxhash32(dst, 4, 6) >>> 8) & 0xff
  let op = 7
  for (let start = 0; start < src.length; start += COMPRESS_BLOCK_SIZE) {
    const end = Math.min(src.length, start + COMPRESS_BLOCK_SIZE)
    const sizeAt = op
    const blockEnd = encodeBlock(src, start, end, dst, op + 4)
    const size = blockEnd - op - 4
    if (size < end - start) {
      writeLE32(dst, sizeAt, size)
      op = blockEnd
    } else {
      writeLE32(dst, sizeAt, (end - start) | 0x80000000)
      dst.set(src.subarray(start, end), op + 4)
      op += 4 + end - start
    }
  }
  writeLE32(dst, op, 0)
  return dst.subarray(0, op + 4)
}

function writeLE32(dst: Uint8Array, at: number, v: number): void {
  dst[at] = v & 0xff
  dst[at + 1] = (v >>> 8) & 0xff
  dst[at + 2] = (v >>> 16) & 0xff
  dst[at + 3] = (v >>> 24) & 0xff
}

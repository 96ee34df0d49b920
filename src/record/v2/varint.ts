/**
 * Zigzag varints as Kafka's RecordBatch v2 records use them (Kafka's `ByteUtils.writeVarint` /
 * `writeVarlong`): the signed value is zigzag-mapped to an unsigned one, then written 7 bits per byte,
 * least significant group first, the high bit of each byte saying another byte follows.
 *
 * A varint (int32) takes at most 5 bytes, a varlong (int64) at most 10. For a value that fits in an
 * int32 both produce the same bytes, so varlong writing takes the 32-bit path whenever it can and
 * only falls back to float arithmetic for larger safe integers. Nothing here allocates: writers put
 * bytes into the caller's buffer and return the next position; readers advance a {@link Cursor}.
 */

/**
 * A read position in a buffer, advanced by the readers. Reuse one per decode loop.
 *
 * @example
 * ```ts
 * const cursor: Cursor = { pos: 0 }
 * const length = readVarint(buf, cursor) // cursor.pos is now past the varint
 * ```
 */
export interface Cursor {
  pos: number
}

/**
 * Number of bytes of the zigzag varint of an int32.
 *
 * @example
 * ```ts
 * varintSize(0) // → 1
 * varintSize(-1) // → 1
 * varintSize(64) // → 2 (zigzag 128)
 * ```
 */
export function varintSize(n: number): number {
  const z = ((n << 1) ^ (n >> 31)) >>> 0
  if (z < 0x80) return 1
  if (z < 0x4000) return 2
  if (z < 0x200000) return 3
  if (z < 0x10000000) return 4
  return 5
}

/**
 * Number of bytes of the zigzag varlong of a safe integer (same as {@link varintSize} for an int32).
 *
 * @example
 * ```ts
 * varlongSize(1_700_000_000_000) // → 6
 * varlongSize(-1) // → 1
 * ```
 */
export function varlongSize(n: number): number {
  if ((n | 0) === n) return varintSize(n)
  // zigzag(n) = 2m + sign, with m = n for n ≥ 0 and -n - 1 (the bitwise complement) for n < 0; the
  // first byte holds 6 bits of m, each further byte 7.
  let rest = Math.floor((n >= 0 ? n : -n - 1) / 64)
  let size = 1
  while (rest > 0) {
    size++
    rest = Math.floor(rest / 128)
  }
  return size
}

/**
 * Writes the zigzag varint of an int32 at `pos` and returns the position after it. The buffer must
 * have room (at most 5 bytes).
 *
 * @example
 * ```ts
 * const buf = Buffer.alloc(5)
 * const end = writeVarint(buf, 0, -2) // buf[0] = 3, end = 1
 * ```
 */
export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80
    z >>>= 7
  }
  buf[pos++] = z
  return pos
}

/**
 * Writes the zigzag varlong of a safe integer at `pos` and returns the position after it. The buffer
 * must have room (at most 10 bytes).
 *
 * @throws RangeError if `n` is not a safe integer (its bytes would not be the value asked for)
 *
 * @example
 * ```ts
 * const buf = Buffer.alloc(10)
 * const end = writeVarlong(buf, 0, record.timestamp - baseTimestamp)
 * ```
 */
export function writeVarlong(buf: Uint8Array, pos: number, n: number): number {
  if ((n | 0) === n) return writeVarint(buf, pos, n)
  if (!Number.isSafeInteger(n)) throw new RangeError(`Cannot write ${n} as a varlong: not a safe integer`)
  const negative = n < 0
  const m = negative ? -n - 1 : n
  // n is outside int32 here, so m ≥ 2^31 - 1 and at least one byte follows the first.
  buf[pos++] = ((m % 64) << 1) | (negative ? 1 : 0) | 0x80
  let rest = Math.floor(m / 64)
  while (rest >= 0x80) {
    buf[pos++] = (rest % 128) | 0x80
    rest = Math.floor(rest / 128)
  }
  buf[pos++] = rest
  return pos
}

/**
 * Reads a zigzag varint (int32) at `cursor.pos` and advances the cursor past it. Bytes past the end of
 * the buffer read as 0, so a truncated varint ends there instead of throwing; callers that need to
 * know compare `cursor.pos` with their end.
 *
 * @throws RangeError if the varint is longer than 5 bytes (as Kafka's `ByteUtils.readVarint`)
 *
 * @example
 * ```ts
 * const cursor = { pos: 0 }
 * const keyLength = readVarint(buf, cursor) // -1 for a null key
 * ```
 */
export function readVarint(buf: Uint8Array, cursor: Cursor): number {
  let p = cursor.pos
  let b = buf[p++]!
  let z = b & 0x7f
  if (b & 0x80) {
    b = buf[p++]!
    z |= (b & 0x7f) << 7
    if (b & 0x80) {
      b = buf[p++]!
      z |= (b & 0x7f) << 14
      if (b & 0x80) {
        b = buf[p++]!
        z |= (b & 0x7f) << 21
        if (b & 0x80) {
          b = buf[p++]!
          if (b & 0x80) throw new RangeError(`Varint at byte ${cursor.pos} is longer than 5 bytes`)
          z |= b << 28
        }
      }
    }
  }
  cursor.pos = p
  return (z >>> 1) ^ -(z & 1)
}

/**
 * Reads a zigzag varlong (int64) at `cursor.pos` and advances the cursor past it. Values outside the
 * safe integer range (never written by logbus) come back rounded to the nearest double. Bytes past the
 * end of the buffer read as 0, as in {@link readVarint}.
 *
 * @throws RangeError if the varlong is longer than 10 bytes (as Kafka's `ByteUtils.readVarlong`)
 *
 * @example
 * ```ts
 * const timestamp = baseTimestamp + readVarlong(buf, cursor)
 * ```
 */
export function readVarlong(buf: Uint8Array, cursor: Cursor): number {
  let p = cursor.pos
  let b = buf[p++]!
  if (b < 0x80) {
    cursor.pos = p
    return (b >>> 1) ^ -(b & 1)
  }
  // Split off the sign bit first so the magnitude m is accumulated exactly with float arithmetic
  // (bit operators would cut it to 32 bits).
  const negative = (b & 1) === 1
  let m = (b & 0x7f) >>> 1
  let scale = 64
  let i = 1
  do {
    if (i === 10) throw new RangeError(`Varlong at byte ${cursor.pos} is longer than 10 bytes`)
    b = buf[p++]!
    m += (b & 0x7f) * scale
    scale *= 128
    i++
  } while (b & 0x80)
  cursor.pos = p
  return negative ? -m - 1 : m
}

/**
 * CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2. Node's `zlib.crc32` is CRC-32 IEEE, a
 * different polynomial. Inputs of some size go to the optional addon `@node-rs/crc32` (the CPU's CRC
 * instructions) when it can be loaded; the rest, and everything without it, is computed here,
 * slice-by-8: eight 256-entry tables let the main loop fold eight bytes per iteration instead of one.
 * No static Node-only import: the wire protocol and a browser build use it too.
 */

import { requirePackage } from '../../util/node-require'

/** Reflected Castagnoli polynomial 0x1EDC6F41. */
const POLY = 0x82f63b78

/**
 * Table k (at offset 256·k) gives the CRC contribution of a byte followed by k zero bytes. One flat
 * Int32Array keeps every lookup a single typed-array load in V8. Built at the first checksum, not when
 * the module loads: a process over memory storage (`logbus serve --memory` until a client comes) needs none.
 */
let tables: Int32Array | undefined

/**
 * Loading aligned 32-bit words through an Int32Array view is about 1.5x faster than assembling them
 * from bytes, but creating the view costs an allocation, which only pays off on longer inputs. The
 * word values are only right on a little-endian host.
 */
const WORD_PATH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const WORD_PATH_MIN_BYTES = 512

/**
 * The optional dependency `@node-rs/crc32` computes CRC-32C with the CPU's instructions, about five
 * times the tables' speed here on a 4 KiB batch; a call costs a few hundred ns, so below this size the
 * tables win. Without the addon (not installed, no prebuilt binary for the platform, a browser) the
 * tables do everything.
 */
const NATIVE_MIN_BYTES = 512
type NativeCrc32c = (input: Uint8Array) => number
/** undefined until first needed; null when the addon cannot be had. */
let native: NativeCrc32c | null | undefined

function loadNative(): NativeCrc32c | null {
  try {
    const addon = requirePackage<{ crc32c?: NativeCrc32c }>('@node-rs/crc32')
    return typeof addon?.crc32c === 'function' ? addon.crc32c : null
  } catch {
    return null
  }
}

function buildTables(): Int32Array {
  const t = new Int32Array(256 * 8)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8)
      t[256 * k + n] = c
    }
  }
  return t
}

/**
 * Computes the CRC-32C (Castagnoli) checksum of `buf[start, end)`, as Kafka stores it in a RecordBatch
 * v2 header: an unsigned 32-bit number.
 *
 * @param buf - the bytes
 * @param start - first byte included (default 0)
 * @param end - first byte excluded (default `buf.length`; clamped to it)
 * @returns the checksum, in `[0, 2^32)`
 *
 * @example
 * ```ts
 * crc32c(Buffer.from('123456789')) // → 0xe3069283
 * crc32c(batch, 21, batch.length) // the CRC field of a RecordBatch v2 covers attributes..end
 * ```
 */
export function crc32c(buf: Uint8Array, start = 0, end: number = buf.length): number {
  // Reading past the end would yield undefined and push V8 off its fast typed-array path.
  if (end > buf.length) end = buf.length
  if (start < 0) start = 0
  if (end - start >= NATIVE_MIN_BYTES) {
    if (native === undefined) native = loadNative()
    if (native !== null) return native(start === 0 && end === buf.length ? buf : buf.subarray(start, end))
  }
  return crc32cTables(buf, start, end)
}

/** The slice-by-8 computation in JS (what {@link crc32c} uses for short inputs, or without the addon). */
export function crc32cTables(buf: Uint8Array, start: number, end: number): number {
  tables ??= buildTables()
  const t = tables
  let crc = -1
  let i = start
  if (WORD_PATH && end - i >= WORD_PATH_MIN_BYTES) {
    while (((buf.byteOffset + i) & 3) !== 0) {
      crc = t[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8)
      i++
    }
    const words = ((end - i) >>> 3) << 1
    const w = new Int32Array(buf.buffer, buf.byteOffset + i, words)
    for (let j = 0; j < words; j += 2) {
      crc ^= w[j]!
      const hi = w[j + 1]!
      crc =
        t[1792 + (crc & 0xff)]! ^
        t[1536 + ((crc >>> 8) & 0xff)]! ^
        t[1280 + ((crc >>> 16) & 0xff)]! ^
        t[1024 + (crc >>> 24)]! ^
        t[768 + (hi & 0xff)]! ^
        t[512 + ((hi >>> 8) & 0xff)]! ^
        t[256 + ((hi >>> 16) & 0xff)]! ^
        t[hi >>> 24]!
    }
    i += words << 2
  } else {
    const end8 = end - 7
    while (i < end8) {
      crc ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)
      crc =
        t[1792 + (crc & 0xff)]! ^
        t[1536 + ((crc >>> 8) & 0xff)]! ^
        t[1280 + ((crc >>> 16) & 0xff)]! ^
        t[1024 + (crc >>> 24)]! ^
        t[768 + buf[i + 4]!]! ^
        t[512 + buf[i + 5]!]! ^
        t[256 + buf[i + 6]!]! ^
        t[buf[i + 7]!]!
      i += 8
    }
  }
  while (i < end) {
    crc = t[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8)
    i++
  }
  return ~crc >>> 0
}

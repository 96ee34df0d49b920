/// <reference path="./snappyjs.d.ts" />
import { LogbusError } from '../../errors'
import { builtinModule, requirePackage } from '../../util/node-require'
import { lz4Compress, lz4Decompress } from './lz4'

/**
 * Kafka's compression codec ids, the low three bits of a RecordBatch's attributes.
 *
 * @example
 * ```ts
 * const codec = attributes & 0x07 // CompressionCodec.Zstd === 4
 * ```
 */
export const CompressionCodec = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const

/**
 * A compression codec id.
 *
 * @example
 * ```ts
 * const id: CompressionCodecId = CompressionCodec.Lz4
 * ```
 */
export type CompressionCodecId = (typeof CompressionCodec)[keyof typeof CompressionCodec]

/**
 * Options of `decompress` and `decompressSync`.
 *
 * @example
 * ```ts
 * const options: DecompressOptions = { maxBytes: 1 << 20 }
 * ```
 */
export interface DecompressOptions {
  /** The largest output accepted (a guard against decompression bombs); default 100 MiB. */
  readonly maxBytes?: number
}

const DEFAULT_MAX_BYTES = 100 * 1024 * 1024

/** snappy-java's stream header: the magic, then version 1 and minimum compatible version 1. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_BYTES = 16
const XERIAL_BLOCK = 32 * 1024

type Zlib = typeof import('node:zlib')
type Snappy = typeof import('snappyjs')

interface Fzstd {
  Decompress: new (
    ondata: (chunk: Uint8Array, final?: boolean) => void,
  ) => { push(chunk: Uint8Array, final?: boolean): void }
}

/**
 * The codec modules, loaded on first need: the core entry imports neither node:zlib nor a package of a
 * codec statically, so it loads where they do not exist (a browser build) and pays for a codec only
 * when a compressed batch shows up. Decoding is synchronous (a batch read from bytes decodes lazily,
 * inside a getter). Wherever `process.getBuiltinModule` exists (Node 20.16+), `decompressSync` loads a
 * codec itself at its first use (node:zlib, and the packages through `require`); elsewhere whoever
 * takes in compressed bytes awaits `loadCodec` first (`loadCodecs` at open, for stored batches).
 */
const loaded: { zlib?: Zlib; snappy?: Snappy; fzstd?: Fzstd } = {}
const loading = new Map<number, Promise<void>>()

function corrupt(codec: number, cause: unknown): LogbusError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new LogbusError('CORRUPT_MESSAGE', `Cannot decompress codec ${codec} data: ${reason}`, { cause })
}

function unknownCodec(codec: number): LogbusError {
  return new LogbusError('CORRUPT_MESSAGE', `Unknown compression codec ${codec}`)
}

/**
 * Loads what `decompressSync` needs for `codec` (a no-op for none and LZ4, which are built in).
 * Rejects for an unknown codec id.
 *
 * @example
 * ```ts
 * await loadCodec(CompressionCodec.Zstd)
 * const records = decompressSync(CompressionCodec.Zstd, compressed)
 * ```
 */
export function loadCodec(codec: number): Promise<void> {
  let pending = loading.get(codec)
  if (pending !== undefined) return pending
  switch (codec) {
    case CompressionCodec.None:
    case CompressionCodec.Lz4:
      return Promise.resolve()
    case CompressionCodec.Gzip:
      pending = import('node:zlib').then((zlib) => {
        loaded.zlib = zlib
      })
      break
    case CompressionCodec.Snappy:
      pending = import('snappyjs').then((snappy) => {
        loaded.snappy = snappy
      })
      break
    case CompressionCodec.Zstd:
      pending = import('fzstd').then((fzstd) => {
        loaded.fzstd = fzstd
      })
      break
    default:
      return Promise.reject(unknownCodec(codec))
  }
  pending = pending.catch((cause: unknown) => {
    loading.delete(codec)
    throw new LogbusError('CORRUPT_MESSAGE', `Cannot load the codec of compression ${codec}`, { cause })
  })
  loading.set(codec, pending)
  return pending
}

/** Whether `decompressSync` can decode `codec` now, without `loadCodec`. */
export function codecLoaded(codec: number): boolean {
  switch (codec) {
    case CompressionCodec.None:
    case CompressionCodec.Lz4:
      return true
    case CompressionCodec.Gzip:
      return loaded.zlib !== undefined
    case CompressionCodec.Snappy:
      return loaded.snappy !== undefined
    case CompressionCodec.Zstd:
      return loaded.fzstd !== undefined
    default:
      return false
  }
}

/**
 * Loads every codec `decompressSync` knows, at once (what a reader of stored batches that may be
 * compressed does when it opens).
 *
 * @example
 * ```ts
 * await loadCodecs()
 * ```
 */
export async function loadCodecs(): Promise<void> {
  await Promise.all([1, 2, 3, 4].map(loadCodec))
}

/**
 * Whether `decompressSync` loads a codec itself at its first use (Node 20.16+, where modules can be
 * loaded synchronously): a reader of stored batches then need not `loadCodecs` before its first read.
 *
 * @example
 * ```ts
 * if (!codecsLoadOnDemand()) await loadCodecs()
 * ```
 */
export function codecsLoadOnDemand(): boolean {
  return builtinModule('node:module') !== undefined
}

/**
 * Compresses a RecordBatch's records section as Kafka's Java producer does: gzip, snappy in
 * snappy-java's (xerial) framing, the LZ4 frame format, or a zstd frame. Codec 0 returns the input.
 *
 * @example
 * ```ts
 * const compressed = await compress(CompressionCodec.Gzip, records)
 * ```
 */
export async function compress(codec: number, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case CompressionCodec.None:
      return data
    case CompressionCodec.Gzip:
      await loadCodec(codec)
      return zlib().gzipSync(data)
    case CompressionCodec.Snappy:
      await loadCodec(codec)
      return xerialCompress(data, loaded.snappy!.compress)
    case CompressionCodec.Lz4:
      return toBuffer(lz4Compress(data))
    case CompressionCodec.Zstd:
      return toBuffer((await zstdWasm()).compress(data, 3))
    default:
      throw unknownCodec(codec)
  }
}

/**
 * Decompresses a RecordBatch's records section, loading the codec first. Snappy accepts both
 * xerial-framed (Java clients) and raw (librdkafka, KafkaJS codecs) data; gzip and LZ4 accept
 * concatenated members/frames. Corrupt data rejects with `LogbusError('CORRUPT_MESSAGE')`, output past
 * `maxBytes` with `LogbusError('MESSAGE_TOO_LARGE')`.
 *
 * @example
 * ```ts
 * const records = await decompress(attributes & 0x07, batch.subarray(61), { maxBytes: 1 << 20 })
 * ```
 */
export async function decompress(
  codec: number,
  data: Buffer,
  options: DecompressOptions = {},
): Promise<Buffer> {
  await loadCodec(codec)
  return decompressSync(codec, data, options)
}

/**
 * `decompress`, synchronously: what decoding a stored batch lazily needs. The codec must have been
 * loaded (`loadCodec`), except gzip where `process.getBuiltinModule` exists; otherwise, and for
 * corrupt data, it throws `LogbusError('CORRUPT_MESSAGE')`; output past `maxBytes` throws
 * `LogbusError('MESSAGE_TOO_LARGE')`.
 *
 * @example
 * ```ts
 * await loadCodec(codec)
 * const records = decompressSync(codec, compressedRecords)
 * ```
 */
export function decompressSync(codec: number, data: Buffer, options: DecompressOptions = {}): Buffer {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  try {
    switch (codec) {
      case CompressionCodec.None:
        return data
      case CompressionCodec.Gzip:
        return zlib().gunzipSync(data, { maxOutputLength: maxBytes })
      case CompressionCodec.Snappy:
        loaded.snappy ??= requireCodec<Snappy>(codec, 'snappyjs')
        return snappyDecompress(data, maxBytes, required(codec, loaded.snappy).uncompress)
      case CompressionCodec.Lz4:
        return toBuffer(lz4Decompress(data, maxBytes))
      case CompressionCodec.Zstd:
        loaded.fzstd ??= requireCodec<Fzstd>(codec, 'fzstd')
        return zstdDecompress(data, maxBytes, required(codec, loaded.fzstd))
      default:
        throw unknownCodec(codec)
    }
  } catch (err) {
    if (err instanceof LogbusError) throw err
    if (isTooLarge(err)) {
      throw new LogbusError('MESSAGE_TOO_LARGE', `Decompressed data exceeds ${maxBytes} bytes`, {
        cause: err,
      })
    }
    throw corrupt(codec, err)
  }
}

function zlib(): Zlib {
  loaded.zlib ??= required(CompressionCodec.Gzip, builtinModule<Zlib>('node:zlib'))
  return loaded.zlib
}

/**
 * A codec's package, synchronously through `require` (undefined where that cannot be had); a package that
 * fails to load fails the batches of its codec only.
 */
function requireCodec<T>(codec: number, id: string): T | undefined {
  try {
    return requirePackage<T>(id)
  } catch (cause) {
    throw new LogbusError('CORRUPT_MESSAGE', `Cannot load the codec of compression ${codec}`, { cause })
  }
}

function required<T>(codec: number, module: T | undefined): T {
  if (module === undefined) {
    throw new LogbusError(
      'CORRUPT_MESSAGE',
      `The codec of compression ${codec} is not loaded: await loadCodec(${codec}) before decoding synchronously`,
    )
  }
  return module
}

function isTooLarge(err: unknown): boolean {
  return (
    (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ||
    (err instanceof Error && /exceeds \d+ bytes|too big/.test(err.message))
  )
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
}

function xerialCompress(data: Buffer, block: (input: Uint8Array) => Uint8Array): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]
  for (let at = 0; at < data.length; at += XERIAL_BLOCK) {
    const compressed = block(data.subarray(at, at + XERIAL_BLOCK))
    const size = Buffer.alloc(4)
    size.writeInt32BE(compressed.length)
    parts.push(size, toBuffer(compressed))
  }
  return Buffer.concat(parts)
}

function snappyDecompress(
  data: Buffer,
  maxBytes: number,
  block: (input: Uint8Array, maxLength?: number) => Uint8Array,
): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    return toBuffer(block(data, maxBytes))
  }
  const parts: Buffer[] = []
  let total = 0
  for (let at = XERIAL_HEADER_BYTES; at < data.length; ) {
    if (data.length - at < 4) throw new RangeError('truncated xerial block size')
    const size = data.readInt32BE(at)
    at += 4
    if (size < 0 || size > data.length - at) throw new RangeError('xerial block past the end')
    const part = block(data.subarray(at, at + size), maxBytes - total)
    total += part.length
    parts.push(toBuffer(part))
    at += size
  }
  return Buffer.concat(parts, total)
}

/** Streams through fzstd so a bomb stops at `maxBytes` instead of after it has been inflated. */
function zstdDecompress(data: Buffer, maxBytes: number, fzstd: Fzstd): Buffer {
  const parts: Buffer[] = []
  let total = 0
  const stream = new fzstd.Decompress((chunk) => {
    total += chunk.length
    if (total > maxBytes) throw new RangeError(`zstd output exceeds ${maxBytes} bytes`)
    parts.push(Buffer.from(chunk))
  })
  stream.push(data, true)
  return Buffer.concat(parts, total)
}

let zstdReady: Promise<typeof import('@bokuweb/zstd-wasm')> | undefined

/** The WASM build of the reference zstd library, loaded on first use (compression only). */
function zstdWasm(): Promise<typeof import('@bokuweb/zstd-wasm')> {
  zstdReady ??= import('@bokuweb/zstd-wasm').then(async (zstd) => {
    await zstd.init()
    return zstd
  })
  return zstdReady
}

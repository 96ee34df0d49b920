import { checkBatch } from '../../record/v2/check'
import {
  BATCH_HEADER_BYTES,
  type BatchHeader,
  int32At,
  int64At,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC,
  MAGIC_OFFSET,
  readBatchHeader,
} from '../../record/v2/layout'
import type { DescriptorCache } from './descriptor-cache'
import type { FileSystem } from './file-system'
import type { Segment } from './segment'

/**
 * Scans read this much at a time, so a scan costs one system call per chunk, not per batch; several
 * batches of the producer's 1 MiB fit.
 */
const SCAN_CHUNK_BYTES = 4 << 20

/**
 * Where a batch that must be valid is not, and why. `short` marks what a crash leaves at the end of a
 * file (a header or batch cut by the end of the file, or zeros): a torn write, not damage.
 */
export interface ScanFailure {
  position: number
  reason: string
  short: boolean
}

/** One valid batch a scan passed. */
export interface ScannedBatch {
  position: number
  size: number
  header: BatchHeader
}

export interface ScanOptions {
  /** Check every batch's CRC and record framing; otherwise the header, length and offsets only. */
  verifyCrc: boolean
  /**
   * After a batch that fails, look for the next valid one and go on from it, recording what lies
   * between as a damaged range of the segment; otherwise stop at the first failure.
   */
  resync: boolean
  /** Called for each valid batch, in order. */
  onBatch?: (batch: ScannedBatch) => void
}

export interface ScanResult {
  /** The end of the last valid batch (where the valid prefix ends when the scan stopped early). */
  validEnd: number
  /** The first failure, if any. */
  failure: ScanFailure | undefined
}

/**
 * Reads a segment's bytes through a window of up to a chunk, so that consecutive small requests cost
 * one read.
 */
export class SegmentBytes {
  #buf: Buffer = Buffer.alloc(0)
  #start = 0
  #length = 0

  constructor(
    private readonly fs: FileSystem,
    private readonly files: DescriptorCache,
    private readonly segment: Segment,
    readonly fileSize: number,
  ) {}

  /** Another window over the same file. */
  fork(): SegmentBytes {
    return new SegmentBytes(this.fs, this.files, this.segment, this.fileSize)
  }

  /**
   * The window holding `[position, position + length)`, read from the file if needed. A window that
   * moves forward keeps what it holds from `position` on and reads only the rest: a scan that asks
   * for a batch's header, then the batch, then the next header reads each byte of the file once.
   */
  at(position: number, length: number): { buf: Buffer; p: number } {
    const start = this.#start
    const end = start + this.#length
    if (position >= start && position + length <= end) return { buf: this.#buf, p: position - start }
    const size = Math.min(Math.max(length, SCAN_CHUNK_BYTES), this.fileSize - position)
    const kept = position >= start && position < end ? end - position : 0
    let buf = this.#buf
    if (buf.length < size) {
      const grown = Buffer.allocUnsafe(Math.max(size, Math.min(SCAN_CHUNK_BYTES, 2 * size)))
      if (kept > 0) buf.copy(grown, 0, position - start, end)
      buf = grown
    } else if (kept > 0) {
      buf.copyWithin(0, position - start, end)
    }
    const read = readFully(
      this.fs,
      this.files,
      this.segment,
      buf.subarray(kept),
      size - kept,
      position + kept,
    )
    this.#buf = buf
    this.#start = position
    this.#length = kept + read
    return { buf, p: 0 }
  }
}

/**
 * Reads `length` bytes at `position` into `buf`, fewer only at the end of the file. Returns how many.
 *
 * @example
 * ```ts
 * const n = readFully(fs, files, segment, buf, buf.length, position)
 * ```
 */
export function readFully(
  fs: FileSystem,
  files: DescriptorCache,
  segment: Segment,
  buf: Buffer,
  length: number,
  position: number,
): number {
  let read = 0
  while (read < length) {
    const n = fs.readSync(files.fd(segment.file), buf, read, length - read, position + read)
    if (n === 0) break
    read += n
  }
  return read
}

/**
 * Reads the segment from its start and rebuilds what it holds — index, size, next offset, max
 * timestamp — checking every batch (and its CRC with `verifyCrc`) and that offsets follow on from the
 * segment's base offset. Without `resync` the scan stops at the first failure; with it, what lies
 * between a failure and the next valid batch is recorded in `segment.damaged` and the scan goes on.
 *
 * @example
 * ```ts
 * const { validEnd, failure } = scanSegment(fs, files, segment, fileSize, { verifyCrc: true, resync: false })
 * ```
 */
export function scanSegment(
  fs: FileSystem,
  files: DescriptorCache,
  segment: Segment,
  fileSize: number,
  options: ScanOptions,
): ScanResult {
  segment.reset()
  const bytes = new SegmentBytes(fs, files, segment, fileSize)
  let position = 0
  let expected = segment.baseOffset
  let validEnd = 0
  let failure: ScanFailure | undefined
  while (position < fileSize) {
    const found = batchAt(bytes, position, expected, options.verifyCrc)
    if (!('reason' in found)) {
      const { header, size } = found
      segment.addBatch(position, size, header.baseOffset + header.lastOffsetDelta, header.maxTimestamp)
      options.onBatch?.({ position, size, header })
      position += size
      validEnd = position
      expected = header.baseOffset + header.lastOffsetDelta + 1
      continue
    }
    const short = found.short || isZeroFrom(bytes, position)
    failure ??= { position, reason: found.reason, short }
    if (!options.resync) break
    const next = nextValidBatch(bytes.fork(), position + 1, expected)
    segment.damaged.push({
      position,
      end: next?.position ?? fileSize,
      fromOffset: expected,
      toOffset: next?.header.baseOffset ?? null,
      reason: found.reason,
      torn: short && next === undefined,
    })
    if (next === undefined) {
      segment.size = fileSize
      break
    }
    position = next.position
    expected = next.header.baseOffset
    segment.indexNextBatch()
  }
  return { validEnd, failure }
}

/**
 * The batch at `position`, checked, or why it is not valid there. `short` when the file ends before
 * the header or the batch does.
 */
function batchAt(
  bytes: SegmentBytes,
  position: number,
  expected: number,
  verifyCrc: boolean,
): { header: BatchHeader; size: number } | { reason: string; short: boolean } {
  const left = bytes.fileSize - position
  if (left < BATCH_HEADER_BYTES)
    return { reason: `${left} bytes left, fewer than a batch header`, short: true }
  let { buf, p } = bytes.at(position, BATCH_HEADER_BYTES)
  const size = LOG_OVERHEAD + int32At(buf, p + LENGTH_OFFSET)
  if (size < BATCH_HEADER_BYTES) {
    return { reason: `batchLength ${size - LOG_OVERHEAD} is below the minimum`, short: false }
  }
  if (size > left) return { reason: `a batch of ${size} bytes runs past the end of the file`, short: true }
  ;({ buf, p } = bytes.at(position, size))
  if (verifyCrc) {
    const check = checkBatch(buf, p, p + size)
    if (!check.ok) return { reason: check.reason, short: false }
  } else if (buf[p + MAGIC_OFFSET] !== MAGIC) {
    return { reason: `magic ${String(buf[p + MAGIC_OFFSET])} is not ${MAGIC}`, short: false }
  }
  const header = readBatchHeader(buf, p)
  if (header.baseOffset !== expected) {
    return { reason: `base offset ${header.baseOffset} where ${expected} was expected`, short: false }
  }
  return { header, size }
}

/**
 * The first valid batch (CRC included) starting after `from` whose base offset is at or past
 * `expected`: where reading can go on after damage. Candidates are found by their magic byte and a
 * length that fits, then checked in full.
 */
function nextValidBatch(
  bytes: SegmentBytes,
  from: number,
  expected: number,
): { position: number; header: BatchHeader } | undefined {
  const fileSize = bytes.fileSize
  const candidates = bytes.fork()
  let position = from
  while (position + BATCH_HEADER_BYTES <= fileSize) {
    const length = Math.min(SCAN_CHUNK_BYTES, fileSize - position)
    const { buf, p } = bytes.at(position, length)
    const last = p + length - BATCH_HEADER_BYTES
    for (let q = p; q <= last; q++) {
      if (buf[q + MAGIC_OFFSET] !== MAGIC) continue
      const size = LOG_OVERHEAD + int32At(buf, q + LENGTH_OFFSET)
      const at = position + (q - p)
      if (size < BATCH_HEADER_BYTES || at + size > fileSize || int64At(buf, q) < expected) continue
      const batch = candidates.at(at, size)
      const check = checkBatch(batch.buf, batch.p, batch.p + size)
      if (check.ok) return { position: at, header: check.header }
    }
    position += last - p + 1
  }
  return undefined
}

/** Whether every byte from `position` to the end of the file is zero: space a crash left unwritten. */
function isZeroFrom(bytes: SegmentBytes, position: number): boolean {
  while (position < bytes.fileSize) {
    const length = Math.min(SCAN_CHUNK_BYTES, bytes.fileSize - position)
    const { buf, p } = bytes.at(position, length)
    for (let i = p; i < p + length; i++) if (buf[i] !== 0) return false
    position += length
  }
  return true
}

/** Byte fields at least this large are kept by reference instead of copied. */
const ZERO_COPY_BYTES = 4096
const INITIAL_SCRATCH = 256

/**
 * A growable output that writes small values into a scratch buffer and keeps large byte fields (record
 * batches) by reference, so a Fetch response does not copy the stored batches it carries. `chunks()`
 * returns the pieces for a vectored socket write; `toBuffer()` joins them.
 *
 * @example
 * ```ts
 * const w = new Writer()
 * w.int32(7)
 * w.chunks() // [<Buffer 00 00 00 07>]
 * ```
 */
export class Writer {
  private readonly done: Buffer[] = []
  private scratch: Buffer = Buffer.allocUnsafe(INITIAL_SCRATCH)
  private used = 0
  private flushed = 0

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.used
  }

  private room(n: number): void {
    if (this.used + n <= this.scratch.length) return
    const size = Math.max(this.scratch.length * 2, this.used + n)
    const next = Buffer.allocUnsafe(size)
    this.scratch.copy(next, 0, 0, this.used)
    this.scratch = next
  }

  private flush(): void {
    if (this.used === 0) return
    this.done.push(this.scratch.subarray(0, this.used))
    this.flushed += this.used
    this.scratch = this.scratch.subarray(this.used)
    this.used = 0
    if (this.scratch.length < INITIAL_SCRATCH) this.scratch = Buffer.allocUnsafe(INITIAL_SCRATCH)
  }

  int8(v: number): void {
    this.room(1)
    this.scratch.writeInt8(v, this.used)
    this.used += 1
  }

  bool(v: boolean): void {
    this.room(1)
    this.scratch[this.used++] = v ? 1 : 0
  }

  int16(v: number): void {
    this.room(2)
    this.scratch.writeInt16BE(v, this.used)
    this.used += 2
  }

  uint16(v: number): void {
    this.room(2)
    this.scratch.writeUInt16BE(v, this.used)
    this.used += 2
  }

  int32(v: number): void {
    this.room(4)
    this.scratch.writeInt32BE(v, this.used)
    this.used += 4
  }

  uint32(v: number): void {
    this.room(4)
    this.scratch.writeUInt32BE(v, this.used)
    this.used += 4
  }

  int64(v: bigint): void {
    this.room(8)
    this.scratch.writeBigInt64BE(v, this.used)
    this.used += 8
  }

  float64(v: number): void {
    this.room(8)
    this.scratch.writeDoubleBE(v, this.used)
    this.used += 8
  }

  uvarint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`Bad unsigned varint ${v}`)
    this.room(5)
    while (v >= 0x80) {
      this.scratch[this.used++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    this.scratch[this.used++] = v
  }

  uuid(v: string): void {
    const hex = v.replaceAll('-', '')
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`Bad uuid "${v}"`)
    this.room(16)
    this.scratch.write(hex, this.used, 'hex')
    this.used += 16
  }

  raw(v: Uint8Array): void {
    if (v.length >= ZERO_COPY_BYTES) {
      this.flush()
      this.done.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length))
      this.flushed += v.length
      return
    }
    this.room(v.length)
    this.scratch.set(v, this.used)
    this.used += v.length
  }

  /** Writes UTF-8 already measured by the caller with `Buffer.byteLength`. */
  utf8(v: string, byteLength: number): void {
    this.room(byteLength)
    this.scratch.write(v, this.used, byteLength, 'utf8')
    this.used += byteLength
  }

  /** The output so far as pieces (for `socket.cork()` + writes, or `writev`). */
  chunks(): Buffer[] {
    this.flush()
    return this.done.slice()
  }

  toBuffer(): Buffer {
    const chunks = this.chunks()
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.flushed)
  }
}

import { ProtocolError } from './protocol-error'

/**
 * A cursor over a frame that checks every read against the end of the frame, so a malformed message
 * ends in a `ProtocolError` and never in a read past the end or an allocation the bytes do not justify.
 * Byte fields are views into the frame, not copies.
 *
 * @example
 * ```ts
 * const reader = new Reader(frame)
 * const apiKey = reader.int16()
 * ```
 */
export class Reader {
  private offset: number
  private readonly end: number

  constructor(
    private readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.offset = start
    this.end = end
  }

  /** The read position. */
  get position(): number {
    return this.offset
  }

  /** Bytes left before the end of the frame. */
  get remaining(): number {
    return this.end - this.offset
  }

  /** Throws unless `n` more bytes are there. */
  need(n: number, what: string): void {
    if (n > this.end - this.offset) {
      throw new ProtocolError(
        'malformed',
        `Truncated ${what}: needs ${n} bytes at offset ${this.offset}, ${this.end - this.offset} left`,
      )
    }
  }

  /** A reader over the next `n` bytes (a tagged field), advancing past them. */
  sub(n: number, what: string): Reader {
    this.need(n, what)
    const reader = new Reader(this.buf, this.offset, this.offset + n)
    this.offset += n
    return reader
  }

  skip(n: number, what: string): void {
    this.need(n, what)
    this.offset += n
  }

  int8(): number {
    this.need(1, 'int8')
    return this.buf.readInt8(this.offset++)
  }

  bool(): boolean {
    this.need(1, 'bool')
    return this.buf[this.offset++] !== 0
  }

  int16(): number {
    this.need(2, 'int16')
    const v = this.buf.readInt16BE(this.offset)
    this.offset += 2
    return v
  }

  uint16(): number {
    this.need(2, 'uint16')
    const v = this.buf.readUInt16BE(this.offset)
    this.offset += 2
    return v
  }

  int32(): number {
    this.need(4, 'int32')
    const v = this.buf.readInt32BE(this.offset)
    this.offset += 4
    return v
  }

  uint32(): number {
    this.need(4, 'uint32')
    const v = this.buf.readUInt32BE(this.offset)
    this.offset += 4
    return v
  }

  int64(): bigint {
    this.need(8, 'int64')
    const v = this.buf.readBigInt64BE(this.offset)
    this.offset += 8
    return v
  }

  float64(): number {
    this.need(8, 'float64')
    const v = this.buf.readDoubleBE(this.offset)
    this.offset += 8
    return v
  }

  uuid(): string {
    this.need(16, 'uuid')
    const hex = this.buf.toString('hex', this.offset, this.offset + 16)
    this.offset += 16
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }

  /** An unsigned varint of at most 32 bits (Kafka's `readUnsignedVarint`). */
  uvarint(): number {
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1, 'varint')
      const byte = this.buf[this.offset++]!
      value += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) break
        return value
      }
    }
    throw new ProtocolError('malformed', `Varint longer than 32 bits at offset ${this.offset}`)
  }

  /** `n` bytes as a view into the frame. */
  bytes(n: number): Buffer {
    this.need(n, 'bytes')
    const v = this.buf.subarray(this.offset, this.offset + n)
    this.offset += n
    return v
  }

  /** `n` bytes of UTF-8, decoded leniently as Kafka's clients do. */
  utf8(n: number): string {
    this.need(n, 'string')
    const v = this.buf.toString('utf8', this.offset, this.offset + n)
    this.offset += n
    return v
  }
}

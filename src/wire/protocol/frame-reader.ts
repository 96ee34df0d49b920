import { ProtocolError } from './protocol-error'

/**
 * Kafka's default `socket.request.max.bytes`: 100 MiB.
 *
 * @example
 * ```ts
 * new FrameReader({ maxFrameBytes: DEFAULT_MAX_FRAME_BYTES })
 * ```
 */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024

/**
 * Options of a `FrameReader`.
 *
 * @example
 * ```ts
 * const options: FrameReaderOptions = { maxFrameBytes: 1 << 20 }
 * ```
 */
export interface FrameReaderOptions {
  /** The largest frame accepted (Kafka's `socket.request.max.bytes`); default 100 MiB. */
  readonly maxFrameBytes?: number
}

/**
 * Splits a socket's byte stream into frames (int32 size prefix, then that many bytes). One reader per
 * connection. It buffers only the bytes received: a frame that announces 100 MiB and sends four bytes
 * costs four bytes. A size above the limit or negative throws `ProtocolError('oversize-frame')`, after
 * which the reader is unusable and the connection should be closed; so should a connection that ends
 * with a partial frame (`end()` throws).
 *
 * @example
 * ```ts
 * const frames = new FrameReader()
 * socket.on('data', (chunk) => {
 *   try {
 *     for (const frame of frames.push(chunk)) handle(decodeRequest(frame))
 *   } catch {
 *     socket.destroy()
 *   }
 * })
 * ```
 */
export class FrameReader {
  private readonly maxFrameBytes: number
  private chunks: Buffer[] = []
  private buffered = 0
  private failed = false

  constructor(options: FrameReaderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
  }

  /** Bytes received that do not yet make a whole frame. */
  get pendingBytes(): number {
    return this.buffered
  }

  /**
   * Adds received bytes and returns the frames they complete (without their size prefixes). A frame
   * that lies within one chunk is a view of it; one spread over chunks is copied once.
   */
  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw new ProtocolError('malformed', 'Frame reader used after a framing error')
    if (chunk.length > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.length
    }
    const frames: Buffer[] = []
    while (this.buffered >= 4) {
      const size = this.peekSize()
      if (size < 0 || size > this.maxFrameBytes) {
        this.failed = true
        this.chunks = []
        this.buffered = 0
        throw new ProtocolError(
          'oversize-frame',
          size < 0
            ? `Negative frame size ${size}`
            : `Frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes}`,
        )
      }
      if (this.buffered < 4 + size) break
      this.take(4)
      frames.push(this.take(size))
    }
    return frames
  }

  /** Throws if the stream ended inside a frame (a truncated frame). */
  end(): void {
    if (this.buffered > 0) {
      const pending = this.buffered
      this.chunks = []
      this.buffered = 0
      throw new ProtocolError('malformed', `Connection ended inside a frame (${pending} bytes pending)`)
    }
  }

  private peekSize(): number {
    const first = this.chunks[0]!
    if (first.length >= 4) return first.readInt32BE(0)
    return this.copyOut(4, false).readInt32BE(0)
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!
    if (first.length >= n) {
      const out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      this.buffered -= n
      return out
    }
    return this.copyOut(n, true)
  }

  private copyOut(n: number, consume: boolean): Buffer {
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    let index = 0
    while (filled < n) {
      const chunk = this.chunks[index]!
      const part = Math.min(chunk.length, n - filled)
      chunk.copy(out, filled, 0, part)
      filled += part
      if (consume) {
        if (part === chunk.length) this.chunks.shift()
        else this.chunks[0] = chunk.subarray(part)
      } else index++
    }
    if (consume) this.buffered -= n
    return out
  }
}

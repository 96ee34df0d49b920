import type { Writable } from 'node:stream'

/** The stream a command writes to, and whether it is a terminal. */
export type OutStream = Writable & { isTTY?: boolean }

const CHUNK_BYTES = 1 << 20

/**
 * Output gathered into large chunks before it reaches the stream: a write per record would cost more
 * than the record. Waits for the stream to drain when it says it is full (a slow pipe reader).
 */
export class Output {
  readonly stream: OutStream
  #chunk = Buffer.allocUnsafe(CHUNK_BYTES)
  #used = 0
  /** Set while the stream is full: resolves when it drains. */
  #drained: Promise<void> | undefined
  #failed: Error | undefined

  constructor(stream: OutStream) {
    this.stream = stream
    stream.on('error', (error: Error) => {
      this.#failed ??= error
    })
  }

  /** Bytes waiting in the current chunk. */
  get buffered(): number {
    return this.#used
  }

  bytes(bytes: Uint8Array): void {
    if (bytes.length > this.#chunk.length - this.#used) {
      this.#ship()
      if (bytes.length > this.#chunk.length) {
        this.#write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
        return
      }
    }
    this.#chunk.set(bytes, this.#used)
    this.#used += bytes.length
  }

  text(text: string): void {
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit.
    if (text.length * 3 > this.#chunk.length - this.#used) {
      this.#ship()
      if (text.length * 3 > this.#chunk.length) {
        this.#write(Buffer.from(text, 'utf8'))
        return
      }
    }
    this.#used += this.#chunk.write(text, this.#used, 'utf8')
  }

  byte(byte: number): void {
    if (this.#used === this.#chunk.length) this.#ship()
    this.#chunk[this.#used++] = byte
  }

  /** Ships the chunk once it is large enough; resolves when the stream can take more. */
  async maybeFlush(): Promise<void> {
    if (this.#used >= CHUNK_BYTES >> 1) this.#ship()
    if (this.#drained !== undefined) await this.#drained
    if (this.#failed !== undefined) throw this.#failed
  }

  /** Writes everything gathered; resolves once the stream took it. */
  async flush(): Promise<void> {
    if (this.#used > 0) this.#ship()
    if (this.#drained !== undefined) await this.#drained
    if (this.#failed === undefined && this.stream.writableLength > 0) {
      await new Promise<void>((resolve) => this.stream.write(Buffer.alloc(0), () => resolve()))
    }
    if (this.#failed !== undefined) throw this.#failed
  }

  #ship(): void {
    if (this.#used === 0) return
    const full = this.#chunk.subarray(0, this.#used)
    this.#chunk = Buffer.allocUnsafe(CHUNK_BYTES)
    this.#used = 0
    this.#write(full)
  }

  #write(bytes: Buffer): void {
    if (this.#failed !== undefined) return
    // The listener goes on at once: a drain that comes before anyone awaits it is not missed.
    if (!this.stream.write(bytes) && this.#drained === undefined) {
      this.#drained = new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done)
          this.stream.off('close', done)
          this.stream.off('error', done)
          this.#drained = undefined
          resolve()
        }
        this.stream.on('drain', done)
        this.stream.on('close', done)
        this.stream.on('error', done)
      })
    }
  }
}

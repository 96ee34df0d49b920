/**
 * A response body written into one growing Buffer: constant pieces copied as bytes, numbers written as
 * digits, text as UTF-8. Thousands of per-record template strings joined cost several times more: V8
 * keeps each as a tree of pieces until the join flattens them, and then the whole is encoded again.
 */
export class TextBuffer {
  #buffer: Buffer
  #length = 0

  constructor(capacity: number) {
    this.#buffer = Buffer.allocUnsafe(Math.max(256, capacity))
  }

  /** Appends bytes made once (an ASCII constant, `Buffer.from('…')`). */
  put(bytes: Buffer): this {
    this.#room(bytes.length)
    // A short piece is cheaper copied here than through a call into C++.
    if (bytes.length > 32) {
      this.#length += bytes.copy(this.#buffer, this.#length)
      return this
    }
    const buffer = this.#buffer
    let at = this.#length
    for (let i = 0; i < bytes.length; i++) buffer[at++] = bytes[i]!
    this.#length = at
    return this
  }

  /** Appends one byte (an ASCII character code). */
  byte(code: number): this {
    this.#room(1)
    this.#buffer[this.#length++] = code
    return this
  }

  /** Appends a non-negative safe integer in decimal. */
  int(value: number): this {
    let digits = 1
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++
    this.#room(digits)
    const buffer = this.#buffer
    let rest = value
    for (let at = this.#length + digits - 1; at >= this.#length; at--) {
      buffer[at] = 48 + (rest % 10)
      rest = Math.floor(rest / 10)
    }
    this.#length += digits
    return this
  }

  /** Appends `text` as UTF-8. */
  text(text: string): this {
    this.#room(3 * text.length)
    this.#length += this.#buffer.write(text, this.#length)
    return this
  }

  /** Empties it for reuse; one that grew past `keepBytes` for a large answer goes back to that size. */
  clear(keepBytes = 64 * 1024): this {
    this.#length = 0
    if (this.#buffer.length > keepBytes) this.#buffer = Buffer.allocUnsafe(keepBytes)
    return this
  }

  /** What was written, as text. */
  toString(): string {
    return this.#buffer.toString('utf8', 0, this.#length)
  }

  /** What was written: a view of the buffer, valid until the next append. */
  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#length)
  }

  #room(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + bytes))
    this.#buffer.copy(grown, 0, 0, this.#length)
    this.#buffer = grown
  }
}

const shared = new TextBuffer(256)

/**
 * One TextBuffer, emptied, for a small answer written and read out (`toString()`) with no await between:
 * a request of one record then allocates no Buffer of its own for its answer.
 */
export function sharedTextBuffer(): TextBuffer {
  return shared.clear()
}

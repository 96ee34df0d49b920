import { isAscii } from 'node:buffer'
import { RestError } from '../rest-error'
import { isJsonSpace } from './json-records'

const OPEN = 0x7b // {
const CLOSE = 0x7d // }
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * Splits a stream of concatenated JSON objects (`{…}{…}`, or one per line) into the text of each
 * object, across chunk boundaries: what Confluent's streamed produce request sends. Only braces outside
 * strings are counted; each object is parsed later with JSON.parse. An object larger than `maxBytes`,
 * or anything but whitespace between objects, is a 400. A chunk of ASCII (the common case) is decoded
 * once and its objects are slices of that text.
 */
export class JsonObjectSplitter {
  #pending: Buffer[] = []
  #pendingBytes = 0
  #depth = 0
  #inString = false
  #escaped = false

  constructor(private readonly maxBytes: number) {}

  /** The text of the objects that `chunk` completes, in order. */
  push(chunk: Buffer): string[] {
    const out: string[] = []
    const text = isAscii(chunk) ? chunk.toString('latin1') : undefined
    let start = this.#depth > 0 ? 0 : -1
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false
        else if (byte === BACKSLASH) this.#escaped = true
        else if (byte === QUOTE) this.#inString = false
        continue
      }
      if (this.#depth === 0) {
        if (byte === OPEN) {
          start = i
          this.#depth = 1
        } else if (!isJsonSpace(byte)) {
          throw new RestError(
            400,
            400,
            `Unexpected character '${String.fromCharCode(byte)}' between records: expected '{'`,
          )
        }
        continue
      }
      if (byte === QUOTE) this.#inString = true
      else if (byte === OPEN) this.#depth++
      else if (byte === CLOSE && --this.#depth === 0) {
        if (this.#pending.length === 0) {
          out.push(text === undefined ? chunk.toString('utf8', start, i + 1) : text.slice(start, i + 1))
        } else {
          this.#pending.push(chunk.subarray(start, i + 1))
          out.push(Buffer.concat(this.#pending).toString('utf8'))
          this.#pending = []
          this.#pendingBytes = 0
        }
        start = -1
      }
    }
    if (this.#depth > 0 && start >= 0) {
      const rest = chunk.subarray(start)
      this.#pending.push(rest)
      this.#pendingBytes += rest.length
      if (this.#pendingBytes > this.maxBytes) {
        throw new RestError(413, 413, `A record is larger than ${this.maxBytes} bytes`)
      }
    }
    return out
  }

  /** The stream ended: an object cut short is a 400. */
  end(): void {
    if (this.#depth > 0) throw new RestError(400, 400, 'Unexpected end of input: a record is cut short')
  }
}

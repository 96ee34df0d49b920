import { isAscii } from 'node:buffer'
import type { RestData } from './turn-appender'

/** A record of a v2 produce request in the JSON embedded format: key and value as the JSON text stored. */
export interface JsonFormatRecord {
  readonly key: RestData
  readonly value: RestData
  /** The record's own `partition` as a number, or undefined when absent or null. */
  readonly partition: number | undefined
}

const TAB = 0x09
const LF = 0x0a
const CR = 0x0d
const SPACE = 0x20
const QUOTE = 0x22
const COMMA = 0x2c
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const COLON = 0x3a
const OPEN_ARRAY = 0x5b
const BACKSLASH = 0x5c
const CLOSE_ARRAY = 0x5d
const LOWER_E = 0x65
const UPPER_E = 0x45
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const PLUS = 0x2b
const SLASH = 0x2f
/** The letters that start a literal (true, false, null) or follow a backslash in an escape. */
const LETTER_B = 0x62
const LETTER_F = 0x66
const LETTER_N = 0x6e
const LETTER_R = 0x72
const LETTER_T = 0x74
const LETTER_U = 0x75

/** Deeper values are left to JSON.parse, which has its own limit and message. */
const MAX_DEPTH = 64
/** A value with an object of more keys is printed again by JSON (its keys are not compared for repeats). */
const MAX_KEYS = 32
/** Decimals of at most this many significant digits read back from a double as written (DBL_DIG). */
const SAFE_DIGITS = 15

const INVALID = -1

/**
 * Reads a v2 produce body in the JSON embedded format straight from its bytes, as
 * `JSON.stringify(JSON.parse(...))` of each key and value would give them, without building the request's
 * objects: the records' keys and values are views of the body where their text is already what
 * `JSON.stringify` would print (no whitespace, no escape, integers in their shortest form, objects whose
 * keys are neither repeated nor array indexes), and are printed again by JSON otherwise. It answers only
 * bodies it reads in full: ASCII, valid JSON, an object with a `records` list of objects whose
 * `partition` is a number or null. For anything else (including every error) it returns undefined, and the
 * request goes through `JSON.parse`, which says what is wrong as it always did.
 */
export function readJsonFormatRecords(body: Buffer): JsonFormatRecord[] | undefined {
  if (body.length === 0 || !isAscii(body)) return undefined
  return new JsonRecordsReader(body).read()
}

class JsonRecordsReader {
  readonly #body: Buffer
  #at = 0
  /** Whether the value scanned last prints back as it is written, once its whitespace is taken out. */
  #canonical = true
  /** Whether the value scanned last has whitespace between its tokens. */
  #spaced = false
  /** Key ranges of the objects being scanned, by depth, to find repeated keys. */
  readonly #keys: number[][] = []

  constructor(body: Buffer) {
    this.#body = body
  }

  read(): JsonFormatRecord[] | undefined {
    let records: JsonFormatRecord[] | undefined
    if (this.#next() !== OPEN_OBJECT) return undefined
    this.#at++
    if (this.#next() === CLOSE_OBJECT) return undefined
    for (;;) {
      const key = this.#key()
      if (key === INVALID) return undefined
      if (this.#named(key, 'records')) {
        if (this.#afterColon() === INVALID) return undefined
        // A repeated `records` replaces the first, as JSON.parse keeps the last.
        records = this.#records()
        if (records === undefined) return undefined
      } else {
        const start = this.#afterColon()
        if (start === INVALID) return undefined
        const end = this.#value(start, 0)
        if (end === INVALID) return undefined
        this.#at = end
      }
      const after = this.#next()
      this.#at++
      if (after === CLOSE_OBJECT) break
      if (after !== COMMA) return undefined
    }
    return this.#next() === INVALID ? records : undefined
  }

  /** The byte at the next non-whitespace position (which it moves to), or INVALID at the end. */
  #next(): number {
    const body = this.#body
    let at = this.#at
    while (at < body.length) {
      const c = body[at]!
      if (!isJsonSpace(c)) {
        this.#at = at
        return c
      }
      at++
    }
    this.#at = at
    return INVALID
  }

  /** Reads an object key with no escape; returns its length in bytes, or INVALID. */
  #key(): number {
    if (this.#next() !== QUOTE) return INVALID
    this.#canonical = true
    const start = this.#at
    const end = this.#string(start)
    if (end === INVALID || !this.#canonical) return INVALID
    this.#at = end
    return end - start - 2
  }

  /** Whether the key just read (`length` bytes, ending before `#at`'s closing quote) is `word`. */
  #named(length: number, word: string): boolean {
    if (length !== word.length) return false
    const body = this.#body
    const from = this.#at - 1 - length
    for (let i = 0; i < length; i++) if (body[from + i] !== word.charCodeAt(i)) return false
    return true
  }

  /** Past the colon after a key and the whitespace after it: where the key's value starts (also `#at`). */
  #afterColon(): number {
    if (this.#next() !== COLON) return INVALID
    this.#at++
    this.#next()
    return this.#at
  }

  /** The `records` list: objects of `key`, `value` and `partition` (other fields are read and left). */
  #records(): JsonFormatRecord[] | undefined {
    const body = this.#body
    if (body[this.#at] !== OPEN_ARRAY) return undefined
    this.#at++
    const records: JsonFormatRecord[] = []
    if (this.#next() === CLOSE_ARRAY) {
      this.#at++
      return records
    }
    for (;;) {
      const record = this.#record()
      if (record === undefined) return undefined
      records.push(record)
      const after = this.#next()
      this.#at++
      if (after === CLOSE_ARRAY) return records
      if (after !== COMMA) return undefined
    }
  }

  #record(): JsonFormatRecord | undefined {
    const body = this.#body
    if (this.#next() !== OPEN_OBJECT) return undefined
    this.#at++
    let key: RestData = null
    let value: RestData = null
    let partition: number | undefined
    if (this.#next() === CLOSE_OBJECT) {
      this.#at++
      return { key, value, partition }
    }
    for (;;) {
      const length = this.#key()
      if (length === INVALID) return undefined
      const name = this.#named(length, 'key')
        ? 'key'
        : this.#named(length, 'value')
          ? 'value'
          : this.#named(length, 'partition')
            ? 'partition'
            : ''
      const start = this.#afterColon()
      if (start === INVALID) return undefined
      const end = this.#value(start, 0)
      if (end === INVALID) return undefined
      this.#at = end
      if (name === 'key' || name === 'value') {
        const data = this.#data(start, end)
        if (name === 'key') key = data
        else value = data
      } else if (name === 'partition') {
        const first = body[start]!
        if (first === LETTER_N)
          partition = undefined // null
        else if (first === MINUS || isDigit(first)) partition = Number(body.toString('latin1', start, end))
        // Any other partition is refused by the checks JSON.parse's path makes.
        else return undefined
      }
      const after = this.#next()
      this.#at++
      if (after === CLOSE_OBJECT) return { key, value, partition }
      if (after !== COMMA) return undefined
    }
  }

  /** A key or value as stored: null for JSON null, else the text JSON.stringify would print. */
  #data(start: number, end: number): RestData {
    const body = this.#body
    if (end - start === 4 && body[start] === LETTER_N) return null
    if (!this.#canonical) return JSON.stringify(JSON.parse(body.toString('latin1', start, end)))
    return this.#spaced ? withoutSpace(body, start, end) : body.subarray(start, end)
  }

  /**
   * Scans one JSON value starting at `at` (no whitespace before it); returns the index after it, or
   * INVALID. Sets `#canonical` to whether its text is what JSON.stringify of it would print.
   */
  #value(at: number, depth: number): number {
    this.#canonical = true
    this.#spaced = false
    return this.#scan(at, depth)
  }

  #scan(at: number, depth: number): number {
    const body = this.#body
    const c = body[at]
    if (c === QUOTE) return this.#string(at)
    if (c === OPEN_OBJECT) return this.#object(at, depth)
    if (c === OPEN_ARRAY) return this.#array(at, depth)
    if (c === MINUS || isDigit(c)) return this.#number(at)
    if (c === LETTER_T) return this.#literal(at, 'true')
    if (c === LETTER_F) return this.#literal(at, 'false')
    if (c === LETTER_N) return this.#literal(at, 'null')
    return INVALID
  }

  #literal(at: number, word: string): number {
    const body = this.#body
    for (let i = 0; i < word.length; i++) if (body[at + i] !== word.charCodeAt(i)) return INVALID
    return at + word.length
  }

  /** After the closing quote; an escape makes the value not canonical (JSON.stringify may write it otherwise). */
  #string(at: number): number {
    const body = this.#body
    let i = at + 1
    while (i < body.length) {
      const c = body[i]!
      if (c === QUOTE) return i + 1
      if (c < SPACE) return INVALID
      if (c === BACKSLASH) {
        this.#canonical = false
        const e = body[i + 1]
        if (e === LETTER_U) {
          for (let h = i + 2; h < i + 6; h++) if (!isHex(body[h])) return INVALID
          i += 6
          continue
        }
        if (
          e !== QUOTE &&
          e !== BACKSLASH &&
          e !== SLASH &&
          e !== LETTER_B &&
          e !== LETTER_F &&
          e !== LETTER_N &&
          e !== LETTER_R &&
          e !== LETTER_T
        ) {
          return INVALID
        }
        i += 2
        continue
      }
      i++
    }
    return INVALID
  }

  /**
   * JSON's number grammar. A number is canonical when JavaScript prints it back as written: no exponent,
   * no trailing zero in a fraction, not -0, at most 15 significant digits (so the shortest text that
   * reads back as the same double is this one), and at least 1e-6 in size (smaller prints as 1e-7).
   */
  #number(at: number): number {
    const body = this.#body
    let i = at
    const negative = body[i] === MINUS
    if (negative) i++
    const intStart = i
    if (body[i] === ZERO) i++
    else if (isDigit(body[i])) while (isDigit(body[i])) i++
    else return INVALID
    const intDigits = i - intStart
    const zeroInt = intDigits === 1 && body[intStart] === ZERO
    let significant = zeroInt ? 0 : intDigits
    let canonical = true
    if (body[i] === DOT) {
      i++
      const fracStart = i
      if (!isDigit(body[i])) return INVALID
      while (isDigit(body[i])) i++
      let leadingZeros = 0
      if (zeroInt) while (body[fracStart + leadingZeros] === ZERO) leadingZeros++
      significant += i - fracStart - leadingZeros
      if (body[i - 1] === ZERO || leadingZeros > 5) canonical = false
    } else if (zeroInt && negative) canonical = false
    if (body[i] === LOWER_E || body[i] === UPPER_E) {
      canonical = false
      i++
      if (body[i] === PLUS || body[i] === MINUS) i++
      if (!isDigit(body[i])) return INVALID
      while (isDigit(body[i])) i++
    }
    if (!canonical || significant > SAFE_DIGITS) this.#canonical = false
    return i
  }

  #array(at: number, depth: number): number {
    if (depth >= MAX_DEPTH) return INVALID
    const body = this.#body
    let i = this.#space(at + 1)
    if (body[i] === CLOSE_ARRAY) return i + 1
    for (;;) {
      i = this.#scan(i, depth + 1)
      if (i === INVALID) return INVALID
      i = this.#space(i)
      const c = body[i]
      if (c === CLOSE_ARRAY) return i + 1
      if (c !== COMMA) return INVALID
      i = this.#space(i + 1)
    }
  }

  #object(at: number, depth: number): number {
    if (depth >= MAX_DEPTH) return INVALID
    const body = this.#body
    let keys = this.#keys[depth]
    if (keys === undefined) {
      keys = []
      this.#keys[depth] = keys
    } else keys.length = 0
    let i = this.#space(at + 1)
    if (body[i] === CLOSE_OBJECT) return i + 1
    for (;;) {
      if (body[i] !== QUOTE) return INVALID
      const keyStart = i
      // A key is scanned as a string (it may clear #canonical, as an escape in it should).
      i = this.#string(i)
      if (i === INVALID) return INVALID
      // JSON.stringify prints array-index keys first and a repeated key once: such objects are printed
      // again. Past MAX_KEYS keys, they are no longer compared (an object that large is printed again).
      if (keys.length >= 2 * MAX_KEYS) this.#canonical = false
      else if (isIndexKey(body, keyStart + 1, i - 1) || this.#repeats(keys, keyStart, i))
        this.#canonical = false
      else keys.push(keyStart, i)
      i = this.#space(i)
      if (body[i] !== COLON) return INVALID
      i = this.#scan(this.#space(i + 1), depth + 1)
      if (i === INVALID) return INVALID
      i = this.#space(i)
      const c = body[i]
      if (c === CLOSE_OBJECT) return i + 1
      if (c !== COMMA) return INVALID
      i = this.#space(i + 1)
    }
  }

  /** Whether the key at [start, end) (quotes included) is one of `keys`, byte for byte. */
  #repeats(keys: readonly number[], start: number, end: number): boolean {
    const body = this.#body
    const length = end - start
    for (let k = 0; k < keys.length; k += 2) {
      const other = keys[k]!
      // The last byte first: keys made to differ only at their end cost one comparison each.
      if (keys[k + 1]! - other !== length || body[other + length - 2] !== body[start + length - 2]) continue
      let same = true
      for (let b = 1; b < length - 1; b++) {
        if (body[other + b] !== body[start + b]) {
          same = false
          break
        }
      }
      if (same) return true
    }
    return false
  }

  /** Past any whitespace at `i`, noting that the value has some (JSON.stringify prints none). */
  #space(i: number): number {
    const body = this.#body
    if (!isJsonSpace(body[i])) return i
    this.#spaced = true
    while (isJsonSpace(body[i])) i++
    return i
  }
}

/**
 * The bytes of a canonical value with the whitespace between its tokens taken out (as Python's
 * `json.dumps` separators put it there). Its strings have no escape, so a quote always opens or closes one.
 */
function withoutSpace(body: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start)
  let length = 0
  let inString = false
  for (let i = start; i < end; i++) {
    const c = body[i]!
    if (c === QUOTE) inString = !inString
    else if (!inString && isJsonSpace(c)) continue
    out[length++] = c
  }
  return out.subarray(0, length)
}

/** JSON's whitespace: space, line feed, carriage return, tab. */
export function isJsonSpace(c: number | undefined): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))
}

/** A key of digits only: V8 may order it as an array index (a conservative test: escapes are not read). */
function isIndexKey(body: Buffer, start: number, end: number): boolean {
  if (end === start) return false
  for (let i = start; i < end; i++) if (!isDigit(body[i])) return false
  return true
}

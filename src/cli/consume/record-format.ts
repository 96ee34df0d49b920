import type { RecordHeaders } from '../../index'
import { UsageError } from '../cli-error'
import { offsetAt, type RecordSlice, timestampAt } from '../cluster/cluster'
import type { Output } from '../output'
import { type Format, showField } from '../produce/field-format'

/** Writes the records of a slice to the output in one format. */
export type RecordWriter = (slice: RecordSlice, out: Output) => void

export interface TextOptions {
  printKey: boolean
  keySeparator: Buffer
}

/** The value's bytes and a newline (with --print-key, the key and separator first); null prints nothing. */
export function textWriter({ printKey, keySeparator }: TextOptions): RecordWriter {
  return ({ batch, from, to }, out) => {
    const keys = batch.keys as ArrayLike<Buffer | null>
    const values = batch.values as ArrayLike<Buffer | null>
    const base = batch.columnStart
    for (let i = base + from, end = base + to; i < end; i++) {
      if (printKey) {
        const key = keys[i]
        if (key !== null && key !== undefined) out.bytes(key)
        out.bytes(keySeparator)
      }
      const value = values[i]
      if (value !== null && value !== undefined) out.bytes(value)
      out.byte(10)
    }
  }
}

/** One JSON object per line: topic, partition, offset, timestamp, key, value, headers. */
export function jsonWriter(keyFormat: Format, valueFormat: Format): RecordWriter {
  return ({ topic, partition, batch, from, to }, out) => {
    for (let i = from; i < to; i++) {
      const at = batch.columnStart + i
      out.text(
        `${JSON.stringify({
          topic,
          partition,
          offset: offsetAt(batch, i),
          timestamp: timestampAt(batch, i),
          key: showField((batch.keys[at] as Buffer | null) ?? null, keyFormat),
          value: showField((batch.values[at] as Buffer | null) ?? null, valueFormat),
          headers: headerStrings(batch.headers?.[at]),
        })}\n`,
      )
    }
  }
}

type Piece = string | ((slice: RecordSlice, i: number, out: Output) => void)

/**
 * kcat's `-f` format: %t topic, %p partition, %o offset, %T timestamp (ms), %k key, %s value, %K key
 * length, %S value length (-1 for null), %h headers (k=v,…), %% a percent sign; \n, \t, \r and \\.
 */
export function templateWriter(template: string): RecordWriter {
  const pieces: Piece[] = []
  let literal = ''
  const flush = (): void => {
    if (literal !== '') pieces.push(literal)
    literal = ''
  }
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!
    const next = template[i + 1]
    if (c === '\\' && next !== undefined && 'ntr\\'.includes(next)) {
      literal += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : '\\'
      i++
    } else if (c === '%') {
      if (next === '%') literal += '%'
      else {
        const piece = TOKENS[next ?? '']
        if (piece === undefined) throw new UsageError(`consume: unknown token %${next ?? ''} in --template`)
        flush()
        pieces.push(piece)
      }
      i++
    } else literal += c
  }
  flush()
  return (slice, out) => {
    for (let i = slice.from; i < slice.to; i++) {
      for (const piece of pieces) {
        if (typeof piece === 'string') out.text(piece)
        else piece(slice, i, out)
      }
    }
  }
}

const field = (column: 'keys' | 'values') => (s: RecordSlice, i: number, out: Output) => {
  const bytes = s.batch[column][s.batch.columnStart + i] as Buffer | null
  if (bytes !== null && bytes !== undefined) out.bytes(bytes)
}
const length = (column: 'keys' | 'values') => (s: RecordSlice, i: number, out: Output) => {
  const bytes = s.batch[column][s.batch.columnStart + i] as Buffer | null
  out.text(String(bytes === null || bytes === undefined ? -1 : bytes.length))
}

const TOKENS: Record<string, Piece> = {
  t: (s, _i, out) => out.text(s.topic),
  p: (s, _i, out) => out.text(String(s.partition)),
  o: (s, i, out) => out.text(String(offsetAt(s.batch, i))),
  T: (s, i, out) => out.text(String(timestampAt(s.batch, i))),
  k: field('keys'),
  s: field('values'),
  K: length('keys'),
  S: length('values'),
  h: (s, i, out) =>
    out.text(
      Object.entries(headerStrings(s.batch.headers?.[s.batch.columnStart + i]))
        .flatMap(([k, v]) => (Array.isArray(v) ? v.map((one) => `${k}=${one}`) : [`${k}=${v}`]))
        .join(','),
    ),
}

function headerStrings(headers: RecordHeaders | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  if (headers === undefined) return out
  for (const [k, v] of Object.entries(headers)) {
    out[k] = Array.isArray(v) ? v.map((b: Buffer) => b.toString('utf8')) : (v as Buffer).toString('utf8')
  }
  return out
}

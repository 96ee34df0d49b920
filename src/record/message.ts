import { InvalidRecordError } from '../errors'
import { describeType } from './codec'
import { EMPTY_HEADERS, type RecordHeaders } from './log-record'

/**
 * A header value as a producer gives it; an array writes the key once per element, in order.
 *
 * @example
 * ```ts
 * const headers: MessageHeaders = { 'trace-id': 'abc', tags: ['a', 'b'] }
 * ```
 */
export type MessageHeaders = Record<string, string | Buffer | ReadonlyArray<string | Buffer> | undefined>

/**
 * One message to send. `K` and `V` are what the topic's codecs take (strings or Buffers on a raw
 * topic). `key` may always be null or absent (keyless records go round-robin); `value: null` is a
 * tombstone, allowed on raw topics and codecs wrapped in `nullable()`. `partition` overrides the
 * partitioner; `timestamp` (ms since the epoch) defaults to the time of the send.
 *
 * @example
 * ```ts
 * const message: Message = { key: 'user-1', value: JSON.stringify({ total: 10 }), headers: { v: '1' } }
 * ```
 */
export interface Message<K = string | Buffer, V = string | Buffer | null> {
  key?: K | null
  value: V
  headers?: MessageHeaders
  partition?: number
  timestamp?: number
}

/**
 * Where a sent record landed, in the order the messages were given.
 *
 * @example
 * ```ts
 * const { partition, offset } = await producer.send('orders', { value: 'x' })
 * ```
 */
export interface RecordMetadata {
  topic: string
  partition: number
  offset: number
  timestamp: number
}

/** Header bytes: a string becomes UTF-8 once; a Buffer is taken by reference, as values are. */
function headerBytes(value: unknown, name: string): Buffer {
  if (typeof value === 'string') return Buffer.from(value)
  if (Buffer.isBuffer(value)) return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  throw new InvalidRecordError(`headers.${name} must be a string or a Buffer, got ${describeType(value)}`)
}

/**
 * The frozen header map a record keeps, and its size in bytes (name and value lengths), or throws
 * InvalidRecordError for a bad header.
 */
export function toRecordHeaders(headers: MessageHeaders | undefined): {
  headers: RecordHeaders
  bytes: number
} {
  if (headers === undefined || headers === null) return { headers: EMPTY_HEADERS, bytes: 0 }
  if (typeof headers !== 'object' || Array.isArray(headers)) {
    throw new InvalidRecordError(`headers must be an object, got ${describeType(headers)}`)
  }
  let out: Record<string, Buffer | readonly Buffer[]> | undefined
  let bytes = 0
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    out ??= {}
    if (Array.isArray(value)) {
      const list = value.map((v: unknown, i: number) => headerBytes(v, `${name}[${i}]`))
      for (const v of list) bytes += name.length + v.length + 2
      out[name] = Object.freeze(list)
    } else {
      const v = headerBytes(value, name)
      bytes += name.length + v.length + 2
      if (name === '__proto__') {
        Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true })
      } else {
        out[name] = v
      }
    }
  }
  return out === undefined ? { headers: EMPTY_HEADERS, bytes: 0 } : { headers: Object.freeze(out), bytes }
}

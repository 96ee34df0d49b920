import { type Codec, InvalidRecordError } from '../../index'
import { deepFreeze, keyFromId, keyId } from './key-id'

/**
 * The codecs of the topics a streams application makes for itself (repartition and changelog topics).
 * In memory nothing is serialised: values are frozen and kept as they are. Bytes are made only for a
 * durable log: a string key is its UTF-8 (so it is partitioned exactly as on a `string()` topic), any
 * other key its tagged JSON, a value its JSON, a Buffer its base64 behind a tag. They are singletons,
 * so a batch written through them is read back through them without any conversion.
 */
const BUFFER_VALUE_TAG = '\u0000b'

/** Keys of internal topics: any JSON value, a string, or a Buffer. */
export const ANY_KEY: Codec<unknown> = Object.freeze({
  name: 'logbus-streams-key',
  nullable: false,
  parse: (key: unknown): unknown => (typeof key === 'string' || Buffer.isBuffer(key) ? key : deepFreeze(key)),
  encode: (key: unknown): string => keyId(key),
  decode: (bytes: Buffer): unknown => keyFromId(bytes.toString('utf8')),
  sizeOf: (key: unknown): number => estimateSize(key),
})

/** Values of internal topics and state: any JSON value or a Buffer, null a tombstone. */
export const ANY_VALUE: Codec<unknown> = Object.freeze({
  name: 'logbus-streams-value',
  nullable: true,
  parse: (value: unknown): unknown => deepFreeze(value),
  encode(value: unknown): string {
    if (Buffer.isBuffer(value)) return BUFFER_VALUE_TAG + value.toString('base64')
    const json = JSON.stringify(value)
    if (json === undefined) throw new InvalidRecordError(`A streams value must be JSON, got ${typeof value}`)
    return json
  },
  decode(bytes: Buffer): unknown {
    const text = bytes.toString('utf8')
    if (text.startsWith(BUFFER_VALUE_TAG)) return Buffer.from(text.slice(BUFFER_VALUE_TAG.length), 'base64')
    try {
      return deepFreeze(JSON.parse(text))
    } catch (cause) {
      throw new InvalidRecordError('Cannot read a streams value: not valid JSON', { cause })
    }
  },
  sizeOf: (value: unknown): number => estimateSize(value),
})

/** About the length of a value's JSON, without making it (what batch and buffer limits count). */
export function estimateSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length + 2
    case 'number':
      return 8
    case 'boolean':
      return 5
    case 'object': {
      if (value === null) return 4
      if (Buffer.isBuffer(value)) return value.length
      let size = 2
      if (Array.isArray(value)) {
        for (const item of value) size += estimateSize(item) + 1
        return size
      }
      for (const key in value) size += key.length + 4 + estimateSize((value as Record<string, unknown>)[key])
      return size
    }
    default:
      return 0
  }
}

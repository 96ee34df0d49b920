import { InvalidRecordError } from '../index'
import type { ConfigReader } from './config'
import { isMap, typeName } from './record'

/**
 * Turns Connect data into the bytes of a raw topic and back (Kafka Connect's Converter). On a typed
 * topic (one with codecs) the topic's codecs do this, and converters are not used.
 *
 * @example
 * ```ts
 * const bytes = JSON_CONVERTER.fromConnectData({ a: 1 }) // '{"a":1}'
 * ```
 */
export interface Converter {
  readonly name: string
  /** Connect data → what a raw topic stores (text is stored as its UTF-8). */
  fromConnectData(data: unknown): string | Buffer | null
  /** The bytes of a raw topic → Connect data. */
  toConnectData(bytes: Buffer | null): unknown
}

/** Kafka's JsonConverter with `schemas.enable=false`: JSON text; Buffers become base64 strings, as there. *
 * @example
 * ```ts
 * JSON_CONVERTER.toConnectData(Buffer.from('{"a":1}')) // { a: 1 }
 * ```
 */
export const JSON_CONVERTER: Converter = Object.freeze({
  name: 'json',
  fromConnectData(data: unknown): string | null {
    if (data === null || data === undefined) return null
    return JSON.stringify(data, (_key, value: unknown) =>
      isBufferJson(value) ? Buffer.from(value.data).toString('base64') : value,
    )
  },
  toConnectData(bytes: Buffer | null): unknown {
    if (bytes === null || bytes.length === 0) return null
    try {
      return JSON.parse(bytes.toString('utf8'))
    } catch (cause) {
      throw new InvalidRecordError('Converting byte[] to Kafka Connect data failed: not valid JSON', {
        cause,
      })
    }
  },
})

/** `Buffer.toJSON()`'s shape, which JSON.stringify hands a replacer instead of the Buffer. */
function isBufferJson(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return isMap(value) && value.type === 'Buffer' && Array.isArray(value.data)
}

/** Kafka's StringConverter: UTF-8 text; non-text data becomes its JSON text. *
 * @example
 * ```ts
 * STRING_CONVERTER.fromConnectData('line') // 'line'
 * ```
 */
export const STRING_CONVERTER: Converter = Object.freeze({
  name: 'string',
  fromConnectData(data: unknown): string | Buffer | null {
    if (data === null || data === undefined) return null
    if (typeof data === 'string' || Buffer.isBuffer(data)) return data
    return typeof data === 'object' ? JSON.stringify(data) : String(data)
  },
  toConnectData(bytes: Buffer | null): unknown {
    return bytes === null ? null : bytes.toString('utf8')
  },
})

/** Kafka's ByteArrayConverter: bytes as they are; anything else is a data error. *
 * @example
 * ```ts
 * BYTES_CONVERTER.fromConnectData(Buffer.from([1, 2])) // <Buffer 01 02>
 * ```
 */
export const BYTES_CONVERTER: Converter = Object.freeze({
  name: 'bytes',
  fromConnectData(data: unknown): Buffer | null {
    if (data === null || data === undefined) return null
    if (Buffer.isBuffer(data)) return data
    if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    throw new InvalidRecordError(
      `ByteArrayConverter is not compatible with objects of type ${typeName(data)}`,
    )
  },
  toConnectData(bytes: Buffer | null): unknown {
    return bytes
  },
})

const CONVERTERS: Readonly<Record<string, Converter>> = {
  json: JSON_CONVERTER,
  'org.apache.kafka.connect.json.JsonConverter': JSON_CONVERTER,
  string: STRING_CONVERTER,
  'org.apache.kafka.connect.storage.StringConverter': STRING_CONVERTER,
  bytes: BYTES_CONVERTER,
  'org.apache.kafka.connect.converters.ByteArrayConverter': BYTES_CONVERTER,
}

/**
 * The converter a configuration names in `key.converter` or `value.converter` (default `json`), by
 * logbus's short name or Kafka's class name. JSON is always schemaless: `*.converter.schemas.enable`
 * must be false when given (logbus has no Connect schemas to put in an envelope).
 */
export function converterFor(read: ConfigReader, property: 'key.converter' | 'value.converter'): Converter {
  const name = read.string(property, 'json')
  const converter = Object.hasOwn(CONVERTERS, name) ? CONVERTERS[name] : undefined
  if (converter === undefined) {
    return read.fail(
      property,
      `unknown converter "${name}"; known: json, string, bytes (or Kafka's class names)`,
    )
  }
  if (converter === JSON_CONVERTER && read.bool(`${property}.schemas.enable`, false)) {
    read.fail(`${property}.schemas.enable`, 'logbus converts schemaless JSON only: set it to false')
  }
  return converter
}

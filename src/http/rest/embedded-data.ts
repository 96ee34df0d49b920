import { type Bus, buffer, type Codec, nullable, type Topic } from '../../index'
import { RestError, restErrorOf } from '../rest-error'
import type { RestData } from './turn-appender'

/** A view of any topic that takes and gives bytes, whatever its codecs: what HTTP carries. */
export const BYTES: { key: Codec<Buffer | null>; value: Codec<Buffer | null> } = {
  key: nullable(buffer()),
  value: nullable(buffer()),
}

export type BytesTopic = Topic<Buffer | null, Buffer | null, Buffer | null, Buffer | null>

/**
 * Bytes views by the topic's own view: a view checks its codecs when made, once per topic rather than
 * once per request; a topic deleted and created again has another view, so gets a new one.
 */
const bytesViews = new WeakMap<object, BytesTopic>()

/** The topic `name` seen as bytes; an unknown topic is Confluent's 404 (40403, or 40401 in v2). */
export function bytesTopic(bus: Bus, name: string, api: 'v2' | 'v3'): BytesTopic {
  try {
    const own = bus.topic(name)
    let view = bytesViews.get(own)
    if (view === undefined) {
      view = bus.topic(name, BYTES) as BytesTopic
      bytesViews.set(own, view)
    }
    return view
  } catch (error) {
    throw restErrorOf(error, api)
  }
}

/** The formats of a v3 record's key or value (schema formats need Schema Registry, which logbus has not). */
export type V3DataType = 'BINARY' | 'JSON' | 'STRING'

/**
 * A v3 key or value (`{ type, data }`) as what its record holds: JSON as its text, a string as itself
 * (both become UTF-8 in the batch), base64 as bytes. Null or absent data is Kafka's null.
 */
export function v3Data(
  spec: unknown,
  what: 'key' | 'value',
): { data: RestData; type: V3DataType } | undefined {
  if (spec === undefined || spec === null) return undefined
  if (typeof spec !== 'object' || Array.isArray(spec)) {
    throw new RestError(400, 400, `${what} must be an object { type, data }`)
  }
  const fields = spec as Record<string, unknown>
  for (const field in fields) {
    if (field !== 'type' && field !== 'data' && /schema|subject/.test(field)) {
      throw new RestError(
        400,
        400,
        `${what}.${field}: schemas need Schema Registry; use BINARY, JSON or STRING`,
      )
    }
  }
  const type = fields.type === undefined ? 'JSON' : fields.type
  const data = fields.data
  if (type !== 'BINARY' && type !== 'JSON' && type !== 'STRING') {
    throw new RestError(400, 400, `${what}.type must be BINARY, JSON or STRING, got ${JSON.stringify(type)}`)
  }
  if (data === undefined || data === null) return { data: null, type }
  if (type === 'JSON') return { data: JSON.stringify(data), type }
  if (typeof data !== 'string') throw new RestError(400, 400, `${what}.data must be a string for ${type}`)
  if (type === 'STRING') return { data, type }
  return { data: base64(data, `${what}.data`), type }
}

/** Strict base64: Buffer.from would skip what is not base64 and produce other bytes silently. */
export function base64(text: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
    throw new RestError(400, 400, `${what} is not valid base64`)
  }
  return Buffer.from(text, 'base64')
}

/** The v2 embedded formats a consumer or a produce request uses. */
export type EmbeddedFormat = 'binary' | 'json' | 'string'

/** The key or value of a v2 request's `records[index]` in the embedded format: JSON as its text, a string as itself, base64 as bytes. */
export function v2Encode(
  value: unknown,
  format: EmbeddedFormat,
  index: number,
  field: 'key' | 'value',
): RestData {
  if (value === null || value === undefined) return null
  if (format === 'json') return JSON.stringify(value)
  if (typeof value !== 'string')
    throw new RestError(422, 42201, `records[${index}].${field} must be a string in the ${format} format`)
  return format === 'binary' ? base64(value, `records[${index}].${field}`) : value
}

/** Decodes bytes for a v2 response in the embedded format; JSON that does not parse is a 500 as in Confluent. */
export function v2Decode(bytes: Buffer | null, format: EmbeddedFormat): unknown {
  if (bytes === null) return null
  if (format === 'binary') return bytes.toString('base64')
  if (format === 'string') return bytes.toString('utf8')
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw new RestError(500, 50002, `Kafka error: a record is not JSON (${(error as Error).message})`)
  }
}

import { InvalidConfigError, InvalidRecordError } from '../errors'
import type { SchemaInput, SchemaOutput, StandardSchemaIssue, StandardSchemaV1 } from './standard-schema'

/**
 * How a topic holds its keys or values. A topic is typed by its codecs on both sides: `send` takes
 * `In`, handlers receive `T`. Values live in the form consumers get: `parse` runs once at `send` and
 * its result is what memory storage keeps and every consumer receives; bytes are made (`encode`) only
 * where bytes are needed — the file log, the wire, a raw reader — and read back (`decode`) once per
 * batch.
 *
 * Write a custom codec as an object literal; `nullable(codec)` adds Kafka's null (a tombstone).
 *
 * @example
 * ```ts
 * const upper: Codec<string> = {
 *   name: 'upper',
 *   nullable: false,
 *   parse: (value) => value.toUpperCase(),
 *   encode: (value) => value,
 *   decode: (bytes) => bytes.toString('utf8'),
 *   sizeOf: (value) => value.length,
 * }
 * const shouts = await bus.createTopic('shouts', { value: upper })
 * ```
 */
export interface Codec<T, In = T> {
  readonly name: string
  /** Whether `null` (Kafka's tombstone) is a value: `parse`, `encode` and `sizeOf` never see it. */
  readonly nullable: boolean
  /** Checks a value at send and returns what is stored and delivered; throws for a value it rejects. */
  parse(value: In): T
  /** The value's bytes, for the file log and the wire; a string stands for its UTF-8 bytes. */
  encode(value: T): Uint8Array | string
  /** A value from its bytes (decoded once per batch, then shared). */
  decode(bytes: Buffer): T
  /** About how many bytes `encode` gives: what batch, buffer and `maxMessageBytes` limits count. */
  sizeOf(value: T): number
}

/**
 * The key or value type a codec delivers.
 *
 * @example
 * ```ts
 * type Text = CodecOutput<ReturnType<typeof string>> // string
 * ```
 */
export type CodecOutput<C> = C extends Codec<infer T, infer _In> ? T : never

/**
 * The key or value type a codec takes at send.
 *
 * @example
 * ```ts
 * type OrderInput = CodecInput<typeof orderCodec>
 * ```
 */
export type CodecInput<C> = C extends Codec<infer _T, infer In> ? In : never

/**
 * What a raw topic (one without codecs) takes as a key or value at send.
 *
 * @example
 * ```ts
 * const value: RawInput = 'text or bytes'
 * ```
 */
export type RawInput = string | Buffer | Uint8Array

/** Kafka's bytes semantics, the codec of a topic without one: strings become UTF-8 once, Buffers are taken by reference. */
export const RAW: Codec<Buffer | null, RawInput | null> = Object.freeze({
  name: 'raw',
  nullable: true,
  parse(value: RawInput | null): Buffer {
    if (typeof value === 'string') return Buffer.from(value)
    if (Buffer.isBuffer(value)) return value
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    throw new InvalidRecordError(`must be a string, a Buffer or null, got ${describeType(value)}`)
  },
  encode: (value: Buffer | null): Uint8Array => value!,
  decode: (bytes: Buffer): Buffer => bytes,
  sizeOf: (value: Buffer | null): number => value!.length,
})

/**
 * Kafka's bytes: the codec of a topic declared without one. `send` takes a string (made UTF-8 once), a
 * Buffer (taken by reference) or null; consumers get a Buffer or null. Through `bus.topic(name, { key:
 * raw(), value: raw() })` any topic, typed or not, can be read and written as bytes, as a Kafka client
 * sees it: a typed topic's values arrive as the bytes its codec makes (converted once per batch), and
 * bytes sent through the view are decoded (and checked) by typed readers when they read them.
 *
 * @example
 * ```ts
 * const bytes = bus.topic('orders', { key: raw(), value: raw() })
 * const [first] = await bytes.partition(0).read(0)
 * console.log(first?.value?.toString('utf8')) // the JSON text of a json() topic's value
 * console.log(bus.topic('logs').valueCodec === raw()) // true for a topic declared without codecs
 * ```
 */
export function raw(): Codec<Buffer | null, RawInput | null> {
  return RAW
}

/**
 * UTF-8 strings, kept as strings in memory and written straight into the batch on disk.
 *
 * @example
 * ```ts
 * const logs = await bus.createTopic('logs', { value: string() })
 * await producer.send(logs, { key: 'host-1', value: 'started' })
 * ```
 */
export function string(): Codec<string> {
  return STRING
}

const STRING: Codec<string> = Object.freeze({
  name: 'string',
  nullable: false,
  parse(value: string): string {
    if (typeof value !== 'string')
      throw new InvalidRecordError(`must be a string, got ${describeType(value)}`)
    return value
  },
  encode: (value: string): string => value,
  decode: (bytes: Buffer): string => bytes.toString('utf8'),
  sizeOf: (value: string): number => value.length,
})

/**
 * Raw bytes that must be Buffers (no strings). A Buffer is taken by reference: after `send`, it belongs
 * to the bus (as a chunk given to `stream.write` does) and must not be changed.
 *
 * @example
 * ```ts
 * const blobs = await bus.createTopic('blobs', { value: buffer() })
 * await producer.send(blobs, { value: Buffer.from([1, 2, 3]) })
 * ```
 */
export function buffer(): Codec<Buffer> {
  return BUFFER
}

const BUFFER: Codec<Buffer> = Object.freeze({
  name: 'buffer',
  nullable: false,
  parse(value: Buffer): Buffer {
    if (!Buffer.isBuffer(value)) throw new InvalidRecordError(`must be a Buffer, got ${describeType(value)}`)
    return value
  },
  encode: (value: Buffer): Uint8Array => value,
  decode: (bytes: Buffer): Buffer => bytes,
  sizeOf: (value: Buffer): number => value.length,
})

/**
 * JSON values, optionally checked against a schema — any Standard Schema validator: zod (3.24+ or 4),
 * valibot, arktype. A value the schema rejects fails `send` with an InvalidRecordError naming the
 * field, and nothing of that send is written. Consumers receive the schema's output (defaults and
 * transforms applied once, at send), deeply frozen, shared by every consumer; the file log stores that
 * output as JSON and checks it with the schema again when it reads it back, so a schema must accept
 * its own output (true unless a transform changes a field's type).
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const Order = z.object({ id: z.string(), total: z.number() })
 * const orders = await bus.createTopic('orders', { value: json(Order) })
 * await producer.send(orders, { key: 'o-1', value: { id: 'o-1', total: 9.5 } })
 * ```
 */
export function json(): Codec<unknown>
export function json<S extends StandardSchemaV1>(schema: S): Codec<SchemaOutput<S>, SchemaInput<S>>
export function json<S extends StandardSchemaV1>(schema?: S): Codec<unknown> {
  if (schema !== undefined && typeof schema?.['~standard']?.validate !== 'function') {
    throw new InvalidConfigError(
      'json(schema)',
      'expected a Standard Schema (zod 3.24+/4, valibot, arktype, …) with a ~standard.validate function',
    )
  }
  const check = (value: unknown, action: 'send' | 'read'): unknown => {
    let output = value
    if (schema !== undefined) {
      const result = schema['~standard'].validate(value)
      if (result instanceof Promise) {
        throw new InvalidConfigError(
          'json(schema)',
          'the schema validates asynchronously; logbus needs a synchronous schema',
        )
      }
      if (result.issues !== undefined) throw schemaError(result.issues, action)
      output = result.value
    }
    return freezeJson(output, 'value')
  }
  return {
    name: schema === undefined ? 'json' : `json(${schema['~standard'].vendor})`,
    nullable: false,
    parse: (value) => check(value, 'send'),
    encode(value) {
      return JSON.stringify(value)
    },
    decode(bytes) {
      let parsed: unknown
      try {
        parsed = JSON.parse(bytes.toString('utf8'))
      } catch (cause) {
        throw new InvalidRecordError('Cannot read JSON record: not valid JSON', { cause })
      }
      return check(parsed, 'read')
    },
    sizeOf: jsonSize,
  }
}

/**
 * Adds Kafka's `null` (a tombstone, or "no value") to a codec's values.
 *
 * @example
 * ```ts
 * const users = await bus.createTopic('users', { value: nullable(json(User)) })
 * await producer.send(users, { key: 'u1', value: null }) // deletes u1 from a compacted topic
 * ```
 */
export function nullable<T, In>(codec: Codec<T, In>): Codec<T | null, In | null> {
  if (codec.nullable) return codec
  return Object.freeze({
    name: `nullable(${codec.name})`,
    nullable: true,
    parse: (value: In | null) => codec.parse(value as In),
    encode: (value: T | null) => codec.encode(value as T),
    decode: (bytes: Buffer) => codec.decode(bytes),
    sizeOf: (value: T | null) => codec.sizeOf(value as T),
  })
}

function schemaError(
  issues: ReadonlyArray<StandardSchemaIssue>,
  action: 'send' | 'read',
): InvalidRecordError {
  const issue = issues[0]
  const segments = (issue?.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p))
  const path = segments.length === 0 ? 'value' : `value.${segments.join('.')}`
  const verb = action === 'send' ? 'send' : 'read'
  return new InvalidRecordError(`Cannot ${verb} JSON record: "${path}": ${issue?.message ?? 'invalid'}`)
}

/**
 * Checks that a value is JSON and freezes it, so that no consumer can change what another sees.
 * Objects with `toJSON` (a Date) are kept as they are: they become their JSON form on disk.
 */
function freezeJson(value: unknown, path: string): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (!Number.isFinite(value))
        throw new InvalidRecordError(`"${path}" is ${value}, which JSON cannot hold`)
      return value
    case 'object': {
      if (value === null || Object.isFrozen(value)) return value
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) freezeJson(value[i], `${path}.${i}`)
        return Object.freeze(value)
      }
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value
      const record = value as Record<string, unknown>
      for (const key in record) {
        const field = record[key]
        if (field !== undefined) freezeJson(field, `${path}.${key}`)
      }
      return Object.freeze(value)
    }
    default:
      throw new InvalidRecordError(`"${path}" is ${describeType(value)}, which JSON cannot hold`)
  }
}

/** About the length of `JSON.stringify(value)`, without making the string. */
function jsonSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length + 2
    case 'number':
      return 8
    case 'boolean':
      return 5
    case 'object': {
      if (value === null) return 4
      if (Array.isArray(value)) {
        let size = 2
        for (let i = 0; i < value.length; i++) size += jsonSize(value[i]) + 1
        return size
      }
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return 32
      let size = 2
      const record = value as Record<string, unknown>
      for (const key in record) {
        const field = record[key]
        if (field !== undefined) size += key.length + 4 + jsonSize(field)
      }
      return size
    }
    default:
      return 0
  }
}

/** A short description of a value's type for error messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

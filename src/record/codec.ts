import type { z } from 'zod'
import { InvalidRecordError } from '../errors'

/**
 * Turns a topic's values into bytes at the producer and back at the consumer. A topic created with a
 * codec is typed: `send` encodes (and validates) each value before anything is written.
 *
 * @example
 * ```ts
 * const orders = await bus.createTopic('orders', { codec: json(OrderSchema) })
 * await producer.send(orders, { key: 'u1', value: { id: 1, total: 9.5 } })
 * const order = orders.codec.decode(record.value!)
 * ```
 */
export interface Codec<T, D = T> {
  readonly name: string
  /** Throws InvalidRecordError for a value it does not accept. */
  encode(value: T): Buffer
  /** `D` differs from `T` when a schema transforms values (zod defaults, transforms). */
  decode(bytes: Buffer): D
}

/**
 * JSON values, optionally checked against a zod schema: a value the schema rejects fails `send` with
 * an InvalidRecordError naming the field and the reason, and nothing of that send is written.
 *
 * @example
 * ```ts
 * const Order = z.object({ id: z.number(), total: z.number() })
 * await bus.createTopic('orders', { codec: json(Order) })
 * ```
 */
export function json<S extends z.ZodType = z.ZodType<unknown>>(schema?: S): Codec<z.input<S>, z.output<S>> {
  const check = (value: unknown, direction: 'encode' | 'decode'): z.output<S> => {
    if (schema === undefined) return value as z.output<S>
    const result = schema.safeParse(value)
    if (result.success) return result.data
    const issue = result.error.issues[0]!
    const path = issue.path.length === 0 ? 'value' : `value.${issue.path.map(String).join('.')}`
    throw new InvalidRecordError(`Cannot ${direction} JSON record: "${path}": ${issue.message}`)
  }
  return {
    name: 'json',
    encode(value) {
      // Validated, but stored as given: decode parses it again, so a schema that transforms values
      // (or fills defaults) gives its output at the consumer, and transforms run once.
      check(value, 'encode')
      const text = JSON.stringify(value)
      if (text === undefined) throw new InvalidRecordError('Cannot encode JSON record: value is not JSON')
      return Buffer.from(text)
    },
    decode(bytes) {
      let parsed: unknown
      try {
        parsed = JSON.parse(bytes.toString('utf8'))
      } catch (cause) {
        throw new InvalidRecordError('Cannot decode JSON record: not valid JSON', { cause })
      }
      return check(parsed, 'decode')
    },
  }
}

/**
 * UTF-8 strings.
 *
 * @example
 * ```ts
 * const logs = await bus.createTopic('logs', { codec: string() })
 * ```
 */
export function string(): Codec<string> {
  return {
    name: 'string',
    encode(value) {
      if (typeof value !== 'string')
        throw new InvalidRecordError('Cannot encode record: value is not a string')
      return Buffer.from(value)
    },
    decode: (bytes) => bytes.toString('utf8'),
  }
}

/**
 * Raw bytes, as they are (the default for a topic without a codec, which also accepts strings).
 *
 * @example
 * ```ts
 * const blobs = await bus.createTopic('blobs', { codec: buffer() })
 * ```
 */
export function buffer(): Codec<Buffer> {
  return {
    name: 'buffer',
    encode(value) {
      if (!Buffer.isBuffer(value)) throw new InvalidRecordError('Cannot encode record: value is not a Buffer')
      // Copied, as every send copies: the caller may reuse its Buffer.
      return Buffer.from(value)
    },
    decode: (bytes) => bytes,
  }
}

import type { Topic } from '../bus/topic'
import { InvalidRecordError, RecordTooLargeError, UnknownTopicError } from '../errors'
import { EMPTY_HEADERS, type LogRecord, type RecordHeaders, recordSize } from '../record/log-record'

/**
 * A header value as a producer gives it; an array writes the key once per element, in order.
 *
 * @example
 * ```ts
 * const headers: MessageHeaders = { 'trace-id': 'abc', tags: ['a', 'b'] }
 * ```
 */
export type MessageHeaders = Record<string, string | Buffer | Array<string | Buffer> | undefined>

/** The value types a topic without a codec accepts. */
export type RawValue = string | Buffer | null

/**
 * One message to send. `value` is required (`null` is a tombstone). `partition` overrides the
 * partitioner; `timestamp` (ms since the epoch) defaults to the time of the `send` call.
 *
 * @example
 * ```ts
 * const message: Message = { key: 'user-1', value: JSON.stringify({ total: 10 }), headers: { v: '1' } }
 * ```
 */
export interface Message<V = RawValue> {
  key?: string | Buffer | null
  value: V | null
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

/** Bytes are copied at send, as Kafka serialises them: a caller may reuse its Buffer afterwards. */
function toBytes(value: unknown, field: string): Buffer | null {
  if (value === null) return null
  if (typeof value === 'string') return Buffer.from(value)
  if (value instanceof Uint8Array) return Buffer.from(value)
  throw new InvalidRecordError(`${field} must be a string, a Buffer or null, got ${describe(value)}`)
}

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : Array.isArray(value) ? 'an array' : typeof value
}

function toHeaders(headers: MessageHeaders | undefined): RecordHeaders {
  if (headers === undefined || headers === null) return EMPTY_HEADERS
  if (typeof headers !== 'object' || Array.isArray(headers)) {
    throw new InvalidRecordError(`headers must be an object, got ${describe(headers)}`)
  }
  let out: RecordHeaders | undefined
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    out ??= {}
    if (Array.isArray(value)) {
      out[name] = value.map((v, i) => toBytes(v, `headers.${name}[${i}]`) ?? invalidNullHeader(name))
    } else {
      out[name] = toBytes(value, `headers.${name}`) ?? invalidNullHeader(name)
    }
  }
  return out ?? EMPTY_HEADERS
}

function invalidNullHeader(name: string): never {
  throw new InvalidRecordError(`headers.${name} must not be null`)
}

/** Chooses a partition for a record without an explicit one. */
export type PartitionChooser = (topic: Topic<unknown>, key: Buffer | null, value: Buffer | null) => number

/**
 * Validates one message and turns it into the record that will be stored, or throws without side
 * effects. The caller validates every message of a send before it enqueues any, and checks its size
 * with `checkedRecordSize`.
 */
export function buildRecord(
  topic: Topic<unknown>,
  message: Message<unknown>,
  timestamp: number,
  choosePartition: PartitionChooser,
): LogRecord {
  if (message === null || typeof message !== 'object') {
    throw new InvalidRecordError(`A message must be an object with a value, got ${describe(message)}`)
  }
  if (message.value === undefined) {
    throw new InvalidRecordError('message.value is required (use null for a tombstone)')
  }
  const key = message.key === undefined ? null : toBytes(message.key, 'key')
  let value: Buffer | null
  if (message.value === null) value = null
  else if (topic.codec === undefined) value = toBytes(message.value, 'value')
  else value = encodeWith(topic, message.value)

  let partition: number
  if (message.partition === undefined) {
    partition = choosePartition(topic, key, value)
  } else {
    partition = message.partition
    if (!Number.isInteger(partition) || partition < 0) {
      throw new InvalidRecordError(`partition must be a non-negative integer, got ${String(partition)}`)
    }
  }
  if (partition >= topic.partitionCount) throw new UnknownTopicError(topic.name, partition)

  if (message.timestamp !== undefined) {
    timestamp = message.timestamp
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new InvalidRecordError(`timestamp must be a non-negative integer (ms), got ${String(timestamp)}`)
    }
  }
  const record: LogRecord = {
    topic: topic.name,
    partition,
    offset: -1,
    timestamp,
    key,
    value,
    headers: toHeaders(message.headers),
  }
  return record
}

/** The record's size in a batch; throws RecordTooLargeError past the topic's `maxMessageBytes`. */
export function checkedRecordSize(topic: Topic<unknown>, record: LogRecord): number {
  const size = recordSize(record)
  if (size > topic.config.maxMessageBytes) {
    throw new RecordTooLargeError(topic.name, size, topic.config.maxMessageBytes)
  }
  return size
}

function encodeWith(topic: Topic<unknown>, value: unknown): Buffer {
  try {
    return topic.codec!.encode(value)
  } catch (error) {
    if (error instanceof InvalidRecordError) throw error
    throw new InvalidRecordError(
      `Codec "${topic.codec!.name}" of topic "${topic.name}" rejected the value: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    )
  }
}

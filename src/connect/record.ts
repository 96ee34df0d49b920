/**
 * A header value of a Connect record: text or bytes; an array repeats the key, as Kafka allows.
 *
 * @example
 * ```ts
 * const headers: ConnectHeaders = { source: 'file', 'trace-id': Buffer.from('abc') }
 * ```
 */
export type ConnectHeaders = Readonly<Record<string, string | Buffer | readonly (string | Buffer)[]>>

/**
 * A JSON value, as source partitions and offsets hold (they are stored as JSON in `connect-offsets`).
 *
 * @example
 * ```ts
 * const value: JsonValue = { position: 42 }
 * ```
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * Where a source task reads from (a file, a table, a task id): Kafka Connect's source partition.
 *
 * @example
 * ```ts
 * const partition: SourcePartition = { filename: '/var/log/app.log' }
 * ```
 */
export type SourcePartition = { readonly [key: string]: JsonValue }

/**
 * How far a source task has read in a source partition: Kafka Connect's source offset. The runtime
 * stores the last one of every partition whose records were written, and gives it back on restart.
 *
 * @example
 * ```ts
 * const offset: SourceOffset = { position: 1024 }
 * ```
 */
export type SourceOffset = { readonly [key: string]: JsonValue }

/**
 * A record as Connect's transforms and converters see it: key and value are plain data (objects,
 * strings, numbers, Buffers, null), not bytes. `partition` and `timestamp` may be absent on a record
 * a source task makes (the producer then decides).
 *
 * @example
 * ```ts
 * const record: ConnectRecord = { topic: 'lines', key: null, value: 'hello', headers: {} }
 * ```
 */
export interface ConnectRecord {
  readonly topic: string
  readonly partition?: number
  readonly key?: unknown
  readonly value: unknown
  readonly timestamp?: number
  readonly headers?: ConnectHeaders
}

/**
 * What a source task's `poll()` returns: a record, and where it came from (`sourcePartition`) and up to
 * where it was read (`sourceOffset`, stored once the record is written; null stores nothing).
 *
 * @example
 * ```ts
 * const record: SourceRecord = {
 *   sourcePartition: { filename: 'in.txt' },
 *   sourceOffset: { position: 6 },
 *   topic: 'lines',
 *   value: 'hello',
 * }
 * ```
 */
export interface SourceRecord extends ConnectRecord {
  readonly sourcePartition: SourcePartition
  readonly sourceOffset: SourceOffset | null
}

/**
 * What a sink task's `put()` receives: a record consumed from a topic, with its partition and offset.
 *
 * @example
 * ```ts
 * const put = (records: SinkRecord[]) => records.forEach((r) => console.log(r.topic, r.offset, r.value))
 * ```
 */
export interface SinkRecord extends ConnectRecord {
  readonly partition: number
  readonly offset: number
  readonly timestamp: number
  readonly key: unknown
  readonly headers: ConnectHeaders
}

/** Whether a value is a plain object (Connect's schemaless Map), as transforms and sinks require. */
export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
}

/** A short description of a value's type for error messages, as Kafka names the class it found. */
export function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return 'array'
  if (Buffer.isBuffer(value)) return 'Buffer'
  if (value instanceof Date) return 'Date'
  return typeof value
}

/** JSON with object keys sorted, so equal partitions and offsets always serialize to the same bytes. */
export function canonicalJson(value: JsonValue | SourcePartition | SourceOffset): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isMap(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  )
}

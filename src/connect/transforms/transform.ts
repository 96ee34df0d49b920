import { InvalidRecordError } from '../../index'
import type { ConfigReader } from '../config'
import { type ConnectRecord, isMap, type SinkRecord, typeName } from '../record'

/**
 * A Single Message Transform: changes one record, or drops it (returns null). Works on source records
 * before they are written and on sink records before they are put; `R` is the kind of record.
 *
 * @example
 * ```ts
 * const upper: Transformation = { apply: (r) => ({ ...r, value: String(r.value).toUpperCase() }) }
 * ```
 */
export interface Transformation {
  apply<R extends ConnectRecord>(record: R): R | null
}

/**
 * Makes a transformation from its configuration (the `transforms.<alias>.*` properties, prefix removed).
 *
 * @example
 * ```ts
 * const factory: TransformationFactory = (read) => ({ apply: (r) => ({ ...r, topic: read.string('topic') }) })
 * ```
 */
export type TransformationFactory = (read: ConfigReader) => Transformation

/**
 * A condition on a record, to apply a transformation only to some records (Kafka's Predicate).
 *
 * @example
 * ```ts
 * const isTombstone: Predicate = { test: (r) => r.value === null }
 * ```
 */
export interface Predicate {
  test(record: ConnectRecord): boolean
}

/**
 * Makes a predicate from its configuration (the `predicates.<alias>.*` properties, prefix removed).
 *
 * @example
 * ```ts
 * const factory: PredicateFactory = (read) => ({ test: (r) => r.topic === read.string('topic') })
 * ```
 */
export type PredicateFactory = (read: ConfigReader) => Predicate

/** Whether a transform works on the record's key or its value (Kafka's `$Key` and `$Value` classes). */
export type Operand = 'key' | 'value'

export function operandOf(record: ConnectRecord, operand: Operand): unknown {
  return operand === 'key' ? (record.key ?? null) : record.value
}

export function withOperand<R extends ConnectRecord>(record: R, operand: Operand, data: unknown): R {
  return operand === 'key' ? { ...record, key: data } : { ...record, value: data }
}

/** Kafka's check for schemaless data: a transform that needs a Map fails on anything else. */
export function requireMap(value: unknown, purpose: string): Record<string, unknown> {
  if (!isMap(value)) {
    throw new InvalidRecordError(
      `Only Map objects supported in absence of schema for [${purpose}], found: ${typeName(value)}`,
    )
  }
  return value
}

export function requireMapOrNull(value: unknown, purpose: string): Record<string, unknown> | null {
  return value === null || value === undefined ? null : requireMap(value, purpose)
}

/** The offset of a sink record; transforms that need one fail on source records, as Kafka's do. */
export function requireSinkRecord(record: ConnectRecord, purpose: string): SinkRecord {
  if (typeof (record as Partial<SinkRecord>).offset !== 'number') {
    throw new InvalidRecordError(`Only SinkRecord supported for [${purpose}], found a source record`)
  }
  return record as SinkRecord
}

/** A map with `name` set, created so that `__proto__` is an ordinary key. */
export function withField(map: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true })
}

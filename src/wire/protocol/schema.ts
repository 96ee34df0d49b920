/**
 * The shape of a message description, in the form of Kafka's own message definitions
 * (`clients/src/main/resources/common/message/*.json`): the same field attributes, version strings
 * (`"3+"`, `"0-12"`, `"none"`) and type names (`int32`, `[]int32`, `[]StructName`), with field names in
 * camelCase and typed defaults. One generic codec (`codec.ts`) reads and writes every message from this
 * data, and the TypeScript types of decoded messages are derived from it (`MessageOf`).
 */

/**
 * The scalar types of Kafka's message definitions. `records` is a bytes field that holds a RecordBatch
 * set, kept as a `Buffer`.
 *
 * @example
 * ```ts
 * const t: ScalarType = 'int64'
 * ```
 */
export type ScalarType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid'

/**
 * A typed default value, as Kafka's `"default"` attribute (int64 defaults are bigints).
 *
 * @example
 * ```ts
 * const d: DefaultValue = -1n
 * ```
 */
export type DefaultValue = number | bigint | string | boolean | null

/**
 * One field of a message or struct. `type` is a scalar, `[]scalar`, `[]StructName` or `StructName`
 * (the last two with `fields`). Versions are Kafka's range strings: `"0+"`, `"3-12"`, `"5"`, `"none"`.
 *
 * @example
 * ```ts
 * const f: FieldSchema = { name: 'transactionalId', type: 'string', versions: '3+', nullableVersions: '3+', default: null }
 * ```
 */
export interface FieldSchema {
  readonly name: string
  readonly type: string
  readonly versions: string
  readonly nullableVersions?: string
  /** Versions in which the field is a tagged field (only in flexible versions). */
  readonly taggedVersions?: string
  readonly tag?: number
  /** Whether a non-default value may be dropped silently when encoding a version without the field. */
  readonly ignorable?: boolean
  readonly default?: DefaultValue
  readonly fields?: readonly FieldSchema[]
}

/**
 * A request or response description: its API key, valid and flexible versions, and fields.
 *
 * @example
 * ```ts
 * const s: MessageSchema = {
 *   apiKey: 12, type: 'request', name: 'HeartbeatRequest', validVersions: '0-4', flexibleVersions: '4+',
 *   fields: [{ name: 'groupId', type: 'string', versions: '0+' }],
 * }
 * ```
 */
export interface MessageSchema {
  readonly apiKey: number
  readonly type: 'request' | 'response'
  readonly name: string
  readonly validVersions: string
  readonly flexibleVersions: string
  readonly fields: readonly FieldSchema[]
}

/**
 * The TypeScript type of each scalar.
 *
 * @example
 * ```ts
 * const offset: ScalarValue['int64'] = 42n
 * ```
 */
export interface ScalarValue {
  bool: boolean
  int8: number
  int16: number
  uint16: number
  int32: number
  uint32: number
  int64: bigint
  float64: number
  string: string
  bytes: Buffer
  records: Buffer
  /** The canonical 8-4-4-4-12 hex form. */
  uuid: string
}

type BaseValue<F extends FieldSchema> = F extends { readonly fields: infer Fs extends readonly FieldSchema[] }
  ? F['type'] extends `[]${string}`
    ? StructOf<Fs>[]
    : StructOf<Fs>
  : F['type'] extends `[]${infer E extends keyof ScalarValue}`
    ? ScalarValue[E][]
    : F['type'] extends keyof ScalarValue
      ? ScalarValue[F['type']]
      : never

type FieldValue<F extends FieldSchema> = F extends { readonly nullableVersions: string }
  ? BaseValue<F> | null
  : BaseValue<F>

/**
 * The decoded object of a field list: every field is present (fields absent from the decoded version
 * hold their defaults, as in Kafka's generated classes).
 *
 * @example
 * ```ts
 * type Partition = StructOf<[{ name: 'index'; type: 'int32'; versions: '0+' }]> // { index: number }
 * ```
 */
export type StructOf<Fs extends readonly FieldSchema[]> = {
  -readonly [F in Fs[number] as F['name']]: FieldValue<F>
}

type BaseInput<F extends FieldSchema> = F extends { readonly fields: infer Fs extends readonly FieldSchema[] }
  ? F['type'] extends `[]${string}`
    ? StructInput<Fs>[]
    : StructInput<Fs>
  : F['type'] extends 'records'
    ? // Stored batches written back to back, each without a copy (a Fetch response's partition).
      Buffer | readonly Buffer[]
    : BaseValue<F>

type FieldInput<F extends FieldSchema> = F extends { readonly nullableVersions: string }
  ? BaseInput<F> | null
  : BaseInput<F>

/**
 * What the encoder accepts for a field list: any field may be left out and is then written as its
 * default, so a server fills in only what it knows.
 *
 * @example
 * ```ts
 * const p: StructInput<[{ name: 'index'; type: 'int32'; versions: '0+' }]> = {}
 * ```
 */
export type StructInput<Fs extends readonly FieldSchema[]> = {
  [F in Fs[number] as F['name']]?: FieldInput<F>
}

/**
 * The decoded type of a message schema.
 *
 * @example
 * ```ts
 * type Heartbeat = MessageOf<typeof HeartbeatRequestSchema>
 * ```
 */
export type MessageOf<S extends MessageSchema> = StructOf<S['fields']>

/**
 * The encoder's input type of a message schema.
 *
 * @example
 * ```ts
 * const body: MessageInputOf<typeof HeartbeatResponseSchema> = { errorCode: 0 }
 * ```
 */
export type MessageInputOf<S extends MessageSchema> = StructInput<S['fields']>

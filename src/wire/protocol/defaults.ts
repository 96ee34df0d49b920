import type { DefaultValue, FieldSchema } from './schema'

type Struct = Record<string, unknown>

/**
 * Field defaults as Kafka's generated classes have them: the declared `default`, else 0, 0n, false,
 * '', an empty buffer, null records, the zero uuid, an empty array, or a struct of defaults.
 */

/**
 * The zero uuid: a uuid field's default, and the topic id of a broker (or request) that names topics.
 *
 * @example
 * ```ts
 * import { ZERO_UUID } from 'logbus/wire'
 *
 * const byName = metadata.topics.filter((t) => t.topicId === ZERO_UUID)
 * ```
 */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000'
const EMPTY = Buffer.alloc(0)

/** Whether a field is an array (`[]type`). */
export function isArrayType(field: FieldSchema): boolean {
  return field.type.startsWith('[]')
}

/**
 * A fresh default of a field (arrays, structs and buffers are new objects each time).
 *
 * @example
 * ```ts
 * defaultOf({ name: 'leaderEpoch', type: 'int32', versions: '7+', default: -1 }) // -1
 * ```
 */
export function defaultOf(field: FieldSchema): unknown {
  if (field.default !== undefined) {
    if (field.default === null) return null
    if (field.type === 'int64' && typeof field.default === 'number') return BigInt(field.default)
    return field.default
  }
  if (isArrayType(field)) return []
  if (field.fields !== undefined) return defaultStruct(field.fields)
  return scalarDefault(field.type)
}

function scalarDefault(type: string): DefaultValue | Buffer {
  switch (type) {
    case 'bool':
      return false
    case 'int64':
      return 0n
    case 'string':
      return ''
    case 'bytes':
      return EMPTY
    case 'records':
      return null
    case 'uuid':
      return ZERO_UUID
    default:
      return 0
  }
}

function defaultStruct(fields: readonly FieldSchema[]): Struct {
  const out: Struct = {}
  for (const field of fields) out[field.name] = defaultOf(field)
  return out
}

/** Whether a value equals the field's default (tagged fields are written only when it does not). */
export function isDefault(field: FieldSchema, value: unknown): boolean {
  if (value === undefined) return true
  const def = field.default
  if (def === null) return value === null
  if (value === null) return false
  if (isArrayType(field)) return (value as unknown[]).length === 0
  if (field.fields !== undefined) {
    const struct = value as Struct
    return field.fields.every((f) => isDefault(f, struct[f.name]))
  }
  if (Buffer.isBuffer(value)) return value.length === 0
  const expected = def === undefined ? scalarDefault(field.type) : def
  if (typeof value === 'bigint') return value === BigInt(expected as number | bigint)
  if (field.type === 'uuid') return String(value).toLowerCase() === String(expected)
  return value === expected
}

import type { ConfigReader } from '../config'
import { requireMap, type Transformation, withField } from './transform'

const PURPOSE = 'copying fields from value to key'

/**
 * Kafka's `ValueToKey`: the key becomes a map of the value's `fields` (a missing field is null). The
 * value must be a map (a tombstone fails, as in Kafka).
 *
 * @example
 * ```ts
 * valueToKey(configReader({ fields: 'userid' }, 'transforms.t')) // key { userid: 'User_1' }
 * ```
 */
export function valueToKey(read: ConfigReader): Transformation {
  const fields = read.list('fields')
  if (fields.length === 0) read.fail('fields', 'must name at least one field')
  return {
    apply(record) {
      const value = requireMap(record.value, PURPOSE)
      const key: Record<string, unknown> = {}
      for (const field of fields) withField(key, field, value[field] ?? null)
      return { ...record, key }
    },
  }
}

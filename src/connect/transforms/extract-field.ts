import type { ConfigReader } from '../config'
import {
  type Operand,
  operandOf,
  requireMapOrNull,
  type Transformation,
  withField,
  withOperand,
} from './transform'

/**
 * Kafka's `ExtractField$Key` / `ExtractField$Value`: replaces the key or value (a map) with one of its
 * fields, `field` (null when absent; a null key or value stays null).
 *
 * @example
 * ```ts
 * extractField('key')(configReader({ field: 'userid' }, 'transforms.t')) // key { userid: 'U1' } → 'U1'
 * ```
 */
export function extractField(operand: Operand) {
  return (read: ConfigReader): Transformation => {
    const field = read.string('field')
    return {
      apply(record) {
        const map = requireMapOrNull(operandOf(record, operand), 'field extraction')
        return withOperand(record, operand, map === null ? null : (map[field] ?? null))
      },
    }
  }
}

/**
 * Kafka's `HoistField$Key` / `HoistField$Value`: wraps the key or value in a map under `field` (the
 * inverse of ExtractField: `'hello'` becomes `{ line: 'hello' }`).
 *
 * @example
 * ```ts
 * hoistField('value')(configReader({ field: 'line' }, 'transforms.t'))
 * ```
 */
export function hoistField(operand: Operand) {
  return (read: ConfigReader): Transformation => {
    const field = read.string('field')
    return {
      apply(record) {
        const map: Record<string, unknown> = {}
        withField(map, field, operandOf(record, operand))
        return withOperand(record, operand, map)
      },
    }
  }
}

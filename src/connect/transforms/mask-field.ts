import { InvalidRecordError } from '../../index'
import type { ConfigReader } from '../config'
import { isMap, typeName } from '../record'
import { type Operand, operandOf, requireMap, type Transformation, withField, withOperand } from './transform'

const PURPOSE = 'mask fields'

/** Kafka's "null value" of each type: what a field becomes without a `replacement`. */
function emptyOf(value: unknown): unknown {
  if (typeof value === 'boolean') return false
  if (typeof value === 'number') return 0
  if (typeof value === 'bigint') return 0n
  if (typeof value === 'string') return ''
  if (value instanceof Date) return new Date(0)
  if (Array.isArray(value)) return []
  if (isMap(value)) return {}
  throw new InvalidRecordError(`Cannot mask value of type: ${typeName(value)}`)
}

function replaced(value: unknown, replacement: string): unknown {
  if (typeof value === 'string') return replacement
  if (typeof value === 'number' || typeof value === 'bigint') {
    const number = Number(replacement)
    if (replacement.trim() === '' || Number.isNaN(number)) {
      throw new InvalidRecordError(`Unable to convert ${replacement} (string) to number`)
    }
    return typeof value === 'bigint' ? BigInt(Math.trunc(number)) : number
  }
  throw new InvalidRecordError(`Cannot mask value of type ${typeName(value)} with custom replacement.`)
}

/**
 * Kafka's `MaskField$Key` / `MaskField$Value`: replaces each field of `fields` with the empty value of
 * its type (0, false, '', [], {}, the epoch for a Date) or with `replacement` (strings take it as is,
 * numbers parse it). A listed field that is absent becomes null, as in Kafka; a null key or value
 * passes unchanged.
 *
 * @example
 * ```ts
 * maskField('value')(configReader({ fields: 'ssn,card', replacement: '****' }, 'transforms.t'))
 * ```
 */
export function maskField(operand: Operand) {
  return (read: ConfigReader): Transformation => {
    const fields = read.list('fields')
    if (fields.length === 0) read.fail('fields', 'must name at least one field')
    const replacement = read.optionalString('replacement')
    const masked = (value: unknown): unknown => {
      if (value === null || value === undefined) return null
      return replacement === undefined ? emptyOf(value) : replaced(value, replacement)
    }
    return {
      apply(record) {
        const data = operandOf(record, operand)
        if (data === null || data === undefined) return record
        const value = requireMap(data, PURPOSE)
        const updated = { ...value }
        for (const field of fields) withField(updated, field, masked(value[field]))
        return withOperand(record, operand, updated)
      },
    }
  }
}

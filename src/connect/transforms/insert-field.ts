import type { ConfigReader } from '../config'
import {
  type Operand,
  operandOf,
  requireMap,
  requireSinkRecord,
  type Transformation,
  withField,
  withOperand,
} from './transform'

const PURPOSE = 'field insertion'

/** `name!` (required) and `name?` (optional) mean the same without a schema: the name. */
function fieldName(read: ConfigReader, property: string): string | undefined {
  const spec = read.optionalString(property)
  return spec?.replace(/[!?]$/, '')
}

/**
 * Kafka's `InsertField$Key` / `InsertField$Value`: adds the record's topic (`topic.field`), partition
 * (`partition.field`), offset (`offset.field`, sink records only), timestamp (`timestamp.field`, as
 * milliseconds since the epoch: schemaless data has no Date type) and a constant (`static.field` set to
 * `static.value`). The key or value must be a map; a null one (a tombstone) passes unchanged.
 *
 * @example
 * ```ts
 * insertField('value')(configReader({ 'topic.field': 'source_topic' }, 'transforms.t'))
 * ```
 */
export function insertField(operand: Operand) {
  return (read: ConfigReader): Transformation => {
    const topicField = fieldName(read, 'topic.field')
    const partitionField = fieldName(read, 'partition.field')
    const offsetField = fieldName(read, 'offset.field')
    const timestampField = fieldName(read, 'timestamp.field')
    const staticField = fieldName(read, 'static.field')
    const staticValue = read.optionalString('static.value') ?? null
    return {
      apply(record) {
        const data = operandOf(record, operand)
        if (data === null || data === undefined) return record
        const updated = { ...requireMap(data, PURPOSE) }
        if (topicField !== undefined) withField(updated, topicField, record.topic)
        if (partitionField !== undefined) withField(updated, partitionField, record.partition ?? null)
        if (offsetField !== undefined)
          withField(updated, offsetField, requireSinkRecord(record, PURPOSE).offset)
        if (timestampField !== undefined) withField(updated, timestampField, record.timestamp ?? null)
        if (staticField !== undefined) withField(updated, staticField, staticValue)
        return withOperand(record, operand, updated)
      },
    }
  }
}

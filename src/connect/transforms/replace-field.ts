import type { ConfigReader } from '../config'
import { type Operand, operandOf, requireMap, type Transformation, withField, withOperand } from './transform'

const PURPOSE = 'field replacement'

/**
 * Kafka's `ReplaceField$Key` / `ReplaceField$Value`: keeps the fields of `include` (all when empty),
 * drops those of `exclude`, and renames by `renames` (`old:new,…`). The older names `whitelist` and
 * `blacklist` are accepted. Fields keep their order; a null key or value passes unchanged.
 *
 * @example
 * ```ts
 * replaceField('value')(configReader({ exclude: 'password', renames: 'uid:user_id' }, 'transforms.t'))
 * ```
 */
export function replaceField(operand: Operand) {
  return (read: ConfigReader): Transformation => {
    const exclude = new Set(read.list('exclude').length > 0 ? read.list('exclude') : read.list('blacklist'))
    const include = new Set(read.list('include').length > 0 ? read.list('include') : read.list('whitelist'))
    const renames = new Map<string, string>()
    for (const pair of read.list('renames')) {
      const parts = pair.split(':')
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
        read.fail('renames', `expected a list of old:new pairs, got "${pair}"`)
      }
      renames.set(parts[0]!, parts[1]!)
    }
    const keep = (name: string): boolean => !exclude.has(name) && (include.size === 0 || include.has(name))
    return {
      apply(record) {
        const data = operandOf(record, operand)
        if (data === null || data === undefined) return record
        const value = requireMap(data, PURPOSE)
        const updated: Record<string, unknown> = {}
        for (const name of Object.keys(value)) {
          if (keep(name)) withField(updated, renames.get(name) ?? name, value[name])
        }
        return withOperand(record, operand, updated)
      },
    }
  }
}

import type { ConfigReader } from '../config'
import type { Predicate, Transformation } from './transform'

/**
 * Kafka's `Filter`: drops every record it applies to — so, with a `predicate`, the records that match
 * it (or, with `negate=true`, those that do not).
 *
 * @example
 * ```ts
 * // transforms=dropTombstones, transforms.dropTombstones.type=Filter, transforms.dropTombstones.predicate=isTombstone
 * ```
 */
export function filter(_read: ConfigReader): Transformation {
  return { apply: () => null }
}

/**
 * Kafka's `TopicNameMatches`: true when the whole topic name matches `pattern`.
 *
 * @example
 * ```ts
 * topicNameMatches(configReader({ pattern: 'orders-.*' }, 'predicates.p'))
 * ```
 */
export function topicNameMatches(read: ConfigReader): Predicate {
  const source = read.string('pattern')
  let whole: RegExp
  try {
    whole = new RegExp(`^(?:${source})$`)
  } catch (cause) {
    return read.fail('pattern', `is not a valid regular expression: ${(cause as Error).message}`)
  }
  return { test: (record) => whole.test(record.topic) }
}

/**
 * Kafka's `HasHeaderKey`: true when the record has at least one header named `name`.
 *
 * @example
 * ```ts
 * hasHeaderKey(configReader({ name: 'trace-id' }, 'predicates.p'))
 * ```
 */
export function hasHeaderKey(read: ConfigReader): Predicate {
  const name = read.string('name')
  return { test: (record) => record.headers !== undefined && Object.hasOwn(record.headers, name) }
}

/**
 * Kafka's `RecordIsTombstone`: true when the value is null.
 *
 * @example
 * ```ts
 * recordIsTombstone(configReader({}, 'predicates.p'))
 * ```
 */
export function recordIsTombstone(_read: ConfigReader): Predicate {
  return { test: (record) => record.value === null || record.value === undefined }
}

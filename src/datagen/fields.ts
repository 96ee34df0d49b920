import { InvalidConfigError } from '../index'
import type { SeededRandom } from './random'
import { compileRegex } from './regex'

/**
 * What a field generator gets for one record: the random stream, and the record's iteration (0 for the
 * first record of a stream, counting every record generated, as Confluent's generator counts
 * "generations").
 *
 * @example
 * ```ts
 * const ctx: GenerationContext = { random: new SeededRandom(1), iteration: 0 }
 * ```
 */
export interface GenerationContext {
  readonly random: SeededRandom
  readonly iteration: number
}

/**
 * A generator of one value of type `T`: a field of a quickstart, or a whole record. Built with the
 * functions of `fields` (which mirror the `arg.properties` annotations of Confluent's Avro random
 * generator: options, range, regex, iteration, odds, and unions with null) and combined with
 * `fields.record`.
 *
 * @example
 * ```ts
 * const userId: Field<string> = fields.regex('User_[1-9]')
 * ```
 */
export interface Field<T> {
  generate(context: GenerationContext): T
}

/**
 * Where an `iteration` field starts, steps and wraps (Confluent's `iteration` annotation): the first
 * value is `initial` (default `start`), each next one adds `step` (default 1, or -1 when `restart` is
 * below `start`), and a value that reaches `restart` wraps back to `start`. The value depends only on
 * the record's iteration, so a stream resumed from its iteration continues the sequence exactly.
 *
 * @example
 * ```ts
 * const spec: IterationSpec = { start: 1, step: 10 } // 1, 11, 21, …
 * ```
 */
export interface IterationSpec {
  start: number
  step?: number
  restart?: number
  initial?: number
}

/**
 * The field builders. Ranges are `[min, max)`, as Confluent's generator draws them: `max` itself never
 * comes out.
 *
 * @example
 * ```ts
 * import { fields } from 'logbus/datagen'
 *
 * const Sensor = fields.record({
 *   id: fields.iteration({ start: 1 }),
 *   kind: fields.options(['temp', 'humidity'] as const),
 *   reading: fields.double({ min: 0, max: 100 }),
 *   label: fields.nullable(fields.regex('[A-Z]{3}-[0-9]{2}'), 0.1),
 * })
 * ```
 */
export const fields = {
  /**
   * One of `values`, each equally likely (Confluent's `options`).
   *
   * @example
   * ```ts
   * fields.options(['MALE', 'FEMALE', 'OTHER'] as const)
   * ```
   */
  options<const T>(values: readonly T[]): Field<T> {
    if (!Array.isArray(values) || values.length === 0) {
      throw new InvalidConfigError('options', 'must be a non-empty list')
    }
    const list = [...values]
    return { generate: ({ random }) => random.pick(list) }
  },

  /**
   * An integer in `[min, max)` (an Avro `int` or `long` with a `range`).
   *
   * @example
   * ```ts
   * fields.int({ min: 18, max: 100 })
   * ```
   */
  int({ min, max }: { min: number; max: number }): Field<number> {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min >= max) {
      throw new InvalidConfigError('range', `expected integers with min < max, got [${min}, ${max})`)
    }
    return { generate: ({ random }) => random.int(min, max) }
  },

  /**
   * A number in `[min, max)` (an Avro `double` with a `range`).
   *
   * @example
   * ```ts
   * fields.double({ min: 0.1, max: 10 })
   * ```
   */
  double({ min, max }: { min: number; max: number }): Field<number> {
    if (!Number.isFinite(min) || !Number.isFinite(max) || min >= max) {
      throw new InvalidConfigError('range', `expected finite numbers with min < max, got [${min}, ${max})`)
    }
    return { generate: ({ random }) => random.float(min, max) }
  },

  /**
   * A string matching `pattern` (Confluent's `regex`); see `compileRegex` for what patterns may use.
   *
   * @example
   * ```ts
   * fields.regex('Page_[1-9][0-9]?')
   * ```
   */
  regex(pattern: string): Field<string> {
    const generator = compileRegex(pattern)
    return { generate: ({ random }) => generator.generate(random) }
  },

  /**
   * A sequence that follows the record's iteration (Confluent's `iteration`); see {@link IterationSpec}.
   *
   * @example
   * ```ts
   * fields.iteration({ start: 0 }) // 0, 1, 2, …
   * ```
   */
  iteration(spec: IterationSpec): Field<number> {
    const at = iterationSequence(spec)
    return { generate: ({ iteration }) => at(iteration) }
  },

  /**
   * A boolean that is true with probability `odds` (Confluent's `odds`).
   *
   * @example
   * ```ts
   * fields.boolean(0.9) // true nine times in ten
   * ```
   */
  boolean(odds = 0.5): Field<boolean> {
    if (!(odds >= 0 && odds <= 1)) throw new InvalidConfigError('odds', 'must be between 0 and 1')
    return { generate: ({ random }) => random.chance(odds) }
  },

  /**
   * `null` with probability `nullRate`, else a value of `field`: an Avro union `["null", T]`. Confluent's
   * generator picks a union's branches with equal odds, so its rate for `["null", T]` is 0.5, the default.
   *
   * @example
   * ```ts
   * fields.nullable(fields.int({ min: 18, max: 100 })) // null half of the time
   * ```
   */
  nullable<T>(field: Field<T>, nullRate = 0.5): Field<T | null> {
    if (!(nullRate >= 0 && nullRate <= 1)) throw new InvalidConfigError('nullRate', 'must be between 0 and 1')
    return { generate: (context) => (context.random.chance(nullRate) ? null : field.generate(context)) }
  },

  /**
   * The same value every time.
   *
   * @example
   * ```ts
   * fields.constant('-')
   * ```
   */
  constant<const T>(value: T): Field<T> {
    return { generate: () => value }
  },

  /**
   * A value of `field` passed through `transform` (a formatted time, a derived label).
   *
   * @example
   * ```ts
   * fields.map(fields.iteration({ start: 1 }), (n) => `#${n}`)
   * ```
   */
  map<T, U>(field: Field<T>, transform: (value: T) => U): Field<U> {
    return { generate: (context) => transform(field.generate(context)) }
  },

  /**
   * A record: each field generated in the order given (which is the order random draws are made, so
   * reordering fields changes a seeded stream).
   *
   * @example
   * ```ts
   * fields.record({ city: fields.regex('City_[1-9]{0,2}'), zipcode: fields.int({ min: 10000, max: 99999 }) })
   * ```
   */
  record<T extends object>(shape: { [K in keyof T]: Field<T[K]> }): Field<T> {
    const entries = Object.entries(shape) as [string, Field<unknown>][]
    for (const [name, field] of entries) {
      if (typeof field?.generate !== 'function') {
        throw new InvalidConfigError(
          `fields.${name}`,
          'must be a field generator (fields.int, fields.regex, …)',
        )
      }
    }
    return {
      generate(context) {
        const out: Record<string, unknown> = {}
        for (const [name, field] of entries) out[name] = field.generate(context)
        return out as T
      },
    }
  },
} as const

/** The value of an iteration field at a given record iteration, computed directly (no state to carry). */
function iterationSequence({ start, step, restart, initial }: IterationSpec): (iteration: number) => number {
  if (!Number.isFinite(start)) throw new InvalidConfigError('iteration.start', 'must be a number')
  if (restart !== undefined && restart === start) {
    throw new InvalidConfigError('iteration.restart', 'must differ from start')
  }
  const delta = step ?? (restart !== undefined && restart < start ? -1 : 1)
  if (!Number.isFinite(delta) || delta === 0) throw new InvalidConfigError('iteration.step', 'must not be 0')
  const first = initial ?? start
  if (restart === undefined) return (iteration) => first + iteration * delta
  if ((restart - start) * delta < 0) {
    throw new InvalidConfigError('iteration.step', 'must move from start towards restart')
  }
  // Values from start before reaching restart, and steps from `first` before its first wrap.
  const period = Math.ceil((restart - start) / delta)
  const beforeWrap = Math.max(1, Math.ceil((restart - first) / delta))
  return (iteration) =>
    iteration < beforeWrap ? first + iteration * delta : start + ((iteration - beforeWrap) % period) * delta
}

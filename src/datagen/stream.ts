import { InvalidConfigError } from '../index'
import { type Quickstart, type QuickstartName, type QuickstartValue, quickstartNamed } from './quickstarts'
import { type RandomState, type Seed, SeededRandom } from './random'

/**
 * One generated record: the key (the text of the quickstart's key field) and the value.
 *
 * @example
 * ```ts
 * const record: DatagenRecord<Pageview> = { key: '1', value: { viewtime: 1, userid: 'User_4', pageid: 'Page_12' } }
 * ```
 */
export interface DatagenRecord<V> {
  key: string
  value: V
}

/**
 * Where a stream is: how many records it has made and the state of its random generator. A stream
 * created with `resume: state` continues exactly where the saved one was.
 *
 * @example
 * ```ts
 * const saved: DatagenState = generator.state()
 * ```
 */
export interface DatagenState {
  iteration: number
  random: RandomState
}

/**
 * Options of `datagen()`.
 *
 * @example
 * ```ts
 * const options: DatagenOptions<'users'> = { quickstart: 'users', seed: 7, iterations: 100 }
 * ```
 */
export interface DatagenOptions<Q extends QuickstartName | Quickstart<object>> {
  /** A built-in quickstart's name, or a definition from `defineQuickstart`. */
  quickstart: Q
  /** The same seed gives the same records every time. Default: a random seed. */
  seed?: Seed
  /** How many records in all (Confluent's `iterations`); default unlimited. */
  iterations?: number
  /** The value field to key records by, instead of the quickstart's own (Confluent's `schema.keyfield`). */
  keyField?: string
  /** Continue a stream from a saved state instead of starting one (`seed` is then ignored). */
  resume?: DatagenState
}

/**
 * A stream of generated records: iterate it (sync or `for await`), or call `next()`. Deterministic for a
 * seed; `state()` saves where it is.
 *
 * @example
 * ```ts
 * const users = datagen({ quickstart: 'users', seed: 42, iterations: 3 })
 * for (const { key, value } of users) console.log(key, value.gender)
 * ```
 */
export class Datagen<V> implements Iterable<DatagenRecord<V>>, AsyncIterable<DatagenRecord<V>> {
  readonly quickstart: Quickstart<object>
  readonly keyField: string
  readonly iterations: number
  readonly #random: SeededRandom
  #iteration: number

  /** @internal Use `datagen()`. */
  constructor(options: DatagenOptions<QuickstartName | Quickstart<object>>) {
    const { quickstart, seed, iterations, keyField, resume } = options ?? ({} as never)
    this.quickstart = typeof quickstart === 'string' ? quickstartNamed(quickstart) : quickstart
    if (typeof this.quickstart?.value?.generate !== 'function') {
      throw new InvalidConfigError(
        'quickstart',
        'must be a quickstart name or a defineQuickstart() definition',
      )
    }
    this.keyField = keyField ?? this.quickstart.keyField
    if (iterations !== undefined && (!Number.isSafeInteger(iterations) || iterations < 0)) {
      throw new InvalidConfigError('iterations', 'must be a non-negative integer')
    }
    this.iterations = iterations ?? Number.POSITIVE_INFINITY
    if (resume !== undefined) {
      if (!Number.isSafeInteger(resume.iteration) || resume.iteration < 0) {
        throw new InvalidConfigError('resume.iteration', 'must be a non-negative integer')
      }
      this.#random = SeededRandom.fromState(resume.random)
      this.#iteration = resume.iteration
    } else {
      this.#random = new SeededRandom(seed)
      this.#iteration = 0
    }
    const sample = this.quickstart.value.generate({ random: new SeededRandom(0), iteration: 0 })
    if (!Object.hasOwn(sample, this.keyField)) {
      throw new InvalidConfigError('keyField', `"${this.keyField}" is not a field of ${this.quickstart.name}`)
    }
  }

  /**
   * How many records this stream has made (counting those before a resume).
   *
   * @example
   * ```ts
   * generator.iteration // 0 before the first record
   * ```
   */
  get iteration(): number {
    return this.#iteration
  }

  /**
   * Whether `iterations` records have been made.
   *
   * @example
   * ```ts
   * while (!generator.done) console.log(generator.next())
   * ```
   */
  get done(): boolean {
    return this.#iteration >= this.iterations
  }

  /**
   * The next record, or undefined once `iterations` records were made.
   *
   * @example
   * ```ts
   * const record = generator.next()
   * ```
   */
  next(): DatagenRecord<V> | undefined {
    if (this.#iteration >= this.iterations) return undefined
    const value = this.quickstart.value.generate({ random: this.#random, iteration: this.#iteration })
    this.#iteration++
    return { key: String((value as Record<string, unknown>)[this.keyField]), value: value as V }
  }

  /**
   * Up to `count` next records (fewer at the end of the stream).
   *
   * @example
   * ```ts
   * const batch = generator.take(500)
   * ```
   */
  take(count: number): DatagenRecord<V>[] {
    const out: DatagenRecord<V>[] = []
    for (let i = 0; i < count; i++) {
      const record = this.next()
      if (record === undefined) break
      out.push(record)
    }
    return out
  }

  /**
   * Where the stream is now, to resume it later (`datagen({ quickstart, resume })`).
   *
   * @example
   * ```ts
   * const saved = generator.state()
   * ```
   */
  state(): DatagenState {
    return { iteration: this.#iteration, random: this.#random.state() }
  }

  *[Symbol.iterator](): Iterator<DatagenRecord<V>> {
    for (;;) {
      const record = this.next()
      if (record === undefined) return
      yield record
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DatagenRecord<V>> {
    for (;;) {
      const record = this.next()
      if (record === undefined) return
      yield record
    }
  }
}

/**
 * Generated records of a quickstart, deterministic for a seed: the records of Confluent's
 * kafka-connect-datagen quickstarts without a broker. Typed by the quickstart: `datagen({ quickstart:
 * 'pageviews' })` yields `{ key: string, value: Pageview }`.
 *
 * @example
 * ```ts
 * import { datagen } from 'logbus/datagen'
 *
 * for (const { key, value } of datagen({ quickstart: 'pageviews', seed: 42, iterations: 5 })) {
 *   console.log(key, value.userid, value.pageid)
 * }
 * ```
 */
export function datagen<const Q extends QuickstartName | Quickstart<object>>(
  options: DatagenOptions<Q>,
): Datagen<QuickstartValue<Q>> {
  return new Datagen<QuickstartValue<Q>>(options)
}

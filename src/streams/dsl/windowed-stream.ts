import { InvalidConfigError, type TopicDeclarations } from '../../index'
import { sessionStore, windowStore } from '../state/specs'
import { type AddFn, countAdd, countInit, FIRST_VALUE, reduceAdd, reduceInit } from '../topology/aggregate'
import { type MergeFn, SessionWindowAggregateNode } from '../topology/session-aggregate'
import { SlidingWindowAggregateNode } from '../topology/sliding-aggregate'
import { TimeWindowAggregateNode, type WindowedTableNode } from '../topology/window-aggregate'
import {
  DEFAULT_WINDOW_RETENTION_MS,
  type SessionWindows,
  type SlidingWindows,
  TimeWindows,
} from '../windows'
import type { GroupedSource } from './grouped'
import { WindowedKTable } from './ktable'
import { checkFunction } from './ops'
import type { WindowedMaterializedOptions } from './types'

/** The retention of a windowed store: the option (at least `minimum`), or a day. */
function retention(options: WindowedMaterializedOptions | undefined, minimum: number): number {
  const given = options?.retentionMs
  if (given === undefined) return Math.max(DEFAULT_WINDOW_RETENTION_MS, minimum)
  if (!Number.isSafeInteger(given) || given < minimum) {
    throw new InvalidConfigError(
      'streams.retentionMs',
      `must be at least the window size plus the grace period (${minimum} ms), got ${given}`,
    )
  }
  return given
}

/**
 * A grouped stream with time windows (Kafka's `TimeWindowedKStream`): tumbling, hopping or sliding.
 * Each aggregation is a windowed table keyed by `Windowed<K>`: every update of a window goes on, or
 * only each window's final result after `suppress(Suppressed.untilWindowCloses())`.
 *
 * @example
 * ```ts
 * const perMinute = views
 *   .groupByKey()
 *   .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
 *   .count({ name: 'views-per-minute' })
 * ```
 */
export class TimeWindowedKStream<K, V, D extends TopicDeclarations = Record<never, never>> {
  readonly #source: GroupedSource
  readonly #windows: TimeWindows | SlidingWindows

  /** @internal */
  constructor(source: GroupedSource, windows: TimeWindows | SlidingWindows) {
    this.#source = source
    this.#windows = windows
  }

  /**
   * The number of records per key and window.
   *
   * @example
   * ```ts
   * const counts = grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count()
   * ```
   */
  count(options?: WindowedMaterializedOptions): WindowedKTable<K, number, D> {
    return this.#aggregate(options, countInit, countAdd)
  }

  /**
   * Combines the values of each key and window: the first value, then `reducer(aggregate, value)`.
   *
   * @example
   * ```ts
   * const maxPerMinute = readings.groupByKey().windowedBy(perMinute).reduce((a, b) => Math.max(a, b))
   * ```
   */
  reduce(
    reducer: (aggregate: V, value: V) => V,
    options?: WindowedMaterializedOptions,
  ): WindowedKTable<K, V, D> {
    checkFunction('reduce', reducer)
    return this.#aggregate(options, reduceInit, reduceAdd(reducer as (a: unknown, b: unknown) => unknown))
  }

  /**
   * Folds the values of each key and window into an aggregate (`initializer()` per new window).
   *
   * @example
   * ```ts
   * const sums = readings.groupByKey().windowedBy(perMinute).aggregate(() => 0, (_, v, sum) => sum + v)
   * ```
   */
  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    options?: WindowedMaterializedOptions,
  ): WindowedKTable<K, VA, D> {
    checkFunction('aggregate initializer', initializer)
    checkFunction('aggregate aggregator', aggregator)
    return this.#aggregate(options, initializer, aggregator as AddFn)
  }

  #aggregate<VA>(
    options: WindowedMaterializedOptions | undefined,
    init: () => unknown,
    add: AddFn,
  ): WindowedKTable<K, VA, D> {
    const source = this.#source
    const builder = source.ctx.builder
    const windows = this.#windows
    const name = options?.name ?? builder.generatedName('KSTREAM-AGGREGATE-STATE-STORE')
    let node: WindowedTableNode
    if (windows instanceof TimeWindows) {
      const store = builder.addStore(windowStore(name, retention(options, windows.sizeMs + windows.graceMs)))
      node = new TimeWindowAggregateNode(name, source.input(name), store, windows, init, add)
    } else {
      const d = windows.timeDifferenceMs
      // A record looks back two window lengths for the windows it completes.
      const kept = Math.max(retention(options, 2 * d + windows.graceMs), 3 * d + windows.graceMs + 1)
      const store = builder.addStore(windowStore(name, kept))
      node = new SlidingWindowAggregateNode(name, source.input(name), store, windows, init, add)
    }
    return new WindowedKTable(source.ctx, builder.add(node))
  }
}

/**
 * A grouped stream with session windows (Kafka's `SessionWindowedKStream`). Aggregations merge
 * sessions that a record bridges, so `aggregate` also takes a `merger`.
 *
 * @example
 * ```ts
 * const visits = clicks.groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(30 * 60_000)).count()
 * ```
 */
export class SessionWindowedKStream<K, V, D extends TopicDeclarations = Record<never, never>> {
  readonly #source: GroupedSource
  readonly #windows: SessionWindows

  /** @internal */
  constructor(source: GroupedSource, windows: SessionWindows) {
    this.#source = source
    this.#windows = windows
  }

  /**
   * The number of records per key and session.
   *
   * @example
   * ```ts
   * const clicksPerVisit = clicks.groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(1_800_000)).count()
   * ```
   */
  count(options?: WindowedMaterializedOptions): WindowedKTable<K, number, D> {
    return this.#aggregate(options, countInit, countAdd, (_key, a, b) => (a as number) + (b as number))
  }

  /**
   * Combines the values of each session with `reducer` (also used when sessions merge).
   *
   * @example
   * ```ts
   * const spentPerVisit = purchases.groupByKey().windowedBy(visits).reduce((a, b) => a + b)
   * ```
   */
  reduce(
    reducer: (aggregate: V, value: V) => V,
    options?: WindowedMaterializedOptions,
  ): WindowedKTable<K, V, D> {
    checkFunction('reduce', reducer)
    const combine = reducer as (a: unknown, b: unknown) => unknown
    const merge: MergeFn = (_key, a, b) => (a === FIRST_VALUE ? b : combine(a, b))
    return this.#aggregate(options, reduceInit, reduceAdd(combine), merge)
  }

  /**
   * Folds the values of each session into an aggregate; `merger(key, a, b)` combines the aggregates of
   * two sessions a record bridges.
   *
   * @example
   * ```ts
   * const pages = views.groupByKey().windowedBy(visits).aggregate(
   *   () => [] as string[],
   *   (_, view, list) => [...list, view.page],
   *   (_, a, b) => [...a, ...b],
   * )
   * ```
   */
  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    merger: (key: K, left: VA, right: VA) => VA,
    options?: WindowedMaterializedOptions,
  ): WindowedKTable<K, VA, D> {
    checkFunction('aggregate initializer', initializer)
    checkFunction('aggregate aggregator', aggregator)
    checkFunction('aggregate merger', merger)
    return this.#aggregate(options, initializer, aggregator as AddFn, merger as MergeFn)
  }

  #aggregate<VA>(
    options: WindowedMaterializedOptions | undefined,
    init: () => unknown,
    add: AddFn,
    merge: MergeFn,
  ): WindowedKTable<K, VA, D> {
    const source = this.#source
    const builder = source.ctx.builder
    const windows = this.#windows
    const name = options?.name ?? builder.generatedName('KSTREAM-AGGREGATE-STATE-STORE')
    const store = builder.addStore(
      sessionStore(name, retention(options, windows.inactivityGapMs + windows.graceMs)),
    )
    const node = builder.add(
      new SessionWindowAggregateNode(name, source.input(name), store, windows, init, add, merge),
    )
    return new WindowedKTable(source.ctx, node)
  }
}

import { InvalidConfigError, type TopicDeclarations } from '../../index'
import { keyValueStore } from '../state/specs'
import { type AddFn, AggregateNode, countAdd, countInit, reduceAdd, reduceInit } from '../topology/aggregate'
import type { NodeSpec } from '../topology/node'
import { SessionWindows, SlidingWindows, TimeWindows } from '../windows'
import type { DslContext } from './context'
import { KTable } from './ktable'
import { checkFunction, throughRepartition } from './ops'
import type { MaterializedOptions } from './types'
import { SessionWindowedKStream, TimeWindowedKStream } from './windowed-stream'

/**
 * Where an aggregation reads from: the grouped stream, through a repartition topic named after the
 * grouping (or the store) when the key changed.
 * @internal
 */
export interface GroupedSource {
  readonly ctx: DslContext
  input(storeName: string): NodeSpec
}

/**
 * A stream grouped by key, ready to aggregate (Kafka's `KGroupedStream`). Each aggregation keeps
 * its state in a store with a changelog topic (`<applicationId>-<name>-changelog`) and is a table
 * that can be queried. Records with a null key or value are skipped.
 *
 * @example
 * ```ts
 * const counts = views.groupByKey().count({ name: 'views-per-user' })
 * const totals = orders.groupByKey().aggregate(() => 0, (_, order, total) => total + order.total)
 * ```
 */
// Not `implements GroupedSource`: that interface is internal, and a published declaration naming it
// would not compile (it is stripped). The class still is one, structurally.
export class KGroupedStream<K, V, D extends TopicDeclarations = Record<never, never>> {
  /** @internal */
  readonly ctx: DslContext
  readonly #node: NodeSpec
  readonly #repartition: boolean
  readonly #name: string | undefined

  /** @internal */
  constructor(ctx: DslContext, node: NodeSpec, repartition: boolean, name: string | undefined) {
    this.ctx = ctx
    this.#node = node
    this.#repartition = repartition
    this.#name = name
  }

  /** @internal */
  input(storeName: string): NodeSpec {
    if (!this.#repartition) return this.#node
    return throughRepartition(this.ctx.builder, this.#node, this.#name ?? storeName, undefined, true)
  }

  /**
   * The number of records per key.
   *
   * @example
   * ```ts
   * const wordCounts = words.groupBy((_, word) => word).count({ name: 'counts' })
   * ```
   */
  count(options?: MaterializedOptions): KTable<K, number, D> {
    return this.#aggregate(options, countInit, countAdd)
  }

  /**
   * Combines the values of each key: the first value, then `reducer(aggregate, value)`.
   *
   * @example
   * ```ts
   * const largest = orders.groupByKey().reduce((a, b) => (b.total > a.total ? b : a))
   * ```
   */
  reduce(reducer: (aggregate: V, value: V) => V, options?: MaterializedOptions): KTable<K, V, D> {
    checkFunction('reduce', reducer)
    return this.#aggregate(options, reduceInit, reduceAdd(reducer as (a: unknown, b: unknown) => unknown))
  }

  /**
   * Folds the values of each key into an aggregate of any type: `initializer()` for a new key, then
   * `aggregator(key, value, aggregate)`. Aggregates are frozen: return a new value.
   *
   * @example
   * ```ts
   * const stats = orders.groupByKey().aggregate(
   *   () => ({ count: 0, total: 0 }),
   *   (_, order, s) => ({ count: s.count + 1, total: s.total + order.total }),
   * )
   * ```
   */
  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    options?: MaterializedOptions,
  ): KTable<K, VA, D> {
    checkFunction('aggregate initializer', initializer)
    checkFunction('aggregate aggregator', aggregator)
    return this.#aggregate(options, initializer, aggregator as AddFn)
  }

  /**
   * Aggregates per window: tumbling or hopping (`TimeWindows`), sliding (`SlidingWindows`) or
   * session (`SessionWindows`) windows.
   *
   * @example
   * ```ts
   * const perMinute = views.groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count()
   * ```
   */
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V, D>
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V, D>
  windowedBy(
    windows: TimeWindows | SlidingWindows | SessionWindows,
  ): TimeWindowedKStream<K, V, D> | SessionWindowedKStream<K, V, D> {
    if (windows instanceof SessionWindows) return new SessionWindowedKStream(this, windows)
    if (windows instanceof TimeWindows || windows instanceof SlidingWindows) {
      return new TimeWindowedKStream(this, windows)
    }
    throw new InvalidConfigError(
      'streams.windowedBy',
      'expected TimeWindows, SlidingWindows or SessionWindows',
    )
  }

  #aggregate<VA>(
    options: MaterializedOptions | undefined,
    init: () => unknown,
    add: AddFn,
  ): KTable<K, VA, D> {
    const builder = this.ctx.builder
    const name = options?.name ?? builder.generatedName('KSTREAM-AGGREGATE-STATE-STORE')
    const input = this.input(name)
    const store = builder.addStore(keyValueStore(name))
    const node = builder.add(new AggregateNode(name, input, store, init, add))
    return new KTable(this.ctx, node)
  }
}

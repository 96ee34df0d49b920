import { InvalidConfigError, type TopicDeclarations } from '../../index'
import { compareKeys } from '../state/key-id'
import { suppressBuffer } from '../state/specs'
import { FunctionNode, type TableNode, type TableRow } from '../topology/node'
import type { JoinKind } from '../topology/table-join'
import { SuppressNode, TableFilterNode, TableMapValuesNode } from '../topology/table-ops'
import { WindowedTableNode } from '../topology/window-aggregate'
import { Suppressed, type Windowed } from '../windows'
import type { DslContext } from './context'
import { KStream } from './kstream'
import { checkFunction, tableTableJoin } from './ops'
import type { KeyValue, NamedOptions } from './types'

function toPairs<K, V>(rows: readonly TableRow[]): Array<KeyValue<K, V>> {
  return rows.map((row) => [row.key as K, row.value as V] as const)
}

/**
 * A changelog stream seen as a table (Kafka's `KTable`): the latest value per key, a null value a
 * deletion. Made by `app.table(topic)` or by an aggregation. Its changes flow on as a table (filter,
 * mapValues, joins) or as a stream of updates (`toStream`, null for a deletion).
 *
 * Once the application runs, the table answers queries about the partitions this instance holds
 * (Kafka's interactive queries): `get`, `all`, `range`.
 *
 * @example
 * ```ts
 * const users = app.table('users')
 * await app.start()
 * console.log(users.get('u1'))
 * ```
 */
export class KTable<K, V, D extends TopicDeclarations = Record<never, never>> {
  /** @internal */
  readonly ctx: DslContext
  /** @internal */
  readonly node: TableNode

  /** @internal */
  constructor(ctx: DslContext, node: TableNode) {
    this.ctx = ctx
    this.node = node
  }

  /**
   * The rows for which `predicate` holds; a row that stops matching is deleted downstream.
   *
   * @example
   * ```ts
   * const active = users.filter((_, user) => user.active)
   * ```
   */
  filter(predicate: (key: K, value: V) => boolean, options?: NamedOptions): KTable<K, V, D> {
    checkFunction('filter', predicate)
    const name = options?.name ?? this.ctx.builder.generatedName('KTABLE-FILTER')
    const node = new TableFilterNode(name, this.node, predicate as (k: unknown, v: unknown) => boolean)
    return new KTable(this.ctx, this.ctx.builder.add(node))
  }

  /**
   * The rows for which `predicate` is false.
   *
   * @example
   * ```ts
   * const inactive = users.filterNot((_, user) => user.active)
   * ```
   */
  filterNot(predicate: (key: K, value: V) => boolean, options?: NamedOptions): KTable<K, V, D> {
    checkFunction('filterNot', predicate)
    return this.filter((key, value) => !predicate(key, value), options)
  }

  /**
   * The same rows with each value mapped.
   *
   * @example
   * ```ts
   * const regions = users.mapValues((user) => user.region)
   * ```
   */
  mapValues<V2>(mapper: (value: V, key: K) => V2, options?: NamedOptions): KTable<K, V2, D> {
    checkFunction('mapValues', mapper)
    const name = options?.name ?? this.ctx.builder.generatedName('KTABLE-MAPVALUES')
    const node = new TableMapValuesNode(name, this.node, mapper as (v: unknown, k: unknown) => unknown)
    return new KTable(this.ctx, this.ctx.builder.add(node))
  }

  /**
   * The table's changes as a stream: each update's new value, null for a deletion.
   *
   * @example
   * ```ts
   * wordCounts.toStream().to('word-counts')
   * ```
   */
  toStream(options?: NamedOptions): KStream<K, V | null, D> {
    const name = options?.name ?? this.ctx.builder.generatedName('KTABLE-TOSTREAM')
    const node = this.ctx.builder.add(
      new FunctionNode(name, [this.node], (forward) => (key, value, timestamp, headers) => {
        forward(key, value, timestamp, headers, undefined)
      }),
    )
    return new KStream(this.ctx, node, false)
  }

  /**
   * An inner join of two tables on their keys: a row where both have the key. The tables must be
   * co-partitioned.
   *
   * @example
   * ```ts
   * const profiles = users.join(addresses, (user, address) => ({ ...user, address }))
   * ```
   */
  join<V2, VR>(
    other: KTable<K, V2, D>,
    joiner: (value: V, otherValue: NoInfer<V2>, key: K) => VR,
    options?: NamedOptions,
  ): KTable<K, VR, D> {
    return this.#join('inner', other, joiner, options)
  }

  /**
   * A left join of two tables: a row for every key of this table, `null` where the other lacks it.
   *
   * @example
   * ```ts
   * const withAddress = users.leftJoin(addresses, (user, address) => ({ ...user, address }))
   * ```
   */
  leftJoin<V2, VR>(
    other: KTable<K, V2, D>,
    joiner: (value: V, otherValue: NoInfer<V2> | null, key: K) => VR,
    options?: NamedOptions,
  ): KTable<K, VR, D> {
    return this.#join('left', other, joiner, options)
  }

  /**
   * An outer join of two tables: a row for every key of either, `null` for the side that lacks it.
   *
   * @example
   * ```ts
   * const merged = stock.outerJoin(prices, (units, price) => ({ units, price }))
   * ```
   */
  outerJoin<V2, VR>(
    other: KTable<K, V2, D>,
    joiner: (value: V | null, otherValue: NoInfer<V2> | null, key: K) => VR,
    options?: NamedOptions,
  ): KTable<K, VR, D> {
    return this.#join('outer', other, joiner, options)
  }

  /**
   * The value of a key in the partitions this instance holds, or undefined.
   *
   * @example
   * ```ts
   * const count = wordCounts.get('kafka')
   * ```
   */
  get(key: K): V | undefined {
    return this.ctx.queries.get(this.node, key)?.value as V | undefined
  }

  /**
   * Every row this instance holds, in key order (strings by code unit, numbers numerically).
   *
   * @example
   * ```ts
   * for (const [word, count] of wordCounts.all()) console.log(word, count)
   * ```
   */
  all(): Array<KeyValue<K, V>> {
    return toPairs(this.ctx.queries.rows(this.node))
  }

  /**
   * The rows this instance holds with keys from `from` to `to`, both included, in key order.
   *
   * @example
   * ```ts
   * const aToM = wordCounts.range('a', 'm')
   * ```
   */
  range(from: K, to: K): Array<KeyValue<K, V>> {
    return toPairs(
      this.ctx.queries
        .rows(this.node)
        .filter((row) => compareKeys(row.key, from) >= 0 && compareKeys(row.key, to) <= 0),
    )
  }

  #join<V2, VR>(
    kind: JoinKind,
    other: KTable<K, V2, D>,
    joiner: unknown,
    options?: NamedOptions,
  ): KTable<K, VR, D> {
    checkFunction('join', joiner)
    if (!(other instanceof KTable) || other.ctx !== this.ctx) {
      throw new InvalidConfigError('streams.join', 'expected a table of the same application')
    }
    const builder = this.ctx.builder
    const name = options?.name ?? builder.generatedName('KTABLE-JOIN')
    const join = joiner as (left: unknown, right: unknown, key: unknown) => unknown
    return new KTable(this.ctx, tableTableJoin(builder, this.node, other.node, join, kind, name))
  }
}

/**
 * A table of windows (Kafka's windowed `KTable<Windowed<K>, V>`), from a windowed aggregation. Besides
 * the table operations, it answers window fetches and can hold back updates until each window closes.
 *
 * @example
 * ```ts
 * const perMinute = views.groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count()
 * perMinute.suppress(Suppressed.untilWindowCloses()).toStream().to('final-counts')
 * ```
 */
export class WindowedKTable<K, V, D extends TopicDeclarations = Record<never, never>> extends KTable<
  Windowed<K>,
  V,
  D
> {
  /**
   * Emits each window's final result once, when stream time passes its end plus the grace period
   * (Kafka's `suppress(Suppressed.untilWindowCloses(unbounded()))`).
   *
   * @example
   * ```ts
   * const final = perMinute.suppress(Suppressed.untilWindowCloses())
   * ```
   */
  suppress(suppressed: Suppressed, options?: NamedOptions): KTable<Windowed<K>, V, D> {
    if (!(suppressed instanceof Suppressed)) {
      throw new InvalidConfigError('streams.suppress', 'expected Suppressed.untilWindowCloses()')
    }
    const builder = this.ctx.builder
    const name = options?.name ?? builder.generatedName('KTABLE-SUPPRESS')
    const store = builder.addStore(suppressBuffer(`${name}-store`))
    return new KTable(this.ctx, builder.add(new SuppressNode(name, this.#windowed(), store)))
  }

  /**
   * The windows of a key this instance holds whose start is in `[from, to]`, oldest first.
   *
   * @example
   * ```ts
   * const lastHour = perMinute.fetch('page-1', Date.now() - 3_600_000, Date.now())
   * ```
   */
  fetch(
    key: K,
    from = Number.NEGATIVE_INFINITY,
    to = Number.POSITIVE_INFINITY,
  ): Array<KeyValue<Windowed<K>, V>> {
    return toPairs(this.ctx.queries.fetch(this.#windowed(), key, from, to))
  }

  /**
   * Every window this instance holds whose start is in `[from, to]`, by key then start.
   *
   * @example
   * ```ts
   * for (const [{ key, window }, count] of perMinute.fetchAll()) console.log(key, window.start, count)
   * ```
   */
  fetchAll(from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): Array<KeyValue<Windowed<K>, V>> {
    return toPairs(this.ctx.queries.fetchAll(this.#windowed(), from, to))
  }

  #windowed(): WindowedTableNode {
    const node = this.node
    if (!(node instanceof WindowedTableNode))
      throw new InvalidConfigError('streams.suppress', 'not a windowed table')
    return node
  }
}

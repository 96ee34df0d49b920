import { InvalidConfigError, type Topic, type TopicDeclarations, type TopicNamed } from '../../index'
import { keyValueStore } from '../state/specs'
import { FunctionNode, type NodeSpec } from '../topology/node'
import { SinkNode, StreamSourceNode } from '../topology/sources'
import { ToTableNode } from '../topology/table-ops'
import { JoinWindows } from '../windows'
import { BranchedKStream } from './branched'
import type { DslContext } from './context'
import { KGroupedStream } from './grouped'
import { KTable } from './ktable'
import { checkFunction, streamStreamJoin, streamTableJoin, throughRepartition } from './ops'
import type {
  GroupedOptions,
  KeyValue,
  MaterializedOptions,
  NamedOptions,
  RepartitionOptions,
  SinkCheck,
  SinkCheckNamed,
  StreamJoinOptions,
  TopicKey,
  TopicValue,
} from './types'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/**
 * A record stream (Kafka's `KStream`): every record is an event, nothing replaces anything. Made by
 * `app.stream(topic)` with the topic's types: keys are `K` (null when a record has none), values `V`.
 * Operations return new streams; nothing runs until `app.start()`.
 *
 * Functions take Kafka's arguments in Kafka's order — predicates and mappers `(key, value)`, value
 * mappers `(value, key)` — and must not throw for records they can handle: a throw goes to the
 * application's `processingExceptionHandler`.
 *
 * @example
 * ```ts
 * const app = streams(bus, { applicationId: 'shouter' })
 * app.stream('lines').filter((_, line) => line.length > 0).mapValues((line) => line.toUpperCase()).to('shouts')
 * await app.start()
 * ```
 */
export class KStream<K, V, D extends TopicDeclarations = Record<never, never>> {
  /** @internal */
  readonly ctx: DslContext
  /** @internal */
  readonly node: NodeSpec
  /** @internal Whether an operation changed the keys: grouping or joining repartitions first. */
  readonly keyChanged: boolean

  /** @internal */
  constructor(ctx: DslContext, node: NodeSpec, keyChanged: boolean) {
    this.ctx = ctx
    this.node = node
    this.keyChanged = keyChanged
  }

  /**
   * The records for which `predicate` is true. A type guard narrows the value type.
   *
   * @example
   * ```ts
   * const large = orders.filter((_, order) => order.total > 100)
   * ```
   */
  filter<V2 extends V>(
    predicate: (key: K, value: V) => value is V2,
    options?: NamedOptions,
  ): KStream<K, V2, D>
  filter(predicate: (key: K, value: V) => boolean, options?: NamedOptions): KStream<K, V, D>
  filter(predicate: (key: K, value: V) => boolean, options?: NamedOptions): KStream<K, V, D> {
    checkFunction('filter', predicate)
    return this.#stateless('KSTREAM-FILTER', options, this.keyChanged, (forward) => (k, v, t, h) => {
      if (predicate(k as K, v as V)) forward(k, v, t, h, undefined)
    })
  }

  /**
   * The records for which `predicate` is false.
   *
   * @example
   * ```ts
   * const nonEmpty = lines.filterNot((_, line) => line.length === 0)
   * ```
   */
  filterNot(predicate: (key: K, value: V) => boolean, options?: NamedOptions): KStream<K, V, D> {
    checkFunction('filterNot', predicate)
    return this.#stateless('KSTREAM-FILTER', options, this.keyChanged, (forward) => (k, v, t, h) => {
      if (!predicate(k as K, v as V)) forward(k, v, t, h, undefined)
    })
  }

  /**
   * A new key and value for each record. The key changes, so a later grouping or join repartitions.
   *
   * @example
   * ```ts
   * const byPage = views.map((user, view) => [view.page, { user, at: view.at }] as const)
   * ```
   */
  map<K2, V2>(mapper: (key: K, value: V) => KeyValue<K2, V2>, options?: NamedOptions): KStream<K2, V2, D> {
    checkFunction('map', mapper)
    return this.#stateless('KSTREAM-MAP', options, true, (forward) => (k, v, t, h) => {
      const [key, value] = mapper(k as K, v as V)
      forward(key, value, t, h, undefined)
    })
  }

  /**
   * A new value for each record, the key unchanged.
   *
   * @example
   * ```ts
   * const totals = orders.mapValues((order) => order.total)
   * ```
   */
  mapValues<V2>(mapper: (value: V, key: K) => V2, options?: NamedOptions): KStream<K, V2, D> {
    checkFunction('mapValues', mapper)
    return this.#stateless('KSTREAM-MAPVALUES', options, this.keyChanged, (forward) => (k, v, t, h) => {
      forward(k, mapper(v as V, k as K), t, h, undefined)
    })
  }

  /**
   * Zero or more records for each record. The key changes, so a later grouping or join repartitions.
   *
   * @example
   * ```ts
   * const perItem = orders.flatMap((_, order) => order.items.map((item) => [item.sku, item.quantity] as const))
   * ```
   */
  flatMap<K2, V2>(
    mapper: (key: K, value: V) => Iterable<KeyValue<K2, V2>>,
    options?: NamedOptions,
  ): KStream<K2, V2, D> {
    checkFunction('flatMap', mapper)
    return this.#stateless('KSTREAM-FLATMAP', options, true, (forward) => (k, v, t, h) => {
      for (const [key, value] of mapper(k as K, v as V)) forward(key, value, t, h, undefined)
    })
  }

  /**
   * Zero or more values for each record, each with the record's key.
   *
   * @example
   * ```ts
   * const words = lines.flatMapValues((line) => line.toLowerCase().split(/\W+/))
   * ```
   */
  flatMapValues<V2>(mapper: (value: V, key: K) => Iterable<V2>, options?: NamedOptions): KStream<K, V2, D> {
    checkFunction('flatMapValues', mapper)
    return this.#stateless('KSTREAM-FLATMAPVALUES', options, this.keyChanged, (forward) => (k, v, t, h) => {
      for (const value of mapper(v as V, k as K)) forward(k, value, t, h, undefined)
    })
  }

  /**
   * A new key for each record, the value unchanged. A later grouping or join repartitions.
   *
   * @example
   * ```ts
   * const byUser = clicks.selectKey((_, click) => click.user)
   * ```
   */
  selectKey<K2>(mapper: (key: K, value: V) => K2, options?: NamedOptions): KStream<K2, V, D> {
    checkFunction('selectKey', mapper)
    return this.#stateless('KSTREAM-KEY-SELECT', options, true, (forward) => (k, v, t, h) => {
      forward(mapper(k as K, v as V), v, t, h, undefined)
    })
  }

  /**
   * Calls `action` for each record and passes the record on unchanged.
   *
   * @example
   * ```ts
   * orders.peek((key, order) => console.log('order', key, order.total)).to('audited-orders')
   * ```
   */
  peek(action: (key: K, value: V) => void, options?: NamedOptions): KStream<K, V, D> {
    checkFunction('peek', action)
    return this.#stateless('KSTREAM-PEEK', options, this.keyChanged, (forward) => (k, v, t, h) => {
      action(k as K, v as V)
      forward(k, v, t, h, undefined)
    })
  }

  /**
   * Calls `action` for each record; the end of this branch of the topology.
   *
   * @example
   * ```ts
   * alerts.foreach((key, alert) => pager.send(key, alert))
   * ```
   */
  foreach(action: (key: K, value: V) => void, options?: NamedOptions): void {
    checkFunction('foreach', action)
    this.#stateless('KSTREAM-FOREACH', options, this.keyChanged, () => (k, v) => action(k as K, v as V))
  }

  /**
   * The records of both streams, each stream's order kept (no order between them).
   *
   * @example
   * ```ts
   * const allEvents = webEvents.merge(appEvents)
   * ```
   */
  merge(other: KStream<K, V, D>, options?: NamedOptions): KStream<K, V, D> {
    if (!(other instanceof KStream) || other.ctx !== this.ctx) {
      throw new InvalidConfigError('streams.merge', 'expected a stream of the same application')
    }
    const name = options?.name ?? this.ctx.builder.generatedName('KSTREAM-MERGE')
    const node = this.ctx.builder.add(new FunctionNode(name, [this.node, other.node], (forward) => forward))
    return new KStream(this.ctx, node, this.keyChanged || other.keyChanged)
  }

  /**
   * Splits the stream by predicates (Kafka's `split().branch()`): each record goes to the first
   * branch whose predicate holds, or to the default branch, or nowhere.
   *
   * @example
   * ```ts
   * const { small, large } = orders
   *   .split()
   *   .branch('small', (_, order) => order.total < 100)
   *   .defaultBranch('large')
   * ```
   */
  split(options?: NamedOptions): BranchedKStream<K, V, D, Record<never, never>> {
    return new BranchedKStream(this, options?.name ?? this.ctx.builder.generatedName('KSTREAM-BRANCH'))
  }

  /**
   * Writes the records to a topic through its codecs (Kafka's `to`); partitioned by the producer's
   * default partitioner. The types must fit the topic's codecs: a compile-time check by name for
   * declared topics, and always the codecs' check at run time.
   *
   * @example
   * ```ts
   * orders.filter((_, order) => order.total > 100).to('large-orders')
   * ```
   */
  to<N extends string>(topic: N & SinkCheckNamed<D, N, K, V>, options?: NamedOptions): void
  to<T extends AnyTopic>(topic: T & SinkCheck<T, K, V>, options?: NamedOptions): void
  to(topic: string | AnyTopic, options?: NamedOptions): void {
    if (typeof topic !== 'string' && (typeof topic !== 'object' || topic === null)) {
      throw new InvalidConfigError('streams.to', 'expected a topic name or a Topic')
    }
    const name = options?.name ?? this.ctx.builder.generatedName('KSTREAM-SINK')
    this.ctx.builder.add(new SinkNode(name, this.node, topic))
  }

  /**
   * Writes the records to a topic and reads them back from it (Kafka's `through`, which Kafka now
   * deprecates for `repartition`): the records continue as the topic's codecs deliver them, in a new
   * sub-topology, partitioned by their key. The topic is yours: it must exist, and it is not purged.
   *
   * @example
   * ```ts
   * const byUser = clicks.selectKey((_, click) => click.user).through('clicks-by-user')
   * ```
   */
  through<N extends string>(
    topic: N & SinkCheckNamed<D, N, K, V>,
    options?: NamedOptions,
  ): KStream<TopicKey<TopicNamed<D, N>> | null, TopicValue<TopicNamed<D, N>>, D>
  through<T extends AnyTopic>(
    topic: T & SinkCheck<T, K, V>,
    options?: NamedOptions,
  ): KStream<TopicKey<T> | null, TopicValue<T>, D>
  through(topic: string | AnyTopic, options?: NamedOptions): KStream<unknown, unknown, D> {
    this.to(topic as never, options)
    const builder = this.ctx.builder
    const source = builder.sourceTopic(topic)
    return new KStream(
      this.ctx,
      builder.add(new StreamSourceNode(builder.generatedName('KSTREAM-SOURCE'), [source])),
      false,
    )
  }

  /**
   * Routes the records through an internal topic `<applicationId>-<name>-repartition`, partitioned by
   * their current key (Kafka's `repartition`): what a key change needs before a join or a grouping,
   * done here explicitly (to choose the name or the partition count).
   *
   * @example
   * ```ts
   * const byUser = clicks.selectKey((_, click) => click.user).repartition({ name: 'clicks-by-user' })
   * ```
   */
  repartition(options?: RepartitionOptions): KStream<K, V, D> {
    const partitions = options?.partitions
    if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 1)) {
      throw new InvalidConfigError('streams.repartition.partitions', 'must be a positive integer')
    }
    const name = options?.name ?? this.ctx.builder.generatedName('KSTREAM-REPARTITION')
    return new KStream(
      this.ctx,
      throughRepartition(this.ctx.builder, this.node, name, partitions, false),
      false,
    )
  }

  /**
   * Groups records by their key for an aggregation (Kafka's `groupByKey`); repartitions first if an
   * earlier operation changed the key. Records with a null key or value are skipped by aggregations.
   *
   * @example
   * ```ts
   * const perUser = views.groupByKey().count()
   * ```
   */
  groupByKey(options?: GroupedOptions): KGroupedStream<NonNullable<K>, NonNullable<V>, D> {
    return new KGroupedStream(this.ctx, this.node, this.keyChanged, options?.name)
  }

  /**
   * Groups records by a new key (Kafka's `groupBy`: `selectKey` then `groupByKey`); always
   * repartitions, through `<applicationId>-<name>-repartition`.
   *
   * @example
   * ```ts
   * const wordCounts = words.groupBy((_, word) => word).count()
   * ```
   */
  groupBy<K2>(
    selector: (key: K, value: V) => K2,
    options?: GroupedOptions,
  ): KGroupedStream<NonNullable<K2>, NonNullable<V>, D> {
    return this.selectKey(selector).groupByKey(options)
  }

  /**
   * An inner join: with another stream, windowed (each pair of records with the same key within the
   * window); with a table, a lookup of the key in the table as it is when the record arrives. The
   * inputs must be co-partitioned; a side whose key changed is repartitioned first.
   *
   * @example
   * ```ts
   * const shown = impressions.join(clicks, (i, c) => ({ ad: i.ad, clickedAt: c.at }), JoinWindows.ofTimeDifferenceWithNoGrace(60_000))
   * const enriched = views.join(users, (view, user) => ({ ...view, region: user.region }))
   * ```
   */
  join<V2, VR>(
    other: KStream<K, V2, D>,
    joiner: (value: NonNullable<V>, otherValue: NonNullable<NoInfer<V2>>, key: NonNullable<K>) => VR,
    windows: JoinWindows,
    options?: StreamJoinOptions,
  ): KStream<NonNullable<K>, VR, D>
  join<VT, VR>(
    table: KTable<NonNullable<K>, VT, D>,
    joiner: (value: NonNullable<V>, tableValue: NoInfer<VT>, key: NonNullable<K>) => VR,
    options?: NamedOptions,
  ): KStream<NonNullable<K>, VR, D>
  join(other: unknown, joiner: unknown, windows?: unknown, options?: NamedOptions): unknown {
    return this.#join('inner', other, joiner, windows, options)
  }

  /**
   * A left join: like `join`, and each record without a match goes on with `null` for the other
   * side (with a stream: once the window has closed).
   *
   * @example
   * ```ts
   * const withRegion = views.leftJoin(users, (view, user) => ({ ...view, region: user?.region ?? 'unknown' }))
   * ```
   */
  leftJoin<V2, VR>(
    other: KStream<K, V2, D>,
    joiner: (value: NonNullable<V>, otherValue: NonNullable<NoInfer<V2>> | null, key: K) => VR,
    windows: JoinWindows,
    options?: StreamJoinOptions,
  ): KStream<K, VR, D>
  leftJoin<VT, VR>(
    table: KTable<NonNullable<K>, VT, D>,
    joiner: (value: NonNullable<V>, tableValue: NoInfer<VT> | null, key: K) => VR,
    options?: NamedOptions,
  ): KStream<K, VR, D>
  leftJoin(other: unknown, joiner: unknown, windows?: unknown, options?: NamedOptions): unknown {
    return this.#join('left', other, joiner, windows, options)
  }

  /**
   * An outer join of two streams: pairs within the window, and each record of either side without a
   * match (once its window has closed) with `null` for the other side.
   *
   * @example
   * ```ts
   * const reconciled = payments.outerJoin(invoices, (p, i) => ({ p, i }), JoinWindows.ofTimeDifferenceAndGrace(3_600_000, 60_000))
   * ```
   */
  outerJoin<V2, VR>(
    other: KStream<K, V2, D>,
    joiner: (value: NonNullable<V> | null, otherValue: NonNullable<NoInfer<V2>> | null, key: K) => VR,
    windows: JoinWindows,
    options?: StreamJoinOptions,
  ): KStream<K, VR, D> {
    return this.#join('outer', other, joiner, windows, options) as KStream<K, VR, D>
  }

  /**
   * The latest value per key as a table (Kafka's `toTable`): a null value deletes the key. The table
   * has a store (`<applicationId>-<name>-changelog`); a key change repartitions first.
   *
   * @example
   * ```ts
   * const latestLocation = pings.toTable({ name: 'locations' })
   * ```
   */
  toTable(options?: MaterializedOptions): KTable<NonNullable<K>, NonNullable<V>, D> {
    const builder = this.ctx.builder
    const name = options?.name ?? builder.generatedName('KSTREAM-TOTABLE-STATE-STORE')
    const source = this.keyChanged ? throughRepartition(builder, this.node, name, undefined, true) : this.node
    const store = builder.addStore(keyValueStore(name))
    const node = builder.add(new ToTableNode(name, source, store))
    return new KTable(this.ctx, node)
  }

  #stateless(
    prefix: string,
    options: NamedOptions | undefined,
    keyChanged: boolean,
    make: ConstructorParameters<typeof FunctionNode>[2],
  ): KStream<never, never, D> {
    const name = options?.name ?? this.ctx.builder.generatedName(prefix)
    const node = this.ctx.builder.add(new FunctionNode(name, [this.node], make))
    return new KStream(this.ctx, node, keyChanged)
  }

  #join(
    kind: 'inner' | 'left' | 'outer',
    other: unknown,
    joiner: unknown,
    windows: unknown,
    options?: NamedOptions,
  ): unknown {
    checkFunction('join', joiner)
    const builder = this.ctx.builder
    const join = joiner as (left: unknown, right: unknown, key: unknown) => unknown
    if (other instanceof KTable) {
      if (kind === 'outer')
        throw new InvalidConfigError('streams.outerJoin', 'a stream and a table have no outer join')
      const named = (windows as NamedOptions | undefined)?.name
      const name = named ?? builder.generatedName('KSTREAM-JOIN')
      const stream = this.keyChanged
        ? throughRepartition(builder, this.node, `${name}-left`, undefined, false)
        : this.node
      const node = streamTableJoin(builder, stream, other.node, join, kind === 'left', name)
      return new KStream(this.ctx, node, false)
    }
    if (!(other instanceof KStream) || other.ctx !== this.ctx) {
      throw new InvalidConfigError('streams.join', 'expected a stream or a table of the same application')
    }
    if (!(windows instanceof JoinWindows)) {
      throw new InvalidConfigError('streams.join', 'a stream–stream join needs JoinWindows')
    }
    const name = options?.name ?? builder.generatedName('KSTREAM-JOIN')
    const left = this.keyChanged
      ? throughRepartition(builder, this.node, `${name}-left`, undefined, false)
      : this.node
    const right = other.keyChanged
      ? throughRepartition(builder, other.node, `${name}-right`, undefined, false)
      : other.node
    return new KStream(this.ctx, streamStreamJoin(builder, left, right, windows, join, kind, name), false)
  }
}

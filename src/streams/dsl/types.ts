import type { Topic, TopicNamed } from '../../index'

/**
 * A key and a value, as `map` and `flatMap` return them (Kafka's `KeyValue.pair(key, value)`).
 *
 * @example
 * ```ts
 * const rekeyed = views.map((user, view): KeyValue<string, number> => [view.page, 1])
 * ```
 */
export type KeyValue<K, V> = readonly [key: K, value: V]

/**
 * Names a processor or an operation (Kafka's `Named`): names make a topology's internal topics and
 * stores stable when it changes.
 *
 * @example
 * ```ts
 * orders.filter((_, order) => order.total > 0, { name: 'paid-orders' })
 * ```
 */
export interface NamedOptions {
  name?: string
}

/**
 * Options of `groupByKey` and `groupBy` (Kafka's `Grouped`): `name` names the repartition topic
 * (`<applicationId>-<name>-repartition`) when the key changed; by default it takes the store's name.
 *
 * @example
 * ```ts
 * words.groupBy((_, word) => word, { name: 'by-word' })
 * ```
 */
export interface GroupedOptions {
  name?: string
}

/**
 * Options of an aggregation (Kafka's `Materialized`): `name` names its store, its changelog topic
 * (`<applicationId>-<name>-changelog`) and, when the key changed, its repartition topic.
 *
 * @example
 * ```ts
 * grouped.count({ name: 'counts' })
 * ```
 */
export interface MaterializedOptions {
  name?: string
}

/**
 * Options of a windowed aggregation: besides `name`, how long windows are kept for queries after
 * they start (Kafka's `Materialized.withRetention`; default one day, at least size plus grace).
 *
 * @example
 * ```ts
 * grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count({ name: 'per-minute', retentionMs: 3_600_000 })
 * ```
 */
export interface WindowedMaterializedOptions extends MaterializedOptions {
  retentionMs?: number
}

/**
 * Options of `repartition` (Kafka's `Repartitioned`): the topic's name and partition count (default:
 * the count of the topics it is joined with, else the largest of the sub-topology writing it).
 *
 * @example
 * ```ts
 * clicks.selectKey((_, click) => click.user).repartition({ name: 'clicks-by-user', partitions: 6 })
 * ```
 */
export interface RepartitionOptions {
  name?: string
  partitions?: number
}

/**
 * Options of a stream–stream join (Kafka's `StreamJoined`): `name` prefixes its stores
 * (`<name>-this-store`, `<name>-other-store`, `<name>-outer-store`) and repartition topics.
 *
 * @example
 * ```ts
 * impressions.join(clicks, (i, c) => ({ ...i, clicked: c.at }), JoinWindows.ofTimeDifferenceWithNoGrace(60_000), { name: 'ad-clicks' })
 * ```
 */
export interface StreamJoinOptions {
  name?: string
}

/**
 * What a topic's `send` takes: the key and value input types of its codecs.
 *
 * @example
 * ```ts
 * type OrdersInput = TopicInput<Topic<string, Order, string, Order>> // { key: string; value: Order }
 * ```
 */
export type TopicInput<T> =
  T extends Topic<infer _K, infer _V, infer KIn, infer VIn> ? { key: KIn; value: VIn } : never

/**
 * `unknown` when a stream of `K`, `V` can be written to topic `T`, else a type that names the
 * problem: what `to()` checks at compile time.
 *
 * @example
 * ```ts
 * type Ok = SinkCheck<Topic<string, string, string, string>, string, string> // unknown
 * ```
 */
export type SinkCheck<T, K, V> = [T] extends [never]
  ? unknown
  : [Exclude<K, null | undefined>] extends [TopicInput<T>['key']]
    ? [V] extends [TopicInput<T>['value']]
      ? unknown
      : { readonly 'logbus: the stream values do not fit the topic value codec': TopicInput<T>['value'] }
    : { readonly 'logbus: the stream keys do not fit the topic key codec': TopicInput<T>['key'] }

/**
 * The check of `to(name)` on a bus with declarations `D`.
 *
 * @example
 * ```ts
 * type Ok = SinkCheckNamed<{ out: { value: Codec<string> } }, 'out', string, string> // unknown
 * ```
 */
export type SinkCheckNamed<D, N extends string, K, V> = SinkCheck<TopicNamed<D, N>, K, V>

/**
 * The key type a topic delivers.
 *
 * @example
 * ```ts
 * type K = TopicKey<Topic<string, Order, string, Order>> // string
 * ```
 */
export type TopicKey<T> = T extends Topic<infer K, infer _V, infer _KIn, infer _VIn> ? K : never

/**
 * The value type a topic delivers.
 *
 * @example
 * ```ts
 * type V = TopicValue<Topic<string, Order, string, Order>> // Order
 * ```
 */
export type TopicValue<T> = T extends Topic<infer _K, infer V, infer _KIn, infer _VIn> ? V : never

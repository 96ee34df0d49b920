import { UnknownTopicError } from '../errors'
import type { Codec, RawInput } from '../record/codec'
import type { RecordBatch } from '../record/record-batch'
import type { TopicConfig } from '../storage/storage'
import { Partition } from './partition'
import type { PartitionCore } from './partition-core'
import { compacts } from './topic-options'

/** Checks a transactional batch a client sent against the transaction coordinator, before it is written. */
export type TransactionalWriteCheck = (batch: RecordBatch, partition: PartitionCore) => void

/**
 * The one shared state of a topic behind its typed views: configuration, partitions, and the codecs
 * it was declared with (what sends by name use). Not public.
 */
export class TopicEntry {
  #config!: Readonly<TopicConfig>
  readonly partitions: PartitionCore[]
  /** The view with the declared codecs: `bus.topic(name)` and sends by name. */
  readonly defaultView: Topic<unknown, unknown, unknown, unknown>

  constructor(
    readonly name: string,
    config: Readonly<TopicConfig>,
    partitions: PartitionCore[],
    keyCodec: Codec<unknown, unknown>,
    valueCodec: Codec<unknown, unknown>,
    readonly checkTransactionalWrite: TransactionalWriteCheck,
  ) {
    this.partitions = partitions
    this.config = config
    this.defaultView = new Topic(this, keyCodec, valueCodec)
  }

  get config(): Readonly<TopicConfig> {
    return this.#config
  }

  /** Set after the partitions change too: a compacted topic's partitions refuse keyless records. */
  set config(config: Readonly<TopicConfig>) {
    this.#config = config
    const keyed = compacts(config)
    for (const partition of this.partitions) partition.requireKeys = keyed
  }
}

/**
 * A topic seen through its codecs: `K` and `V` are what consumers receive (Buffers on a raw topic, the
 * codecs' types on a typed one), `KIn` and `VIn` what `send` takes. `bus.topic(name)` gives the view
 * with the codecs the topic was declared with; `bus.topic(name, { value })` gives another view of the
 * same partitions, typed by other codecs, without changing what anyone else sends or receives.
 *
 * @example
 * ```ts
 * const orders = await bus.createTopic('orders', { partitions: 6, value: json(Order) })
 * console.log(orders.name, orders.partitionCount, orders.config.maxMessageBytes)
 * ```
 */
export class Topic<K = Buffer, V = Buffer | null, KIn = RawInput, VIn = RawInput | null> {
  /** @internal */
  readonly entry: TopicEntry
  /**
   * The codec keys go through.
   *
   * @example
   * ```ts
   * console.log(bus.topic('orders').keyCodec.name) // 'raw'
   * ```
   */
  readonly keyCodec: Codec<K, KIn>
  /**
   * The codec values go through.
   *
   * @example
   * ```ts
   * console.log(bus.topic('orders').valueCodec.name) // 'json(zod)'
   * ```
   */
  readonly valueCodec: Codec<V, VIn>
  #views: Partition<K, V>[] = []

  /** @internal */
  constructor(entry: TopicEntry, keyCodec: Codec<K, KIn>, valueCodec: Codec<V, VIn>) {
    this.entry = entry
    this.keyCodec = keyCodec
    this.valueCodec = valueCodec
  }

  /**
   * The topic's name.
   *
   * @example
   * ```ts
   * console.log(orders.name)
   * ```
   */
  get name(): string {
    return this.entry.name
  }

  /**
   * The topic's configuration, defaults applied.
   *
   * @example
   * ```ts
   * const { retentionMs, maxMessageBytes } = bus.topic('orders').config
   * ```
   */
  get config(): Readonly<TopicConfig> {
    return this.entry.config
  }

  /**
   * The number of partitions.
   *
   * @example
   * ```ts
   * const n = bus.topic('orders').partitionCount
   * ```
   */
  get partitionCount(): number {
    return this.entry.partitions.length
  }

  /**
   * The partitions, in order.
   *
   * @example
   * ```ts
   * const total = bus.topic('orders').partitions.reduce((n, p) => n + p.logEndOffset, 0)
   * ```
   */
  get partitions(): readonly Partition<K, V>[] {
    for (let i = this.#views.length; i < this.entry.partitions.length; i++) this.partition(i)
    return this.#views
  }

  /**
   * One partition; UnknownTopicError if the topic has no such partition.
   *
   * @example
   * ```ts
   * const p0 = bus.topic('orders').partition(0)
   * ```
   */
  partition(index: number): Partition<K, V> {
    const view = this.#views[index]
    if (view !== undefined) return view
    const core = this.entry.partitions[index]
    if (core === undefined) throw new UnknownTopicError(this.entry.name, index)
    for (let i = this.#views.length; i <= index; i++) {
      this.#views.push(new Partition(this.entry, this.entry.partitions[i]!, this.keyCodec, this.valueCodec))
    }
    return this.#views[index]!
  }
}

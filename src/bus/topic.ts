import { UnknownTopicError } from '../errors'
import type { RawValue } from '../producer/message'
import type { Codec } from '../record/codec'
import type { TopicConfig } from '../storage/storage'
import type { Partition } from './partition'

/**
 * A topic: a name, a configuration and its partitions. `T` is the value type when the topic was
 * created with a codec (`json(schema)`, `string()`, `buffer()`).
 *
 * @example
 * ```ts
 * const orders = await bus.createTopic('orders', { partitions: 6 })
 * console.log(orders.name, orders.partitionCount, orders.config.maxMessageBytes)
 * ```
 */
export class Topic<T = RawValue, D = T> {
  /** @internal */
  readonly partitionList: Partition[]
  /** @internal */
  configRef: Readonly<TopicConfig>
  /** @internal */
  codecRef: Codec<T, D> | undefined

  /** @internal */
  constructor(
    readonly name: string,
    config: Readonly<TopicConfig>,
    partitions: Partition[],
    codec: Codec<T, D> | undefined,
  ) {
    this.partitionList = partitions
    this.configRef = config
    this.codecRef = codec
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
    return this.configRef
  }

  /**
   * The codec values are encoded with at `send`, if the topic has one; use it to decode at the consumer.
   *
   * @example
   * ```ts
   * const order = bus.topic('orders', { codec: json(Order) }).codec?.decode(record.value!)
   * ```
   */
  get codec(): Codec<T, D> | undefined {
    return this.codecRef
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
    return this.partitionList.length
  }

  /**
   * The partitions, in order.
   *
   * @example
   * ```ts
   * const total = bus.topic('orders').partitions.reduce((n, p) => n + p.logEndOffset, 0)
   * ```
   */
  get partitions(): readonly Partition[] {
    return this.partitionList
  }

  /**
   * One partition; UnknownTopicError if the topic has no such partition.
   *
   * @example
   * ```ts
   * const p0 = bus.topic('orders').partition(0)
   * ```
   */
  partition(index: number): Partition {
    const partition = this.partitionList[index]
    if (partition === undefined) throw new UnknownTopicError(this.name, index)
    return partition
  }
}

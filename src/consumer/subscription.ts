import type { PartitionCore } from '../topic/partition-core'
import type { Topic } from '../topic/topic'
import type { ResolvedConsumerOptions } from './options'
import type { TopicSource } from './ownership'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/**
 * What a consumer subscribes to and in which form it receives each topic: the names (or RegExp) of its
 * options, the `Topic` views it was given (their codecs win over the topic's declared ones), and where
 * it starts on a partition with no valid position (`autoOffsetReset`).
 */
export class Subscription {
  /** Views given in `topics` or `assign`, by name. */
  readonly #views = new Map<string, AnyTopic>()
  readonly #reset: 'earliest' | 'latest' | 'none'

  constructor(
    private readonly options: ResolvedConsumerOptions,
    private readonly findTopic: (name: string) => AnyTopic | undefined,
  ) {
    const topics = options.topics
    if (Array.isArray(topics)) for (const t of topics) if (typeof t !== 'string') this.#views.set(t.name, t)
    for (const { topic } of options.assign ?? [])
      if (typeof topic !== 'string') this.#views.set(topic.name, topic)
    this.#reset = options.autoOffsetReset ?? (options.fromBeginning ? 'earliest' : 'latest')
  }

  /** The form a topic is received in, over its current partitions; undefined when it does not exist. */
  source(name: string): TopicSource | undefined {
    const current = this.findTopic(name)
    if (current === undefined) return undefined
    const view = this.#views.get(name) ?? current
    const partitions = current.entry.partitions
    return { partition: (i) => partitions[i], keyCodec: view.keyCodec, valueCodec: view.valueCodec }
  }

  /** The subscribed topics among those that exist. */
  topics(existing: readonly string[]): string[] {
    const topics = this.options.topics
    if (topics instanceof RegExp) {
      const pattern = new RegExp(topics.source, topics.flags.replace(/[gy]/g, ''))
      return existing.filter((name) => pattern.test(name))
    }
    if (topics === undefined) return []
    const wanted =
      typeof topics === 'string' ? [topics] : topics.map((t) => (typeof t === 'string' ? t : t.name))
    return wanted.filter((name) => existing.includes(name))
  }

  /**
   * Where to start on a partition without a valid position: the reset policy (NaN for 'none'). The
   * latest offset of a read_committed consumer is the last stable offset, as Kafka's ListOffsets
   * answers for that isolation: a transaction open at the start still reaches it when it commits.
   */
  resetPosition(core: PartitionCore): number {
    switch (this.#reset) {
      case 'earliest':
        return core.logStartOffset
      case 'latest':
        return this.options.isolation === 'read_committed' ? core.lastStableOffset : core.logEndOffset
      case 'none':
        return Number.NaN
    }
  }
}

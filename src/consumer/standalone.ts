import { InvalidStateError } from '../errors'
import type { ConsumerGroup } from '../group/consumer-group'
import type { TopicPartition } from '../record/log-record'
import type { CommittedOffset } from '../storage/storage'
import type { Clock } from '../util/clock'
import { SerialQueue } from '../util/serial-queue'
import { tpKey } from '../util/tp-key'
import { startAutoCommit } from './auto-commit'
import type { ResolvedConsumerOptions } from './options'
import type { Ownership } from './ownership'
import type { Participation } from './participation'
import type { PartitionState } from './partition-state'

/** What a consumer on its own needs from its consumer and bus. */
export interface StandaloneHost {
  readonly groupId: string | undefined
  readonly clock: Clock
  readonly options: ResolvedConsumerOptions
  /** The group it commits to, when it has a `groupId`. */
  readonly group: ConsumerGroup | undefined
  readonly ownership: Ownership
  readonly fetcher: { readonly states: readonly PartitionState[] }
  topicNames(): string[]
  subscribedTopics(existing: readonly string[]): string[]
  partitionCount(topic: string): number
  /** Calls `listener` whenever topics or partitions are created or deleted; returns a stop function. */
  watchTopics(listener: () => void): () => void
  closing(): boolean
}

/**
 * A consumer without a group coordinator: it owns every partition of its topics (a fan-out
 * subscription, following new topics and partitions) or exactly the partitions it was given (Kafka's
 * `assign()`). Nothing rebalances. With a `groupId` it commits there — as Kafka allows a standalone
 * consumer to, while the group has no members — otherwise it commits nothing.
 */
export class Standalone implements Participation {
  memberId = ''
  generation = -1
  member = false
  readonly removedReason = undefined
  readonly rebalancing = false
  readonly #host: StandaloneHost
  readonly #changes = new SerialQueue()
  /** Explicit start offsets of `assign`, by partition key. */
  readonly #startAt = new Map<string, number>()
  #unwatch: (() => void) | undefined
  #stopAutoCommit: (() => void) | undefined

  constructor(host: StandaloneHost) {
    this.#host = host
    for (const { topic, partition, offset } of host.options.assign ?? []) {
      if (offset !== undefined)
        this.#startAt.set(tpKey(typeof topic === 'string' ? topic : topic.name, partition), offset)
    }
  }

  settled(): Promise<void> {
    return this.#changes.idle()
  }

  async join(memberId: string): Promise<void> {
    this.memberId = memberId
    this.member = true
    this.generation = 0
    this.#unwatch = this.#host.watchTopics(() => void this.#refresh())
    const { options, group } = this.#host
    if (options.autoCommit && group !== undefined) {
      this.#stopAutoCommit = startAutoCommit(
        this.#host.clock,
        options.autoCommitIntervalMs,
        () => this.commitStates(this.#host.fetcher.states),
        () => this.member && !this.#host.closing(),
      )
    }
    await this.#refresh()
  }

  leave(): void {
    if (!this.member) return
    this.member = false
    this.#unwatch?.()
    this.#stopAutoCommit?.()
    this.#host.ownership.dropAll()
  }

  assignment(): TopicPartition[] {
    return this.#host.ownership.assignment()
  }

  async commitStates(states: readonly PartitionState[]): Promise<void> {
    if (this.#host.group === undefined) return
    const offsets = this.#host.ownership.uncommitted(states)
    if (offsets.length > 0) await this.commitOffsets(offsets)
  }

  async commitOffsets(offsets: CommittedOffset[]): Promise<void> {
    const group = this.#host.group
    if (group === undefined) {
      throw new InvalidStateError('A consumer without a groupId has no group to commit to: give it a groupId')
    }
    await group.commitStandalone(offsets)
    this.#host.ownership.committed(offsets)
  }

  revoke(partitions: TopicPartition[]): Promise<void> {
    const { options, group } = this.#host
    const commit =
      options.autoCommit && group !== undefined
        ? (states: readonly PartitionState[]) => this.commitStates(states)
        : undefined
    return this.#host.ownership.give(partitions, this.generation, commit)
  }

  /** Brings what it owns in line with what it wants: new partitions taken, those of deleted topics given up. */
  #refresh(): Promise<void> {
    return this.#changes.run(async () => {
      if (!this.member || this.#host.closing()) return
      const wanted = this.#wanted()
      const keys = new Set(wanted.map((tp) => tpKey(tp.topic, tp.partition)))
      const gone = this.assignment().filter((tp) => !keys.has(tpKey(tp.topic, tp.partition)))
      if (gone.length > 0) await this.#host.ownership.give(gone, this.generation, undefined)
      const group = this.#host.group
      const ownership = this.#host.ownership
      await ownership.take(wanted, this.generation, (tp) => {
        const key = tpKey(tp.topic, tp.partition)
        return this.#startAt.get(key) ?? group?.committedOffset(tp.topic, tp.partition)
      })
      ownership.start()
    })
  }

  #wanted(): TopicPartition[] {
    const host = this.#host
    const existing = host.topicNames()
    const assign = host.options.assign
    if (assign !== undefined) {
      return assign
        .map(({ topic, partition }) => ({ topic: typeof topic === 'string' ? topic : topic.name, partition }))
        .filter(({ topic, partition }) => existing.includes(topic) && partition < host.partitionCount(topic))
    }
    const out: TopicPartition[] = []
    for (const topic of host.subscribedTopics(existing)) {
      const count = host.partitionCount(topic)
      for (let partition = 0; partition < count; partition++) out.push({ topic, partition })
    }
    return out
  }
}

import type { CommittedOffset } from '../storage/storage'
import { SerialQueue } from '../util/serial-queue'
import { compareTopicPartitions, tpKey, tpKeyOf } from '../util/tp-key'

/** Not public: where a group's committed offsets outlive the process (the bus's storage). */
export interface OffsetPersistence {
  saveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void>
  deleteGroupOffsets(groupId: string): Promise<void>
}

/**
 * Not public: the committed offsets of one group (Kafka's `__consumer_offsets`, for one group id).
 * Reads answer from memory at once; writes update memory first, then reach storage one at a time
 * in call order, so that an older commit never lands over a newer one.
 */
export class OffsetStore {
  readonly #offsets = new Map<string, CommittedOffset>()
  readonly #writes = new SerialQueue()
  readonly #persistence: OffsetPersistence

  constructor(
    readonly groupId: string,
    persistence: OffsetPersistence,
    committed: readonly CommittedOffset[] = [],
  ) {
    this.#persistence = persistence
    for (const offset of committed) this.#offsets.set(tpKeyOf(offset), { ...offset })
  }

  /** How many partitions have a committed offset. */
  get size(): number {
    return this.#offsets.size
  }

  /** The next offset to read on a partition, if committed. */
  get(topic: string, partition: number): number | undefined {
    return this.#offsets.get(tpKey(topic, partition))?.offset
  }

  /** Copies of every committed offset, sorted by topic and partition. */
  list(): CommittedOffset[] {
    return [...this.#offsets.values()].map((o) => ({ ...o })).sort(compareTopicPartitions)
  }

  /** The topics with at least one committed offset, sorted. */
  topics(): string[] {
    return [...new Set([...this.#offsets.values()].map((o) => o.topic))].sort()
  }

  /** Records `offsets` (merged with what is there) and persists them. */
  async store(offsets: CommittedOffset[]): Promise<void> {
    for (const offset of offsets) this.#offsets.set(tpKeyOf(offset), { ...offset })
    if (offsets.length > 0) await this.#writes.run(() => this.#persistence.saveOffsets(this.groupId, offsets))
  }

  /** Forgets every offset of the group, in memory and in storage. */
  async clear(): Promise<void> {
    this.#offsets.clear()
    await this.#writes.run(() => this.#persistence.deleteGroupOffsets(this.groupId))
  }

  /**
   * Forgets a deleted topic's offsets in memory. Storage drops them itself when it deletes the topic,
   * and must do so after the writes already under way, or one of them would bring them back: this
   * resolves once those writes have settled.
   */
  forgetTopic(topic: string): Promise<void> {
    for (const [key, offset] of this.#offsets) if (offset.topic === topic) this.#offsets.delete(key)
    return this.#writes.idle()
  }
}

import {
  InvalidConfigError,
  InvalidPartitionsError,
  OffsetOutOfRangeError,
  UnknownTopicError,
} from '../errors'
import { type Codec, RAW } from '../record/codec'
import type { CompactionResult, Storage, TopicConfig, TopicMetadata } from '../storage/storage'
import { PartitionCore } from './partition-core'
import { TopicEntry, type TransactionalWriteCheck } from './topic'
import { compacts, completeTopicConfig, deletes, type ResolvedTopicOptions } from './topic-options'

/**
 * The topics of one bus over its storage: what creating, growing, truncating, reconfiguring and
 * deleting a topic does to the partition logs and the stored metadata. A change that fails partway
 * leaves nothing behind. Not public: the bus is the public face, and it says when each may run.
 */
export class TopicRegistry {
  readonly #entries = new Map<string, TopicEntry>()

  constructor(
    private readonly storage: Storage,
    private readonly checkTransactionalWrite: TransactionalWriteCheck,
  ) {}

  get(name: string): TopicEntry | undefined {
    return this.#entries.get(name)
  }

  /** UnknownTopicError unless the topic exists. */
  require(name: string): TopicEntry {
    const entry = this.#entries.get(name)
    if (entry === undefined) throw new UnknownTopicError(name)
    return entry
  }

  names(): string[] {
    return [...this.#entries.keys()]
  }

  entries(): IterableIterator<TopicEntry> {
    return this.#entries.values()
  }

  /** Every partition of every topic. */
  *partitions(): IterableIterator<PartitionCore> {
    for (const entry of this.#entries.values()) yield* entry.partitions
  }

  /** Opens the logs of a topic storage already holds, typed by the codecs declared for it (raw if none). */
  async load(meta: TopicMetadata, declared: ResolvedTopicOptions | undefined): Promise<void> {
    const config = completeTopicConfig(meta.config)
    const partitions: PartitionCore[] = []
    for (let p = 0; p < config.partitions; p++) {
      partitions.push(new PartitionCore(meta.name, p, await this.storage.openLog(meta.name, p, config)))
    }
    const entry = new TopicEntry(
      meta.name,
      config,
      partitions,
      declared?.keyCodec ?? RAW,
      declared?.valueCodec ?? RAW,
      this.checkTransactionalWrite,
    )
    this.#entries.set(meta.name, entry)
  }

  /** Opens the logs, then saves the topic; a failure on the way closes and removes what was made. */
  async create(
    name: string,
    config: TopicConfig,
    keyCodec: Codec<unknown, unknown>,
    valueCodec: Codec<unknown, unknown>,
  ): Promise<TopicEntry> {
    checkPartitionCount(name, config.partitions)
    const partitions: PartitionCore[] = []
    try {
      for (let p = 0; p < config.partitions; p++) {
        partitions.push(new PartitionCore(name, p, await this.storage.openLog(name, p, config)))
      }
      if (compacts(config) && !partitions.every((partition) => partition.compactable)) {
        throw uncompactable()
      }
      await this.storage.saveTopic({ name, config })
    } catch (error) {
      for (const partition of partitions) await partition.close('deleted').catch(() => undefined)
      await this.storage.deleteTopic(name).catch(() => undefined)
      throw error
    }
    const entry = new TopicEntry(name, config, partitions, keyCodec, valueCodec, this.checkTransactionalWrite)
    this.#entries.set(name, entry)
    return entry
  }

  /** Grows a topic to `count` partitions (Kafka only grows); the new logs are closed again on failure. */
  async grow(name: string, count: number): Promise<void> {
    const entry = this.require(name)
    const current = entry.partitions.length
    if (!Number.isInteger(count) || count <= current) {
      throw new InvalidPartitionsError(
        `Topic "${name}" has ${current} partitions; the new count must be a larger integer, got ${String(count)}`,
      )
    }
    const config: TopicConfig = { ...entry.config, partitions: count }
    const added: PartitionCore[] = []
    try {
      for (let p = current; p < count; p++) {
        added.push(new PartitionCore(name, p, await this.storage.openLog(name, p, config)))
      }
      await this.storage.saveTopic({ name, config })
    } catch (error) {
      for (const partition of added) await partition.close('deleted').catch(() => undefined)
      throw error
    }
    entry.partitions.push(...added)
    entry.config = config
  }

  /** Kafka's DeleteRecords: every target checked first, then each partition truncated. */
  async truncate(
    name: string,
    targets: ReadonlyArray<{ partition: number; offset: number }>,
  ): Promise<Array<{ partition: number; lowWatermark: number }>> {
    const entry = this.require(name)
    const checked = targets.map(({ partition, offset }) => {
      const core = entry.partitions[partition]
      if (core === undefined) throw new UnknownTopicError(name, partition)
      const to = offset === -1 ? core.logEndOffset : offset
      if (!Number.isSafeInteger(to) || to < 0 || to > core.logEndOffset) {
        throw new OffsetOutOfRangeError(name, partition, offset)
      }
      return { core, to }
    })
    const result: Array<{ partition: number; lowWatermark: number }> = []
    for (const { core, to } of checked) {
      await core.truncateBefore(to)
      result.push({ partition: core.partition, lowWatermark: core.logStartOffset })
    }
    return result
  }

  /** Stores a changed configuration, then uses it. */
  async reconfigure(name: string, change: (config: TopicConfig) => TopicConfig): Promise<TopicConfig> {
    const entry = this.require(name)
    const config = change({ ...entry.config })
    await this.storage.saveTopic({ name, config })
    entry.config = config
    return config
  }

  /**
   * Removes the topic: its partitions close (readers notice), `beforeDelete` runs (what else must let
   * go of the topic first), then storage deletes it.
   */
  async remove(name: string, beforeDelete: () => Promise<void>): Promise<void> {
    const entry = this.require(name)
    this.#entries.delete(name)
    for (const partition of entry.partitions) await partition.close('deleted')
    await beforeDelete()
    await this.storage.deleteTopic(name)
  }

  /**
   * Runs every topic's cleanup policy as of `now`: retention (`retentionMs`, `retentionBytes`) for
   * `delete`, compaction for `compact`, both (compaction first, as Kafka's cleaner) for `compact,delete`.
   */
  async applyRetention(now: number): Promise<void> {
    for (const entry of this.#entries.values()) {
      if (compacts(entry.config)) await this.compact(entry.name, now, false)
      if (!deletes(entry.config)) continue
      const { retentionMs, retentionBytes } = entry.config
      if (retentionMs === null && retentionBytes === null) continue
      for (const partition of entry.partitions)
        await partition.applyRetention({ now, retentionMs, retentionBytes })
    }
  }

  /** Compacts every partition of a compacted topic; `force` ignores the dirty ratio. */
  async compact(name: string, now: number, force: boolean): Promise<CompactionResult[]> {
    const entry = this.require(name)
    if (!compacts(entry.config)) {
      throw new InvalidConfigError(
        'cleanupPolicy',
        `topic "${name}" is not compacted (its cleanupPolicy is '${entry.config.cleanupPolicy}')`,
      )
    }
    const results: CompactionResult[] = []
    for (const partition of entry.partitions) {
      const result = await partition.compact(entry.config, now, force)
      if (result !== null) results.push(result)
    }
    return results
  }

  /** Throws InvalidConfigError when the storage cannot compact the topic's logs. */
  assertCompactable(name: string): void {
    if (!this.require(name).partitions.every((partition) => partition.compactable)) throw uncompactable()
  }

  /**
   * Closes every partition (the bus is closing), all at once: each log's closing flush runs while the
   * others' do. Every partition is closed even when one fails; the first failure is rethrown.
   */
  async closeAll(): Promise<void> {
    const results = await Promise.allSettled(
      [...this.partitions()].map((partition) => partition.close('closed')),
    )
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }
}

function uncompactable(): InvalidConfigError {
  return new InvalidConfigError(
    'topic.cleanupPolicy',
    'this storage does not implement compaction (its PartitionLog has no compact method)',
  )
}

/** Kafka's INVALID_PARTITIONS for a count below 1. */
export function checkPartitionCount(name: string, partitions: number): void {
  if (partitions < 1) {
    throw new InvalidPartitionsError(`Topic "${name}" needs at least 1 partition, got ${partitions}`)
  }
}

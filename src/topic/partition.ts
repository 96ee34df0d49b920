import { batchRecords } from '../record/batch-records'
import type { Codec } from '../record/codec'
import type { LogRecord } from '../record/log-record'
import type { RecordBatch } from '../record/record-batch'
import type { PartitionCore } from './partition-core'

/** Kafka's default fetch.max.bytes for one partition read. */
const DEFAULT_READ_BYTES = 1 << 20

/**
 * One partition of a topic: an ordered, append-only log with offsets from 0, seen through the topic's
 * codecs (records come back with the keys and values a consumer of that topic gets). Offsets are dense
 * unless the topic is compacted: compaction removes records and leaves their offsets unused (gaps, as
 * in Kafka); `read` from a removed offset starts at the next record kept.
 *
 * @example
 * ```ts
 * const p = bus.topic('orders').partition(0)
 * const records = await p.read(p.logStartOffset)
 * console.log(p.logStartOffset, p.logEndOffset, records.length)
 * ```
 */
export class Partition<K = Buffer, V = Buffer | null> {
  readonly #core: PartitionCore
  readonly #keyCodec: Codec<K, unknown>
  readonly #valueCodec: Codec<V, unknown>

  /** @internal */
  constructor(core: PartitionCore, keyCodec: Codec<K, unknown>, valueCodec: Codec<V, unknown>) {
    this.#core = core
    this.#keyCodec = keyCodec
    this.#valueCodec = valueCodec
  }

  /**
   * The topic's name.
   *
   * @example
   * ```ts
   * console.log(partition.topic)
   * ```
   */
  get topic(): string {
    return this.#core.topic
  }

  /**
   * The partition's index in its topic.
   *
   * @example
   * ```ts
   * console.log(partition.partition)
   * ```
   */
  get partition(): number {
    return this.#core.partition
  }

  /**
   * The first offset still held.
   *
   * @example
   * ```ts
   * const first = bus.topic('orders').partition(0).logStartOffset
   * ```
   */
  get logStartOffset(): number {
    return this.#core.logStartOffset
  }

  /**
   * One past the last readable offset (Kafka's high watermark).
   *
   * @example
   * ```ts
   * const count = p.logEndOffset - p.logStartOffset
   * ```
   */
  get logEndOffset(): number {
    return this.#core.logEndOffset
  }

  /**
   * Bytes this partition's log holds in storage (what `retentionBytes` limits): the segment files of
   * the file log, the batches' sizes in memory.
   *
   * @example
   * ```ts
   * const bytes = bus.topic('orders').partitions.reduce((n, p) => n + p.sizeBytes, 0)
   * ```
   */
  get sizeBytes(): number {
    return this.#core.sizeBytes
  }

  /**
   * Kafka's last stable offset: where `isolation: 'read_committed'` consumers read up to — the first
   * offset of the earliest transaction still open on the partition, or the log end when none is.
   *
   * @example
   * ```ts
   * const p = bus.topic('orders').partition(0)
   * const undecided = p.logEndOffset - p.lastStableOffset // offsets held back by open transactions
   * ```
   */
  get lastStableOffset(): number {
    return this.#core.lastStableOffset
  }

  /**
   * Records from `offset` on, up to about `maxBytes` (at least one batch). Rejects with
   * OffsetOutOfRangeError outside `[logStartOffset, logEndOffset]`.
   *
   * @example
   * ```ts
   * const records = await bus.topic('orders').partition(0).read(0)
   * ```
   */
  async read(offset: number, maxBytes: number = DEFAULT_READ_BYTES): Promise<LogRecord<K, V>[]> {
    const batches = await this.#core.read(offset, maxBytes)
    const out: LogRecord<K, V>[] = []
    for (const batch of batches) {
      batchRecords(
        batch,
        offset,
        this.#core.topic,
        this.#core.partition,
        this.#keyCodec,
        this.#valueCodec,
        out,
      )
    }
    return out
  }

  /**
   * The stored batches from the one holding `offset` on, up to about `maxBytes` (at least one), as
   * they are kept: shared, never to be mutated. For tools that work batch by batch.
   *
   * @example
   * ```ts
   * for (const batch of await p.readBatches(0)) console.log(batch.baseOffset, batch.count)
   * ```
   */
  async readBatches(offset: number, maxBytes: number = DEFAULT_READ_BYTES): Promise<readonly RecordBatch[]> {
    return this.#core.read(offset, maxBytes)
  }

  /**
   * The first offset whose timestamp is at or after `timestamp` (Kafka's ListOffsets by time), or
   * null when every record is older.
   *
   * @example
   * ```ts
   * const offset = await p.offsetForTimestamp(Date.now() - 60_000)
   * ```
   */
  async offsetForTimestamp(timestamp: number): Promise<number | null> {
    return this.#core.offsetForTimestamp(timestamp)
  }
}

import { batchRecords } from '../record/batch-records'
import type { Codec } from '../record/codec'
import type { LogRecord } from '../record/log-record'
import type { RecordBatch } from '../record/record-batch'
import { encodedBytes, receiveBatch } from './encoded-batch'
import type { PartitionCore } from './partition-core'
import type { TopicEntry } from './topic'

/**
 * What `appendEncoded` resolves with: where the batch is, as Kafka's Produce response says it.
 *
 * @example
 * ```ts
 * const { baseOffset, duplicate } = await partition.appendEncoded(bytes)
 * ```
 */
export interface EncodedAppendResult {
  /** The offset of the batch's first record. */
  baseOffset: number
  /** True when the batch repeated one its idempotent producer had written: nothing new was written. */
  duplicate: boolean
  /** The partition's log start offset after the append. */
  logStartOffset: number
}

/**
 * Options of `readEncoded`.
 *
 * @example
 * ```ts
 * const options: ReadEncodedOptions = { maxBytes: 1 << 20, isolation: 'read_committed' }
 * ```
 */
export interface ReadEncodedOptions {
  /** About how many bytes to return (at least one batch); default 1 MiB. */
  maxBytes?: number
  /** `read_committed` stops at the last stable offset (Kafka's isolation.level); default uncommitted. */
  isolation?: 'read_uncommitted' | 'read_committed'
}

/**
 * A transaction that was aborted, as Kafka's Fetch response lists them for read_committed readers:
 * records of `producerId` from `firstOffset` on, up to its abort marker, are to be skipped.
 *
 * @example
 * ```ts
 * const aborted: AbortedTransaction[] = partition.abortedTransactions(0, partition.lastStableOffset)
 * ```
 */
export interface AbortedTransaction {
  producerId: number
  firstOffset: number
}

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
  readonly #entry: TopicEntry
  readonly #core: PartitionCore
  readonly #keyCodec: Codec<K, unknown>
  readonly #valueCodec: Codec<V, unknown>

  /** @internal */
  constructor(
    entry: TopicEntry,
    core: PartitionCore,
    keyCodec: Codec<K, unknown>,
    valueCodec: Codec<V, unknown>,
  ) {
    this.#entry = entry
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

  /**
   * The aborted transactions whose records lie in `[from, to)`, by first offset: what a read_committed
   * reader of raw batches skips (Kafka's Fetch `abortedTransactions`).
   *
   * @example
   * ```ts
   * const aborted = p.abortedTransactions(0, p.lastStableOffset)
   * ```
   */
  abortedTransactions(from: number, to: number): AbortedTransaction[] {
    this.#core.assertLive()
    return this.#core.transactions.abortedBetween(from, to)
  }

  /**
   * Appends one Kafka RecordBatch v2 as a client sent it (a Produce request's records), stored as
   * received: compressed batches stay compressed (their codec is loaded here, so that readers in the
   * process can decode them later). Validated first, as Kafka's broker does: exactly one batch, magic
   * 2, its CRC, record framing, a known codec, dense offsets, no control batch, and the topic's
   * `maxMessageBytes`. An idempotent producer's batch (producer id and sequence set) is checked
   * against that producer's last batches here: a retry of one of them resolves with the original's
   * offset (`duplicate: true`) and writes nothing; a gap rejects with OutOfOrderSequenceError and an
   * older epoch with InvalidProducerEpochError. A transactional batch must come from the transactional
   * id's current producer epoch, with the partition added to its open transaction
   * (`bus.transactions.addPartitions`). Rejections write nothing.
   *
   * @example
   * ```ts
   * const { baseOffset } = await bus.topic('orders').partition(0).appendEncoded(recordBatchBytes)
   * ```
   */
  async appendEncoded(bytes: Uint8Array): Promise<EncodedAppendResult> {
    this.#core.assertLive()
    const batch = receiveBatch(bytes, this.#core.topic, this.#entry.config.maxMessageBytes)
    const { baseOffset, duplicate } = await this.#core.appendReceived(batch, (received) => {
      if (received.transactional) this.#entry.checkTransactionalWrite(received, this.#core)
    })
    return { baseOffset, duplicate, logStartOffset: this.#core.logStartOffset }
  }

  /**
   * The stored batches from the one holding `offset` on, as Kafka RecordBatch v2 bytes, up to about
   * `maxBytes` (at least one batch): the bytes that were stored (what a client sent, compressed or
   * not), or, for a batch kept as columns (memory storage), bytes encoded once and kept with it. A
   * batch's first records may lie before `offset`; a Kafka client skips them, as with a real broker.
   * Rejects with OffsetOutOfRangeError outside `[logStartOffset, logEndOffset]`.
   *
   * @example
   * ```ts
   * for (const bytes of await p.readEncoded(0, { isolation: 'read_committed' })) socket.write(bytes)
   * ```
   */
  async readEncoded(offset: number, options: ReadEncodedOptions = {}): Promise<Buffer[]> {
    const end = options.isolation === 'read_committed' ? this.#core.lastStableOffset : this.#core.logEndOffset
    const batches = await this.#core.read(offset, options.maxBytes ?? DEFAULT_READ_BYTES)
    const out: Buffer[] = []
    for (const batch of batches) {
      if (batch.baseOffset >= end) break
      out.push(encodedBytes(batch))
    }
    return out
  }

  /**
   * Calls `listener` after every append that made records visible here (and once when the partition
   * goes away: its topic deleted, or the bus closed). Returns the function that stops it. For readers
   * that wait for data, such as a long-polling fetch.
   *
   * @example
   * ```ts
   * const stop = p.onAppend(() => wakeReaders())
   * ```
   */
  onAppend(listener: () => void): () => void {
    this.#core.assertLive()
    return this.#core.subscribe(listener)
  }
}

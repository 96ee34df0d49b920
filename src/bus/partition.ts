import { UnknownTopicError } from '../errors'
import type { LogRecord } from '../record/log-record'
import type { PartitionLog, RetentionPolicy } from '../storage/storage'

/** Kafka's default fetch.max.bytes for one partition read. */
const DEFAULT_READ_BYTES = 1 << 20

/**
 * One partition of a topic: an ordered, append-only log with dense offsets from 0.
 *
 * @example
 * ```ts
 * const p = bus.topic('orders').partition(0)
 * const records = await p.read(p.logStartOffset)
 * console.log(p.logStartOffset, p.logEndOffset, records.length)
 * ```
 */
export class Partition {
  readonly #log: PartitionLog
  readonly #listeners = new Set<() => void>()
  #deleted = false

  /** @internal */
  constructor(
    readonly topic: string,
    readonly partition: number,
    log: PartitionLog,
  ) {
    this.#log = log
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
    return this.#log.logStartOffset
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
    return this.#log.logEndOffset
  }

  /**
   * Reads records from `offset` on, up to about `maxBytes` (at least one batch).
   * Rejects with OffsetOutOfRangeError outside `[logStartOffset, logEndOffset]`.
   *
   * @example
   * ```ts
   * const records = await bus.topic('orders').partition(0).read(0)
   * ```
   */
  async read(offset: number, maxBytes: number = DEFAULT_READ_BYTES): Promise<LogRecord[]> {
    return this.readNow(offset, maxBytes)
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
    this.assertLive()
    return this.#log.offsetForTimestamp(timestamp)
  }

  /** @internal Same as `read`, but synchronous when the storage is (the memory fast path). */
  readNow(offset: number, maxBytes: number): LogRecord[] | Promise<LogRecord[]> {
    this.assertLive()
    return this.#log.read(offset, maxBytes)
  }

  /**
   * @internal Appends one producer batch; resolves with the base offset once stored. Offsets are
   * assigned synchronously by the log, so appends keep the order of the calls.
   */
  append(records: LogRecord[], bytes: number): number | Promise<number> {
    this.assertLive()
    const result = this.#log.append(records, bytes)
    if (typeof result === 'number') {
      this.notify()
      return result
    }
    return result.then((base) => {
      this.notify()
      return base
    })
  }

  /** @internal Drops records before `offset` (retention, DeleteRecords). */
  async truncateBefore(offset: number): Promise<void> {
    this.assertLive()
    await this.#log.truncateBefore(offset)
  }

  /** @internal Deletes what the topic's retention allows. */
  async applyRetention(policy: RetentionPolicy): Promise<void> {
    if (this.#deleted) return
    const before = this.#log.logStartOffset
    await this.#log.applyRetention(policy)
    // Consumers below the new start must notice and reset.
    if (this.#log.logStartOffset !== before) this.notify()
  }

  /** @internal Called after every append that made records visible, and when the partition goes away. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** @internal */
  get deleted(): boolean {
    return this.#deleted
  }

  /** @internal The topic was deleted: wake readers so they notice, then close the log. */
  async close(): Promise<void> {
    this.#deleted = true
    this.notify()
    this.#listeners.clear()
    await this.#log.close()
  }

  private notify(): void {
    for (const listener of this.#listeners) listener()
  }

  private assertLive(): void {
    if (this.#deleted) throw new UnknownTopicError(this.topic, this.partition)
  }
}

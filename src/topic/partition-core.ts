import { ClosedError, InvalidRecordError, UnknownTopicError } from '../errors'
import { codecLoaded, loadCodec } from '../record/compression/compression'
import type { RecordBatch } from '../record/record-batch'
import { COMPRESSION_MASK } from '../record/v2/layout'
import type { CompactionResult, MaybePromise, PartitionLog, TopicConfig } from '../storage/storage'
import { ProducerStates } from './producer-state'
import { type RetentionPolicy, retentionCut } from './retention'
import { TransactionIndex } from './transaction-index'

/** Called after every append that made records visible, and when the partition goes away. */
export type PartitionListener = () => void

/**
 * The one shared state of a partition, behind every typed view of it: the log, and the readers
 * waiting for it to grow. Not public: `Partition` is the public, typed view.
 */
export class PartitionCore {
  readonly #log: PartitionLog
  #listeners: PartitionListener[] = []
  #state: 'live' | 'deleted' | 'closed' = 'live'
  /** The topic is compacted: every record must have a key (transaction markers have theirs). */
  requireKeys = false
  /** Open and aborted transactions, for read_committed readers. */
  readonly transactions = new TransactionIndex()
  /** Counters of `bus.metrics()`, added to once per batch: appended records and bytes… */
  recordsIn = 0
  bytesIn = 0
  /** …and records handed to consumers, bytes of the batches they read. */
  recordsOut = 0
  bytesOut = 0
  /** Idempotent producers' last batches; built from the log the first time a sequenced batch comes. */
  #producers: ProducerStates | undefined
  /** Received batches waiting for the producer state or a codec to load, in arrival order. */
  #gate: Promise<unknown> | undefined
  #gated = 0

  constructor(
    readonly topic: string,
    readonly partition: number,
    log: PartitionLog,
  ) {
    this.#log = log
  }

  get logStartOffset(): number {
    this.assertLive()
    return this.#log.logStartOffset
  }

  get logEndOffset(): number {
    this.assertLive()
    return this.#log.logEndOffset
  }

  /**
   * Kafka's last stable offset: read_committed readers see up to here (the first offset of the earliest
   * transaction still open, or the log end).
   */
  get lastStableOffset(): number {
    this.assertLive()
    return this.transactions.lastStableOffset(this.#log.logEndOffset)
  }

  get sizeBytes(): number {
    this.assertLive()
    return this.#log.sizeBytes
  }

  get live(): boolean {
    return this.#state === 'live'
  }

  get deleted(): boolean {
    return this.#state === 'deleted'
  }

  read(offset: number, maxBytes: number): MaybePromise<readonly RecordBatch[]> {
    this.assertLive()
    return this.#log.read(offset, maxBytes)
  }

  offsetForTimestamp(timestamp: number): MaybePromise<number | null> {
    this.assertLive()
    return this.#log.offsetForTimestamp(timestamp)
  }

  /** Appends one batch; the log assigns offsets synchronously, so appends keep the order of the calls. */
  append(batch: RecordBatch): number | Promise<number> {
    this.assertLive()
    if (this.requireKeys && !batch.control) this.#assertKeyed(batch)
    const result = this.#log.append(batch)
    // The base offset is assigned by now: the transaction state follows appends in call order.
    if (batch.transactional) this.transactions.observe(batch)
    if (!batch.control) {
      this.recordsIn += batch.count
      this.bytesIn += batch.sizeBytes
    }
    if (batch.producerId >= 0) this.#producers?.observe(batch)
    if (typeof result === 'number') {
      this.#notify()
      return result
    }
    return result.then((base) => {
      this.#notify()
      return base
    })
  }

  /**
   * Appends a batch a client sent as bytes (`receiveBatch` validated it), after the idempotence
   * checks: a duplicate of one of its producer's last batches is not written again and resolves with
   * the original's base offset. `verify` runs just before the append (the transaction coordinator's
   * check of a transactional batch). Batches keep their arrival order even when one waits for the
   * producer state to be rebuilt or for its compression codec to load.
   */
  appendReceived(
    batch: RecordBatch,
    verify: (batch: RecordBatch) => void,
  ): Promise<{ baseOffset: number; duplicate: boolean }> {
    this.assertLive()
    const codec = batch.encoded![21]! & COMPRESSION_MASK
    const waits: Promise<unknown>[] = []
    if (!codecLoaded(codec)) waits.push(loadCodec(codec))
    if (batch.producerId >= 0 && this.#producers === undefined) waits.push(this.#loadProducers())
    if (waits.length === 0 && this.#gated === 0) return Promise.resolve(this.#appendChecked(batch, verify))
    if (this.#gate !== undefined) waits.push(this.#gate)
    this.#gated++
    // Wrapped, so that the gate opens once the batch is appended, not once it is durable.
    const appended = Promise.all(waits)
      .then(() => ({ result: this.#appendChecked(batch, verify) }))
      .finally(() => {
        this.#gated--
      })
    this.#gate = appended.catch(() => undefined)
    return appended.then(({ result }) => result)
  }

  #appendChecked(
    batch: RecordBatch,
    verify: (batch: RecordBatch) => void,
  ): MaybePromise<{ baseOffset: number; duplicate: boolean }> {
    this.assertLive()
    if (batch.producerId >= 0) {
      const original = this.#producers!.check(batch)
      if (original !== undefined) return { baseOffset: original, duplicate: true }
    }
    verify(batch)
    const base = this.append(batch)
    return typeof base === 'number'
      ? { baseOffset: base, duplicate: false }
      : base.then((baseOffset) => ({ baseOffset, duplicate: false }))
  }

  /** Rebuilds the idempotent producers' state from the batch headers of the whole log, once. */
  #loadProducers(): Promise<void> {
    const producers = new ProducerStates()
    // Appends from now on are observed as they come; the scan covers what was there before.
    this.#producers = producers
    const end = this.#log.logEndOffset
    return (async () => {
      let offset = this.#log.logStartOffset
      while (offset < end) {
        const batches = await this.#log.read(offset, 8 << 20)
        if (batches.length === 0) break
        for (const batch of batches) {
          if (batch.baseOffset >= end) {
            offset = end
            break
          }
          if (batch.nextOffset <= offset) continue
          producers.observe(batch)
          offset = batch.nextOffset
        }
      }
    })().catch((error: unknown) => {
      if (this.#producers === producers) this.#producers = undefined
      throw error
    })
  }

  async truncateBefore(offset: number): Promise<void> {
    this.assertLive()
    await this.#log.truncateBefore(offset)
    this.transactions.dropBefore(offset)
    // Consumers below the new start must notice and reset.
    this.#notify()
  }

  async applyRetention(policy: RetentionPolicy): Promise<void> {
    if (this.#state !== 'live') return
    const cut = retentionCut(this.#log.segments(), this.#log.sizeBytes, policy)
    if (cut !== undefined && cut > this.#log.logStartOffset) await this.truncateBefore(cut)
  }

  /** Whether the log can compact (every built-in storage's can). */
  get compactable(): boolean {
    return typeof this.#log.compact === 'function'
  }

  /**
   * One compaction pass under the topic's settings (see `PartitionLog.compact`), up to the last
   * stable offset: what an open transaction wrote may still be aborted. Readers parked at the log end
   * are not woken: compaction never changes what the log ends with.
   */
  async compact(config: TopicConfig, now: number, force: boolean): Promise<CompactionResult | null> {
    if (this.#state !== 'live' || this.#log.compact === undefined) return null
    const transactions = this.transactions
    return this.#log.compact({
      now,
      deleteRetentionMs: config.deleteRetentionMs,
      minCleanableDirtyRatio: config.minCleanableDirtyRatio,
      minCompactionLagMs: config.minCompactionLagMs,
      lastStableOffset: this.lastStableOffset,
      aborted: (producerId, offset) => transactions.aborted(producerId, offset),
      force,
    })
  }

  /**
   * Rebuilds the transaction state from the log (after a reopen): every batch from the log start is
   * looked at once. Only worth it for a topic that had transactions.
   */
  async recoverTransactions(): Promise<void> {
    let offset = this.#log.logStartOffset
    const end = this.#log.logEndOffset
    while (offset < end) {
      const batches = await this.#log.read(offset, 8 << 20)
      if (batches.length === 0) break
      for (const batch of batches) {
        if (batch.nextOffset <= offset) continue
        if (batch.transactional) this.transactions.observe(batch)
        offset = batch.nextOffset
      }
    }
  }

  subscribe(listener: PartitionListener): () => void {
    this.#listeners.push(listener)
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener)
    }
  }

  /** The topic was deleted (`deleted`) or the bus closed: wake readers so they notice, close the log. */
  async close(reason: 'deleted' | 'closed'): Promise<void> {
    if (this.#state !== 'live') return
    this.#state = reason
    this.#notify()
    this.#listeners = []
    await this.#log.close()
  }

  assertLive(): void {
    if (this.#state === 'live') return
    if (this.#state === 'closed') throw new ClosedError('Bus')
    throw new UnknownTopicError(this.topic, this.partition)
  }

  /** Kafka refuses the whole batch when one record has no key (INVALID_RECORD); so does logbus. */
  #assertKeyed(batch: RecordBatch): void {
    const keys = batch.keys
    const at = batch.columnStart
    for (let i = 0; i < batch.count; i++) {
      const key = keys[at + i]
      if (key === null || key === undefined) throw keylessRecord(this.topic)
    }
  }

  #notify(): void {
    const listeners = this.#listeners
    for (let i = 0; i < listeners.length; i++) listeners[i]!()
  }
}

/**
 * The error for a record without a key sent to a compacted topic: compaction keeps the last record of
 * each key, so a record without one could never be kept or replaced.
 */
export function keylessRecord(topic: string): InvalidRecordError {
  return new InvalidRecordError(
    `Topic "${topic}" is compacted (cleanupPolicy 'compact'): every record needs a key, and this one has none`,
  )
}

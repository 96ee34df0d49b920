import { ClosedError, UnknownTopicError } from '../errors'
import type { RecordBatch } from '../record/record-batch'
import type { MaybePromise, PartitionLog } from '../storage/storage'
import { type RetentionPolicy, retentionCut } from './retention'

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

  /** The log end, or -1 once the partition is gone: for loops that must not throw. */
  get endOrGone(): number {
    return this.#state === 'live' ? this.#log.logEndOffset : -1
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
    const result = this.#log.append(batch)
    if (typeof result === 'number') {
      this.#notify()
      return result
    }
    return result.then((base) => {
      this.#notify()
      return base
    })
  }

  async truncateBefore(offset: number): Promise<void> {
    this.assertLive()
    await this.#log.truncateBefore(offset)
    // Consumers below the new start must notice and reset.
    this.#notify()
  }

  async applyRetention(policy: RetentionPolicy): Promise<void> {
    if (this.#state !== 'live') return
    const cut = retentionCut(this.#log.segments(), this.#log.sizeBytes, policy)
    if (cut !== undefined && cut > this.#log.logStartOffset) await this.truncateBefore(cut)
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

  #notify(): void {
    const listeners = this.#listeners
    for (let i = 0; i < listeners.length; i++) listeners[i]!()
  }
}

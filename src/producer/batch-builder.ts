import type { Codec } from '../record/codec'
import { EMPTY_HEADERS, type RecordHeaders } from '../record/log-record'
import { RecordBatch } from '../record/record-batch'
import type { PartitionCore } from '../topic/partition-core'
import type { Staging } from './stage'

/**
 * The open batch of one partition: columns that grow as sends arrive, appended as one RecordBatch.
 * Every send in it waits on the same promise; its records' offsets come from the base offset.
 */
export class BatchBuilder {
  readonly keys: unknown[] = []
  readonly values: unknown[] = []
  headers: Array<RecordHeaders | undefined> | null = null
  timestamps: number[] | null = null
  firstTimestamp = 0
  maxTimestamp = -1
  bytes = 0
  count = 0
  /** Set once the batch is stored. */
  baseOffset = -1
  /** The producer's number of the last send that waits for this batch. */
  countedBy = 0
  /** When the batch opened (`performance.now()`): the produce latency runs from here to stored. */
  readonly openedAt = performance.now()
  readonly done: Promise<void>
  #resolve!: () => void
  #reject!: (error: unknown) => void

  constructor(
    /** The producer's open batches of this topic, by partition: the builder leaves it when sealed. */
    readonly slots: Array<BatchBuilder | undefined>,
    readonly core: PartitionCore,
    readonly keyCodec: Codec<unknown, unknown>,
    readonly valueCodec: Codec<unknown, unknown>,
    /** The transactional producer's identity, when it has one. */
    readonly identity: { producerId: number; epoch: number } | undefined,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
  }

  /** Adds record `i` of `staging`; returns its index in the batch. */
  push(staging: Staging, i: number): number {
    const index = this.count++
    this.keys.push(staging.keys[i])
    this.values.push(staging.values[i])
    const headers = staging.headers[i]!
    if (headers !== EMPTY_HEADERS) {
      this.headers ??= new Array<RecordHeaders | undefined>(index)
      this.headers[index] = headers
    } else if (this.headers !== null) {
      this.headers[index] = undefined
    }
    const timestamp = staging.timestamps[i]!
    if (index === 0) {
      this.firstTimestamp = timestamp
    } else if (timestamp !== this.firstTimestamp || this.timestamps !== null) {
      if (this.timestamps === null) this.timestamps = new Array<number>(index).fill(this.firstTimestamp)
      this.timestamps.push(timestamp)
    }
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp
    this.bytes += staging.sizes[i]!
    return index
  }

  /** The batch to append; `baseSequence` is the producer's sequence for this partition (idempotence). */
  toBatch(baseSequence: number): RecordBatch {
    const columns = {
      keys: this.keys,
      values: this.values,
      headers: this.headers,
      timestamps: this.timestamps,
      offsetDeltas: null,
      start: 0,
    }
    return RecordBatch.fromColumns(this, columns, {
      count: this.count,
      firstTimestamp: this.firstTimestamp,
      maxTimestamp: this.maxTimestamp,
      sizeBytes: this.bytes,
      ...(this.identity === undefined
        ? {}
        : {
            producerId: this.identity.producerId,
            producerEpoch: this.identity.epoch,
            baseSequence,
            transactional: true,
          }),
    })
  }

  /** The timestamp of the record at `index`. */
  timestampAt(index: number): number {
    return this.timestamps === null ? this.firstTimestamp : this.timestamps[index]!
  }

  stored(baseOffset: number): void {
    this.baseOffset = baseOffset
    this.#resolve()
  }

  failed(error: unknown): void {
    this.#reject(error)
  }
}

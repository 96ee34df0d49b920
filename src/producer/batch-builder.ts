import type { Codec } from '../record/codec'
import { EMPTY_HEADERS, type RecordHeaders } from '../record/log-record'
import { RecordBatch } from '../record/record-batch'
import type { PartitionCore } from '../topic/partition-core'
import type { Staging } from './stage'

/**
 * A send (or a flush) waiting for its batches: settles once the last of them is stored, or at the
 * first failure. One per send, whatever the number of batches, instead of a promise per batch.
 */
export class BatchWaiter {
  #remaining = 0
  #settled = false

  constructor(
    private readonly resolve: () => void,
    private readonly reject: (error: unknown) => void,
    /** A flush waits for every batch, failed or not. */
    private readonly settleAll = false,
  ) {}

  /** Waits for one more batch (one already stored counts at once, one that failed fails this). */
  add(builder: BatchBuilder): void {
    if (builder.outcome === 'stored') return
    if (builder.outcome === 'failed') {
      this.failed(builder.error)
      return
    }
    this.#remaining++
    builder.waiters.push(this)
  }

  /** Called once every batch was added: a send whose batches were all stored already settles now. */
  ready(): void {
    if (this.#remaining === 0 && !this.#settled) {
      this.#settled = true
      this.resolve()
    }
  }

  stored(): void {
    if (--this.#remaining === 0 && !this.#settled) {
      this.#settled = true
      this.resolve()
    }
  }

  failed(error: unknown): void {
    if (this.settleAll) {
      this.stored()
      return
    }
    if (this.#settled) return
    this.#settled = true
    this.reject(error)
  }
}

/** The columns of a builder whose batch has been made: nothing is pushed after that. */
const SEALED = Object.freeze([]) as unknown as unknown[]

/**
 * The open batch of one partition: columns that grow as sends arrive, appended as one RecordBatch.
 * The sends in it wait through their waiters; their records' offsets come from the base offset.
 */
export class BatchBuilder {
  keys: unknown[]
  values: unknown[]
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
  readonly waiters: BatchWaiter[] = []
  outcome: 'pending' | 'stored' | 'failed' = 'pending'
  error: unknown

  constructor(
    /** The producer's open batches of this topic, by partition: the builder leaves it when sealed. */
    readonly lane: { readonly open: Array<BatchBuilder | undefined>; readonly lastCount: number[] },
    readonly core: PartitionCore,
    readonly keyCodec: Codec<unknown, unknown>,
    readonly valueCodec: Codec<unknown, unknown>,
    /** The transactional producer's identity, when it has one. */
    readonly identity: { producerId: number; epoch: number } | undefined,
    /** About how many records it will hold (the partition's last batch): its columns start that long. */
    sizeHint: number,
  ) {
    this.keys = new Array<unknown>(sizeHint)
    this.values = new Array<unknown>(sizeHint)
  }

  /** Adds record `i` of `staging`; returns its index in the batch. */
  push(staging: Staging, i: number): number {
    const index = this.count++
    this.keys[index] = staging.keys[i]
    this.values[index] = staging.values[i]
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
    // The batch owns the columns from here on. A builder outlives its batch while its sends wait, and a
    // dead builder that the scavenger finds in old space keeps whatever it points to alive for one more
    // young-generation collection: letting go here halves what memory storage's producers promote.
    this.keys = SEALED
    this.values = SEALED
    this.headers = null
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
    this.outcome = 'stored'
    for (const waiter of this.waiters) waiter.stored()
    this.waiters.length = 0
  }

  failed(error: unknown): void {
    this.outcome = 'failed'
    this.error = error
    for (const waiter of this.waiters) waiter.failed(error)
    this.waiters.length = 0
  }
}

import type { Codec } from '../record/codec'
import { EMPTY_HEADERS, type RecordHeaders } from '../record/log-record'
import type { RecordMetadata } from '../record/message'
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
    builder.waiters.push(this, undefined, WHOLE_SEND)
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

/** The index slot of a BatchWaiter in `BatchBuilder.waiters`. */
const WHOLE_SEND = -1

// A promise's resolvers, taken without a closure per promise: `new Promise(captureResolvers)` leaves
// them here, and the caller takes them at once.
let capturedResolve: unknown
let capturedReject: unknown
function captureResolvers(resolve: unknown, reject: unknown): void {
  capturedResolve = resolve
  capturedReject = reject
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
  /**
   * What waits for this batch, in send order (callbacks of one partition run in send order, as Kafka's
   * producer runs them), flat, three slots each: a send of many records or a flush is its BatchWaiter
   * (then `undefined`, WHOLE_SEND); a send of one record is its promise's resolve and reject and the
   * record's index. A single-record send is the common paced case: this way it allocates its promise
   * and its metadata only.
   */
  readonly waiters: unknown[] = []
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

  /** Waits for record `index` of this (open) batch; the promise resolves to its metadata. */
  waitForOne(index: number): Promise<RecordMetadata> {
    const promise = new Promise<RecordMetadata>(captureResolvers)
    this.waiters.push(capturedResolve, capturedReject, index)
    return promise
  }

  stored(baseOffset: number): void {
    this.baseOffset = baseOffset
    this.outcome = 'stored'
    const waiters = this.waiters
    const { topic, partition } = this.core
    for (let i = 0; i < waiters.length; i += 3) {
      const index = waiters[i + 2] as number
      if (index === WHOLE_SEND) (waiters[i] as BatchWaiter).stored()
      else
        (waiters[i] as (metadata: RecordMetadata) => void)({
          topic,
          partition,
          offset: baseOffset + index,
          timestamp: this.timestampAt(index),
        })
    }
    waiters.length = 0
  }

  failed(error: unknown): void {
    this.outcome = 'failed'
    this.error = error
    const waiters = this.waiters
    for (let i = 0; i < waiters.length; i += 3) {
      if (waiters[i + 2] === WHOLE_SEND) (waiters[i] as BatchWaiter).failed(error)
      else (waiters[i + 1] as (error: unknown) => void)(error)
    }
    waiters.length = 0
  }
}

import type { Codec } from '../record/codec'
import { EMPTY_HEADERS, type RecordHeaders } from '../record/log-record'
import { RecordBatch } from '../record/record-batch'
import type { PartitionCore } from '../topic/partition-core'

/** One checked message, in its topic's form: what a batch takes. */
export interface StagedRecord {
  partition: number
  key: unknown
  value: unknown
  headers: RecordHeaders
  timestamp: number
  size: number
}

/**
 * The open batch of one partition: columns that grow as sends arrive, appended as one RecordBatch.
 * Every send in it waits on the same promise; its records' offsets come from the base offset.
 */
export class BatchBuilder {
  readonly keys: unknown[] = []
  readonly values: unknown[] = []
  headers: RecordHeaders[] | null = null
  timestamps: number[] | null = null
  firstTimestamp = 0
  maxTimestamp = -1
  bytes = 0
  count = 0
  /** Set once the batch is stored. */
  baseOffset = -1
  readonly done: Promise<void>
  #resolve!: () => void
  #reject!: (error: unknown) => void

  constructor(
    /** The producer's open batches of this topic, by partition: the builder leaves it when sealed. */
    readonly slots: Array<BatchBuilder | undefined>,
    readonly core: PartitionCore,
    readonly keyCodec: Codec<unknown, unknown>,
    readonly valueCodec: Codec<unknown, unknown>,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
  }

  /** Adds a record; returns its index in the batch. */
  push(record: StagedRecord): number {
    const index = this.count++
    this.keys.push(record.key)
    this.values.push(record.value)
    if (record.headers !== EMPTY_HEADERS || this.headers !== null) {
      if (this.headers === null) this.headers = new Array<RecordHeaders>(index).fill(EMPTY_HEADERS)
      this.headers.push(record.headers)
    }
    const timestamp = record.timestamp
    if (index === 0) {
      this.firstTimestamp = timestamp
    } else if (timestamp !== this.firstTimestamp || this.timestamps !== null) {
      if (this.timestamps === null) this.timestamps = new Array<number>(index).fill(this.firstTimestamp)
      this.timestamps.push(timestamp)
    }
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp
    this.bytes += record.size
    return index
  }

  toBatch(): RecordBatch {
    const columns = {
      keyCodec: this.keyCodec,
      valueCodec: this.valueCodec,
      keys: this.keys,
      values: this.values,
      headers: this.headers,
      timestamps: this.timestamps,
    }
    return RecordBatch.fromColumns(columns, {
      count: this.count,
      firstTimestamp: this.firstTimestamp,
      maxTimestamp: this.maxTimestamp,
      sizeBytes: this.bytes,
    })
  }

  stored(baseOffset: number): void {
    this.baseOffset = baseOffset
    this.#resolve()
  }

  failed(error: unknown): void {
    this.#reject(error)
  }
}

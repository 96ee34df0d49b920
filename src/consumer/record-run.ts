import { EMPTY_HEADERS, type LogRecord, type RecordHeaders } from '../record/log-record'
import type { BatchColumn, RecordBatch } from '../record/record-batch'

/**
 * Consecutive records of one stored batch, as an `eachBatch` handler gets them besides `records`:
 * read straight from the batch's columns, with no object per record. Record `i` (from `from` up to,
 * not including, `to`) is read with `keyAt(i)`, `valueAt(i)`, `timestampAt(i)`, `offsetAt(i)` and
 * `headersAt(i)`; `record(i)` builds the same object `records` holds. Keys and values are in the
 * consumer's codecs' form, and a run never holds a record that does not decode (the batch ends before
 * it, as `records` does). For handlers that go through many records and keep none of them.
 *
 * @example
 * ```ts
 * await consumer.run({
 *   eachBatch: ({ runs }) => {
 *     for (const run of runs) for (let i = run.from; i < run.to; i++) total += run.valueAt(i).amount
 *   },
 * })
 * ```
 */
export class RecordRun<K = unknown, V = unknown> {
  readonly #keys: ArrayLike<unknown>
  readonly #keyStart: number
  readonly #values: ArrayLike<unknown>
  readonly #valueStart: number
  readonly #timestamps: ArrayLike<number> | null
  readonly #deltas: ArrayLike<number> | null
  readonly #headers: ArrayLike<RecordHeaders | undefined> | null
  readonly #at: number
  readonly #baseOffset: number
  readonly #firstTimestamp: number

  /**
   * The records `[from, to)` of `batch`, whose keys and values (through the consumer's codecs) are
   * `keys` and `values`.
   *
   * @example
   * ```ts
   * const run = new RecordRun('orders', 0, batch, batch.keysIn(string()), batch.valuesIn(json()), 0, batch.count)
   * ```
   */
  constructor(
    readonly topic: string,
    readonly partition: number,
    batch: RecordBatch,
    keys: BatchColumn,
    values: BatchColumn,
    readonly from: number,
    readonly to: number,
  ) {
    this.#keys = keys.items
    this.#keyStart = keys.start
    this.#values = values.items
    this.#valueStart = values.start
    this.#timestamps = batch.timestamps
    this.#deltas = batch.offsetDeltas
    this.#headers = batch.headers
    this.#at = batch.columnStart
    this.#baseOffset = batch.baseOffset
    this.#firstTimestamp = batch.firstTimestamp
  }

  /**
   * How many records the run holds.
   *
   * @example
   * ```ts
   * const count = runs.reduce((n, run) => n + run.length, 0)
   * ```
   */
  get length(): number {
    return this.to - this.from
  }

  /**
   * The key of record `i`.
   *
   * @example
   * ```ts
   * const key = run.keyAt(run.from)
   * ```
   */
  keyAt(i: number): K | null {
    return this.#keys[this.#keyStart + i] as K | null
  }

  /**
   * The value of record `i`.
   *
   * @example
   * ```ts
   * const value = run.valueAt(run.from)
   * ```
   */
  valueAt(i: number): V {
    return this.#values[this.#valueStart + i] as V
  }

  /**
   * The timestamp of record `i`.
   *
   * @example
   * ```ts
   * const latest = run.timestampAt(run.to - 1)
   * ```
   */
  timestampAt(i: number): number {
    const timestamps = this.#timestamps
    return timestamps === null ? this.#firstTimestamp : timestamps[this.#at + i]!
  }

  /**
   * The offset of record `i`.
   *
   * @example
   * ```ts
   * resolveOffset(run.offsetAt(run.to - 1))
   * ```
   */
  offsetAt(i: number): number {
    const deltas = this.#deltas
    return deltas === null ? this.#baseOffset + i : this.#baseOffset + deltas[this.#at + i]!
  }

  /**
   * The headers of record `i` (the shared empty map when it has none).
   *
   * @example
   * ```ts
   * const traceId = run.headersAt(i)['trace-id']?.toString()
   * ```
   */
  headersAt(i: number): RecordHeaders {
    const headers = this.#headers
    return (headers === null ? undefined : headers[this.#at + i]) ?? EMPTY_HEADERS
  }

  /**
   * Record `i` as an object, as `records` delivers it.
   *
   * @example
   * ```ts
   * const first = run.record(run.from)
   * ```
   */
  record(i: number): LogRecord<K, V> {
    return {
      topic: this.topic,
      partition: this.partition,
      offset: this.offsetAt(i),
      timestamp: this.timestampAt(i),
      key: this.keyAt(i),
      value: this.valueAt(i),
      headers: this.headersAt(i),
    }
  }

  /**
   * Appends the run's records, as objects, to `out`.
   *
   * @example
   * ```ts
   * const records: LogRecord<string, Order>[] = []
   * for (const run of runs) run.appendRecords(records)
   * ```
   */
  appendRecords(out: LogRecord<K, V>[]): void {
    for (let i = this.from; i < this.to; i++) out.push(this.record(i))
  }
}

import type { RecordHeaders } from '../../record/log-record'
import type { BatchColumns, RecordBatch } from '../../record/record-batch'

/**
 * The largest segment. Below V8's 16k-element limit so that `new Array(n)` gets fast elements, and small
 * enough to be allocated in the young generation (a large-object allocation costs milliseconds): V8
 * pretenures an allocation site whose objects survive, so long-lived segments end up in old space.
 */
const MAX_SLOTS = 8192
/** A partition's first segment; each next one doubles, so a quiet partition stays small. */
const FIRST_SLOTS = 64
/**
 * Batches are joined up to this many records: small enough that a reader that wants the last records
 * of a joined batch skips few (by index), large enough that one-record appends keep few batch objects.
 */
const JOIN_RECORDS = 256
/** And up to this size, Kafka's default `batch.size` (or the topic's `segmentBytes`, if smaller). */
export const JOIN_BYTES = 16_384
/**
 * And over at most this span of timestamps, from the stored batch's first record to the newest: a
 * stored batch is memory storage's segment, and retention by time deletes whole segments, so a record
 * in time order is kept at most this much past its time.
 */
const JOIN_SPAN_MS = 1_000

/** Shared columns that many batches are windows of. */
class ColumnSegment {
  readonly keys: unknown[]
  readonly values: unknown[]
  headers: Array<RecordHeaders | undefined> | null = null
  timestamps: Float64Array | null = null
  offsetDeltas: Int32Array | null = null
  used = 0

  constructor(readonly slots: number) {
    // Preallocated at full size: the arrays never grow, and a batch kept is a window of them.
    this.keys = new Array<unknown>(slots)
    this.values = new Array<unknown>(slots)
  }
}

/** The columns of a window of a store's segment (a class, so that `release` can tell them by their kind). */
class SegmentWindow implements BatchColumns {
  constructor(
    readonly keys: unknown[],
    readonly values: unknown[],
    readonly headers: Array<RecordHeaders | undefined> | null,
    readonly timestamps: ArrayLike<number> | null,
    readonly offsetDeltas: ArrayLike<number> | null,
    readonly start: number,
  ) {}
}

/**
 * Where memory storage keeps records: the columns of every appended batch are copied (one pointer per
 * key and value) into large shared arrays, and the batch kept is a window of them. Retained records
 * then cost a few slots each, and the garbage collector's young generation does not copy them again
 * and again: its work does not grow with what is retained.
 */
export class ColumnStore {
  #segment: ColumnSegment | undefined

  /**
   * The batch over this store's columns (same meta, base offset and form). A batch that arrived as
   * bytes (from the wire) is kept as it is: its records are decoded only if an in-process reader asks.
   */
  keep(batch: RecordBatch): RecordBatch {
    if (batch.encoded !== undefined) return batch
    const count = batch.count
    const source = batch.columns
    let segment = this.#segment
    if (segment === undefined || segment.used + count > segment.slots) {
      const slots = Math.max(
        count,
        Math.min(segment === undefined ? FIRST_SLOTS : segment.slots * 2, MAX_SLOTS),
      )
      segment = new ColumnSegment(slots)
      this.#segment = segment
    }
    const start = segment.used
    segment.used += count
    const from = source.start
    const keys = source.keys
    const values = source.values
    for (let i = 0; i < count; i++) {
      segment.keys[start + i] = keys[from + i]
      segment.values[start + i] = values[from + i]
    }
    let headers: Array<RecordHeaders | undefined> | null = null
    if (source.headers !== null) {
      segment.headers ??= new Array<RecordHeaders | undefined>(segment.slots)
      for (let i = 0; i < count; i++) segment.headers[start + i] = source.headers[from + i]
      headers = segment.headers
    }
    let timestamps: ArrayLike<number> | null = null
    if (source.timestamps !== null) {
      segment.timestamps ??= new Float64Array(segment.slots)
      for (let i = 0; i < count; i++) segment.timestamps[start + i] = source.timestamps[from + i]!
      timestamps = segment.timestamps
    }
    let offsetDeltas: ArrayLike<number> | null = null
    if (source.offsetDeltas !== null) {
      segment.offsetDeltas ??= new Int32Array(segment.slots)
      for (let i = 0; i < count; i++) segment.offsetDeltas[start + i] = source.offsetDeltas[from + i]!
      offsetDeltas = segment.offsetDeltas
    }
    return batch.withColumns(
      new SegmentWindow(segment.keys, segment.values, headers, timestamps, offsetDeltas, start),
    )
  }

  /**
   * `previous` (the partition's newest kept batch) and `kept` (kept right after it) as one batch, when
   * both are windows of this store's current segment, side by side, and may be joined
   * (`RecordBatch.canJoin`), within `maxBytes` together; otherwise undefined. Paced producers append
   * batches of one or two records, and every kept batch is an object the garbage collector copies
   * until it is old: joined, a run of them is one. Readers that hold `previous` keep a valid batch
   * (windows never change).
   */
  join(previous: RecordBatch, kept: RecordBatch, maxBytes: number): RecordBatch | undefined {
    // What the batches' meta decides comes first: `canJoin` refuses a batch kept as bytes, whose
    // columns would be decoded by reading them (and, if they cannot be, throw on every later append).
    if (
      !previous.canJoin(kept) ||
      previous.count + kept.count > JOIN_RECORDS ||
      previous.sizeBytes + kept.sizeBytes > maxBytes ||
      Math.max(previous.maxTimestamp, kept.maxTimestamp) -
        Math.min(previous.firstTimestamp, kept.firstTimestamp) >
        JOIN_SPAN_MS
    ) {
      return undefined
    }
    const segment = this.#segment
    const before = previous.columns
    const after = kept.columns
    if (
      segment === undefined ||
      !(before instanceof SegmentWindow) ||
      !(after instanceof SegmentWindow) ||
      before.keys !== segment.keys ||
      after.keys !== segment.keys ||
      after.start !== before.start + previous.count ||
      before.offsetDeltas !== null ||
      after.offsetDeltas !== null
    ) {
      return undefined
    }
    let timestamps: ArrayLike<number> | null = null
    if (
      before.timestamps !== null ||
      after.timestamps !== null ||
      previous.firstTimestamp !== kept.firstTimestamp
    ) {
      segment.timestamps ??= new Float64Array(segment.slots)
      if (before.timestamps === null)
        segment.timestamps.fill(previous.firstTimestamp, before.start, before.start + previous.count)
      if (after.timestamps === null)
        segment.timestamps.fill(kept.firstTimestamp, after.start, after.start + kept.count)
      timestamps = segment.timestamps
    }
    const headers = before.headers ?? after.headers
    return previous.joinedWith(
      kept,
      new SegmentWindow(segment.keys, segment.values, headers, timestamps, null, before.start),
    )
  }

  /** Lets go of a dropped batch's keys and values at once, not when its whole segment goes. */
  release(batch: RecordBatch): void {
    const columns = batch.encoded === undefined ? batch.columns : undefined
    if (!(columns instanceof SegmentWindow)) return
    const { keys, values, headers, start } = columns
    const end = start + batch.count
    keys.fill(undefined, start, end)
    values.fill(undefined, start, end)
    headers?.fill(undefined, start, end)
  }
}

import { type Codec, RAW } from './codec'
import type { RecordHeaders } from './log-record'

/** A key or value that could not be decoded; delivered as an error for its record alone. */
export class DecodeFailure {
  constructor(readonly error: Error) {}
}

/**
 * One column of a batch in the form of a codec: record `i` is `items[start + i]`; `failures` holds the
 * records (by index in the batch) whose bytes that codec could not decode — null when there are none,
 * the usual case.
 *
 * @example
 * ```ts
 * const { items, start } = batch.valuesIn(string())
 * const first = items[start]
 * ```
 */
export interface BatchColumn {
  readonly items: ArrayLike<unknown>
  readonly start: number
  readonly failures: ReadonlyMap<number, Error> | null
}

/**
 * A batch's records as columns. Record `i` of the batch is at index `start + i` of every column: a
 * producer's batch starts at 0, a batch memory storage keeps is a window of larger shared columns.
 *
 * @example
 * ```ts
 * const columns: BatchColumns = {
 *   keys: ['k'], values: ['v'], headers: null, timestamps: null, offsetDeltas: null, start: 0,
 * }
 * ```
 */
export interface BatchColumns {
  readonly keys: ArrayLike<unknown>
  readonly values: ArrayLike<unknown>
  /** Null when no record has headers; an entry may be undefined for a record without any. */
  readonly headers: ArrayLike<RecordHeaders | undefined> | null
  /** Null when every record has the batch's `firstTimestamp`. */
  readonly timestamps: ArrayLike<number> | null
  /** Null when offsets are dense (`baseOffset + i`); compaction leaves gaps. */
  readonly offsetDeltas: ArrayLike<number> | null
  readonly start: number
}

/**
 * What a producer (or a storage reading bytes back) knows of a batch besides its columns.
 *
 * @example
 * ```ts
 * const meta: BatchMeta = { count: 1, firstTimestamp: 0, maxTimestamp: 0, sizeBytes: 18 }
 * ```
 */
export interface BatchMeta {
  count: number
  firstTimestamp: number
  maxTimestamp: number
  /** Estimated size (what budgets count), or the exact encoded size of a batch read from bytes. */
  sizeBytes: number
  /** Offsets covered: `count - 1` unless compaction removed records (gaps inside the batch). */
  lastOffsetDelta?: number
  /** Kafka's idempotent/transactional producer fields; -1 when absent. */
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  control?: boolean
  /**
   * Set by compaction (Kafka's KIP-534 delete horizon): once this time has passed, the batch's
   * tombstones and its transaction marker may be removed. -1 (the default) when compaction never set it.
   */
  deleteHorizonMs?: number
}

/** The codecs whose form a batch's keys and values are held in. */
export interface BatchForm {
  keyCodec: Codec<unknown, unknown>
  valueCodec: Codec<unknown, unknown>
}

const NO_FAILURES = null

/**
 * The unit from producer to consumer: the records one producer appended to one partition in one go,
 * held as columns. Memory storage keeps what producers sent without serialising it; the file log
 * encodes a batch to Kafka's RecordBatch v2 once and keeps those bytes (`encoded`) for later readers,
 * and a batch read back from bytes decodes its columns lazily, once. A consumer builds each record it
 * delivers from the columns; nothing here is copied per consumer, and nothing changes once the log has
 * assigned the base offset. Batches returned by a read are shared: never mutate one.
 *
 * @example
 * ```ts
 * const batches = await partition.readBatches(0)
 * for (const batch of batches) console.log(batch.baseOffset, batch.count, batch.maxTimestamp)
 * ```
 */
export class RecordBatch {
  #baseOffset = -1
  readonly count: number
  readonly lastOffsetDelta: number
  readonly firstTimestamp: number
  readonly maxTimestamp: number
  readonly sizeBytes: number
  /** The codecs whose form `keys` and `values` hold: RAW for a batch read from bytes. */
  readonly keyCodec: Codec<unknown, unknown>
  readonly valueCodec: Codec<unknown, unknown>
  #columns: BatchColumns | undefined
  /**
   * Memory storage keeps every batch it is given, so a batch's own size is retained memory: what most
   * batches leave at its default (producer fields, flags, the horizon) is one shared object, and what
   * only some need (a decoder, converted columns) is allocated when first needed.
   */
  #attributes: BatchAttributes
  #encoded: Buffer | undefined
  #lazy: LazyParts | undefined

  private constructor(meta: BatchMeta, form: BatchForm, columns: BatchColumns | undefined) {
    this.count = meta.count
    this.lastOffsetDelta = meta.lastOffsetDelta ?? meta.count - 1
    this.firstTimestamp = meta.firstTimestamp
    this.maxTimestamp = meta.maxTimestamp
    this.sizeBytes = meta.sizeBytes
    this.keyCodec = form.keyCodec
    this.valueCodec = form.valueCodec
    this.#columns = columns
    this.#attributes = attributesOf(meta)
  }

  /**
   * A batch over columns (a producer's, or a window of a storage's shared columns).
   *
   * @example
   * ```ts
   * const batch = RecordBatch.fromColumns(
   *   { keyCodec: string(), valueCodec: string() },
   *   { keys: ['k'], values: ['v'], headers: null, timestamps: null, offsetDeltas: null, start: 0 },
   *   { count: 1, firstTimestamp: Date.now(), maxTimestamp: Date.now(), sizeBytes: 18 },
   * )
   * ```
   */
  static fromColumns(form: BatchForm, columns: BatchColumns, meta: BatchMeta): RecordBatch {
    return new RecordBatch(meta, form, columns)
  }

  /**
   * A batch read from RecordBatch v2 bytes (`encoded`, base offset included). `decode` turns the bytes
   * into raw columns (Buffers) the first time a reader asks for them.
   *
   * @example
   * ```ts
   * const batch = RecordBatch.fromEncoded(bytes, baseOffset, meta, decodeColumns)
   * ```
   */
  static fromEncoded(
    encoded: Buffer,
    baseOffset: number,
    meta: BatchMeta,
    decode: (batch: RecordBatch) => BatchColumns,
  ): RecordBatch {
    const batch = new RecordBatch(meta, RAW_FORM, undefined)
    batch.#baseOffset = baseOffset
    batch.#encoded = encoded
    batch.#lazy = { decode, convertedKeys: undefined, convertedValues: undefined }
    return batch
  }

  /**
   * The same records, meta and base offset over other columns (a storage moving a batch into its own).
   *
   * @example
   * ```ts
   * const kept = batch.withColumns(sharedColumns)
   * ```
   */
  withColumns(columns: BatchColumns): RecordBatch {
    const copy = new RecordBatch(this, this, columns)
    copy.#attributes = this.#attributes
    copy.#baseOffset = this.#baseOffset
    copy.#encoded = this.#encoded
    return copy
  }

  /**
   * The index of the first record at or past `offset` (`count` when none is): by subtraction when the
   * offsets are dense, so that a reader that wants the last records of a large batch skips the others
   * at no cost.
   *
   * @example
   * ```ts
   * for (let i = batch.indexFrom(position); i < batch.count; i++) deliver(i)
   * ```
   */
  indexFrom(offset: number): number {
    const base = this.#baseOffset
    if (offset <= base) return 0
    const deltas = this.offsetDeltas
    if (deltas === null) return Math.min(offset - base, this.count)
    const at = this.columnStart
    let i = 0
    while (i < this.count && base + deltas[at + i]! < offset) i++
    return i
  }

  /**
   * Whether `next` (appended right after this batch) can be joined with it into one batch over
   * `columns`: both plain (no producer fields, flags or horizon), dense, in the same form, this one not
   * yet encoded nor decoded or converted for a reader (a joined batch would lose those, and redo them).
   * Memory storage joins small batches so that it keeps one batch object per run of them.
   *
   * @example
   * ```ts
   * if (last.canJoin(kept)) list.replaceLast(last.joinedWith(kept, columns))
   * ```
   */
  canJoin(next: RecordBatch): boolean {
    return (
      this.#attributes === PLAIN_ATTRIBUTES &&
      next.#attributes === PLAIN_ATTRIBUTES &&
      this.#encoded === undefined &&
      next.#encoded === undefined &&
      this.#lazy === undefined &&
      this.#baseOffset >= 0 &&
      next.#baseOffset === this.#baseOffset + this.count &&
      this.lastOffsetDelta === this.count - 1 &&
      next.lastOffsetDelta === next.count - 1 &&
      this.keyCodec === next.keyCodec &&
      this.valueCodec === next.valueCodec
    )
  }

  /**
   * This batch and `next` (see `canJoin`) as one batch over `columns`, which hold both batches' records
   * in order.
   *
   * @example
   * ```ts
   * const joined = last.joinedWith(kept, sharedColumns)
   * ```
   */
  joinedWith(next: RecordBatch, columns: BatchColumns): RecordBatch {
    const joined = new RecordBatch(
      {
        count: this.count + next.count,
        firstTimestamp: this.firstTimestamp,
        maxTimestamp: Math.max(this.maxTimestamp, next.maxTimestamp),
        sizeBytes: this.sizeBytes + next.sizeBytes,
      },
      this,
      columns,
    )
    joined.#baseOffset = this.#baseOffset
    return joined
  }

  /**
   * Kafka's producer id of an idempotent or transactional producer's batch; -1 when absent.
   *
   * @example
   * ```ts
   * if (batch.producerId >= 0) sequences.check(batch.producerId, batch.baseSequence)
   * ```
   */
  get producerId(): number {
    return this.#attributes.producerId
  }

  /**
   * The producer's epoch (fencing); -1 when absent.
   *
   * @example
   * ```ts
   * const fenced = batch.producerEpoch < currentEpoch
   * ```
   */
  get producerEpoch(): number {
    return this.#attributes.producerEpoch
  }

  /**
   * The idempotent sequence of the batch's first record; -1 when absent.
   *
   * @example
   * ```ts
   * const next = batch.baseSequence + batch.count
   * ```
   */
  get baseSequence(): number {
    return this.#attributes.baseSequence
  }

  /**
   * Whether the batch belongs to a transaction.
   *
   * @example
   * ```ts
   * if (batch.transactional) index.observe(batch)
   * ```
   */
  get transactional(): boolean {
    return this.#attributes.transactional
  }

  /**
   * Whether the batch holds a control record (a transaction marker) rather than data.
   *
   * @example
   * ```ts
   * if (!batch.control) deliver(batch)
   * ```
   */
  get control(): boolean {
    return this.#attributes.control
  }

  /**
   * When compaction may remove the batch's tombstones and marker (Kafka's KIP-534 delete horizon);
   * -1 when compaction set no horizon.
   *
   * @example
   * ```ts
   * const removable = batch.deleteHorizonMs >= 0 && now >= batch.deleteHorizonMs
   * ```
   */
  get deleteHorizonMs(): number {
    return this.#attributes.deleteHorizonMs
  }

  /**
   * The offset of the first record; -1 until the partition log appended the batch.
   *
   * @example
   * ```ts
   * const last = batch.baseOffset + batch.lastOffsetDelta
   * ```
   */
  get baseOffset(): number {
    return this.#baseOffset
  }

  /**
   * One past the batch's last offset.
   *
   * @example
   * ```ts
   * const next = batch.nextOffset
   * ```
   */
  get nextOffset(): number {
    return this.#baseOffset + this.lastOffsetDelta + 1
  }

  /**
   * The log assigns the base offset exactly once, at append (bytes received with another base offset,
   * from the wire, are rewritten: the base offset is outside Kafka's CRC).
   *
   * @example
   * ```ts
   * batch.assignBaseOffset(log.logEndOffset)
   * ```
   */
  assignBaseOffset(offset: number): void {
    const bytes = this.#encoded
    if (this.#baseOffset !== -1 && bytes === undefined) {
      throw new Error(`The batch already has base offset ${this.#baseOffset}`)
    }
    this.#baseOffset = offset
    if (bytes !== undefined) {
      const hi = Math.floor(offset / 4294967296)
      bytes.writeInt32BE(hi, 0)
      bytes.writeUInt32BE(offset - hi * 4294967296, 4)
    }
  }

  /**
   * Where record 0 is in the columns: record `i` is at `columnStart + i`.
   *
   * @example
   * ```ts
   * const key = batch.keys[batch.columnStart + i]
   * ```
   */
  get columnStart(): number {
    return this.#cols().start
  }

  /**
   * Keys in `keyCodec`'s form (record `i` at `columnStart + i`).
   *
   * @example
   * ```ts
   * const firstKey = batch.keys[batch.columnStart]
   * ```
   */
  get keys(): ArrayLike<unknown> {
    return this.#cols().keys
  }

  /**
   * Values in `valueCodec`'s form (record `i` at `columnStart + i`).
   *
   * @example
   * ```ts
   * const firstValue = batch.values[batch.columnStart]
   * ```
   */
  get values(): ArrayLike<unknown> {
    return this.#cols().values
  }

  /**
   * Header maps (record `i` at `columnStart + i`; undefined for none), or null when no record has any.
   *
   * @example
   * ```ts
   * const headers = batch.headers?.[batch.columnStart]
   * ```
   */
  get headers(): ArrayLike<RecordHeaders | undefined> | null {
    return this.#cols().headers
  }

  /**
   * Timestamps (record `i` at `columnStart + i`), or null when every record has `firstTimestamp`.
   *
   * @example
   * ```ts
   * const ts = batch.timestamps?.[batch.columnStart + i] ?? batch.firstTimestamp
   * ```
   */
  get timestamps(): ArrayLike<number> | null {
    return this.#cols().timestamps
  }

  /**
   * Offset deltas (record `i` at `columnStart + i`), or null when offsets are dense.
   *
   * @example
   * ```ts
   * const offset = batch.baseOffset + (batch.offsetDeltas?.[batch.columnStart + i] ?? i)
   * ```
   */
  get offsetDeltas(): ArrayLike<number> | null {
    return this.#cols().offsetDeltas
  }

  /**
   * The columns, decoded first if the batch was read from bytes.
   *
   * @example
   * ```ts
   * const { keys, values, start } = batch.columns
   * ```
   */
  get columns(): BatchColumns {
    return this.#cols()
  }

  /**
   * The RecordBatch v2 bytes, once a storage (or the wire) made or received them.
   *
   * @example
   * ```ts
   * if (batch.encoded !== undefined) socket.write(batch.encoded)
   * ```
   */
  get encoded(): Buffer | undefined {
    return this.#encoded
  }

  /**
   * Keeps the batch's RecordBatch v2 bytes (made once by whoever encoded them), for later readers.
   *
   * @example
   * ```ts
   * batch.keepEncoded(bytes)
   * ```
   */
  keepEncoded(bytes: Buffer): void {
    this.#encoded = bytes
  }

  /**
   * Keys as `codec` delivers them: the stored column when it is already in that form, else converted
   * once (through bytes) and kept.
   *
   * @example
   * ```ts
   * const { items, start, failures } = batch.keysIn(string())
   * ```
   */
  keysIn(codec: Codec<unknown, unknown>): BatchColumn {
    if (codec === this.keyCodec) {
      const columns = this.#cols()
      return { items: columns.keys, start: columns.start, failures: NO_FAILURES }
    }
    const lazy = this.#lazyParts()
    lazy.convertedKeys ??= new Map()
    return this.#convert(lazy.convertedKeys, codec, this.keys, this.keyCodec)
  }

  /**
   * Values as `codec` delivers them: the stored column when it is already in that form, else converted
   * once (through bytes) and kept.
   *
   * @example
   * ```ts
   * const { items, start, failures } = batch.valuesIn(json(Order))
   * ```
   */
  valuesIn(codec: Codec<unknown, unknown>): BatchColumn {
    if (codec === this.valueCodec) {
      const columns = this.#cols()
      return { items: columns.values, start: columns.start, failures: NO_FAILURES }
    }
    const lazy = this.#lazyParts()
    lazy.convertedValues ??= new Map()
    return this.#convert(lazy.convertedValues, codec, this.values, this.valueCodec)
  }

  #cols(): BatchColumns {
    let columns = this.#columns
    if (columns === undefined) {
      const lazy = this.#lazy!
      columns = lazy.decode!(this)
      this.#columns = columns
      lazy.decode = undefined
    }
    return columns
  }

  #lazyParts(): LazyParts {
    this.#lazy ??= { decode: undefined, convertedKeys: undefined, convertedValues: undefined }
    return this.#lazy
  }

  #convert(
    cache: Map<Codec<unknown, unknown>, BatchColumn>,
    to: Codec<unknown, unknown>,
    items: ArrayLike<unknown>,
    from: Codec<unknown, unknown>,
  ): BatchColumn {
    const cached = cache.get(to)
    if (cached !== undefined) return cached
    const start = this.columnStart
    const out = new Array<unknown>(this.count)
    let failures: Map<number, Error> | null = null
    for (let i = 0; i < this.count; i++) {
      const item = items[start + i]
      if (item === null || item === undefined) {
        out[i] = null
        continue
      }
      try {
        out[i] = to.decode(toBuffer(from === RAW ? (item as Buffer) : from.encode(item)))
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error))
        failures ??= new Map()
        failures.set(i, failure)
        out[i] = new DecodeFailure(failure)
      }
    }
    const column: BatchColumn = { items: out, start: 0, failures }
    cache.set(to, column)
    return column
  }
}

const RAW_FORM: BatchForm = Object.freeze({ keyCodec: RAW, valueCodec: RAW })

/** The batch header fields that most batches leave at their defaults. */
interface BatchAttributes {
  readonly producerId: number
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly transactional: boolean
  readonly control: boolean
  readonly deleteHorizonMs: number
}

const PLAIN_ATTRIBUTES: BatchAttributes = Object.freeze({
  producerId: -1,
  producerEpoch: -1,
  baseSequence: -1,
  transactional: false,
  control: false,
  deleteHorizonMs: -1,
})

function attributesOf(meta: BatchMeta): BatchAttributes {
  const producerId = meta.producerId ?? -1
  const producerEpoch = meta.producerEpoch ?? -1
  const baseSequence = meta.baseSequence ?? -1
  const transactional = meta.transactional ?? false
  const control = meta.control ?? false
  const deleteHorizonMs = meta.deleteHorizonMs ?? -1
  if (
    producerId === -1 &&
    producerEpoch === -1 &&
    baseSequence === -1 &&
    !transactional &&
    !control &&
    deleteHorizonMs === -1
  ) {
    return PLAIN_ATTRIBUTES
  }
  return { producerId, producerEpoch, baseSequence, transactional, control, deleteHorizonMs }
}

/** Parts of a batch that only some batches need. */
interface LazyParts {
  /** Turns a batch read from bytes into columns, the first time a reader asks; then dropped. */
  decode: ((batch: RecordBatch) => BatchColumns) | undefined
  /** Columns converted to another codec's form, by codec: usually none, at most a few. */
  convertedKeys: Map<Codec<unknown, unknown>, BatchColumn> | undefined
  convertedValues: Map<Codec<unknown, unknown>, BatchColumn> | undefined
}

/**
 * A codec's bytes as a Buffer (strings become UTF-8).
 *
 * @example
 * ```ts
 * const bytes = toBuffer(codec.encode(value))
 * ```
 */
export function toBuffer(bytes: Uint8Array | string): Buffer {
  if (typeof bytes === 'string') return Buffer.from(bytes)
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

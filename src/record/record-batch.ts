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
  readonly producerId: number
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly transactional: boolean
  readonly control: boolean
  /** When compaction may remove the batch's tombstones and marker; -1 when it set no horizon. */
  readonly deleteHorizonMs: number
  /** The codecs whose form `keys` and `values` hold: RAW for a batch read from bytes. */
  readonly keyCodec: Codec<unknown, unknown>
  readonly valueCodec: Codec<unknown, unknown>
  #columns: BatchColumns | undefined
  #decode: ((batch: RecordBatch) => BatchColumns) | undefined
  #encoded: Buffer | undefined
  #ownKeys: BatchColumn | undefined
  #ownValues: BatchColumn | undefined
  /** Columns converted to another codec's form, by codec: usually none, at most a few. */
  #convertedKeys: Map<Codec<unknown, unknown>, BatchColumn> | undefined
  #convertedValues: Map<Codec<unknown, unknown>, BatchColumn> | undefined

  private constructor(meta: BatchMeta, form: BatchForm, columns: BatchColumns | undefined) {
    this.count = meta.count
    this.lastOffsetDelta = meta.lastOffsetDelta ?? meta.count - 1
    this.firstTimestamp = meta.firstTimestamp
    this.maxTimestamp = meta.maxTimestamp
    this.sizeBytes = meta.sizeBytes
    this.producerId = meta.producerId ?? -1
    this.producerEpoch = meta.producerEpoch ?? -1
    this.baseSequence = meta.baseSequence ?? -1
    this.transactional = meta.transactional ?? false
    this.control = meta.control ?? false
    this.deleteHorizonMs = meta.deleteHorizonMs ?? -1
    this.keyCodec = form.keyCodec
    this.valueCodec = form.valueCodec
    this.#columns = columns
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
    batch.#decode = decode
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
    copy.#baseOffset = this.#baseOffset
    copy.#encoded = this.#encoded
    return copy
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
      this.#ownKeys ??= { items: this.keys, start: this.columnStart, failures: NO_FAILURES }
      return this.#ownKeys
    }
    this.#convertedKeys ??= new Map()
    return this.#convert(this.#convertedKeys, codec, this.keys, this.keyCodec)
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
      this.#ownValues ??= { items: this.values, start: this.columnStart, failures: NO_FAILURES }
      return this.#ownValues
    }
    this.#convertedValues ??= new Map()
    return this.#convert(this.#convertedValues, codec, this.values, this.valueCodec)
  }

  #cols(): BatchColumns {
    let columns = this.#columns
    if (columns === undefined) {
      columns = this.#decode!(this)
      this.#columns = columns
      this.#decode = undefined
    }
    return columns
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

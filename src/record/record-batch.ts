import { type Codec, RAW } from './codec'
import type { RecordHeaders } from './log-record'

/** A key or value that could not be decoded; delivered as an error for its record alone. */
export class DecodeFailure {
  constructor(readonly error: Error) {}
}

/**
 * One column of a batch in the form of a codec: items by record index, and the records whose bytes
 * that codec could not decode (null when there are none, the usual case).
 */
export interface BatchColumn {
  readonly items: readonly unknown[]
  readonly failures: ReadonlyMap<number, Error> | null
}

/** The columns of a batch read from bytes: keys and values as Buffers (views of a private copy). */
export interface DecodedColumns {
  keys: Array<Buffer | null>
  values: Array<Buffer | null>
  headers: RecordHeaders[] | null
  timestamps: number[] | null
  offsetDeltas: Int32Array | null
}

/** What a producer (or a storage reading bytes back) knows of a batch besides its columns. */
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
}

/** Columns given by a producer, in its codecs' form. */
export interface BatchColumns {
  keyCodec: Codec<unknown, unknown>
  valueCodec: Codec<unknown, unknown>
  keys: unknown[]
  values: unknown[]
  /** Null when no record has headers. */
  headers: RecordHeaders[] | null
  /** Null when every record has `firstTimestamp`. */
  timestamps: number[] | null
}

/**
 * The unit from producer to consumer: the records one producer appended to one partition in one go,
 * held as columns. Memory storage keeps batches as they were sent (nothing serialised); the file log
 * encodes a batch to Kafka's RecordBatch v2 once and keeps those bytes (`encoded`) for later readers,
 * and a batch read back from bytes decodes its columns lazily, once. A consumer builds each record it
 * delivers from the columns; nothing here is copied per consumer, and nothing is mutated once the log
 * has assigned the base offset.
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
  /** The codecs whose form `keys` and `values` hold: RAW for a batch read from bytes. */
  readonly keyCodec: Codec<unknown, unknown>
  readonly valueCodec: Codec<unknown, unknown>
  #columns: DecodedColumns | BatchColumns | undefined
  #decode: ((batch: RecordBatch) => DecodedColumns) | undefined
  #encoded: Buffer | undefined
  /** Columns converted to another codec's form, by codec: usually none, at most a few. */
  #convertedKeys: Map<Codec<unknown, unknown>, BatchColumn> | undefined
  #convertedValues: Map<Codec<unknown, unknown>, BatchColumn> | undefined

  private constructor(
    meta: BatchMeta,
    keyCodec: Codec<unknown, unknown>,
    valueCodec: Codec<unknown, unknown>,
    columns: BatchColumns | undefined,
  ) {
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
    this.keyCodec = keyCodec
    this.valueCodec = valueCodec
    this.#columns = columns
  }

  /**
   * A batch from a producer's columns.
   *
   * @example
   * ```ts
   * const batch = RecordBatch.fromColumns(
   *   { keyCodec: string(), valueCodec: string(), keys: ['k'], values: ['v'], headers: null, timestamps: null },
   *   { count: 1, firstTimestamp: Date.now(), maxTimestamp: Date.now(), sizeBytes: 18 },
   * )
   * ```
   */
  static fromColumns(columns: BatchColumns, meta: BatchMeta): RecordBatch {
    return new RecordBatch(meta, columns.keyCodec, columns.valueCodec, columns)
  }

  /**
   * A batch read from RecordBatch v2 bytes (`encoded`, base offset included). `decode` turns the bytes
   * into columns the first time a reader asks for them.
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
    decode: (batch: RecordBatch) => DecodedColumns,
  ): RecordBatch {
    const batch = new RecordBatch(meta, RAW, RAW, undefined)
    batch.#baseOffset = baseOffset
    batch.#encoded = encoded
    batch.#decode = decode
    return batch
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
   * The log assigns the base offset exactly once, at append.
   *
   * @example
   * ```ts
   * batch.assignBaseOffset(log.logEndOffset)
   * ```
   */
  assignBaseOffset(offset: number): void {
    if (this.#baseOffset !== -1 && this.#encoded === undefined) {
      throw new Error(`The batch already has base offset ${this.#baseOffset}`)
    }
    this.#baseOffset = offset
    // The base offset is outside Kafka's CRC, so bytes received with another one are rewritten in place.
    const bytes = this.#encoded
    if (bytes !== undefined) {
      const hi = Math.floor(offset / 4294967296)
      bytes.writeInt32BE(hi, 0)
      bytes.writeUInt32BE(offset - hi * 4294967296, 4)
    }
  }

  /**
   * Keys in `keyCodec`'s form, by record index.
   *
   * @example
   * ```ts
   * const firstKey = batch.keys[0]
   * ```
   */
  get keys(): readonly unknown[] {
    return this.#cols().keys
  }

  /**
   * Values in `valueCodec`'s form, by record index.
   *
   * @example
   * ```ts
   * const firstValue = batch.values[0]
   * ```
   */
  get values(): readonly unknown[] {
    return this.#cols().values
  }

  /**
   * Header maps by record index, or null when no record has headers.
   *
   * @example
   * ```ts
   * const headers = batch.headers?.[0]
   * ```
   */
  get headers(): readonly RecordHeaders[] | null {
    return this.#cols().headers
  }

  /**
   * Timestamps by record index, or null when every record has `firstTimestamp`.
   *
   * @example
   * ```ts
   * const ts = batch.timestamps?.[i] ?? batch.firstTimestamp
   * ```
   */
  get timestamps(): readonly number[] | null {
    return this.#cols().timestamps
  }

  /**
   * Offset deltas by record index, or null when offsets are dense (`baseOffset + index`).
   *
   * @example
   * ```ts
   * const offset = batch.baseOffset + (batch.offsetDeltas?.[i] ?? i)
   * ```
   */
  get offsetDeltas(): Int32Array | null {
    const columns = this.#cols()
    return 'offsetDeltas' in columns ? columns.offsetDeltas : null
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
   * Keeps the batch's RecordBatch v2 bytes (made once by the storage that wrote them), for later readers.
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
   * const { items, failures } = batch.keysIn(string())
   * ```
   */
  keysIn(codec: Codec<unknown, unknown>): BatchColumn {
    if (codec === this.keyCodec) return { items: this.keys, failures: null }
    this.#convertedKeys ??= new Map()
    return this.#convert(this.#convertedKeys, codec, this.keys, this.keyCodec)
  }

  /**
   * Values as `codec` delivers them: the stored column when it is already in that form, else converted
   * once (through bytes) and kept.
   *
   * @example
   * ```ts
   * const { items, failures } = batch.valuesIn(json(Order))
   * ```
   */
  valuesIn(codec: Codec<unknown, unknown>): BatchColumn {
    if (codec === this.valueCodec) return { items: this.values, failures: null }
    this.#convertedValues ??= new Map()
    return this.#convert(this.#convertedValues, codec, this.values, this.valueCodec)
  }

  #cols(): DecodedColumns | BatchColumns {
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
    items: readonly unknown[],
    from: Codec<unknown, unknown>,
  ): BatchColumn {
    const cached = cache.get(to)
    if (cached !== undefined) return cached
    const out = new Array<unknown>(items.length)
    let failures: Map<number, Error> | null = null
    for (let i = 0; i < items.length; i++) {
      const item = items[i]
      if (item === null || item === undefined) {
        out[i] = null
        continue
      }
      try {
        out[i] = to.decode(toBuffer(from === RAW ? (item as Buffer) : from.encode(item)))
      } catch (error) {
        failures ??= new Map()
        failures.set(i, error instanceof Error ? error : new Error(String(error)))
        out[i] = new DecodeFailure(failures.get(i)!)
      }
    }
    const column: BatchColumn = { items: out, failures }
    cache.set(to, column)
    return column
  }
}

/** A codec's bytes as a Buffer (strings become UTF-8). */
export function toBuffer(bytes: Uint8Array | string): Buffer {
  if (typeof bytes === 'string') return Buffer.from(bytes)
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

import { InvalidRecordError, InvalidStateError } from '../errors'
import type { RecordHeaders } from './log-record'
import { headersSize, sealBatch, writeHeaders } from './v2/encode'
import { BATCH_HEADER_BYTES, LOG_OVERHEAD } from './v2/layout'
import { varintSize, varlongSize, writeVarint, writeVarlong } from './v2/varint'

/**
 * Kafka's default `max.message.bytes` of a topic (1 MiB and a log overhead): the largest batch a broker
 * takes unless the topic says otherwise.
 */
const KAFKA_MAX_MESSAGE_BYTES = 1_048_588
/** What a Kafka producer writes where the leader stamps its epoch (RecordBatch.NO_PARTITION_LEADER_EPOCH). */
const NO_PARTITION_LEADER_EPOCH = -1
/** The first buffer of a writer; later ones start at the size of the batch before. */
const FIRST_CAPACITY = 64 << 10
/** Below this length a byte loop beats a view and `Uint8Array.set`, whose set-up dominates small copies. */
const SMALL_COPY_BYTES = 16
const INT32_MAX = 0x7fffffff
const NO_HEADERS = Buffer.from([0])

/**
 * Options of a {@link RecordBatchWriter}.
 *
 * @example
 * ```ts
 * const options: RecordBatchWriterOptions = { maxBytes: 16_384 }
 * ```
 */
export interface RecordBatchWriterOptions {
  /**
   * The largest batch to make, in bytes: `append` refuses a record that would take the batch past it
   * (unless the batch is empty). Default 1,048,588, Kafka's default `max.message.bytes`.
   */
  maxBytes?: number
}

/**
 * Builds Kafka RecordBatch v2 bytes (magic 2, CRC-32C, uncompressed, CreateTime) straight from records
 * given as byte ranges, the way Kafka's `MemoryRecordsBuilder` appends from ByteBuffers: no object and
 * no Buffer view per record, each key and value copied once into the batch. For tools that turn bytes
 * into records in bulk (the `logbus produce` command reads a file this way) and hand the batch to
 * `partition.appendEncoded` or a Kafka Produce request; a program with messages uses `producer.send`.
 *
 * A batch is what a Kafka producer without idempotence sends: base offset 0 (the log assigns it),
 * producer id, epoch and sequence -1, leader epoch -1. Records' offset deltas are dense from 0;
 * timestamps are stored as deltas from the first record's. Headers are written as `producer.send`
 * writes them (a value that is an array is one header per element); the same headers object given to
 * consecutive records is encoded once.
 *
 * @example
 * ```ts
 * import { Bus, RecordBatchWriter } from 'logbus'
 *
 * const bus = await Bus.open()
 * await bus.createTopic('lines')
 * const text = Buffer.from('k1=first\nk2=second\n')
 * const writer = new RecordBatchWriter()
 * const now = Date.now()
 * writer.append(now, text, 0, 2, text, 3, 8) // key "k1", value "first"
 * writer.append(now, text, 9, 11, text, 12, 18) // key "k2", value "second"
 * await bus.topic('lines').partition(0).appendEncoded(writer.finish())
 * ```
 */
export class RecordBatchWriter {
  /**
   * The largest batch `append` makes (a lone record may exceed it: see `append`).
   *
   * @example
   * ```ts
   * new RecordBatchWriter({ maxBytes: 16_384 }).maxBytes // → 16384
   * ```
   */
  readonly maxBytes: number
  #buf: Buffer = Buffer.alloc(0)
  #pos = BATCH_HEADER_BYTES
  #count = 0
  #firstTimestamp = 0
  #maxTimestamp = 0
  #capacity = FIRST_CAPACITY
  #headers: RecordHeaders | undefined
  #headerBytes: Buffer = NO_HEADERS

  constructor(options: RecordBatchWriterOptions = {}) {
    const maxBytes = options.maxBytes ?? KAFKA_MAX_MESSAGE_BYTES
    if (!Number.isSafeInteger(maxBytes) || maxBytes < BATCH_HEADER_BYTES) {
      throw new InvalidRecordError(
        `maxBytes must be an integer of at least ${BATCH_HEADER_BYTES} (a batch header), got ${String(maxBytes)}`,
      )
    }
    this.maxBytes = maxBytes
    this.#capacity = Math.min(FIRST_CAPACITY, maxBytes)
  }

  /**
   * Records in the batch so far.
   *
   * @example
   * ```ts
   * if (writer.count > 0) await partition.appendEncoded(writer.finish())
   * ```
   */
  get count(): number {
    return this.#count
  }

  /**
   * Bytes the batch takes so far, its header included: the length `finish()` would return now.
   *
   * @example
   * ```ts
   * if (writer.sizeBytes > topic.config.maxMessageBytes) writer.clear() // a lone record too large
   * ```
   */
  get sizeBytes(): number {
    return this.#pos
  }

  /**
   * Adds a record: `key[keyStart, keyEnd)` (a null `key` is a null key; the range is then ignored),
   * `value[valueStart, valueEnd)` likewise, its CreateTime `timestamp` (ms) and `headers`. Returns
   * false, writing nothing, when the record would take a batch that holds records past `maxBytes`:
   * `finish()` it and append the record to the next one. A record is always taken by an empty batch,
   * even one past `maxBytes` on its own (compare `sizeBytes` with the limit of where it goes).
   *
   * @throws InvalidRecordError for a range outside its array, a timestamp that is not a non-negative
   *   safe integer, or a batch past Kafka's int32 length
   *
   * @example
   * ```ts
   * if (!writer.append(Date.now(), null, 0, 0, line, 0, line.length)) {
   *   await partition.appendEncoded(writer.finish())
   *   writer.append(Date.now(), null, 0, 0, line, 0, line.length)
   * }
   * ```
   */
  append(
    timestamp: number,
    key: Uint8Array | null,
    keyStart: number,
    keyEnd: number,
    value: Uint8Array | null,
    valueStart: number,
    valueEnd: number,
    headers?: RecordHeaders,
  ): boolean {
    const keyLength = key === null ? -1 : rangeLength(key, keyStart, keyEnd, 'key')
    const valueLength = value === null ? -1 : rangeLength(value, valueStart, valueEnd, 'value')
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new InvalidRecordError(`timestamp must be a non-negative integer (ms), got ${String(timestamp)}`)
    }
    const first = this.#count === 0 ? timestamp : this.#firstTimestamp
    const timestampDelta = timestamp - first
    if (headers !== this.#headers) {
      this.#headers = headers
      this.#headerBytes = encodeHeaders(headers)
    }
    const headerBytes = this.#headerBytes
    const body =
      1 +
      varlongSize(timestampDelta) +
      varintSize(this.#count) +
      (keyLength < 0 ? 1 : varintSize(keyLength) + keyLength) +
      (valueLength < 0 ? 1 : varintSize(valueLength) + valueLength) +
      headerBytes.length
    const end = this.#pos + varintSize(body) + body
    if (end > this.maxBytes && this.#count > 0) return false
    if (end > this.#buf.length) this.#grow(end)

    const buf = this.#buf
    let pos = writeVarint(buf, this.#pos, body)
    buf[pos++] = 0
    pos = writeVarlong(buf, pos, timestampDelta)
    pos = writeVarint(buf, pos, this.#count)
    pos = writeRange(buf, pos, key, keyStart, keyLength)
    pos = writeRange(buf, pos, value, valueStart, valueLength)
    if (headerBytes.length === 1) buf[pos++] = headerBytes[0]!
    else {
      buf.set(headerBytes, pos)
      pos += headerBytes.length
    }
    this.#pos = pos
    if (this.#count === 0) {
      this.#firstTimestamp = timestamp
      this.#maxTimestamp = timestamp
    } else if (timestamp > this.#maxTimestamp) this.#maxTimestamp = timestamp
    this.#count++
    return true
  }

  /**
   * The batch's bytes, header and CRC written, owned by the caller; the writer starts an empty batch.
   *
   * @throws InvalidStateError when the batch holds no record (Kafka takes no empty batch from a producer)
   *
   * @example
   * ```ts
   * const { baseOffset } = await bus.topic('lines').partition(0).appendEncoded(writer.finish())
   * ```
   */
  finish(): Buffer {
    const n = this.#count
    if (n === 0) throw new InvalidStateError('RecordBatchWriter.finish: the batch holds no record')
    const buf = this.#buf
    const size = this.#pos
    sealBatch(buf, size, {
      baseOffset: 0,
      partitionLeaderEpoch: NO_PARTITION_LEADER_EPOCH,
      attributes: 0,
      lastOffsetDelta: n - 1,
      baseTimestamp: this.#firstTimestamp,
      maxTimestamp: this.#maxTimestamp,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      count: n,
    })
    // The next batch gets a buffer of its own: the caller keeps this one.
    this.#capacity = Math.min(Math.max(size, BATCH_HEADER_BYTES + 1), this.maxBytes)
    this.#buf = Buffer.alloc(0)
    this.clear()
    return buf.subarray(0, size)
  }

  /**
   * Drops the records of the open batch (a record that turned out to be refused, say); the writer
   * starts an empty batch.
   *
   * @example
   * ```ts
   * writer.append(now, null, 0, 0, value, 0, value.length)
   * if (writer.sizeBytes > limit) writer.clear()
   * ```
   */
  clear(): void {
    this.#pos = BATCH_HEADER_BYTES
    this.#count = 0
  }

  #grow(needed: number): void {
    if (needed - LOG_OVERHEAD > INT32_MAX) {
      throw new InvalidRecordError(`A record batch of ${needed} bytes is past Kafka's limit`)
    }
    const size = Math.max(needed, this.#buf.length === 0 ? this.#capacity : 2 * this.#buf.length)
    const grown = Buffer.allocUnsafe(Math.min(size, Math.max(needed, this.maxBytes)))
    if (this.#pos > BATCH_HEADER_BYTES)
      this.#buf.copy(grown, BATCH_HEADER_BYTES, BATCH_HEADER_BYTES, this.#pos)
    this.#buf = grown
  }
}

function rangeLength(bytes: Uint8Array, start: number, end: number, field: 'key' | 'value'): number {
  if (
    !(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= bytes.length)
  ) {
    throw new InvalidRecordError(
      `${field} range [${String(start)}, ${String(end)}) is not within its ${bytes.length} bytes`,
    )
  }
  return end - start
}

function writeRange(
  buf: Buffer,
  pos: number,
  bytes: Uint8Array | null,
  start: number,
  length: number,
): number {
  if (bytes === null) {
    buf[pos] = 1 // zigzag(-1)
    return pos + 1
  }
  pos = writeVarint(buf, pos, length)
  if (length < SMALL_COPY_BYTES) {
    for (let i = 0; i < length; i++) buf[pos + i] = bytes[start + i]!
  } else {
    // A plain Uint8Array view (what Buffer#copy makes): a Buffer's subarray would build a Buffer.
    buf.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, length), pos)
  }
  return pos + length
}

function encodeHeaders(headers: RecordHeaders | undefined): Buffer {
  if (headers === undefined) return NO_HEADERS
  const bytes = Buffer.allocUnsafe(headersSize(headers))
  writeHeaders(bytes, 0, headers)
  return bytes
}

import { partitionForKey, RecordBatchWriter, type RecordHeaders, RecordTooLargeError } from '../../index'
import { CliError, ExitCode } from '../cli-error'
import type { PartitionBatches } from '../cluster/cluster'
import { type Format, parseField } from './field-format'

/** A partition's records gather into batches of about this size: each append costs the same. */
const BATCH_BYTES = 1 << 20
const NEWLINE = 10

/** How lines become records. */
export interface LineRecords {
  topic: string
  partitionCount: number
  /** The topic's `max.message.bytes`: a record whose batch alone is larger is refused. */
  maxMessageBytes: number
  /** Every record goes to this partition; otherwise by key (murmur2), or round-robin without one. */
  partition?: number
  /** Each line is key, separator, value (split at the first separator). */
  separator?: Buffer
  keyFormat: Format
  valueFormat: Format
  /** On every record. */
  headers?: RecordHeaders
}

/**
 * Turns input chunks into records, one a line, and the records into RecordBatch v2 batches per
 * partition, as `producer.send` would partition and stamp them. `\n` ends a line; its bytes are kept
 * as they are (a `\r` before it stays), and a last line without a newline is a line. A line's key and
 * value are copied straight from the chunk into its batch: no Buffer, string or object per line
 * (a line split across chunks is joined first, and the json and base64 formats look at a line's
 * text). A line that does not parse throws a CliError (ExitCode.badInput) naming it, a record too
 * large for the topic a RecordTooLargeError; everything before it can still be taken.
 */
export class LineBatcher {
  /** Lines read so far (at a line that throws, that line's number). */
  lines = 0
  readonly #spec: LineRecords
  readonly #writers: Array<RecordBatchWriter | undefined> = []
  #sealed = new Map<number, Buffer[]>()
  /** The start of a line that runs past the chunks read so far. */
  #carry: Buffer[] = []
  #roundRobin = 0
  #timestamp = 0

  constructor(spec: LineRecords) {
    this.#spec = spec
  }

  /** Reads the lines a chunk ends; the start of the next line waits for the next chunk. */
  push(chunk: Buffer): void {
    // One CreateTime per chunk read: the time a producer would stamp at send.
    this.#timestamp = Date.now()
    let from = 0
    let nl = chunk.indexOf(NEWLINE)
    if (this.#carry.length > 0) {
      if (nl === -1) {
        this.#carry.push(chunk)
        return
      }
      this.#carry.push(chunk.subarray(0, nl))
      const line = Buffer.concat(this.#carry)
      this.#carry = []
      this.#line(line, 0, line.length)
      from = nl + 1
      nl = chunk.indexOf(NEWLINE, from)
    }
    for (; nl !== -1; nl = chunk.indexOf(NEWLINE, from)) {
      this.#line(chunk, from, nl)
      from = nl + 1
    }
    if (from < chunk.length) this.#carry.push(chunk.subarray(from))
  }

  /** The input ended: a last line without a newline is a line. */
  end(): void {
    if (this.#carry.length === 0) return
    const line = Buffer.concat(this.#carry)
    this.#carry = []
    this.#timestamp = Date.now()
    this.#line(line, 0, line.length)
  }

  /**
   * The batches made so far, each partition's in order, taken: the full ones, or with `all` every
   * record read (partly filled batches too).
   */
  take(all: boolean): PartitionBatches {
    if (all) {
      this.#writers.forEach((writer, partition) => {
        if (writer !== undefined && writer.count > 0) this.#seal(partition, writer)
      })
    }
    const taken = this.#sealed
    this.#sealed = new Map()
    return taken
  }

  #line(buf: Buffer, start: number, end: number): void {
    const spec = this.#spec
    const n = ++this.lines
    let key: Uint8Array | null = null
    let keyStart = 0
    let keyEnd = 0
    let value: Uint8Array = buf
    let valueStart = start
    let valueEnd = end
    const separator = spec.separator
    if (separator !== undefined) {
      const at = buf.indexOf(separator, start)
      if (at === -1 || at + separator.length > end) {
        throw new CliError(`line ${n}: no key separator "${separator.toString()}" in it`, ExitCode.badInput)
      }
      key = buf
      keyStart = start
      keyEnd = at
      if (spec.keyFormat !== 'string') {
        key = parseField(buf.subarray(start, at), spec.keyFormat, `line ${n}: the key`)
        keyStart = 0
        keyEnd = key.length
      }
      valueStart = at + separator.length
    }
    if (spec.valueFormat !== 'string') {
      value = parseField(buf.subarray(valueStart, valueEnd), spec.valueFormat, `line ${n}: the value`)
      valueStart = 0
      valueEnd = value.length
    }
    const partition = this.#partitionOf(key, keyStart, keyEnd)
    let writer = this.#writers[partition]
    if (writer === undefined) {
      writer = new RecordBatchWriter({ maxBytes: Math.min(BATCH_BYTES, spec.maxMessageBytes) })
      this.#writers[partition] = writer
    }
    const t = this.#timestamp
    if (!writer.append(t, key, keyStart, keyEnd, value, valueStart, valueEnd, spec.headers)) {
      this.#seal(partition, writer)
      writer.append(t, key, keyStart, keyEnd, value, valueStart, valueEnd, spec.headers)
    }
    // Only a record alone in its batch can pass the limit: a fuller batch refused it above.
    if (writer.sizeBytes > spec.maxMessageBytes) {
      const size = writer.sizeBytes
      writer.clear()
      throw new RecordTooLargeError(spec.topic, size, spec.maxMessageBytes)
    }
  }

  #partitionOf(key: Uint8Array | null, keyStart: number, keyEnd: number): number {
    const { partition, partitionCount } = this.#spec
    if (partition !== undefined) return partition
    if (key === null) return this.#roundRobin++ % partitionCount
    return partitionForKey(
      new Uint8Array(key.buffer, key.byteOffset + keyStart, keyEnd - keyStart),
      partitionCount,
    )
  }

  #seal(partition: number, writer: RecordBatchWriter): void {
    const list = this.#sealed.get(partition)
    const bytes = writer.finish()
    if (list === undefined) this.#sealed.set(partition, [bytes])
    else list.push(bytes)
  }
}

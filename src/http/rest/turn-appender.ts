import {
  defaultPartitioner,
  encodeRecordBatch,
  type Partition,
  type Partitioner,
  RecordBatch,
  type RecordHeaders,
  raw,
  type Topic,
} from '../../index'

/** A key or value as a request gives it: text (written into the batch as UTF-8, never a Buffer of its own), bytes, or null. */
export type RestData = string | Buffer | null

/** Any view of a topic: the appender writes bytes, whatever the topic's codecs. */
type AnyTopic = Topic<unknown, unknown, never, never>

/** One record of a REST produce request (every field present, so that records share one shape). */
export interface RestRecord {
  readonly key: RestData
  readonly value: RestData
  /** Chosen by the request; otherwise Kafka's default partitioner picks it from the key. */
  readonly partition: number | undefined
  /** CreateTime in ms; the time of the append when absent. */
  readonly timestamp: number | undefined
  readonly headers: RecordHeaders | undefined
}

/**
 * Where each record of one `append` went, by its index in the request, or why it was not stored. Plain
 * arrays: a small typed array costs several times the memory of a small array, and most requests carry
 * one record.
 */
export class Deliveries {
  readonly partitions: number[]
  readonly offsets: number[]
  readonly timestamps: number[]
  #errors: Map<number, unknown> | undefined

  constructor(count: number) {
    this.partitions = new Array<number>(count)
    this.offsets = new Array<number>(count)
    this.timestamps = new Array<number>(count)
  }

  /** Why record `index` was not stored, or undefined when it was. */
  error(index: number): unknown {
    return this.#errors?.get(index)
  }

  /** Records `index` as refused with `error`. */
  fail(index: number, error: unknown): void {
    this.#errors ??= new Map()
    this.#errors.set(index, error)
  }
}

interface Part {
  readonly records: readonly RestRecord[]
  readonly deliveries: Deliveries
  readonly resolve: (deliveries: Deliveries) => void
}

/** The records of one partition in one turn, as (part, index in the part) pairs in the order they came. */
type Slots = Array<Part | number>

/** A RecordBatch v2 header; a record's framing besides its key, value and headers is at most this much more. */
const BATCH_OVERHEAD = 61
const RECORD_OVERHEAD = 36
const FORM = { keyCodec: raw(), valueCodec: raw() }

/** At least the bytes `data` takes in a batch: a string's UTF-16 units take at most 3 bytes of UTF-8 each. */
function sizeBound(data: RestData): number {
  return data === null ? 0 : typeof data === 'string' ? 3 * data.length : data.length
}

function recordBound(record: RestRecord): number {
  let size = RECORD_OVERHEAD + sizeBound(record.key) + sizeBound(record.value)
  const headers = record.headers
  if (headers !== undefined) {
    for (const name in headers) {
      const value = headers[name]!
      if (Buffer.isBuffer(value)) size += 10 + 3 * name.length + value.length
      else for (const v of value as readonly Buffer[]) size += 10 + 3 * name.length + v.length
    }
  }
  return size
}

/**
 * Appends what the requests of one event-loop turn send to a topic as Kafka record batches, as Kafka's
 * REST Proxy does through its shared producer: the records are partitioned (the request's partition,
 * or Kafka's default partitioner over the key's bytes), and each partition's records of the turn are
 * encoded once into one RecordBatch v2, their text written straight into it, and appended as a client's
 * batch is (`partition.appendEncoded`). Memory storage then keeps one Buffer per batch rather than one
 * per key and value, which the garbage collector would copy as long as they are kept. The batches leave
 * at the end of the turn (`setImmediate`), once every request that arrived with them has been read, so a
 * lone request waits for nothing.
 *
 * A partition's batches (each within the topic's `maxMessageBytes`) are handed to the log in order,
 * so records keep their order, and none waits for another to be durable. A refused batch wrote nothing: its records are then
 * appended one by one, so that one request's bad record (a record too large, a compacted topic's record
 * without a key) fails alone. Records appended this way are not seen by `bus.instrument`'s send hook nor
 * by the produce-latency histogram, which follow in-process producers, as for the wire protocol's
 * Produce.
 */
export class TurnAppender {
  readonly #partitioner: Partitioner = defaultPartitioner()
  #pending = new Map<AnyTopic, Part[]>()
  #scheduled = false

  /** Appends `records` to `topic` with the others of this turn; never rejects: failures are per record. */
  append(topic: AnyTopic, records: readonly RestRecord[]): Promise<Deliveries> {
    return new Promise((resolve) => {
      const part: Part = { records, deliveries: new Deliveries(records.length), resolve }
      const parts = this.#pending.get(topic)
      if (parts === undefined) this.#pending.set(topic, [part])
      else parts.push(part)
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(this.#flush)
      }
    })
  }

  readonly #flush = (): void => {
    this.#scheduled = false
    const pending = this.#pending
    this.#pending = new Map()
    for (const [topic, parts] of pending) this.#appendParts(topic, parts)
  }

  #appendParts(topic: AnyTopic, parts: readonly Part[]): void {
    const byPartition: Array<Slots | undefined> = []
    try {
      const partitionCount = topic.partitionCount
      for (const part of parts) {
        const records = part.records
        for (let i = 0; i < records.length; i++) {
          const record = records[i]!
          const p =
            record.partition ??
            this.#partitioner({ topic: topic.name, partitionCount, key: record.key, value: record.value })
          const slots = byPartition[p]
          if (slots === undefined) byPartition[p] = [part, i]
          else slots.push(part, i)
        }
      }
    } catch (error) {
      // The topic went away (or the bus closed) between the request's checks and this turn's end.
      for (const part of parts) {
        for (let i = 0; i < part.records.length; i++) part.deliveries.fail(i, error)
        part.resolve(part.deliveries)
      }
      return
    }
    const appended: Promise<void>[] = []
    const limit = topic.config.maxMessageBytes
    for (let p = 0; p < byPartition.length; p++) {
      const slots = byPartition[p]
      if (slots !== undefined) appended.push(appendPartition(topic, p, slots, limit))
    }
    void Promise.all(appended).then(() => {
      for (const part of parts) part.resolve(part.deliveries)
    })
  }
}

/**
 * Appends a partition's slots in batches within `limit` bytes. Every batch is handed to the log before
 * any is awaited: the log appends in call order, and a batch does not wait for the one before it to be
 * durable. Resolves once each is answered.
 */
async function appendPartition(topic: AnyTopic, p: number, slots: Slots, limit: number): Promise<void> {
  let partition: Partition<unknown, unknown>
  try {
    partition = topic.partition(p)
  } catch (error) {
    failSlots(slots, 0, slots.length, error)
    return
  }
  const appends: Promise<void>[] = []
  let from = 0
  let bytes = BATCH_OVERHEAD
  for (let at = 0; at < slots.length; at += 2) {
    const size = recordBound(recordAt(slots, at))
    if (at > from && bytes + size > limit) {
      appends.push(appendBatch(partition, p, slots, from, at))
      from = at
      bytes = BATCH_OVERHEAD
    }
    bytes += size
  }
  appends.push(appendBatch(partition, p, slots, from, slots.length))
  await Promise.all(appends)
}

function recordAt(slots: Slots, at: number): RestRecord {
  return (slots[at] as Part).records[slots[at + 1] as number]!
}

/**
 * Appends slots `[from, to)` as one batch (handed to the log before the first await). A refused batch
 * wrote nothing: its records are then appended one by one, so that only the bad ones fail.
 */
async function appendBatch(
  partition: Partition<unknown, unknown>,
  p: number,
  slots: Slots,
  from: number,
  to: number,
): Promise<void> {
  const count = (to - from) / 2
  const now = Date.now()
  const keys = new Array<RestData>(count)
  const values = new Array<RestData>(count)
  let headers: Array<RecordHeaders | undefined> | null = null
  let timestamps: Float64Array | null = null
  let maxTimestamp = now
  for (let i = 0; i < count; i++) {
    const record = recordAt(slots, from + 2 * i)
    keys[i] = record.key
    values[i] = record.value
    if (record.headers !== undefined) {
      headers ??= new Array<RecordHeaders | undefined>(count)
      headers[i] = record.headers
    }
    if (record.timestamp !== undefined) timestamps ??= new Float64Array(count).fill(now)
    if (timestamps !== null) {
      const timestamp = record.timestamp ?? now
      timestamps[i] = timestamp
      if (i === 0 || timestamp > maxTimestamp) maxTimestamp = timestamp
    }
  }
  const firstTimestamp = timestamps === null ? now : timestamps[0]!
  try {
    const batch = RecordBatch.fromColumns(
      FORM,
      { keys, values, headers, timestamps, offsetDeltas: null, start: 0 },
      { count, firstTimestamp, maxTimestamp, sizeBytes: 0 },
    )
    const { baseOffset } = await partition.appendEncoded(encodeRecordBatch(batch))
    for (let i = 0; i < count; i++) {
      const part = slots[from + 2 * i] as Part
      const index = slots[from + 2 * i + 1] as number
      part.deliveries.partitions[index] = p
      part.deliveries.offsets[index] = baseOffset + i
      part.deliveries.timestamps[index] = timestamps === null ? now : timestamps[i]!
    }
  } catch (error) {
    if (count === 1) failSlots(slots, from, to, error)
    else {
      const singles: Promise<void>[] = []
      for (let at = from; at < to; at += 2) singles.push(appendBatch(partition, p, slots, at, at + 2))
      await Promise.all(singles)
    }
  }
}

function failSlots(slots: Slots, from: number, to: number, error: unknown): void {
  for (let at = from; at < to; at += 2) (slots[at] as Part).deliveries.fail(slots[at + 1] as number, error)
}

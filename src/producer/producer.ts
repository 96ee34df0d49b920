import type { Partition } from '../bus/partition'
import type { Topic } from '../bus/topic'
import { BufferExhaustedError, ClosedError, InvalidRecordError, RecordTooLargeError } from '../errors'
import { TypedEmitter } from '../events/typed-emitter'
import type { LogRecord } from '../record/log-record'
import type { Clock, ClockTimer } from '../util/clock'
import { type Deferred, deferred } from '../util/deferred'
import { parseOptions } from '../util/options'
import {
  buildRecord,
  checkedRecordSize,
  type Message,
  type PartitionChooser,
  type RawValue,
  type RecordMetadata,
} from './message'
import { type ProducerOptions, producerOptionsSchema, type ResolvedProducerOptions } from './options'
import { partitionForKey, roundRobinCounter } from './partitioner'

/** Not public: what a producer needs from its bus. */
export interface ProducerHost {
  readonly clock: Clock
  topic(name: string): Topic<unknown>
  producerClosed(producer: Producer): void
}

/**
 * Events of a producer.
 *
 * @example
 * ```ts
 * producer.on('batch', ({ topic, partition, baseOffset, count }) => metrics.add(count))
 * ```
 */
export interface ProducerEvents {
  /** A batch was stored. Emitted only when someone listens, so it costs nothing otherwise. */
  batch: { topic: string; partition: number; baseOffset: number; count: number; bytes: number }
  close: Record<string, never>
}

/** Drains in a row on the microtask queue before one yields to the event loop. */
const MICROTASK_DRAINS_PER_TURN = 256

/** Records bound for one partition that are appended together. */
interface Batch {
  readonly partition: Partition
  readonly records: LogRecord[]
  bytes: number
  readonly done: Deferred<void>
}

/** A send waiting for buffer space, granted strictly in arrival order so sends keep their order. */
interface BlockedSend {
  readonly bytes: number
  readonly granted: Deferred<void>
  timer: ClockTimer | undefined
}

/**
 * Sends records to topics. Records are batched per partition (by `batchBytes` and `lingerMs`), and
 * each batch is one append to the partition log. Unsent bytes are bounded by `bufferBytes`: when the
 * buffer is full, `send` waits up to `maxBlockMs` (backpressure), then rejects.
 *
 * @example
 * ```ts
 * const producer = bus.producer()
 * const meta = await producer.send('orders', { key: 'u1', value: JSON.stringify({ total: 10 }) })
 * const metas = await producer.send('orders', [{ value: 'a' }, { value: 'b' }])
 * await producer.close()
 * ```
 */
export class Producer extends TypedEmitter<ProducerEvents> {
  readonly #host: ProducerHost
  readonly #options: ResolvedProducerOptions
  readonly #choosePartition: PartitionChooser
  readonly #open = new Map<Partition, Batch>()
  readonly #inFlight = new Set<Batch>()
  readonly #blocked: BlockedSend[] = []
  #buffered = 0
  #drainScheduled = false
  #microtaskDrains = 0
  #lingerTimer: ClockTimer | undefined
  #closing: Promise<void> | undefined

  /** @internal Use `bus.producer()`. */
  constructor(host: ProducerHost, options?: ProducerOptions) {
    super()
    this.#host = host
    this.#options = parseOptions(producerOptionsSchema, options, 'producer')
    this.#choosePartition = makeChooser(this.#options.partitioner)
  }

  /**
   * Sends one message (resolves to its metadata) or an array (resolves to an array, same order).
   * Every message is validated before any is written: a bad one rejects the whole call and nothing of
   * it is stored. Resolves once every record is stored per the storage's durability policy.
   *
   * @example
   * ```ts
   * const { partition, offset } = await producer.send('orders', { key: 'u1', value: 'created' })
   * ```
   */
  send<T>(topic: Topic<T, unknown>, message: Message<T>): Promise<RecordMetadata>
  send<T>(topic: Topic<T, unknown>, messages: Message<T>[]): Promise<RecordMetadata[]>
  send(topic: string, message: Message<RawValue>): Promise<RecordMetadata>
  send(topic: string, messages: Message<RawValue>[]): Promise<RecordMetadata[]>
  async send(
    topicOrName: string | Topic<unknown>,
    input: Message<unknown> | Message<unknown>[],
  ): Promise<RecordMetadata | RecordMetadata[]> {
    if (this.#closing !== undefined) throw new ClosedError('Producer')
    const topic = this.#host.topic(typeof topicOrName === 'string' ? topicOrName : topicOrName.name)
    const timestamp = this.#host.clock.now()

    if (!Array.isArray(input)) {
      const record = buildRecord(topic, input, timestamp, this.#choosePartition)
      const size = checkedRecordSize(topic, record)
      const wait = this.#reserve(topic.name, size)
      if (wait !== undefined) await wait
      await this.#enqueue(topic, record, size).done.promise
      return {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        timestamp: record.timestamp,
      }
    }

    if (input.length === 0) return []
    const records = new Array<LogRecord>(input.length)
    const sizes = new Array<number>(input.length)
    let total = 0
    for (let i = 0; i < input.length; i++) {
      const record = buildRecord(topic, input[i]!, timestamp, this.#choosePartition)
      records[i] = record
      sizes[i] = checkedRecordSize(topic, record)
      total += sizes[i]!
    }
    const wait = this.#reserve(topic.name, total)
    if (wait !== undefined) await wait
    const batches = new Set<Batch>()
    for (let i = 0; i < records.length; i++) batches.add(this.#enqueue(topic, records[i]!, sizes[i]!))
    if (batches.size === 1) await batches.values().next().value!.done.promise
    else await Promise.all(Array.from(batches, (batch) => batch.done.promise))
    return records.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
    }))
  }

  /**
   * Appends every batch now, without waiting for `lingerMs`, and resolves once every send made before
   * the call has been stored (or has failed).
   *
   * @example
   * ```ts
   * void producer.send('orders', { value: 'x' })
   * await producer.flush()
   * ```
   */
  async flush(): Promise<void> {
    const lastBlocked = this.#blocked.at(-1)
    if (lastBlocked !== undefined) await lastBlocked.granted.promise.catch(() => undefined)
    this.#drainAll()
    if (this.#inFlight.size > 0) {
      await Promise.allSettled(Array.from(this.#inFlight, (batch) => batch.done.promise))
    }
  }

  /**
   * Stops accepting sends, stores everything already accepted, and releases the producer. Idempotent.
   *
   * @example
   * ```ts
   * await producer.close()
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.flush()
      if (this.#lingerTimer !== undefined) this.#host.clock.clearTimeout(this.#lingerTimer)
      this.#host.producerClosed(this)
      this.emit('close', {})
      this.removeAllListeners()
    })()
    return this.#closing
  }

  /**
   * Same as `close()`, for `await using producer = bus.producer()`.
   *
   * @example
   * ```ts
   * await using producer = bus.producer()
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** Bytes accepted but not yet stored. */
  get bufferedBytes(): number {
    return this.#buffered
  }

  /** Takes `bytes` of buffer space, waiting behind earlier blocked sends so that order holds. */
  #reserve(topic: string, bytes: number): Promise<void> | undefined {
    const limit = this.#options.bufferBytes
    if (bytes > limit) throw new RecordTooLargeError(topic, bytes, limit, 'bufferBytes')
    if (this.#blocked.length === 0 && this.#buffered + bytes <= limit) {
      this.#buffered += bytes
      return undefined
    }
    const maxBlockMs = this.#options.maxBlockMs
    if (maxBlockMs === 0) {
      throw new BufferExhaustedError(`Producer buffer is full (${this.#buffered} of ${limit} bytes)`)
    }
    const entry: BlockedSend = { bytes, granted: deferred(), timer: undefined }
    entry.timer = this.#host.clock.setTimeout(() => {
      const index = this.#blocked.indexOf(entry)
      if (index === -1) return
      this.#blocked.splice(index, 1)
      entry.granted.reject(
        new BufferExhaustedError(
          `Producer buffer stayed full for maxBlockMs ${maxBlockMs} (${this.#buffered} of ${limit} bytes)`,
        ),
      )
      this.#grantBlocked()
    }, maxBlockMs)
    this.#blocked.push(entry)
    return entry.granted.promise
  }

  #grantBlocked(): void {
    const limit = this.#options.bufferBytes
    while (this.#blocked.length > 0 && this.#buffered + this.#blocked[0]!.bytes <= limit) {
      const entry = this.#blocked.shift()!
      if (entry.timer !== undefined) this.#host.clock.clearTimeout(entry.timer)
      this.#buffered += entry.bytes
      entry.granted.resolve()
    }
  }

  #enqueue(topic: Topic<unknown>, record: LogRecord, size: number): Batch {
    const partition = topic.partitionList[record.partition]!
    let batch = this.#open.get(partition)
    if (batch !== undefined && batch.bytes + size > this.#options.batchBytes) {
      this.#dispatch(batch)
      batch = undefined
    }
    if (batch === undefined) {
      batch = { partition, records: [], bytes: 0, done: deferred() }
      this.#open.set(partition, batch)
      this.#scheduleDrain()
    }
    batch.records.push(record)
    batch.bytes += size
    if (batch.bytes >= this.#options.batchBytes) this.#dispatch(batch)
    return batch
  }

  #scheduleDrain(): void {
    if (this.#options.lingerMs === 0) {
      if (this.#drainScheduled) return
      this.#drainScheduled = true
      const drain = (): void => {
        this.#drainScheduled = false
        this.#drainAll()
      }
      // Over memory, a `while (…) await send()` loop would otherwise run on microtasks alone and
      // starve timers and I/O: every so many drains, one waits for the next turn of the event loop.
      if (++this.#microtaskDrains < MICROTASK_DRAINS_PER_TURN) queueMicrotask(drain)
      else {
        this.#microtaskDrains = 0
        setImmediate(drain)
      }
    } else if (this.#lingerTimer === undefined) {
      this.#lingerTimer = this.#host.clock.setTimeout(() => {
        this.#lingerTimer = undefined
        this.#drainAll()
      }, this.#options.lingerMs)
    }
  }

  #drainAll(): void {
    for (const batch of this.#open.values()) this.#dispatch(batch)
  }

  /** Appends a sealed batch; the partition log keeps appends in call order. */
  #dispatch(batch: Batch): void {
    this.#open.delete(batch.partition)
    this.#inFlight.add(batch)
    let result: number | Promise<number>
    try {
      result = batch.partition.append(batch.records, batch.bytes)
    } catch (error) {
      this.#settle(batch, error)
      return
    }
    if (typeof result === 'number') this.#settle(batch, undefined, result)
    else
      result.then(
        (baseOffset) => this.#settle(batch, undefined, baseOffset),
        (error: unknown) => this.#settle(batch, error),
      )
  }

  #settle(batch: Batch, error: unknown, baseOffset = -1): void {
    this.#inFlight.delete(batch)
    this.#buffered -= batch.bytes
    if (error === undefined) {
      batch.done.resolve()
      if (this.hasListeners('batch')) {
        this.emit('batch', {
          topic: batch.partition.topic,
          partition: batch.partition.partition,
          baseOffset,
          count: batch.records.length,
          bytes: batch.bytes,
        })
      }
    } else {
      batch.done.reject(error)
    }
    if (this.#blocked.length > 0) this.#grantBlocked()
  }
}

function makeChooser(option: ResolvedProducerOptions['partitioner']): PartitionChooser {
  if (typeof option === 'function') {
    return (topic, key, value) => {
      const partition = option({ topic: topic.name, partitionCount: topic.partitionCount, key, value })
      if (!Number.isInteger(partition) || partition < 0 || partition >= topic.partitionCount) {
        throw new InvalidRecordError(
          `The partitioner returned ${String(partition)} for topic "${topic.name}" with ${topic.partitionCount} partitions`,
        )
      }
      return partition
    }
  }
  // The built-in partitioners, without the per-record input object a Partitioner function takes.
  const next = roundRobinCounter()
  const roundRobin = (topic: Topic<unknown>): number => next(topic.name, topic.partitionCount)
  if (option === 'round-robin') return roundRobin
  return (topic, key) => (key === null ? roundRobin(topic) : partitionForKey(key, topic.partitionCount))
}

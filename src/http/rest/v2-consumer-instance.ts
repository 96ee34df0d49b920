import type { BatchPayload, Bus, Consumer, LogRecord, TopicPartition } from '../../index'
import { RestError, restErrorOf } from '../rest-error'
import { type BytesTopic, bytesTopic, type EmbeddedFormat, v2Decode } from './embedded-data'

/** Where a logbus consumer reads: a group's subscription, or partitions assigned by the client. */
type Placement =
  | { groupId: string; topics: BytesTopic[] | RegExp }
  | { groupId: string; assign: Array<{ topic: BytesTopic; partition: number }> }

/** A record as Confluent's v2 `GET records` returns it. */
export interface V2Record {
  topic: string
  key: unknown
  value: unknown
  partition: number
  offset: number
}

/** A fetched batch waiting for polls: held (its partition paused) until every record was returned. */
interface Pending {
  readonly topic: string
  readonly partition: number
  readonly records: readonly LogRecord<Buffer | null, Buffer | null>[]
  readonly resolveOffset: (offset: number) => void
  next: number
}

/** What a REST consumer instance is created with (`POST /consumers/{group}`). */
export interface InstanceConfig {
  readonly format: EmbeddedFormat
  readonly autoOffsetReset: 'earliest' | 'latest' | 'none'
  readonly autoCommit: boolean
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`

/**
 * One v2 consumer instance over a logbus consumer. Kafka's poll loop in a pull API: the logbus
 * consumer pushes each batch into a queue and pauses that partition; `GET records` takes records off
 * the queue and marks them consumed (the position a commit without offsets commits, as Kafka's
 * `commitSync()`), and resumes a partition once its batch is returned. A revoke or a seek drops what was
 * fetched and not returned, as Kafka's consumer does.
 */
export class RestConsumerInstance {
  #consumer: Consumer | undefined
  #subscription: { topics: string[] } | { pattern: RegExp } | undefined
  #assigned: TopicPartition[] | undefined
  #joining: Promise<void> = Promise.resolve()
  readonly #queue: Pending[] = []
  #wake: (() => void) | undefined
  /** When a request last used it, on the bus's clock (what idle expiry measures). */
  lastUsed: number
  #closed = false

  constructor(
    private readonly bus: Bus,
    readonly group: string,
    readonly name: string,
    readonly config: InstanceConfig,
  ) {
    this.lastUsed = bus.clock.now()
  }

  touch(): void {
    this.lastUsed = this.bus.clock.now()
  }

  subscription(): string[] {
    const subscription = this.#subscription
    if (subscription === undefined) return []
    if ('topics' in subscription) return subscription.topics
    return this.bus.listTopics().filter((t) => subscription.pattern.test(t))
  }

  assignment(): TopicPartition[] {
    return this.#consumer?.assignment() ?? this.#assigned ?? []
  }

  async subscribe(target: { topics: string[] } | { pattern: RegExp }): Promise<void> {
    if (this.#assigned !== undefined) {
      throw new RestError(
        409,
        40901,
        'Consumer cannot subscribe the the specified target because it has already subscribed to other topics.',
      )
    }
    await this.#stop()
    this.#subscription = target
    const topics = 'topics' in target ? target.topics.map((t) => this.#view(t)) : target.pattern
    this.#start({ groupId: this.group, topics })
  }

  async unsubscribe(): Promise<void> {
    await this.#stop()
    this.#subscription = undefined
    this.#assigned = undefined
  }

  async assign(partitions: TopicPartition[]): Promise<void> {
    if (this.#subscription !== undefined) {
      throw new RestError(
        409,
        40903,
        'Illegal state: Subscription to topics, partitions and pattern are mutually exclusive',
      )
    }
    await this.#stop()
    this.#assigned = partitions
    if (partitions.length === 0) return
    const assign = partitions.map(({ topic, partition }) => {
      const view = this.#view(topic)
      if (partition >= view.partitionCount) throw new RestError(404, 40402, 'Partition not found.')
      return { topic: view, partition }
    })
    this.#start({ groupId: this.group, assign })
  }

  /** Records fetched and not yet returned, up to about `maxBytes` of keys and values (at least one). */
  async poll(timeoutMs: number, maxBytes: number): Promise<V2Record[]> {
    const consumer = this.#consumer
    if (consumer === undefined) {
      throw new RestError(
        409,
        40903,
        'Illegal state: Consumer is not subscribed to any topics or assigned any partitions',
      )
    }
    const deadline = Date.now() + timeoutMs
    await Promise.race([this.#joining, delay(timeoutMs)])
    if (this.#queue.length === 0) {
      const left = deadline - Date.now()
      if (left > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, left)
          function done(): void {
            clearTimeout(timer)
            resolve()
          }
          this.#wake = done
        })
        this.#wake = undefined
      }
    }
    return this.#take(maxBytes)
  }

  async commit(
    offsets: Array<{ topic: string; partition: number; offset: number }> | undefined,
  ): Promise<void> {
    const consumer = this.#requireConsumer()
    try {
      // v2 names the last record consumed; Kafka commits the next offset to read.
      await consumer.commit(
        offsets?.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset + 1 })),
      )
    } catch (error) {
      throw restErrorOf(error, 'v2')
    }
  }

  committed(
    partitions: TopicPartition[],
  ): Array<{ topic: string; partition: number; offset: number; metadata: string }> {
    const group = this.bus.group(this.group)
    return partitions.map(({ topic, partition }) => ({
      topic,
      partition,
      offset: group.committedOffset(topic, partition) ?? -1,
      metadata: '',
    }))
  }

  /** Moves positions: to offsets, or to the beginning or end of the partitions (evaluated now). */
  seek(targets: Array<{ topic: string; partition: number; offset: number | 'beginning' | 'end' }>): void {
    const consumer = this.#requireConsumer()
    const assigned = new Set(consumer.assignment().map((tp) => tpKey(tp.topic, tp.partition)))
    for (const target of targets) {
      if (!assigned.has(tpKey(target.topic, target.partition))) {
        throw new RestError(
          409,
          40903,
          `Illegal state: No current assignment for partition ${target.topic}-${target.partition}`,
        )
      }
    }
    for (const { topic, partition, offset } of targets) {
      const p = this.bus.topic(topic).partition(partition)
      const to = offset === 'beginning' ? p.logStartOffset : offset === 'end' ? p.logEndOffset : offset
      this.#drop(topic, partition)
      consumer.seek({ topic, partition, offset: to })
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#stop()
  }

  #view(topic: string): BytesTopic {
    return bytesTopic(this.bus, topic, 'v2')
  }

  #start(placement: Placement): void {
    const consumer = this.bus.consumer({
      ...placement,
      autoOffsetReset: this.config.autoOffsetReset,
      autoCommit: this.config.autoCommit,
      clientId: this.name,
      partitionsConsumedConcurrently: 64,
      // A REST client polls when it likes: Kafka's default max.poll.interval.ms would evict an idle one.
      maxPollIntervalMs: null,
    }) as unknown as Consumer<LogRecord<Buffer | null, Buffer | null>>
    consumer.on('partitionsRevoked', ({ partitions }) => {
      for (const { topic, partition } of partitions) this.#drop(topic, partition)
    })
    this.#consumer = consumer as unknown as Consumer
    this.#joining = consumer
      .run({
        eachBatchAutoResolve: false,
        eachBatch: (batch: BatchPayload<LogRecord<Buffer | null, Buffer | null>>) => {
          if (batch.isStale()) return
          consumer.pause([{ topic: batch.topic, partition: batch.partition }])
          this.#queue.push({
            topic: batch.topic,
            partition: batch.partition,
            records: batch.records,
            resolveOffset: batch.resolveOffset,
            next: 0,
          })
          this.#wake?.()
        },
      })
      .catch(() => undefined)
  }

  #take(maxBytes: number): V2Record[] {
    const out: V2Record[] = []
    let bytes = 0
    const consumer = this.#consumer!
    while (this.#queue.length > 0) {
      const pending = this.#queue[0]!
      while (pending.next < pending.records.length) {
        const record = pending.records[pending.next]!
        const size = (record.key?.length ?? 0) + (record.value?.length ?? 0)
        if (out.length > 0 && bytes + size > maxBytes) break
        out.push({
          topic: record.topic,
          key: v2Decode(record.key, this.config.format),
          value: v2Decode(record.value, this.config.format),
          partition: record.partition,
          offset: record.offset,
        })
        bytes += size
        pending.next++
      }
      if (pending.next > 0) pending.resolveOffset(pending.records[pending.next - 1]!.offset)
      if (pending.next < pending.records.length) break
      this.#queue.shift()
      consumer.resume([{ topic: pending.topic, partition: pending.partition }])
    }
    return out
  }

  /** Forgets what was fetched from a partition and not returned, and lets it be fetched again. */
  #drop(topic: string, partition: number): void {
    const before = this.#queue.length
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      const p = this.#queue[i]!
      if (p.topic === topic && p.partition === partition) this.#queue.splice(i, 1)
    }
    if (this.#queue.length !== before || this.#consumer !== undefined) {
      try {
        this.#consumer?.resume([{ topic, partition }])
      } catch {
        // The consumer is closing.
      }
    }
  }

  #requireConsumer(): Consumer {
    if (this.#consumer === undefined) {
      throw new RestError(
        409,
        40903,
        'Illegal state: Consumer is not subscribed to any topics or assigned any partitions',
      )
    }
    return this.#consumer
  }

  async #stop(): Promise<void> {
    const consumer = this.#consumer
    this.#consumer = undefined
    this.#queue.length = 0
    this.#wake?.()
    if (consumer !== undefined) await consumer.close().catch(() => undefined)
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

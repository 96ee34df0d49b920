import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Bus, LogRecord } from '../../index'
import type { BytesTopic } from '../rest/embedded-data'
import { toWire, type WireRecord } from './browse'

/** How often a tail sends what arrived, and how many records one message carries at most. */
const FLUSH_MS = 100
const MAX_PER_FLUSH = 200
const KEEPALIVE_MS = 15_000

/**
 * A live tail over server-sent events. A consumer without a group reads the topic's partitions (or one)
 * from their ends as they were when the tail opened (partitions added later are not followed); arrivals are coalesced every FLUSH_MS into one `records` event with at most
 * MAX_PER_FLUSH records (the newest) and the count of those left out, so that 10k records/s cost the
 * page ten small messages a second. While the client reads slower than that (the socket's buffer is
 * full), records are counted, not queued: memory stays bounded whatever the rate.
 */
export class LiveTail {
  #kept: WireRecord[] = []
  #skipped = 0
  #total = 0
  #closed = false
  readonly #flushTimer: NodeJS.Timeout
  readonly #keepAlive: NodeJS.Timeout
  readonly #consumer

  constructor(
    bus: Bus,
    topic: BytesTopic,
    partition: number | undefined,
    private readonly res: ServerResponse,
    private readonly onEnd: () => void,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.write(`retry: 2000\nevent: ready\ndata: ${JSON.stringify({ topic: topic.name, partition })}\n\n`)
    // Positions are fixed now, at each partition's end: whatever is sent once `ready` went out is seen.
    const partitions = partition === undefined ? topic.partitions : [topic.partition(partition)]
    this.#consumer = bus.consumer({
      assign: partitions.map((p) => ({ topic, partition: p.partition, offset: p.logEndOffset })),
    })
    void this.#consumer
      .run({
        eachBatch: ({ records }) => this.#take(records as readonly LogRecord<Buffer | null, Buffer | null>[]),
      })
      .catch(() => this.close())
    this.#flushTimer = setInterval(() => this.#flush(), FLUSH_MS)
    this.#keepAlive = setInterval(() => this.#write(': keep-alive\n\n'), KEEPALIVE_MS)
  }

  /** Waits for the tail's consumer to be reading (tests use it to know that a record sent now is seen). */
  ready(): Promise<void> {
    return this.#consumer.joined()
  }

  #take(records: readonly LogRecord<Buffer | null, Buffer | null>[]): void {
    this.#total += records.length
    if (this.res.writableNeedDrain) {
      this.#skipped += records.length
      return
    }
    // Only the newest MAX_PER_FLUSH are turned into messages: the others are counted.
    const from = Math.max(0, records.length - MAX_PER_FLUSH)
    this.#skipped += from
    for (let i = from; i < records.length; i++) this.#kept.push(toWire(records[i]!))
    if (this.#kept.length > MAX_PER_FLUSH) {
      const drop = this.#kept.length - MAX_PER_FLUSH
      this.#kept.splice(0, drop)
      this.#skipped += drop
    }
  }

  #flush(): void {
    if (this.#kept.length === 0 && this.#skipped === 0) return
    if (this.res.writableNeedDrain) return
    const message = { records: this.#kept, skipped: this.#skipped, total: this.#total }
    this.#kept = []
    this.#skipped = 0
    this.#write(`event: records\ndata: ${JSON.stringify(message)}\n\n`)
  }

  #write(text: string): void {
    if (!this.#closed && !this.res.writableEnded) this.res.write(text)
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    clearInterval(this.#flushTimer)
    clearInterval(this.#keepAlive)
    if (!this.res.writableEnded) this.res.end()
    this.onEnd()
    return this.#consumer.close().catch(() => undefined)
  }
}

/** Ends the tail when the client goes away. */
export function endWithRequest(req: IncomingMessage, tail: LiveTail): void {
  req.once('close', () => void tail.close())
}

import {
  EMPTY_HEADERS,
  type Message,
  type MessageHeaders,
  type Producer,
  type RecordHeaders,
  type RecordMetadata,
  type Topic,
} from '../../index'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/** Where an application's records go: a producer, or (later) a transaction of one. */
export interface RecordSink {
  send(topic: string | AnyTopic, messages: readonly Message<unknown, unknown>[]): Promise<RecordMetadata[]>
}

/** The producer as a sink. */
export function producerSink(producer: Producer): RecordSink {
  return {
    send: (topic, messages) =>
      typeof topic === 'string'
        ? producer.send(topic, messages as readonly Message[])
        : producer.send(topic, messages),
  }
}

/** Records per send: a commit may write a changelog record for every key, and a send must fit the producer's buffer. */
const SEND_CHUNK = 8192

/**
 * The records processing produced, per topic, until the batch being processed is done: then each
 * topic's records go in one send (one batch per partition), not one send per record — in chunks, so
 * that a large commit never asks the producer for more than its buffer at once.
 */
export class Outputs {
  #pending = new Map<string | AnyTopic, Message<unknown, unknown>[]>()
  #discarded = false

  constructor(
    private readonly sink: RecordSink,
    private readonly failed: (
      error: unknown,
      topic: string | AnyTopic,
      messages: readonly Message<unknown, unknown>[],
    ) => void,
  ) {}

  add(
    topic: string | AnyTopic,
    key: unknown,
    value: unknown,
    timestamp: number,
    headers: RecordHeaders | MessageHeaders,
  ): void {
    let list = this.#pending.get(topic)
    if (list === undefined) {
      list = []
      this.#pending.set(topic, list)
    }
    list.push({ key, value, timestamp, headers: headers === EMPTY_HEADERS ? undefined : headers })
  }

  /** Adds records as they are (changelog records carry their partition). */
  addAll(topic: string | AnyTopic, messages: readonly Message<unknown, unknown>[]): void {
    if (messages.length === 0) return
    const list = this.#pending.get(topic)
    if (list === undefined) this.#pending.set(topic, [...messages])
    else list.push(...messages)
  }

  /** Drops what is pending, and everything added later: its transaction is aborted. */
  discard(): void {
    this.#discarded = true
    this.#pending.clear()
  }

  /** Sends what is pending; failures go to the failure handler, never unobserved. */
  flush(): void {
    if (this.#pending.size === 0) return
    if (this.#discarded) {
      this.#pending.clear()
      return
    }
    const pending = this.#pending
    this.#pending = new Map()
    for (const [topic, all] of pending) {
      for (let at = 0; at < all.length; at += SEND_CHUNK) {
        const messages = all.length <= SEND_CHUNK ? all : all.slice(at, at + SEND_CHUNK)
        this.sink.send(topic, messages).catch((error: unknown) => this.failed(error, topic, messages))
      }
    }
  }
}

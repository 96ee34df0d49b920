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

/** Queues one record for the topic it was made for. */
export type Emit = (key: unknown, value: unknown, timestamp: number, headers: RecordHeaders) => void

/** The records queued for one topic since the last flush. */
interface Channel {
  readonly topic: string | AnyTopic
  messages: Message<unknown, unknown>[]
}

/**
 * The records processing produced, per topic, until the batch being processed is done: then each
 * topic's records go in one send (one batch per partition), not one send per record — in chunks, so
 * that a large commit never asks the producer for more than its buffer at once. A sink gets its
 * topic's queue once (`emitter`), so queueing a record is a push, with no lookup.
 */
export class Outputs {
  readonly #channels = new Map<string | AnyTopic, Channel>()
  /** The channels with records queued, in the order their first record came. */
  #queued: Channel[] = []
  #discarded = false

  constructor(
    private readonly sink: RecordSink,
    private readonly failed: (
      error: unknown,
      topic: string | AnyTopic,
      messages: readonly Message<unknown, unknown>[],
    ) => void,
  ) {}

  /** A function that queues records for `topic`. */
  emitter(topic: string | AnyTopic): Emit {
    const channel = this.#channel(topic)
    return (key, value, timestamp, headers) => {
      const messages = channel.messages
      if (messages.length === 0) this.#queued.push(channel)
      messages.push({ key, value, timestamp, headers: headers === EMPTY_HEADERS ? undefined : headers })
    }
  }

  add(
    topic: string | AnyTopic,
    key: unknown,
    value: unknown,
    timestamp: number,
    headers: RecordHeaders | MessageHeaders,
  ): void {
    this.#queue(this.#channel(topic), [
      { key, value, timestamp, headers: headers === EMPTY_HEADERS ? undefined : headers },
    ])
  }

  /**
   * Adds records as they are (changelog records carry their partition). The array becomes the
   * queue's own when nothing is queued for the topic yet: the caller must not touch it again.
   */
  addAll(topic: string | AnyTopic, messages: Message<unknown, unknown>[]): void {
    if (messages.length === 0) return
    const channel = this.#channel(topic)
    if (channel.messages.length > 0) this.#queue(channel, messages)
    else {
      channel.messages = messages
      this.#queued.push(channel)
    }
  }

  /** Drops what is pending, and everything added later: its transaction is aborted. */
  discard(): void {
    this.#discarded = true
    this.#clear()
  }

  /** Sends what is pending; failures go to the failure handler, never unobserved. */
  flush(): void {
    if (this.#queued.length === 0) return
    if (this.#discarded) {
      this.#clear()
      return
    }
    const queued = this.#queued
    this.#queued = []
    for (const channel of queued) {
      const all = channel.messages
      channel.messages = []
      const topic = channel.topic
      for (let at = 0; at < all.length; at += SEND_CHUNK) {
        const messages = all.length <= SEND_CHUNK ? all : all.slice(at, at + SEND_CHUNK)
        this.sink.send(topic, messages).catch((error: unknown) => this.failed(error, topic, messages))
      }
    }
  }

  #channel(topic: string | AnyTopic): Channel {
    let channel = this.#channels.get(topic)
    if (channel === undefined) {
      channel = { topic, messages: [] }
      this.#channels.set(topic, channel)
    }
    return channel
  }

  #queue(channel: Channel, messages: readonly Message<unknown, unknown>[]): void {
    if (channel.messages.length === 0) this.#queued.push(channel)
    for (const message of messages) channel.messages.push(message)
  }

  #clear(): void {
    for (const channel of this.#queued) channel.messages = []
    this.#queued = []
  }
}

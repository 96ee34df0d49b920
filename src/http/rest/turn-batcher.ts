import type { Message, Producer, RecordMetadata } from '../../index'
import type { BytesTopic } from './embedded-data'

type BytesMessage = Message<Buffer | null, Buffer | null>

interface Part {
  readonly messages: readonly BytesMessage[]
  readonly resolve: (metadata: RecordMetadata[]) => void
  readonly reject: (error: unknown) => void
}

/**
 * Gathers what the requests of one turn of the event loop send to a topic into one producer send, as
 * Kafka's REST Proxy shares one producer whose batches take the records of concurrent requests. A
 * request of one record would otherwise be a batch of its own: an append, a wake-up of each reader and
 * a metadata array per record. The send leaves at the end of the turn (`setImmediate`), once every
 * request that arrived with it has been read, so a lone request waits for nothing.
 *
 * The producer stores a send all or nothing: when the gathered send fails, each request's records are
 * sent again on their own, so that one request's bad record does not fail the others.
 */
export class TurnBatcher {
  readonly #producer: Producer
  #pending = new Map<BytesTopic, Part[]>()
  #scheduled = false

  constructor(producer: Producer) {
    this.#producer = producer
  }

  /** Sends `messages` to `topic` with the others of this turn; resolves with their metadata, in order. */
  send(topic: BytesTopic, messages: readonly BytesMessage[]): Promise<RecordMetadata[]> {
    return new Promise((resolve, reject) => {
      const parts = this.#pending.get(topic)
      if (parts === undefined) this.#pending.set(topic, [{ messages, resolve, reject }])
      else parts.push({ messages, resolve, reject })
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
    for (const [topic, parts] of pending) this.#sendParts(topic, parts)
  }

  #sendParts(topic: BytesTopic, parts: readonly Part[]): void {
    if (parts.length === 1) {
      const [part] = parts
      this.#producer.send(topic, part!.messages).then(part!.resolve, part!.reject)
      return
    }
    const messages: BytesMessage[] = []
    for (const part of parts) for (const message of part.messages) messages.push(message)
    this.#producer.send(topic, messages).then(
      (metadata) => {
        let at = 0
        for (const part of parts) {
          part.resolve(metadata.slice(at, at + part.messages.length))
          at += part.messages.length
        }
      },
      () => {
        for (const part of parts) this.#producer.send(topic, part.messages).then(part.resolve, part.reject)
      },
    )
  }
}

import type { Bus, LogRecord, MessageHeaders, Producer, TopicDeclarations } from '../index'
import type { ErrorStage } from './errors'

/**
 * Kafka Connect's header prefix for the error context of a dead-lettered record.
 *
 * @example
 * ```ts
 * const stage = record.headers[`${ERROR_HEADER_PREFIX}stage`]?.toString() // 'TRANSFORMATION'
 * ```
 */
export const ERROR_HEADER_PREFIX = '__connect.errors.'

/**
 * The dead-letter queue of a sink connector (`errors.deadletterqueue.topic.name`): a failed record is
 * written there as it was consumed — key and value bytes, timestamp, headers — and, with
 * `errors.deadletterqueue.context.headers.enable=true`, Kafka Connect's `__connect.errors.*` headers:
 * `topic`, `partition`, `offset`, `connector.name`, `task.id`, `stage`, `class.name`,
 * `exception.class.name`, `exception.message`, `exception.stacktrace`. The topic is created (one
 * partition) when missing, as Kafka Connect does.
 */
export class DeadLetterQueue {
  #created: Promise<void> | undefined

  constructor(
    private readonly bus: Bus<TopicDeclarations>,
    private readonly producer: Producer<TopicDeclarations>,
    readonly topic: string,
    private readonly connector: string,
    private readonly contextHeaders: boolean,
  ) {}

  async send(
    original: LogRecord<unknown, unknown>,
    context: { stage: ErrorStage; className: string; error: Error; task: number },
  ): Promise<void> {
    this.#created ??= this.bus
      .createTopic(this.topic, { partitions: 1, ifNotExists: true })
      .then(() => undefined)
    await this.#created
    const headers: MessageHeaders = {}
    for (const [name, value] of Object.entries(original.headers)) headers[name] = value
    if (this.contextHeaders) {
      const add = (name: string, value: string): void => {
        // As Kafka: an existing header of the same name is kept, not doubled.
        if (headers[ERROR_HEADER_PREFIX + name] === undefined) headers[ERROR_HEADER_PREFIX + name] = value
      }
      add('topic', original.topic)
      add('partition', String(original.partition))
      add('offset', String(original.offset))
      add('connector.name', this.connector)
      add('task.id', String(context.task))
      add('stage', context.stage)
      add('class.name', context.className)
      add('exception.class.name', context.error.name)
      add('exception.message', context.error.message)
      if (context.error.stack !== undefined) add('exception.stacktrace', context.error.stack)
    }
    await this.producer.send(this.topic, {
      key: this.#bytes(original.topic, 'key', original.key),
      value: this.#bytes(original.topic, 'value', original.value),
      headers,
      timestamp: original.timestamp,
    })
  }

  /** A consumed key or value as bytes: Buffers as they are, typed data through its topic's codec. */
  #bytes(topic: string, part: 'key' | 'value', data: unknown): string | Buffer | null {
    if (data === null || data === undefined) return null
    if (Buffer.isBuffer(data)) return data
    const view = this.bus.listTopics().includes(topic) ? this.bus.topic(topic) : undefined
    const codec = part === 'key' ? view?.keyCodec : view?.valueCodec
    if (codec === undefined || codec.name === 'raw')
      return typeof data === 'string' ? data : JSON.stringify(data)
    const encoded = codec.encode(data as never)
    return typeof encoded === 'string'
      ? encoded
      : Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength)
  }
}

import type {
  Bus,
  Message as CoreMessage,
  Producer as CoreProducer,
  RecordMetadata as CoreRecordMetadata,
  Transaction as CoreTransaction,
  Topic,
} from '../index'
import {
  type ClientContext,
  ensureTopic,
  partitionMetadata,
  type ResolvedRetry,
  resolveRetry,
  withRetries,
} from './cluster'
import { codecOf, compressThrough } from './compression'
import { KafkaJSError, KafkaJSNonRetriableError, toKafkaJSError } from './errors'
import { Instrumentation } from './instrumentation'
import { KeepAlive } from './keep-alive'
import { Partitioners } from './partitioners'
import type {
  Logger,
  Message,
  Offsets,
  PartitionerArgs,
  Producer,
  ProducerBatch,
  ProducerConfig,
  ProducerEventPayloads,
  ProducerEvents,
  ProducerRecord,
  RecordMetadata,
  RemoveInstrumentationEventListener,
  TopicMessages,
  Transaction,
} from './types'

const PRODUCER_EVENTS: ProducerEvents = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
}

/** KafkaJS's default transaction timeout. */
const DEFAULT_TRANSACTION_TIMEOUT = 60_000

let warnedOfDefaultPartitioner = false

function warnOfDefaultPartitioner(logger: Logger): void {
  if (warnedOfDefaultPartitioner || process.env.KAFKAJS_NO_PARTITIONER_WARNING != null) return
  warnedOfDefaultPartitioner = true
  logger.warn(
    'KafkaJS v2.0.0 switched default partitioner. To keep the partitioning of earlier versions, create the ' +
      'producer with "createPartitioner: Partitioners.LegacyPartitioner". Silence this warning by setting the ' +
      'environment variable "KAFKAJS_NO_PARTITIONER_WARNING=1"',
  )
}

/** One topic's messages as the core producer takes them, each with the partition KafkaJS's partitioner chose. */
interface TopicPlan {
  readonly topic: Topic
  readonly messages: CoreMessage[]
}

/** KafkaJS's argument checks of `sendBatch`, shared by producers and transactions. */
function checkBatch(topicMessages: TopicMessages[], idempotent: boolean, acks: number): void {
  if (topicMessages.some(({ topic }) => !topic)) throw new KafkaJSNonRetriableError('Invalid topic')
  if (idempotent && acks !== -1) {
    throw new KafkaJSNonRetriableError(
      "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
    )
  }
  for (const { topic, messages } of topicMessages) {
    if (!messages) {
      throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`)
    }
    const withoutValue = messages.find((message) => message.value === undefined)
    if (withoutValue !== undefined) {
      throw new KafkaJSNonRetriableError(
        `Invalid message without value for topic "${topic}": ${JSON.stringify(withoutValue)}`,
      )
    }
  }
}

/** A single-topic `send` as the batch it is. */
function asBatch(record: ProducerRecord): ProducerBatch {
  const { acks, timeout, compression, topic, messages } = record ?? ({} as ProducerRecord)
  return { acks, timeout, compression, topicMessages: [{ topic, messages }] }
}

/** Merges the entries of the same topic, keeping the first occurrence's place. */
function mergeByTopic(topicMessages: TopicMessages[]): TopicMessages[] {
  const merged = new Map<string, Message[]>()
  for (const { topic, messages } of topicMessages) {
    const list = merged.get(topic)
    if (list === undefined) merged.set(topic, [...messages])
    else list.push(...messages)
  }
  return [...merged].map(([topic, messages]) => ({ topic, messages }))
}

/** One entry per partition written, partitions in ascending order, as in KafkaJS's produce response. */
function toRecordMetadata(topic: Topic, metas: readonly CoreRecordMetadata[]): RecordMetadata[] {
  const baseByPartition = new Map<number, number>()
  for (const meta of metas) {
    const base = baseByPartition.get(meta.partition)
    if (base === undefined || meta.offset < base) baseByPartition.set(meta.partition, meta.offset)
  }
  return [...baseByPartition]
    .sort(([a], [b]) => a - b)
    .map(([partition, baseOffset]) => ({
      topicName: topic.name,
      partition,
      errorCode: 0,
      baseOffset: String(baseOffset),
      logAppendTime: '-1',
      logStartOffset: String(topic.partitions[partition]?.logStartOffset ?? 0),
    }))
}

/**
 * The facade's producer: KafkaJS's `Producer` over logbus producers. `connect()` is required before
 * sending, as in KafkaJS. Plain sends go through one core producer; transactions through a second,
 * transactional one, made at the first `transaction()` (where KafkaJS initialises its producer id).
 */
export class KafkaJSProducer implements Producer {
  readonly events: ProducerEvents = PRODUCER_EVENTS
  readonly #ctx: ClientContext
  readonly #logger: Logger
  readonly #emitter: Instrumentation<ProducerEventPayloads>
  readonly #retry: ResolvedRetry
  readonly #partition: (args: PartitionerArgs) => number
  readonly #autoCreate: boolean
  readonly #idempotent: boolean
  readonly #transactionalId: string | undefined
  readonly #transactionTimeout: number
  #status: 'disconnected' | 'connected' | 'disconnecting' = 'disconnected'
  #connection: Connection | undefined
  #transaction: KafkaJSTransaction | undefined
  readonly #alive = new KeepAlive()

  constructor(ctx: ClientContext, config: ProducerConfig) {
    this.#ctx = ctx
    this.#logger = ctx.logger.namespace('Producer')
    this.#emitter = new Instrumentation<ProducerEventPayloads>(
      PRODUCER_EVENTS,
      'producer',
      this.#logger,
      () => this.#connection?.bus.clock.now() ?? Date.now(),
    )
    this.#idempotent = config.idempotent ?? false
    const explicit = { ...ctx.retry, ...config.retry }
    if (this.#idempotent && explicit.retries !== undefined && explicit.retries < 1) {
      throw new KafkaJSNonRetriableError(
        'Idempotent producer must allow retries to protect against transient errors',
      )
    }
    if (this.#idempotent && explicit.retries !== undefined && explicit.retries < Number.MAX_SAFE_INTEGER) {
      this.#logger.warn('Limiting retries for the idempotent producer may invalidate EoS guarantees')
    }
    this.#retry = resolveRetry(ctx.retry, config.retry)
    if (config.createPartitioner == null) warnOfDefaultPartitioner(ctx.logger)
    this.#partition = (config.createPartitioner ?? Partitioners.DefaultPartitioner)()
    this.#autoCreate = config.allowAutoTopicCreation ?? true
    this.#transactionalId = config.transactionalId
    this.#transactionTimeout = config.transactionTimeout ?? DEFAULT_TRANSACTION_TIMEOUT
  }

  async connect(): Promise<void> {
    const bus = await this.#ctx.bus()
    this.#connection ??= { bus, core: bus.producer(), transactional: undefined }
    this.#status = 'connected'
    this.#alive.hold(bus)
    this.#emitter.emit('producer.connect', null)
  }

  async disconnect(): Promise<void> {
    this.#status = 'disconnecting'
    const connection = this.#connection
    this.#connection = undefined
    try {
      // A transaction left open stays open until its timeout or a newer producer with its
      // transactionalId, as with Kafka: closing flushes what it sent, it does not end it.
      await Promise.all([connection?.core.close(), connection?.transactional?.close()])
    } finally {
      this.#status = 'disconnected'
      this.#alive.release()
    }
    this.#emitter.emit('producer.disconnect', null)
  }

  isIdempotent(): boolean {
    return this.#idempotent
  }

  on<E extends keyof ProducerEventPayloads>(
    eventName: E,
    listener: (event: ProducerEventPayloads[E]) => void,
  ): RemoveInstrumentationEventListener<E> {
    return this.#emitter.on(eventName, listener)
  }

  logger(): Logger {
    return this.#logger
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    // Not through sendBatch: instrumentation that wraps both (OpenTelemetry, spies) must count a send once.
    return this.#sendBatch(asBatch(record))
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.#sendBatch(batch)
  }

  #sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.write(batch, this.#idempotent, (entries) => this.#connected().core.sendBatch(entries))
  }

  /**
   * @internal KafkaJS's send: its argument checks, then, on KafkaJS's retry schedule, topics resolved
   * (auto-created if allowed), partitions chosen by KafkaJS's partitioner, the compression codec run,
   * and one all-or-nothing send through `sendBatch` (the core checks every message before it writes).
   */
  async write(
    batch: ProducerBatch,
    idempotent: boolean,
    sendBatch: (entries: Array<{ topic: Topic; messages: CoreMessage[] }>) => Promise<CoreRecordMetadata[][]>,
  ): Promise<RecordMetadata[]> {
    const { acks = -1, compression, topicMessages = [] } = batch ?? {}
    checkBatch(topicMessages, idempotent, acks)
    const { bus } = this.#connected()
    const codec = codecOf(compression)
    const merged = mergeByTopic(topicMessages)
    const written = await withRetries(bus.clock, this.#retry, async () => {
      const plans = await this.#plan(bus, merged)
      if (codec !== undefined) await compressThrough(codec, bus.clock, plans)
      try {
        return { plans, metas: await sendBatch(plans) }
      } catch (error) {
        throw toKafkaJSError(error)
      }
    })
    if (acks === 0) return []
    return written.plans.flatMap((plan, i) => toRecordMetadata(plan.topic, written.metas[i]!))
  }

  async transaction(): Promise<Transaction> {
    if (!this.#transactionalId) {
      throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer')
    }
    if (this.#transaction?.isActive()) {
      throw new KafkaJSNonRetriableError(
        'There is already an ongoing transaction for this producer. Please end the transaction before beginning another.',
      )
    }
    const connection = this.#connected()
    connection.transactional ??= connection.bus.producer({
      transactionalId: this.#transactionalId,
      transactionTimeoutMs: this.#transactionTimeout,
    })
    let core: CoreTransaction
    try {
      core = await connection.transactional.transaction()
    } catch (error) {
      throw toKafkaJSError(error)
    }
    this.#transaction = new KafkaJSTransaction(this, core)
    return this.#transaction
  }

  /** Resolves topics (auto-creating them if allowed) and chooses each message's partition. */
  async #plan(bus: Bus, topicMessages: TopicMessages[]): Promise<TopicPlan[]> {
    const plans: TopicPlan[] = []
    for (const { topic, messages } of topicMessages) {
      const found = await ensureTopic(bus, topic, this.#autoCreate, this.#ctx.numPartitions)
      plans.push({ topic: found, messages: this.#toCoreMessages(found, messages) })
    }
    return plans
  }

  #toCoreMessages(topic: Topic, messages: Message[]): CoreMessage[] {
    const metadata = partitionMetadata(topic.partitionCount)
    return messages.map((message) => {
      const partition = this.#partition({ topic: topic.name, partitionMetadata: metadata, message })
      if (!Number.isInteger(partition) || partition < 0 || partition >= topic.partitionCount) {
        throw new KafkaJSNonRetriableError(
          `The partitioner chose partition ${String(partition)} of topic "${topic.name}", which has ${topic.partitionCount} partitions`,
        )
      }
      const { key = null, value, headers, timestamp } = message
      // The core checks the rest (types, headers, timestamp, size) when it sends.
      return timestamp === undefined || timestamp === null
        ? { key, value, headers, partition }
        : { key, value, headers, partition, timestamp: Number(timestamp) }
    })
  }

  #connected(): Connection {
    if (this.#status === 'disconnecting') {
      throw new KafkaJSNonRetriableError(
        "The producer is disconnecting; therefore, it can't safely accept messages anymore",
      )
    }
    if (this.#status === 'disconnected' || this.#connection === undefined) {
      throw new KafkaJSError('The producer is disconnected')
    }
    return this.#connection
  }
}

/** A connected producer's bus and core producers. */
interface Connection {
  readonly bus: Bus
  readonly core: CoreProducer
  /** Made at the first transaction. */
  transactional: CoreProducer | undefined
}

/**
 * A transaction: a core transaction behind KafkaJS's API. Its sends are written at once, visible to
 * read_committed consumers when it commits and never if it aborts; `sendOffsets` commits a group's
 * offsets with it. A newer producer with the same transactionalId, or the transaction timeout, fences
 * this one (INVALID_PRODUCER_EPOCH, as Kafka answers KafkaJS).
 */
class KafkaJSTransaction implements Transaction {
  readonly #producer: KafkaJSProducer
  readonly #core: CoreTransaction
  /** Set once the producer was fenced: nothing of this transaction can succeed any more. */
  #fenced = false

  constructor(producer: KafkaJSProducer, core: CoreTransaction) {
    this.#producer = producer
    this.#core = core
  }

  isActive(): boolean {
    return !this.#fenced && this.#core.isActive()
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.#sendBatch(asBatch(record))
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.#sendBatch(batch)
  }

  #sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.#guarded(() => this.#producer.write(batch, true, (entries) => this.#core.sendBatch(entries)))
  }

  sendOffsets({ consumerGroupId, topics }: Offsets & { consumerGroupId: string }): Promise<void> {
    return this.#guarded(async () => {
      if (!consumerGroupId) {
        throw new KafkaJSNonRetriableError(`Invalid consumer group id ${consumerGroupId}`)
      }
      const offsets = (topics ?? []).flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, offset }) => ({ topic, partition, offset: parseOffset(offset) })),
      )
      await this.#core.sendOffsets({ groupId: consumerGroupId, offsets })
    })
  }

  commit(): Promise<void> {
    return this.#guarded(() => this.#core.commit())
  }

  abort(): Promise<void> {
    return this.#guarded(() => this.#core.abort())
  }

  /** KafkaJS's transactionGuard, and core errors as KafkaJS's; a fenced producer ends the transaction. */
  async #guarded<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.isActive()) throw new KafkaJSNonRetriableError('Cannot continue to use transaction once ended')
    try {
      return await fn()
    } catch (error) {
      const e = toKafkaJSError(error)
      if ((e as { type?: unknown }).type === 'INVALID_PRODUCER_EPOCH') this.#fenced = true
      throw e
    }
  }
}

/** A KafkaJS offset (a string, a number or a bigint) as a number, or KafkaJS's error. */
function parseOffset(offset: unknown): number {
  const value = typeof offset === 'bigint' ? Number(offset) : Number(String(offset).trim())
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${String(offset)}`)
  }
  return value
}

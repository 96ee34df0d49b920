import type { Bus } from '../bus/bus'
import type { Topic } from '../bus/topic'
import {
  buildRecord,
  type Message as CoreMessage,
  type RecordMetadata as CoreRecordMetadata,
  checkedRecordSize,
  type RawValue,
} from '../producer/message'
import type { Producer as CoreProducer } from '../producer/producer'
import type { CommittedOffset } from '../storage/storage'
import {
  type ClientContext,
  clusterState,
  ensureTopic,
  findTopic,
  partitionMetadata,
  type ResolvedRetry,
  resolveRetry,
  withRetries,
} from './cluster'
import { codecOf, compressThrough } from './compression'
import { KafkaJSError, KafkaJSNonRetriableError, protocolError, toKafkaJSError } from './errors'
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

/** A message bound for one partition, validated, with its timestamp fixed at send time. */
interface PlannedMessage {
  readonly message: CoreMessage<RawValue>
  readonly partition: number
}

interface TopicPlan {
  readonly topic: string
  readonly messages: PlannedMessage[]
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
function toRecordMetadata(
  topic: Topic<RawValue> | undefined,
  name: string,
  metas: CoreRecordMetadata[],
): RecordMetadata[] {
  const baseByPartition = new Map<number, number>()
  for (const meta of metas) {
    const base = baseByPartition.get(meta.partition)
    if (base === undefined || meta.offset < base) baseByPartition.set(meta.partition, meta.offset)
  }
  return [...baseByPartition]
    .sort(([a], [b]) => a - b)
    .map(([partition, baseOffset]) => ({
      topicName: name,
      partition,
      errorCode: 0,
      baseOffset: String(baseOffset),
      logAppendTime: '-1',
      logStartOffset: String(topic?.partitions[partition]?.logStartOffset ?? 0),
    }))
}

/**
 * The facade's producer: KafkaJS's `Producer` over a logbus producer. `connect()` is required before
 * sending, as in KafkaJS.
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
  #connection: { bus: Bus; core: CoreProducer } | undefined
  #epoch: number | undefined
  #transaction: KafkaJSTransaction | undefined
  readonly #alive = new KeepAlive()

  constructor(ctx: ClientContext, config: ProducerConfig) {
    this.#ctx = ctx
    this.#logger = ctx.logger.namespace('Producer')
    this.#emitter = new Instrumentation<ProducerEventPayloads>(PRODUCER_EVENTS, 'producer', this.#logger)
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
    this.#connection ??= { bus, core: bus.producer() }
    this.#status = 'connected'
    this.#alive.hold(bus)
    this.#emitter.emit('producer.connect', null)
  }

  async disconnect(): Promise<void> {
    this.#status = 'disconnecting'
    this.#transaction?.discard()
    const connection = this.#connection
    this.#connection = undefined
    try {
      await connection?.core.close()
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

  async #sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const { acks = -1, compression, topicMessages = [] } = batch ?? {}
    checkBatch(topicMessages, this.#idempotent, acks)
    this.#connected()
    const codec = codecOf(compression)
    const merged = mergeByTopic(topicMessages)
    const written = new Map<string, RecordMetadata[]>()
    await withRetries(this.#retry, async () => {
      const { bus, core } = this.#connected()
      const plans = await this.plan(
        bus,
        merged.filter(({ topic }) => !written.has(topic)),
      )
      if (codec !== undefined) await compressThrough(codec, bus, plans)
      // Every topic is resolved and every message validated before anything is written.
      const results = await Promise.allSettled(plans.map((plan) => this.#write(core, plan)))
      let failure: unknown
      results.forEach((result, i) => {
        const name = plans[i]!.topic
        if (result.status === 'fulfilled')
          written.set(name, toRecordMetadata(findTopic(bus, name), name, result.value))
        else failure ??= result.reason
      })
      if (failure !== undefined) throw toKafkaJSError(failure)
    })
    return acks === 0 ? [] : merged.flatMap(({ topic }) => written.get(topic) ?? [])
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
    const { bus } = this.#connected()
    const epochs = clusterState(bus).producerEpochs
    if (this.#epoch === undefined) {
      // KafkaJS initialises the producer id once, at its first transaction: a newer producer with the
      // same transactionalId fences the older ones, as Kafka's InitProducerId does.
      this.#epoch = (epochs.get(this.#transactionalId) ?? -1) + 1
      epochs.set(this.#transactionalId, this.#epoch)
    }
    this.#transaction = new KafkaJSTransaction(this, this.#transactionTimeout)
    return this.#transaction
  }

  /** @internal Resolves topics (auto-creating them if allowed), partitions and validates messages. */
  async plan(bus: Bus, topicMessages: TopicMessages[]): Promise<TopicPlan[]> {
    const plans: TopicPlan[] = []
    for (const { topic, messages } of topicMessages) {
      const found = await ensureTopic(bus, topic, this.#autoCreate, this.#ctx.numPartitions)
      plans.push({ topic, messages: this.#planMessages(found, messages) })
    }
    return plans
  }

  /** @internal Checks the plans still fit the topics (they may have changed since a transactional send). */
  revalidate(bus: Bus, plans: readonly TopicPlan[]): void {
    for (const { topic, messages } of plans) {
      const found = findTopic(bus, topic)
      if (found === undefined) throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${topic}"`)
      for (const { message } of messages) this.#validate(found, message)
    }
  }

  /** @internal */
  connection(): { bus: Bus; core: CoreProducer } {
    return this.#connected()
  }

  /** @internal Whether this producer still holds its transactionalId's newest epoch. */
  fenced(bus: Bus): boolean {
    return (
      this.#transactionalId !== undefined &&
      this.#epoch !== undefined &&
      clusterState(bus).producerEpochs.get(this.#transactionalId) !== this.#epoch
    )
  }

  /** @internal The current transaction, if it is this one. */
  isCurrent(transaction: KafkaJSTransaction): boolean {
    return this.#transaction === transaction
  }

  async #write(core: CoreProducer, plan: TopicPlan): Promise<CoreRecordMetadata[]> {
    return core.send(
      plan.topic,
      plan.messages.map(({ message }) => message),
    )
  }

  #planMessages(topic: Topic<RawValue>, messages: Message[]): PlannedMessage[] {
    const metadata = partitionMetadata(topic.partitionCount)
    const now = Date.now()
    return messages.map((message) => {
      const partition = this.#partition({ topic: topic.name, partitionMetadata: metadata, message })
      if (!Number.isInteger(partition) || partition < 0 || partition >= topic.partitionCount) {
        throw new KafkaJSNonRetriableError(
          `The partitioner chose partition ${String(partition)} of topic "${topic.name}", which has ${topic.partitionCount} partitions`,
        )
      }
      const planned: CoreMessage<RawValue> = {
        key: message.key ?? null,
        value: message.value,
        headers: message.headers,
        partition,
        timestamp:
          message.timestamp === undefined || message.timestamp === null ? now : Number(message.timestamp),
      }
      this.#validate(topic, planned)
      return { message: planned, partition }
    })
  }

  /** The core's own checks (types, partition, timestamp, size), run without writing anything. */
  #validate(topic: Topic<RawValue>, message: CoreMessage<RawValue>): void {
    try {
      const record = buildRecord(topic as Topic<unknown>, message, Date.now(), () => 0)
      checkedRecordSize(topic as Topic<unknown>, record)
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }

  #connected(): { bus: Bus; core: CoreProducer } {
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

/**
 * A transaction: sends are validated and held; `commit` writes them all (every topic checked again
 * before the first write), then commits the offsets given to `sendOffsets`. Nothing of an aborted or
 * expired transaction, or of one whose producer was fenced, is ever written.
 */
class KafkaJSTransaction implements Transaction {
  readonly #producer: KafkaJSProducer
  readonly #timeoutMs: number
  readonly #startedAt = Date.now()
  readonly #plans: TopicPlan[] = []
  readonly #offsets = new Map<string, Map<string, CommittedOffset>>()
  #ended = false
  #committing = false

  constructor(producer: KafkaJSProducer, timeoutMs: number) {
    this.#producer = producer
    this.#timeoutMs = timeoutMs
  }

  isActive(): boolean {
    return !this.#ended && this.#producer.isCurrent(this)
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.#sendBatch(asBatch(record))
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.#sendBatch(batch)
  }

  async #sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.#guard()
    const { acks = -1, compression, topicMessages = [] } = batch ?? {}
    checkBatch(topicMessages, true, acks)
    const { bus } = this.#producer.connection()
    this.#checkAlive(bus)
    const codec = codecOf(compression)
    const plans = await this.#producer.plan(bus, mergeByTopic(topicMessages))
    if (codec !== undefined) await compressThrough(codec, bus, plans)
    this.#plans.push(...plans)
    // The records are written at commit: their offsets are not known yet ('-1').
    return plans.flatMap(({ topic, messages }) =>
      [...new Set(messages.map((m) => m.partition))]
        .sort((a, b) => a - b)
        .map((partition) => ({
          topicName: topic,
          partition,
          errorCode: 0,
          baseOffset: '-1',
          logAppendTime: '-1',
          logStartOffset: String(findTopic(bus, topic)?.partitions[partition]?.logStartOffset ?? 0),
        })),
    )
  }

  async sendOffsets({ consumerGroupId, topics }: Offsets & { consumerGroupId: string }): Promise<void> {
    this.#guard()
    if (!consumerGroupId) throw new KafkaJSNonRetriableError(`Invalid consumer group id ${consumerGroupId}`)
    const { bus } = this.#producer.connection()
    this.#checkAlive(bus)
    let byPartition = this.#offsets.get(consumerGroupId)
    if (byPartition === undefined) {
      byPartition = new Map()
      this.#offsets.set(consumerGroupId, byPartition)
    }
    for (const { topic, partitions } of topics ?? []) {
      for (const { partition, offset } of partitions) {
        const value = Number(offset)
        if (!Number.isSafeInteger(value) || value < 0) {
          throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${offset}`)
        }
        byPartition.set(`${topic}\u0000${partition}`, { topic, partition, offset: value })
      }
    }
  }

  async commit(): Promise<void> {
    this.#guard()
    const { bus, core } = this.#producer.connection()
    this.#checkAlive(bus)
    this.#producer.revalidate(bus, this.#plans)
    const commits = this.#routeOffsets(bus)
    this.#committing = true
    try {
      // Every write is issued in the same tick, after every check passed: all of them or none.
      await Promise.all(
        this.#plans.map((plan) =>
          core.send(
            plan.topic,
            plan.messages.map(({ message }) => message),
          ),
        ),
      ).catch((error: unknown) => {
        throw toKafkaJSError(error)
      })
      this.#ended = true
      for (const commit of commits) await commit()
    } finally {
      this.#committing = false
    }
  }

  async abort(): Promise<void> {
    this.#guard()
    this.discard()
    const connection = this.#producer.connection()
    if (this.#producer.fenced(connection.bus)) {
      throw protocolError('INVALID_PRODUCER_EPOCH', 'a newer producer uses this transactionalId')
    }
  }

  /** @internal Drops everything (abort, disconnect). */
  discard(): void {
    this.#plans.length = 0
    this.#offsets.clear()
    this.#ended = true
  }

  #guard(): void {
    if (!this.isActive()) throw new KafkaJSNonRetriableError('Cannot continue to use transaction once ended')
    if (this.#committing) {
      throw new KafkaJSNonRetriableError('The transaction is being committed: it cannot be used meanwhile')
    }
  }

  #checkAlive(bus: Bus): void {
    if (this.#producer.fenced(bus)) {
      throw protocolError('INVALID_PRODUCER_EPOCH', 'a newer producer uses this transactionalId')
    }
    if (Date.now() - this.#startedAt > this.#timeoutMs) {
      this.discard()
      throw protocolError('INVALID_PRODUCER_EPOCH', `the transaction expired after ${this.#timeoutMs} ms`)
    }
  }

  /**
   * How each group's offsets get committed: through the member that owns each partition (a commit of
   * its generation), or, for a group without members, directly. Planned before anything is written.
   */
  #routeOffsets(bus: Bus): Array<() => Promise<void>> {
    const commits: Array<() => Promise<void>> = []
    for (const [groupId, byPartition] of this.#offsets) {
      let remaining = [...byPartition.values()]
      if (remaining.length === 0) continue
      const members = [...clusterState(bus).members].filter((m) => m.groupId === groupId)
      for (const member of members) {
        const core = member.core()
        if (core === undefined) continue
        const owned = new Set(core.assignment().map((tp) => `${tp.topic}\u0000${tp.partition}`))
        const mine = remaining.filter((o) => owned.has(`${o.topic}\u0000${o.partition}`))
        if (mine.length === 0) continue
        remaining = remaining.filter((o) => !mine.includes(o))
        commits.push(() => core.commit(mine).catch((error: unknown) => Promise.reject(toKafkaJSError(error))))
      }
      if (remaining.length === 0) continue
      const group = bus.group(groupId)
      if (group.describe().members.length > 0) {
        const tps = remaining.map((o) => `${o.topic}-${o.partition}`).join(', ')
        throw new KafkaJSNonRetriableError(
          `logbus/kafkajs cannot commit offsets of ${tps} for group "${groupId}" in a transaction: the group ` +
            'has members and none of them is a logbus/kafkajs consumer of this bus that owns these partitions',
        )
      }
      const offsets = remaining
      commits.push(async () => {
        await group.setOffsets(offsets).catch((error: unknown) => Promise.reject(toKafkaJSError(error)))
      })
    }
    return commits
  }
}

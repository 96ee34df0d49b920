/**
 * The types of the KafkaJS-compatible facade. They have the names and shapes of KafkaJS 2.2.4's
 * `types/index.d.ts`, so that code written against KafkaJS type-checks against `logbus/kafkajs`, and
 * the facade's objects are assignable to KafkaJS's own types (checked in test/kafkajs/types.test.ts).
 * Where KafkaJS types something as `any`, the facade gives the real shape.
 */
import type { Bus } from '../index'
import type {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  CompressionTypes,
  ConfigResourceTypes,
  ConfigSource,
  ResourcePatternTypes,
} from './constants'
import type { KafkaJSProtocolError } from './errors'
import type { logLevel } from './logger'

/**
 * A function that yields the broker list; accepted (and ignored) like a static list.
 *
 * @example
 * ```ts
 * const brokers: BrokersFunction = async () => ['localhost:9092']
 * ```
 */
export type BrokersFunction = () => string[] | Promise<string[]>

/**
 * KafkaJS's retry options, with KafkaJS's schedule: the first wait is `initialRetryTime`, each next one
 * the previous one times `multiplier` (fractional allowed), at most `maxRetryTime`, every wait drawn
 * within ± `factor` of that (default 0.2; pass `factor: 0` for an exact schedule). The defaults are
 * KafkaJS's, including its test defaults when `NODE_ENV` is `test`.
 *
 * @example
 * ```ts
 * const retry: RetryOptions = { retries: 2, initialRetryTime: 50 }
 * ```
 */
export interface RetryOptions {
  maxRetryTime?: number
  initialRetryTime?: number
  factor?: number
  multiplier?: number
  retries?: number
  restartOnFailure?: (e: Error) => Promise<boolean>
}

/**
 * What logbus adds to KafkaJS's client config, under the `logbus` key.
 *
 * @example
 * ```ts
 * const bus = await Bus.open()
 * const kafka = new Kafka({ brokers: ['unused:9092'], logbus: { bus, numPartitions: 3 } })
 * ```
 */
export interface LogbusOptions {
  /**
   * The in-process cluster this client talks to, instead of the one its `brokers` name. Default: the
   * in-memory cluster shared by every client that names the same brokers, opened on first use and
   * kept until `resetClusters()`.
   */
  bus?: Bus
  /** Partitions of an auto-created topic (the broker's `num.partitions`). Default 1, Kafka's default. */
  numPartitions?: number
}

/**
 * KafkaJS's client config. `brokers` names the in-process cluster (clients that name the same
 * brokers share one); `ssl`, `sasl`, timeouts and `socketFactory` are accepted and ignored: there is
 * no network. `clientId`, `retry`, `logLevel` and `logCreator` are honoured.
 *
 * @example
 * ```ts
 * const kafka = new Kafka({ clientId: 'billing', brokers: ['localhost:9092'], logLevel: logLevel.WARN })
 * ```
 */
export interface KafkaConfig {
  brokers: string[] | BrokersFunction
  ssl?: object | boolean
  sasl?: SASLOptions | Mechanism
  clientId?: string
  connectionTimeout?: number
  authenticationTimeout?: number
  reauthenticationThreshold?: number
  requestTimeout?: number
  enforceRequestTimeout?: boolean
  retry?: RetryOptions
  socketFactory?: (args: { host: string; port: number; ssl: object; onConnect: () => void }) => unknown
  logLevel?: logLevel
  logCreator?: logCreator
  /** logbus's own options (not part of KafkaJS). */
  logbus?: LogbusOptions
}

/**
 * SASL credentials; accepted and ignored.
 *
 * @example
 * ```ts
 * const sasl: SASLOptions = { mechanism: 'plain', username: 'u', password: 'p' }
 * ```
 */
export type SASLOptions =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256'; username: string; password: string }
  | { mechanism: 'scram-sha-512'; username: string; password: string }
  | {
      mechanism: 'aws'
      authorizationIdentity: string
      accessKeyId: string
      secretAccessKey: string
      sessionToken?: string
    }
  | { mechanism: 'oauthbearer'; oauthBearerProvider: () => Promise<{ value: string }> }

/**
 * A custom SASL mechanism; accepted and ignored.
 *
 * @example
 * ```ts
 * const mechanism: Mechanism = { mechanism: 'custom', authenticationProvider: () => ({ authenticate: async () => {} }) }
 * ```
 */
export interface Mechanism {
  mechanism: string
  authenticationProvider: (args: never) => { authenticate: () => Promise<void> }
}

/**
 * One log line as a `logCreator` receives it.
 *
 * @example
 * ```ts
 * const print = (entry: LogEntry) => console.log(entry.label, entry.namespace, entry.log.message)
 * ```
 */
export interface LogEntry {
  namespace: string
  level: logLevel
  label: string
  log: LoggerEntryContent
}

/**
 * The body of a log line: a timestamp, the message and any extra fields.
 *
 * @example
 * ```ts
 * const content: LoggerEntryContent = { timestamp: new Date().toISOString(), message: 'Stopped', groupId: 'g' }
 * ```
 */
export interface LoggerEntryContent {
  readonly timestamp: string
  readonly message: string
  [key: string]: unknown
}

/**
 * Builds the log function of a client from its log level, as in KafkaJS.
 *
 * @example
 * ```ts
 * const silent: logCreator = () => () => {}
 * const kafka = new Kafka({ brokers: [], logCreator: silent })
 * ```
 */
export type logCreator = (logLevel: logLevel) => (entry: LogEntry) => void

/**
 * KafkaJS's logger.
 *
 * @example
 * ```ts
 * kafka.logger().info('starting', { service: 'billing' })
 * ```
 */
export interface Logger {
  info: (message: string, extra?: object) => void
  error: (message: string, extra?: object) => void
  warn: (message: string, extra?: object) => void
  debug: (message: string, extra?: object) => void
  namespace: (namespace: string, logLevel?: logLevel) => Logger
  setLogLevel: (logLevel: logLevel) => void
}

/**
 * One partition in topic metadata. There is one broker, node 0: it leads and replicates every partition.
 *
 * @example
 * ```ts
 * const p: PartitionMetadata = { partitionErrorCode: 0, partitionId: 0, leader: 0, replicas: [0], isr: [0] }
 * ```
 */
export interface PartitionMetadata {
  partitionErrorCode: number
  partitionId: number
  leader: number
  replicas: number[]
  isr: number[]
  offlineReplicas?: number[]
}

/**
 * Header values as a producer gives them; an array repeats the key.
 *
 * @example
 * ```ts
 * const headers: IHeaders = { 'trace-id': 'abc', tags: ['a', 'b'] }
 * ```
 */
export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined
}

/**
 * A message to produce. `timestamp` is milliseconds since the epoch, as a string.
 *
 * @example
 * ```ts
 * const message: Message = { key: 'order-1', value: JSON.stringify({ total: 42 }), headers: { v: '1' } }
 * ```
 */
export interface Message {
  key?: Buffer | string | null
  value: Buffer | string | null
  partition?: number
  headers?: IHeaders
  timestamp?: string
}

/**
 * What a partitioner is given for one message.
 *
 * @example
 * ```ts
 * const byHeader = ({ message, partitionMetadata }: PartitionerArgs) => (message.headers?.eu ? 0 : 1) % partitionMetadata.length
 * ```
 */
export interface PartitionerArgs {
  topic: string
  partitionMetadata: PartitionMetadata[]
  message: Message
}

/**
 * A partitioner factory (`createPartitioner`): called once per producer, it returns the function
 * that picks a partition for each message.
 *
 * @example
 * ```ts
 * const toZero: ICustomPartitioner = () => () => 0
 * const producer = kafka.producer({ createPartitioner: toZero })
 * ```
 */
export type ICustomPartitioner = () => (args: PartitionerArgs) => number

/**
 * The type of `Partitioners.DefaultPartitioner`.
 *
 * @example
 * ```ts
 * const create: DefaultPartitioner = Partitioners.DefaultPartitioner
 * ```
 */
export type DefaultPartitioner = ICustomPartitioner

/**
 * The type of `Partitioners.LegacyPartitioner`.
 *
 * @example
 * ```ts
 * const create: LegacyPartitioner = Partitioners.LegacyPartitioner
 * ```
 */
export type LegacyPartitioner = ICustomPartitioner

/**
 * KafkaJS's producer config. `metadataMaxAge` and `maxInFlightRequests` are accepted and ignored.
 *
 * @example
 * ```ts
 * const producer = kafka.producer({ transactionalId: 'billing-tx', maxInFlightRequests: 1, idempotent: true })
 * ```
 */
export interface ProducerConfig {
  createPartitioner?: ICustomPartitioner
  retry?: RetryOptions
  metadataMaxAge?: number
  allowAutoTopicCreation?: boolean
  idempotent?: boolean
  transactionalId?: string
  transactionTimeout?: number
  maxInFlightRequests?: number
}

/**
 * `producer.send`'s argument. `acks: 0` resolves to `[]`; `timeout` is ignored; `compression` must
 * name a codec that is available (GZIP, or one registered in `CompressionCodecs`), as in KafkaJS, but
 * nothing is compressed in process.
 *
 * @example
 * ```ts
 * await producer.send({ topic: 'orders', messages: [{ key: 'o-1', value: 'created' }] })
 * ```
 */
export interface ProducerRecord {
  topic: string
  messages: Message[]
  acks?: number
  timeout?: number
  compression?: CompressionTypes
}

/**
 * The messages of one topic in a `sendBatch`.
 *
 * @example
 * ```ts
 * const tm: TopicMessages = { topic: 'orders', messages: [{ value: 'x' }] }
 * ```
 */
export interface TopicMessages {
  topic: string
  messages: Message[]
}

/**
 * `producer.sendBatch`'s argument.
 *
 * @example
 * ```ts
 * await producer.sendBatch({ topicMessages: [{ topic: 'a', messages: [{ value: '1' }] }, { topic: 'b', messages: [{ value: '2' }] }] })
 * ```
 */
export interface ProducerBatch {
  acks?: number
  timeout?: number
  compression?: CompressionTypes
  topicMessages?: TopicMessages[]
}

/**
 * One entry per topic-partition written by a send, as KafkaJS returns them: `baseOffset` is the offset
 * of the first message written to that partition, `logAppendTime` is `'-1'` (CreateTime topics).
 *
 * @example
 * ```ts
 * const [{ topicName, partition, baseOffset }] = await producer.send({ topic: 'orders', messages: [{ value: 'x' }] })
 * ```
 */
export interface RecordMetadata {
  topicName: string
  partition: number
  errorCode: number
  offset?: string
  timestamp?: string
  baseOffset?: string
  logAppendTime?: string
  logStartOffset?: string
}

/**
 * A partition and an offset (a string, as in KafkaJS).
 *
 * @example
 * ```ts
 * const po: PartitionOffset = { partition: 0, offset: '42' }
 * ```
 */
export interface PartitionOffset {
  partition: number
  offset: string
}

/**
 * Offsets of several partitions of one topic.
 *
 * @example
 * ```ts
 * const to: TopicOffsets = { topic: 'orders', partitions: [{ partition: 0, offset: '42' }] }
 * ```
 */
export interface TopicOffsets {
  topic: string
  partitions: PartitionOffset[]
}

/**
 * Offsets of several topics.
 *
 * @example
 * ```ts
 * const offsets: Offsets = { topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '42' }] }] }
 * ```
 */
export interface Offsets {
  topics: TopicOffsets[]
}

/**
 * The same shape as `Offsets`, returned by `uncommittedOffsets()`.
 *
 * @example
 * ```ts
 * const { topics } = uncommittedOffsets()
 * ```
 */
export interface OffsetsByTopicPartition {
  topics: TopicOffsets[]
}

/**
 * A codec factory registered in `CompressionCodecs`. KafkaJS types it as `any`; this is its shape.
 *
 * @example
 * ```ts
 * CompressionCodecs[CompressionTypes.Snappy] = () => ({ compress: async (e) => e.buffer, decompress: async (b) => b })
 * ```
 */
export interface CompressionCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

/**
 * An instrumentation event: an id, the event type (e.g. `consumer.group_join`), when, and its payload.
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.CRASH, (event: ConsumerCrashEvent) => console.error(event.payload.error))
 * ```
 */
export interface InstrumentationEvent<T> {
  id: string
  type: string
  timestamp: number
  payload: T
}

/**
 * Removes the listener `on` added.
 *
 * @example
 * ```ts
 * const off: RemoveInstrumentationEventListener<'consumer.crash'> = consumer.on('consumer.crash', () => {})
 * off()
 * ```
 */
export type RemoveInstrumentationEventListener<_T> = () => void

/**
 * `CONNECT` events carry no payload.
 *
 * @example
 * ```ts
 * producer.on(producer.events.CONNECT, (e: ConnectEvent) => console.log(e.timestamp))
 * ```
 */
export type ConnectEvent = InstrumentationEvent<null>

/**
 * `DISCONNECT` events carry no payload.
 *
 * @example
 * ```ts
 * producer.on(producer.events.DISCONNECT, (e: DisconnectEvent) => console.log(e.timestamp))
 * ```
 */
export type DisconnectEvent = InstrumentationEvent<null>

/**
 * A network request event. There is no network in process: these events are never emitted, but
 * listening to them is allowed, as in KafkaJS.
 *
 * @example
 * ```ts
 * producer.on(producer.events.REQUEST, (e: RequestEvent) => console.log(e.payload.apiName))
 * ```
 */
export type RequestEvent = InstrumentationEvent<{
  apiKey: number
  apiName: string
  apiVersion: number
  broker: string
  clientId: string
  correlationId: number
  createdAt: number
  duration: number
  pendingDuration: number
  sentAt: number
  size: number
}>

/**
 * A request timeout event; never emitted in process.
 *
 * @example
 * ```ts
 * producer.on(producer.events.REQUEST_TIMEOUT, (e: RequestTimeoutEvent) => console.log(e.payload.broker))
 * ```
 */
export type RequestTimeoutEvent = InstrumentationEvent<{
  apiKey: number
  apiName: string
  apiVersion: number
  broker: string
  clientId: string
  correlationId: number
  createdAt: number
  pendingDuration: number
  sentAt: number
}>

/**
 * A request queue size event; never emitted in process.
 *
 * @example
 * ```ts
 * producer.on(producer.events.REQUEST_QUEUE_SIZE, (e: RequestQueueSizeEvent) => console.log(e.payload.queueSize))
 * ```
 */
export type RequestQueueSizeEvent = InstrumentationEvent<{
  broker: string
  clientId: string
  queueSize: number
}>

/**
 * The producer's event names.
 *
 * @example
 * ```ts
 * producer.on(producer.events.CONNECT, () => console.log('connected'))
 * ```
 */
export interface ProducerEvents {
  CONNECT: 'producer.connect'
  DISCONNECT: 'producer.disconnect'
  REQUEST: 'producer.network.request'
  REQUEST_TIMEOUT: 'producer.network.request_timeout'
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size'
}

/**
 * What a producer listener receives, by event name.
 *
 * @example
 * ```ts
 * type Connect = ProducerEventPayloads['producer.connect']
 * ```
 */
export interface ProducerEventPayloads {
  'producer.connect': ConnectEvent
  'producer.disconnect': DisconnectEvent
  'producer.network.request': RequestEvent
  'producer.network.request_timeout': RequestTimeoutEvent
  'producer.network.request_queue_size': RequestQueueSizeEvent
}

/**
 * The two ways to produce, shared by producers and transactions.
 *
 * @example
 * ```ts
 * const sender: Sender = await producer.transaction()
 * ```
 */
export interface Sender {
  send(record: ProducerRecord): Promise<RecordMetadata[]>
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>
}

/**
 * A transaction, as Kafka's: its sends are written at once (with their offsets), visible to
 * read_committed consumers (KafkaJS's default) when it commits and never if it aborts; the offsets
 * given to `sendOffsets` are committed with it. A newer producer with the same `transactionalId`, or
 * `transactionTimeout`, fences it (INVALID_PRODUCER_EPOCH).
 *
 * @example
 * ```ts
 * const tx = await producer.transaction()
 * await tx.send({ topic: 'invoices', messages: [{ value: 'i-1' }] })
 * await tx.sendOffsets({ consumerGroupId: 'billing', topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '8' }] }] })
 * await tx.commit()
 * ```
 */
export interface Transaction extends Sender {
  sendOffsets(offsets: Offsets & { consumerGroupId: string }): Promise<void>
  commit(): Promise<void>
  abort(): Promise<void>
  isActive(): boolean
}

/**
 * KafkaJS's producer.
 *
 * @example
 * ```ts
 * const producer = kafka.producer()
 * await producer.connect()
 * await producer.send({ topic: 'orders', messages: [{ key: 'o-1', value: 'created' }] })
 * await producer.disconnect()
 * ```
 */
export interface Producer extends Sender {
  connect(): Promise<void>
  disconnect(): Promise<void>
  isIdempotent(): boolean
  readonly events: ProducerEvents
  on<E extends keyof ProducerEventPayloads>(
    eventName: E,
    listener: (event: ProducerEventPayloads[E]) => void,
  ): RemoveInstrumentationEventListener<E>
  transaction(): Promise<Transaction>
  logger(): Logger
}

/**
 * A partition assigner factory, as in `partitionAssigners: [PartitionAssigners.roundRobin]`.
 *
 * @example
 * ```ts
 * const consumer = kafka.consumer({ groupId: 'g', partitionAssigners: [PartitionAssigners.roundRobin] })
 * ```
 */
export type PartitionAssigner = {
  // A method, so that KafkaJS's assigners (typed over KafkaJS's full Cluster) are accepted too.
  create(config: { cluster: AssignerCluster; groupId: string; logger: Logger }): Assigner
}['create']

/**
 * What an assigner may ask of the cluster: the partitions of a topic.
 *
 * @example
 * ```ts
 * const cluster: AssignerCluster = { findTopicPartitionMetadata: () => [] }
 * ```
 */
export interface AssignerCluster {
  findTopicPartitionMetadata(topic: string): PartitionMetadata[]
}

/**
 * A member of a group as an assigner sees it.
 *
 * @example
 * ```ts
 * const member: GroupMember = { memberId: 'm-1', memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['t'], userData: Buffer.alloc(0) }) }
 * ```
 */
export type GroupMember = { memberId: string; memberMetadata: Buffer }

/**
 * One member's encoded assignment, as an assigner returns it.
 *
 * @example
 * ```ts
 * const a: GroupMemberAssignment = { memberId: 'm-1', memberAssignment: Buffer.alloc(0) }
 * ```
 */
export type GroupMemberAssignment = { memberId: string; memberAssignment: Buffer }

/**
 * The protocol a member proposes: the assigner's name and encoded metadata.
 *
 * @example
 * ```ts
 * const state: GroupState = { name: 'RoundRobinAssigner', metadata: Buffer.alloc(0) }
 * ```
 */
export type GroupState = { name: string; metadata: Buffer }

/**
 * A partition assigner.
 *
 * @example
 * ```ts
 * const assigner: Assigner = PartitionAssigners.roundRobin({ cluster, groupId: 'g', logger })
 * ```
 */
export type Assigner = {
  name: string
  version: number
  assign(group: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]>
  protocol(subscription: { topics: string[] }): GroupState
}

/**
 * Partitions by topic.
 *
 * @example
 * ```ts
 * const assignment: Assignment = { orders: [0, 2], audit: [1] }
 * ```
 */
export type Assignment = { [topic: string]: number[] }

/**
 * Kafka's consumer-protocol member metadata.
 *
 * @example
 * ```ts
 * const meta: MemberMetadata = { version: 0, topics: ['orders'], userData: Buffer.alloc(0) }
 * ```
 */
export type MemberMetadata = { version: number; topics: string[]; userData: Buffer }

/**
 * Kafka's consumer-protocol member assignment.
 *
 * @example
 * ```ts
 * const assignment: MemberAssignment = { version: 0, assignment: { orders: [0] }, userData: Buffer.alloc(0) }
 * ```
 */
export type MemberAssignment = { version: number; assignment: Assignment; userData: Buffer }

/**
 * Encodes and decodes one of the consumer protocol's structures.
 *
 * @example
 * ```ts
 * const bytes = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { t: [0] }, userData: Buffer.alloc(0) })
 * ```
 */
export interface ISerializer<T> {
  encode(value: T): Buffer
  decode(buffer: Buffer): T | null
}

/**
 * KafkaJS's consumer config. `partitionAssigners` are KafkaJS's round-robin (the default) or
 * assigners written to KafkaJS's protocol; `rebalanceTimeout` is also the time a handler may run
 * before its member is removed.
 * `readUncommitted: true` shows records of open and aborted transactions, as Kafka's read_uncommitted;
 * by default only committed ones are visible. `metadataMaxAge`, `minBytes`, `maxBytes`,
 * `maxWaitTimeInMs`, `maxInFlightRequests` and `rackId` are accepted and have no effect (records are
 * pushed, not polled).
 *
 * @example
 * ```ts
 * const consumer = kafka.consumer({ groupId: 'billing', sessionTimeout: 10_000, retry: { retries: 2 } })
 * ```
 */
export interface ConsumerConfig {
  groupId: string
  partitionAssigners?: PartitionAssigner[]
  metadataMaxAge?: number
  sessionTimeout?: number
  rebalanceTimeout?: number
  heartbeatInterval?: number
  maxBytesPerPartition?: number
  minBytes?: number
  maxBytes?: number
  maxWaitTimeInMs?: number
  retry?: RetryOptions & { restartOnFailure?: (err: Error) => Promise<boolean> }
  allowAutoTopicCreation?: boolean
  maxInFlightRequests?: number
  readUncommitted?: boolean
  rackId?: string
}

/**
 * A message of a legacy message set (magic 0 or 1), as KafkaJS types it: it has a `size` and no
 * headers. logbus stores RecordBatch v2 only, so the facade never delivers one; the type is here so
 * that code written for KafkaJS's `KafkaMessage` union compiles unchanged.
 *
 * @example
 * ```ts
 * const legacy = (message: KafkaMessage): message is MessageSetEntry => message.size !== undefined
 * ```
 */
export interface MessageSetEntry {
  key: Buffer | null
  value: Buffer | null
  timestamp: string
  attributes: number
  offset: string
  size: number
  headers?: never
}

/**
 * A message of a RecordBatch: what the facade delivers. Header values are Buffers (an array when the
 * producer repeated the key); typed as KafkaJS types them.
 *
 * @example
 * ```ts
 * const traceId = (message: RecordBatchEntry) => message.headers['trace-id']?.toString()
 * ```
 */
export interface RecordBatchEntry {
  key: Buffer | null
  value: Buffer | null
  timestamp: string
  attributes: number
  offset: string
  headers: IHeaders
  size?: never
}

/**
 * A consumed message, KafkaJS's union: offset and timestamp are strings, key and value Buffers or
 * null. The facade always delivers a {@link RecordBatchEntry} (with headers).
 *
 * @example
 * ```ts
 * const handle = (message: KafkaMessage) => JSON.parse(message.value!.toString())
 * ```
 */
export type KafkaMessage = MessageSetEntry | RecordBatchEntry

/**
 * A fetched batch of one partition.
 *
 * @example
 * ```ts
 * await consumer.run({ eachBatch: async ({ batch }) => console.log(batch.partition, batch.lastOffset(), batch.offsetLag()) })
 * ```
 */
export interface Batch {
  topic: string
  partition: number
  highWatermark: string
  messages: KafkaMessage[]
  isEmpty(): boolean
  firstOffset(): string | null
  lastOffset(): string
  offsetLag(): string
  offsetLagLow(): string
}

/**
 * What `eachMessage` receives.
 *
 * @example
 * ```ts
 * const eachMessage = async ({ topic, partition, message }: EachMessagePayload) => console.log(topic, partition, message.offset)
 * ```
 */
export interface EachMessagePayload {
  topic: string
  partition: number
  message: KafkaMessage
  heartbeat(): Promise<void>
  pause(): () => void
}

/**
 * What `eachBatch` receives.
 *
 * @example
 * ```ts
 * const eachBatch = async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
 *   for (const message of batch.messages) { resolveOffset(message.offset); await heartbeat() }
 * }
 * ```
 */
export interface EachBatchPayload {
  batch: Batch
  resolveOffset(offset: string): void
  heartbeat(): Promise<void>
  pause(): () => void
  commitOffsetsIfNecessary(offsets?: Offsets): Promise<void>
  uncommittedOffsets(): OffsetsByTopicPartition
  isRunning(): boolean
  isStale(): boolean
}

/**
 * KafkaJS's alias of `EachMessagePayload`.
 *
 * @example
 * ```ts
 * const handle = async (payload: ConsumerEachMessagePayload) => console.log(payload.message.offset)
 * ```
 */
export type ConsumerEachMessagePayload = EachMessagePayload

/**
 * KafkaJS's alias of `EachBatchPayload`.
 *
 * @example
 * ```ts
 * const handle = async (payload: ConsumerEachBatchPayload) => console.log(payload.batch.messages.length)
 * ```
 */
export type ConsumerEachBatchPayload = EachBatchPayload

/**
 * A batch handler.
 *
 * @example
 * ```ts
 * const eachBatch: EachBatchHandler = async ({ batch }) => console.log(batch.messages.length)
 * ```
 */
export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>

/**
 * A message handler.
 *
 * @example
 * ```ts
 * const eachMessage: EachMessageHandler = async ({ message }) => console.log(message.value?.toString())
 * ```
 */
export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>

/**
 * `consumer.run`'s argument, with KafkaJS's defaults: `autoCommit: true` (offsets are committed after
 * every batch, and within a batch per `autoCommitInterval` / `autoCommitThreshold`),
 * `eachBatchAutoResolve: true`, `partitionsConsumedConcurrently: 1`.
 *
 * @example
 * ```ts
 * await consumer.run({ autoCommitThreshold: 100, eachMessage: async ({ message }) => handle(message) })
 * ```
 */
export type ConsumerRunConfig = {
  autoCommit?: boolean
  autoCommitInterval?: number | null
  autoCommitThreshold?: number | null
  eachBatchAutoResolve?: boolean
  partitionsConsumedConcurrently?: number
  eachBatch?: EachBatchHandler
  eachMessage?: EachMessageHandler
}

/**
 * The deprecated single-topic subscription.
 *
 * @example
 * ```ts
 * await consumer.subscribe({ topic: 'orders', fromBeginning: true })
 * ```
 */
export type ConsumerSubscribeTopic = { topic: string | RegExp; fromBeginning?: boolean }

/**
 * A subscription. A RegExp is matched against the topics that exist when `subscribe` is called, as
 * in KafkaJS (topics created later are not picked up).
 *
 * @example
 * ```ts
 * await consumer.subscribe({ topics: ['orders', /^audit\./], fromBeginning: true })
 * ```
 */
export type ConsumerSubscribeTopics = { topics: (string | RegExp)[]; fromBeginning?: boolean }

/**
 * A topic and a partition.
 *
 * @example
 * ```ts
 * const tp: TopicPartition = { topic: 'orders', partition: 0 }
 * ```
 */
export type TopicPartition = { topic: string; partition: number }

/**
 * A topic and several partitions.
 *
 * @example
 * ```ts
 * const tps: TopicPartitions = { topic: 'orders', partitions: [0, 1] }
 * ```
 */
export type TopicPartitions = { topic: string; partitions: number[] }

/**
 * A topic, a partition and an offset (a string).
 *
 * @example
 * ```ts
 * consumer.seek({ topic: 'orders', partition: 0, offset: '0' })
 * ```
 */
export type TopicPartitionOffset = TopicPartition & { offset: string }

/**
 * An offset to commit, with optional metadata (accepted; logbus does not store commit metadata).
 *
 * @example
 * ```ts
 * await consumer.commitOffsets([{ topic: 'orders', partition: 0, offset: '43' }])
 * ```
 */
export type TopicPartitionOffsetAndMetadata = TopicPartitionOffset & { metadata?: string | null }

/**
 * A partition and an offset, as `seek`, `setOffsets` and `deleteTopicRecords` take them.
 *
 * @example
 * ```ts
 * const entry: SeekEntry = { partition: 0, offset: '10' }
 * ```
 */
export type SeekEntry = PartitionOffset

/**
 * A committed offset as `fetchOffsets` returns it: `'-1'` where the group never committed.
 *
 * @example
 * ```ts
 * const [{ partitions }] = await admin.fetchOffsets({ groupId: 'billing', topics: ['orders'] })
 * ```
 */
export type FetchOffsetsPartition = PartitionOffset & { metadata: string | null }

/**
 * One member as `describeGroup(s)` reports it; `memberMetadata` and `memberAssignment` are encoded
 * with Kafka's consumer protocol (decode them with `AssignerProtocol`).
 *
 * @example
 * ```ts
 * const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)
 * ```
 */
export type MemberDescription = {
  clientHost: string
  clientId: string
  memberId: string
  memberAssignment: Buffer
  memberMetadata: Buffer
}

/**
 * Kafka's group states.
 *
 * @example
 * ```ts
 * const stable = (await consumer.describeGroup()).state === 'Stable'
 * ```
 */
export type ConsumerGroupState =
  | 'Unknown'
  | 'PreparingRebalance'
  | 'CompletingRebalance'
  | 'Stable'
  | 'Dead'
  | 'Empty'

/**
 * A group as `describeGroup(s)` reports it.
 *
 * @example
 * ```ts
 * const { state, protocol, members } = await consumer.describeGroup()
 * ```
 */
export type GroupDescription = {
  /** Kafka's error code for the group: always 0 here (KafkaJS's own type omits it; its value has it). */
  errorCode: number
  groupId: string
  members: MemberDescription[]
  protocol: string
  protocolType: string
  state: ConsumerGroupState
}

/**
 * `admin.describeGroups`'s result.
 *
 * @example
 * ```ts
 * const { groups } = await admin.describeGroups(['billing'])
 * ```
 */
export type GroupDescriptions = { groups: GroupDescription[] }

/**
 * The consumer's event names.
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => console.log(payload.memberAssignment))
 * ```
 */
export interface ConsumerEvents {
  HEARTBEAT: 'consumer.heartbeat'
  COMMIT_OFFSETS: 'consumer.commit_offsets'
  GROUP_JOIN: 'consumer.group_join'
  FETCH_START: 'consumer.fetch_start'
  FETCH: 'consumer.fetch'
  START_BATCH_PROCESS: 'consumer.start_batch_process'
  END_BATCH_PROCESS: 'consumer.end_batch_process'
  CONNECT: 'consumer.connect'
  DISCONNECT: 'consumer.disconnect'
  STOP: 'consumer.stop'
  CRASH: 'consumer.crash'
  REBALANCING: 'consumer.rebalancing'
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics'
  REQUEST: 'consumer.network.request'
  REQUEST_TIMEOUT: 'consumer.network.request_timeout'
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size'
}

/**
 * A heartbeat (at most one per `heartbeatInterval`, when processing calls for one).
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.HEARTBEAT, (e: ConsumerHeartbeatEvent) => console.log(e.payload.groupGenerationId))
 * ```
 */
export type ConsumerHeartbeatEvent = InstrumentationEvent<{
  groupId: string
  memberId: string
  groupGenerationId: number
}>

/**
 * Offsets were committed.
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.COMMIT_OFFSETS, (e: ConsumerCommitOffsetsEvent) => console.log(e.payload.topics))
 * ```
 */
export type ConsumerCommitOffsetsEvent = InstrumentationEvent<{
  groupId: string
  memberId: string
  groupGenerationId: number
  topics: TopicOffsets[]
}>

/**
 * Partitions by topic, in the `GROUP_JOIN` event.
 *
 * @example
 * ```ts
 * const assignment: IMemberAssignment = { orders: [0, 1] }
 * ```
 */
export interface IMemberAssignment {
  [key: string]: number[]
}

/**
 * The member joined its group and received its assignment.
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.GROUP_JOIN, (e: ConsumerGroupJoinEvent) => console.log(e.payload.memberAssignment))
 * ```
 */
export type ConsumerGroupJoinEvent = InstrumentationEvent<{
  duration: number
  groupId: string
  isLeader: boolean
  leaderId: string
  groupProtocol: string
  memberId: string
  memberAssignment: IMemberAssignment
}>

/**
 * A fetch started (emitted before each batch is handed over; node 0 is the only broker).
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.FETCH_START, (e: ConsumerFetchStartEvent) => console.log(e.payload.nodeId))
 * ```
 */
export type ConsumerFetchStartEvent = InstrumentationEvent<{ nodeId: number }>

/**
 * A fetch completed (`numberOfBatches` is always 0, as in KafkaJS 2).
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.FETCH, (e: ConsumerFetchEvent) => console.log(e.payload.duration))
 * ```
 */
export type ConsumerFetchEvent = InstrumentationEvent<{
  numberOfBatches: number
  duration: number
  nodeId: number
}>

/**
 * The payload of the batch processing events.
 *
 * @example
 * ```ts
 * const lag = (p: IBatchProcessEvent) => Number(p.offsetLag)
 * ```
 */
export interface IBatchProcessEvent {
  topic: string
  partition: number
  highWatermark: string
  offsetLag: string
  offsetLagLow: string
  batchSize: number
  firstOffset: string
  lastOffset: string
}

/**
 * A batch is about to be processed.
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.START_BATCH_PROCESS, (e: ConsumerStartBatchProcessEvent) => console.log(e.payload.batchSize))
 * ```
 */
export type ConsumerStartBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent>

/**
 * A batch was processed.
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.END_BATCH_PROCESS, (e: ConsumerEndBatchProcessEvent) => console.log(e.payload.duration))
 * ```
 */
export type ConsumerEndBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent & { duration: number }>

/**
 * The consumer crashed: a handler failed past its retries (`KafkaJSNumberOfRetriesExceeded`) or with
 * a non-retriable error. `restart` says whether it rejoins.
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.CRASH, (e: ConsumerCrashEvent) => console.error(e.payload.error, e.payload.restart))
 * ```
 */
export type ConsumerCrashEvent = InstrumentationEvent<{ error: Error; groupId: string; restart: boolean }>

/**
 * The group started rebalancing while this member was in it.
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.REBALANCING, (e: ConsumerRebalancingEvent) => console.log(e.payload.memberId))
 * ```
 */
export type ConsumerRebalancingEvent = InstrumentationEvent<{ groupId: string; memberId: string }>

/**
 * The member was assigned topics it does not subscribe to; never emitted (logbus only assigns
 * subscribed topics).
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.RECEIVED_UNSUBSCRIBED_TOPICS, (e: ConsumerReceivedUnsubcribedTopicsEvent) => console.warn(e.payload))
 * ```
 */
export type ConsumerReceivedUnsubcribedTopicsEvent = InstrumentationEvent<{
  groupId: string
  generationId: number
  memberId: string
  assignedTopics: string[]
  topicsSubscribed: string[]
  topicsNotSubscribed: string[]
}>

/**
 * What a consumer listener receives, by event name.
 *
 * @example
 * ```ts
 * type Crash = ConsumerEventPayloads['consumer.crash']
 * ```
 */
export interface ConsumerEventPayloads {
  'consumer.heartbeat': ConsumerHeartbeatEvent
  'consumer.commit_offsets': ConsumerCommitOffsetsEvent
  'consumer.group_join': ConsumerGroupJoinEvent
  'consumer.fetch_start': ConsumerFetchStartEvent
  'consumer.fetch': ConsumerFetchEvent
  'consumer.start_batch_process': ConsumerStartBatchProcessEvent
  'consumer.end_batch_process': ConsumerEndBatchProcessEvent
  'consumer.connect': ConnectEvent
  'consumer.disconnect': DisconnectEvent
  'consumer.stop': InstrumentationEvent<null>
  'consumer.crash': ConsumerCrashEvent
  'consumer.rebalancing': ConsumerRebalancingEvent
  'consumer.received_unsubscribed_topics': ConsumerReceivedUnsubcribedTopicsEvent
  'consumer.network.request': RequestEvent
  'consumer.network.request_timeout': RequestTimeoutEvent
  'consumer.network.request_queue_size': RequestQueueSizeEvent
}

/**
 * KafkaJS's consumer: one member of a group.
 *
 * @example
 * ```ts
 * const consumer = kafka.consumer({ groupId: 'billing' })
 * await consumer.connect()
 * await consumer.subscribe({ topics: ['orders'], fromBeginning: true })
 * await consumer.run({ eachMessage: async ({ message }) => console.log(message.value?.toString()) })
 * ```
 */
export interface Consumer {
  connect(): Promise<void>
  disconnect(): Promise<void>
  subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void>
  stop(): Promise<void>
  run(config?: ConsumerRunConfig): Promise<void>
  commitOffsets(topicPartitions: Array<TopicPartitionOffsetAndMetadata>): Promise<void>
  seek(topicPartitionOffset: TopicPartitionOffset): void
  describeGroup(): Promise<GroupDescription>
  pause(topics: Array<{ topic: string; partitions?: number[] }>): void
  paused(): TopicPartitions[]
  resume(topics: Array<{ topic: string; partitions?: number[] }>): void
  on<E extends keyof ConsumerEventPayloads>(
    eventName: E,
    listener: (event: ConsumerEventPayloads[E]) => void,
  ): RemoveInstrumentationEventListener<E>
  logger(): Logger
  readonly events: ConsumerEvents
}

/**
 * KafkaJS's admin config.
 *
 * @example
 * ```ts
 * const admin = kafka.admin({ retry: { retries: 0 } })
 * ```
 */
export interface AdminConfig {
  retry?: RetryOptions
}

/**
 * A topic to create. `replicationFactor` and `replicaAssignment` are accepted and ignored (one broker
 * holds everything); `configEntries` use Kafka's topic config names.
 *
 * @example
 * ```ts
 * await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] })
 * ```
 */
export interface ITopicConfig {
  topic: string
  numPartitions?: number
  replicationFactor?: number
  replicaAssignment?: ReplicaAssignment[]
  configEntries?: IResourceConfigEntry[]
}

/**
 * A topic to grow to `count` partitions.
 *
 * @example
 * ```ts
 * await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 12 }] })
 * ```
 */
export interface ITopicPartitionConfig {
  topic: string
  count: number
  assignments?: Array<Array<number>>
}

/**
 * A topic's metadata.
 *
 * @example
 * ```ts
 * const { topics } = await admin.fetchTopicMetadata({ topics: ['orders'] })
 * ```
 */
export interface ITopicMetadata {
  name: string
  partitions: PartitionMetadata[]
}

/**
 * Replicas of one partition.
 *
 * @example
 * ```ts
 * const ra: ReplicaAssignment = { partition: 0, replicas: [0] }
 * ```
 */
export interface ReplicaAssignment {
  partition: number
  replicas: Array<number>
}

/**
 * A reassignment request for one topic.
 *
 * @example
 * ```ts
 * const r: PartitionReassignment = { topic: 'orders', partitionAssignment: [{ partition: 0, replicas: [0] }] }
 * ```
 */
export interface PartitionReassignment {
  topic: string
  partitionAssignment: Array<ReplicaAssignment>
}

/**
 * A config query.
 *
 * @example
 * ```ts
 * const q: ResourceConfigQuery = { type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['retention.ms'] }
 * ```
 */
export interface ResourceConfigQuery {
  type: ConfigResourceTypes
  name: string
  configNames?: string[]
}

/**
 * One config as `describeConfigs` returns it.
 *
 * @example
 * ```ts
 * const retention = entries.find((e: ConfigEntries) => e.configName === 'retention.ms')?.configValue
 * ```
 */
export interface ConfigEntries {
  configName: string
  configValue: string
  isDefault: boolean
  configSource: ConfigSource
  isSensitive: boolean
  readOnly: boolean
  configSynonyms: ConfigSynonyms[]
}

/**
 * A synonym of a config (where its value comes from).
 *
 * @example
 * ```ts
 * const s: ConfigSynonyms = { configName: 'retention.ms', configValue: '1000', configSource: ConfigSource.TOPIC_CONFIG }
 * ```
 */
export interface ConfigSynonyms {
  configName: string
  configValue: string
  configSource: ConfigSource
}

/**
 * `describeConfigs`'s result.
 *
 * @example
 * ```ts
 * const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders' }] })
 * ```
 */
export interface DescribeConfigResponse {
  resources: {
    configEntries: ConfigEntries[]
    errorCode: number
    errorMessage: string
    resourceName: string
    resourceType: ConfigResourceTypes
  }[]
  throttleTime: number
}

/**
 * `alterConfigs`'s result (KafkaJS types it as `any`).
 *
 * @example
 * ```ts
 * const { resources } = await admin.alterConfigs({ validateOnly: false, resources: [] })
 * ```
 */
export interface AlterConfigResponse {
  resources: {
    errorCode: number
    errorMessage: string
    resourceName: string
    resourceType: ConfigResourceTypes
  }[]
  throttleTime: number
}

/**
 * A config name and value.
 *
 * @example
 * ```ts
 * const entry: IResourceConfigEntry = { name: 'retention.ms', value: '60000' }
 * ```
 */
export interface IResourceConfigEntry {
  name: string
  value: string
}

/**
 * A resource whose configs to set.
 *
 * @example
 * ```ts
 * const r: IResourceConfig = { type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'retention.ms', value: '60000' }] }
 * ```
 */
export interface IResourceConfig {
  type: ConfigResourceTypes
  name: string
  configEntries: IResourceConfigEntry[]
}

/**
 * A group in `listGroups`.
 *
 * @example
 * ```ts
 * const { groups } = await admin.listGroups()
 * ```
 */
export type GroupOverview = { groupId: string; protocolType: string }

/**
 * The result of deleting one group.
 *
 * @example
 * ```ts
 * const [result] = await admin.deleteGroups(['billing'])
 * ```
 */
export type DeleteGroupsResult = { groupId: string; errorCode?: number; error?: KafkaJSProtocolError }

/**
 * An ACL binding.
 *
 * @example
 * ```ts
 * const acl: Acl = { principal: 'User:bob', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }
 * ```
 */
export interface Acl {
  principal: string
  host: string
  operation: AclOperationTypes
  permissionType: AclPermissionTypes
}

/**
 * The resource of an ACL.
 *
 * @example
 * ```ts
 * const r: AclResource = { resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.LITERAL }
 * ```
 */
export interface AclResource {
  resourceType: AclResourceTypes
  resourceName: string
  resourcePatternType: ResourcePatternTypes
}

/**
 * An ACL with its resource.
 *
 * @example
 * ```ts
 * await admin.createAcls({ acl: [{ ...resource, ...acl } satisfies AclEntry] })
 * ```
 */
export type AclEntry = Acl & AclResource

/**
 * A resource and its ACLs.
 *
 * @example
 * ```ts
 * const { resources } = await admin.describeAcls(filter)
 * ```
 */
export type DescribeAclResource = AclResource & { acls: Acl[] }

/**
 * `describeAcls`'s result.
 *
 * @example
 * ```ts
 * const response: DescribeAclResponse = await admin.describeAcls(filter)
 * ```
 */
export interface DescribeAclResponse {
  throttleTime: number
  errorCode: number
  errorMessage?: string
  resources: DescribeAclResource[]
}

/**
 * An ACL filter (ANY matches anything; `MATCH` patterns match literal, wildcard and prefixed ACLs).
 *
 * @example
 * ```ts
 * const filter: AclFilter = { resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }
 * ```
 */
export interface AclFilter {
  resourceType: AclResourceTypes
  resourceName?: string
  resourcePatternType: ResourcePatternTypes
  principal?: string
  host?: string
  operation: AclOperationTypes
  permissionType: AclPermissionTypes
}

/**
 * An ACL a delete filter matched.
 *
 * @example
 * ```ts
 * const deleted = response.filterResponses.flatMap((r) => r.matchingAcls)
 * ```
 */
export interface MatchingAcl {
  errorCode: number
  errorMessage?: string
  resourceType: AclResourceTypes
  resourceName: string
  resourcePatternType: ResourcePatternTypes
  principal: string
  host: string
  operation: AclOperationTypes
  permissionType: AclPermissionTypes
}

/**
 * What one delete filter matched.
 *
 * @example
 * ```ts
 * const [first]: DeleteAclFilterResponses[] = response.filterResponses
 * ```
 */
export interface DeleteAclFilterResponses {
  errorCode: number
  errorMessage?: string
  matchingAcls: MatchingAcl[]
}

/**
 * `deleteAcls`'s result.
 *
 * @example
 * ```ts
 * const response: DeleteAclResponse = await admin.deleteAcls({ filters: [filter] })
 * ```
 */
export interface DeleteAclResponse {
  throttleTime: number
  filterResponses: DeleteAclFilterResponses[]
}

/**
 * `listPartitionReassignments`'s result: always empty, nothing is ever being reassigned.
 *
 * @example
 * ```ts
 * const { topics } = await admin.listPartitionReassignments({})
 * ```
 */
export interface ListPartitionReassignmentsResponse {
  topics: OngoingTopicReassignment[]
}

/**
 * Reassignments in progress for one topic.
 *
 * @example
 * ```ts
 * const r: OngoingTopicReassignment = { topic: 'orders', partitions: [] }
 * ```
 */
export interface OngoingTopicReassignment {
  topic: string
  partitions: OngoingPartitionReassignment[]
}

/**
 * A reassignment in progress for one partition.
 *
 * @example
 * ```ts
 * const r: OngoingPartitionReassignment = { partitionIndex: 0, replicas: [0] }
 * ```
 */
export interface OngoingPartitionReassignment {
  partitionIndex: number
  replicas: number[]
  addingReplicas?: number[]
  removingReplicas?: number[]
}

/**
 * The admin's event names.
 *
 * @example
 * ```ts
 * admin.on(admin.events.CONNECT, () => console.log('admin connected'))
 * ```
 */
export interface AdminEvents {
  CONNECT: 'admin.connect'
  DISCONNECT: 'admin.disconnect'
  REQUEST: 'admin.network.request'
  REQUEST_TIMEOUT: 'admin.network.request_timeout'
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size'
}

/**
 * What an admin listener receives, by event name.
 *
 * @example
 * ```ts
 * type Connect = AdminEventPayloads['admin.connect']
 * ```
 */
export interface AdminEventPayloads {
  'admin.connect': ConnectEvent
  'admin.disconnect': DisconnectEvent
  'admin.network.request': RequestEvent
  'admin.network.request_timeout': RequestTimeoutEvent
  'admin.network.request_queue_size': RequestQueueSizeEvent
}

/**
 * KafkaJS's admin client.
 *
 * @example
 * ```ts
 * const admin = kafka.admin()
 * await admin.connect()
 * await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] })
 * console.log(await admin.fetchTopicOffsets('orders'))
 * await admin.disconnect()
 * ```
 */
export interface Admin {
  connect(): Promise<void>
  disconnect(): Promise<void>
  listTopics(): Promise<string[]>
  createTopics(options: {
    validateOnly?: boolean
    waitForLeaders?: boolean
    timeout?: number
    topics: ITopicConfig[]
  }): Promise<boolean>
  deleteTopics(options: { topics: string[]; timeout?: number }): Promise<void>
  createPartitions(options: {
    validateOnly?: boolean
    timeout?: number
    topicPartitions: ITopicPartitionConfig[]
  }): Promise<boolean>
  fetchTopicMetadata(options?: { topics: string[] }): Promise<{ topics: Array<ITopicMetadata> }>
  fetchOffsets(options: {
    groupId: string
    topics?: string[]
    resolveOffsets?: boolean
  }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>>
  fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>>
  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<Array<SeekEntry>>
  describeCluster(): Promise<{
    brokers: Array<{ nodeId: number; host: string; port: number }>
    controller: number | null
    clusterId: string
  }>
  setOffsets(options: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void>
  resetOffsets(options: { groupId: string; topic: string; earliest: boolean }): Promise<void>
  describeConfigs(configs: {
    resources: ResourceConfigQuery[]
    includeSynonyms: boolean
  }): Promise<DescribeConfigResponse>
  alterConfigs(configs: { validateOnly: boolean; resources: IResourceConfig[] }): Promise<AlterConfigResponse>
  listGroups(): Promise<{ groups: GroupOverview[] }>
  deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]>
  describeGroups(groupIds: string[]): Promise<GroupDescriptions>
  describeAcls(options: AclFilter): Promise<DescribeAclResponse>
  deleteAcls(options: { filters: AclFilter[] }): Promise<DeleteAclResponse>
  createAcls(options: { acl: AclEntry[] }): Promise<boolean>
  deleteTopicRecords(options: { topic: string; partitions: SeekEntry[] }): Promise<void>
  alterPartitionReassignments(request: { topics: PartitionReassignment[]; timeout?: number }): Promise<void>
  listPartitionReassignments(request: {
    topics?: TopicPartitions[]
    timeout?: number
  }): Promise<ListPartitionReassignmentsResponse>
  logger(): Logger
  on<E extends keyof AdminEventPayloads>(
    eventName: E,
    listener: (event: AdminEventPayloads[E]) => void,
  ): RemoveInstrumentationEventListener<E>
  readonly events: AdminEvents
}

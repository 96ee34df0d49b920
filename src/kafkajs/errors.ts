import type { PartitionMetadata } from './types'

/**
 * What a KafkaJS error can be built from: a message, an error, or a protocol error description.
 *
 * @example
 * ```ts
 * new KafkaJSProtocolError({ message: 'no such topic', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true })
 * ```
 */
export type KafkaJSErrorSource =
  | string
  | Error
  | { message: string; type?: string; code?: number; retriable?: boolean; helpUrl?: string }

/**
 * Options of `KafkaJSError`'s constructor.
 *
 * @example
 * ```ts
 * new KafkaJSError('temporarily unavailable', { retriable: true })
 * ```
 */
export interface KafkaJSErrorMetadata {
  retriable?: boolean
  cause?: unknown
  topic?: string
  partitionId?: number
  metadata?: PartitionMetadata
}

function messageOf(e: KafkaJSErrorSource): string {
  return typeof e === 'string' ? e : e.message
}

/**
 * The base of KafkaJS's errors: `retriable` says whether the call may succeed if tried again.
 *
 * @example
 * ```ts
 * try { await producer.send(record) } catch (e) { if (e instanceof KafkaJSError && e.retriable) retryLater() }
 * ```
 */
export class KafkaJSError extends Error {
  override name = 'KafkaJSError'
  readonly retriable: boolean
  readonly helpUrl?: string
  override readonly cause?: Error

  constructor(e: KafkaJSErrorSource, metadata: KafkaJSErrorMetadata = {}) {
    super(messageOf(e))
    this.retriable = metadata.retriable ?? true
    if (typeof e === 'object' && 'helpUrl' in e && typeof e.helpUrl === 'string') this.helpUrl = e.helpUrl
    if (metadata.cause !== undefined) {
      this.cause = metadata.cause instanceof Error ? metadata.cause : new Error(String(metadata.cause))
    }
  }
}

/**
 * An error no retry can fix.
 *
 * @example
 * ```ts
 * throw new KafkaJSNonRetriableError('Invalid topic')
 * ```
 */
export class KafkaJSNonRetriableError extends KafkaJSError {
  override name = 'KafkaJSNonRetriableError'
  constructor(e: KafkaJSErrorSource, metadata: { cause?: unknown } = {}) {
    super(e, { retriable: false, cause: metadata.cause })
  }
}

/**
 * An error Kafka's protocol defines: `type` is Kafka's name (e.g. `UNKNOWN_TOPIC_OR_PARTITION`), `code`
 * its number.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSProtocolError && e.type === 'TOPIC_ALREADY_EXISTS') return
 * ```
 */
export class KafkaJSProtocolError extends KafkaJSError {
  override name = 'KafkaJSProtocolError'
  readonly code: number
  readonly type: string
  constructor(e: KafkaJSErrorSource, metadata: { retriable?: boolean } = {}) {
    const source =
      typeof e === 'string' ? undefined : (e as { type?: string; code?: number; retriable?: boolean })
    super(e, { retriable: metadata.retriable ?? source?.retriable ?? true })
    this.type = source?.type ?? 'UNKNOWN'
    this.code = source?.code ?? -1
  }
}

/**
 * A fetch at an offset the partition does not hold.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSOffsetOutOfRange) console.log(e.topic, e.partition)
 * ```
 */
export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  override name = 'KafkaJSOffsetOutOfRange'
  readonly topic: string
  readonly partition: number
  constructor(e: KafkaJSErrorSource, metadata: { topic: string; partition: number }) {
    super(e)
    this.topic = metadata.topic
    this.partition = metadata.partition
  }
}

/**
 * The coordinator requires a member id (a protocol step KafkaJS handles internally).
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSMemberIdRequired) console.log(e.memberId)
 * ```
 */
export class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  override name = 'KafkaJSMemberIdRequired'
  readonly memberId: string
  constructor(e: KafkaJSErrorSource, metadata: { memberId: string }) {
    super(e)
    this.memberId = metadata.memberId
  }
}

/**
 * A retriable error kept failing past the configured retries; `cause` is the last error.
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.CRASH, ({ payload }) => {
 *   if (payload.error.name === 'KafkaJSNumberOfRetriesExceeded') console.error(payload.error.cause)
 * })
 * ```
 */
export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  override name = 'KafkaJSNumberOfRetriesExceeded'
  override readonly stack: string
  readonly retryCount: number
  readonly retryTime: number
  constructor(e: KafkaJSErrorSource, metadata: { retryCount: number; retryTime: number }) {
    super(e, { cause: e })
    this.retryCount = metadata.retryCount
    this.retryTime = metadata.retryTime
    const causeStack =
      typeof e === 'object' && 'stack' in e && typeof e.stack === 'string' ? e.stack : messageOf(e)
    this.stack = `${this.name}\n  Caused by: ${causeStack}`
  }
}

/**
 * A connection to a broker failed; never thrown in process (there is no network).
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSConnectionError) console.log(e.broker)
 * ```
 */
export class KafkaJSConnectionError extends KafkaJSError {
  override name = 'KafkaJSConnectionError'
  readonly broker: string
  readonly code?: string
  constructor(e: KafkaJSErrorSource, metadata: { broker?: string; code?: string } = {}) {
    super(e)
    this.broker = metadata.broker ?? ''
    if (metadata.code !== undefined) this.code = metadata.code
  }
}

/**
 * A broker closed the connection; never thrown in process.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSConnectionClosedError) console.log(e.host, e.port)
 * ```
 */
export class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  override name = 'KafkaJSConnectionClosedError'
  readonly host?: string
  readonly port?: number
  constructor(e: KafkaJSErrorSource, metadata: { host?: string; port?: number } = {}) {
    super(e, { broker: `${metadata.host}:${metadata.port}` })
    if (metadata.host !== undefined) this.host = metadata.host
    if (metadata.port !== undefined) this.port = metadata.port
  }
}

/**
 * A request timed out; never thrown in process.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSRequestTimeoutError) console.log(e.broker, e.pendingDuration)
 * ```
 */
export class KafkaJSRequestTimeoutError extends KafkaJSError {
  override name = 'KafkaJSRequestTimeoutError'
  readonly broker: string
  readonly correlationId: number
  readonly createdAt: number
  readonly sentAt: number
  readonly pendingDuration: number
  constructor(
    e: KafkaJSErrorSource,
    metadata: {
      broker?: string
      correlationId?: number
      createdAt?: number
      sentAt?: number
      pendingDuration?: number
    } = {},
  ) {
    super(e)
    this.broker = metadata.broker ?? ''
    this.correlationId = metadata.correlationId ?? 0
    this.createdAt = metadata.createdAt ?? 0
    this.sentAt = metadata.sentAt ?? 0
    this.pendingDuration = metadata.pendingDuration ?? 0
  }
}

/**
 * Cluster metadata is not loaded yet.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSMetadataNotLoaded) await refresh()
 * ```
 */
export class KafkaJSMetadataNotLoaded extends KafkaJSError {
  override name = 'KafkaJSMetadataNotLoaded'
  constructor(e: KafkaJSErrorSource = 'Metadata not loaded', metadata?: KafkaJSErrorMetadata) {
    super(e, metadata)
  }
}

/**
 * A topic's metadata is not loaded yet.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSTopicMetadataNotLoaded) console.log(e.topic)
 * ```
 */
export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  override name = 'KafkaJSTopicMetadataNotLoaded'
  readonly topic: string
  constructor(e: KafkaJSErrorSource, metadata: { topic?: string } = {}) {
    super(e)
    this.topic = metadata.topic ?? ''
  }
}

/**
 * The member's assignment refers to partitions its metadata does not know.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSStaleTopicMetadataAssignment) console.log(e.topic, e.unknownPartitions)
 * ```
 */
export class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  override name = 'KafkaJSStaleTopicMetadataAssignment'
  readonly topic: string
  readonly unknownPartitions: number
  constructor(e: KafkaJSErrorSource, metadata: { topic?: string; unknownPartitions?: number } = {}) {
    super(e)
    this.topic = metadata.topic ?? ''
    this.unknownPartitions = metadata.unknownPartitions ?? 0
  }
}

/**
 * The broker does not support a request; never thrown in process.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSServerDoesNotSupportApiKey) console.log(e.apiName)
 * ```
 */
export class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  override name = 'KafkaJSServerDoesNotSupportApiKey'
  readonly apiKey: number
  readonly apiName: string
  constructor(e: KafkaJSErrorSource, metadata: { apiKey?: number; apiName?: string } = {}) {
    super(e)
    this.apiKey = metadata.apiKey ?? -1
    this.apiName = metadata.apiName ?? ''
  }
}

/**
 * No broker leads a partition.
 *
 * @example
 * ```ts
 * new KafkaJSBrokerNotFound('Could not find the leader for the partition', { retriable: false })
 * ```
 */
export class KafkaJSBrokerNotFound extends KafkaJSError {
  override name = 'KafkaJSBrokerNotFound'
  constructor(e: KafkaJSErrorSource = 'Broker not found', metadata?: KafkaJSErrorMetadata) {
    super(e, metadata)
  }
}

/**
 * A partial message was received; never thrown in process.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSPartialMessageError) console.log(e.message)
 * ```
 */
export class KafkaJSPartialMessageError extends KafkaJSNonRetriableError {
  override name = 'KafkaJSPartialMessageError'
  constructor(e: KafkaJSErrorSource = 'Partial message') {
    super(e)
  }
}

/**
 * SASL authentication failed; never thrown in process.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSSASLAuthenticationError) console.log(e.message)
 * ```
 */
export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {
  override name = 'KafkaJSSASLAuthenticationError'
  constructor(e: KafkaJSErrorSource = 'SASL authentication failed') {
    super(e)
  }
}

/**
 * No group coordinator was found; never thrown in process.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSGroupCoordinatorNotFound) console.log(e.message)
 * ```
 */
export class KafkaJSGroupCoordinatorNotFound extends KafkaJSNonRetriableError {
  override name = 'KafkaJSGroupCoordinatorNotFound'
  constructor(e: KafkaJSErrorSource = 'Group coordinator not found') {
    super(e)
  }
}

/**
 * A feature that is not implemented (e.g. a compression codec that was not registered).
 *
 * @example
 * ```ts
 * throw new KafkaJSNotImplemented('Snappy compression not implemented')
 * ```
 */
export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  override name = 'KafkaJSNotImplemented'
  constructor(e: KafkaJSErrorSource = 'Not implemented') {
    super(e)
  }
}

/**
 * A wait timed out.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSTimeout) console.log(e.message)
 * ```
 */
export class KafkaJSTimeout extends KafkaJSNonRetriableError {
  override name = 'KafkaJSTimeout'
  constructor(e: KafkaJSErrorSource = 'Timeout') {
    super(e)
  }
}

/**
 * A lock was not acquired in time.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSLockTimeout) console.log(e.message)
 * ```
 */
export class KafkaJSLockTimeout extends KafkaJSTimeout {
  override name = 'KafkaJSLockTimeout'
}

/**
 * An old message format; never thrown in process.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSUnsupportedMagicByteInMessageSet) console.log(e.message)
 * ```
 */
export class KafkaJSUnsupportedMagicByteInMessageSet extends KafkaJSNonRetriableError {
  override name = 'KafkaJSUnsupportedMagicByteInMessageSet'
  constructor(e: KafkaJSErrorSource = 'Unsupported magic byte') {
    super(e)
  }
}

/**
 * Deleting groups failed for some of them; `groups` says which and why.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSDeleteGroupsError) for (const g of e.groups) console.log(g.groupId, g.error?.type)
 * ```
 */
export class KafkaJSDeleteGroupsError extends KafkaJSError {
  override name = 'KafkaJSDeleteGroupsError'
  readonly groups: Array<{ groupId: string; errorCode?: number; error?: KafkaJSProtocolError }>
  constructor(
    e: KafkaJSErrorSource,
    groups: Array<{ groupId: string; errorCode?: number; error?: KafkaJSProtocolError }> = [],
  ) {
    super(e)
    this.groups = groups
  }
}

/**
 * One partition whose records could not be deleted.
 *
 * @example
 * ```ts
 * const failed: KafkaJSDeleteTopicRecordsErrorPartition = { partition: 0, offset: '99', error }
 * ```
 */
export interface KafkaJSDeleteTopicRecordsErrorPartition {
  partition: number
  offset: string
  error: KafkaJSError
}

/**
 * Deleting records failed for some partitions; retriable when every cause is.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSDeleteTopicRecordsError) for (const p of e.partitions) console.log(p.partition, p.error.message)
 * ```
 */
export class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  override name = 'KafkaJSDeleteTopicRecordsError'
  readonly partitions: KafkaJSDeleteTopicRecordsErrorPartition[]
  constructor(metadata: { topic?: string; partitions: KafkaJSDeleteTopicRecordsErrorPartition[] }) {
    const retriable = metadata.partitions.every(({ error }) => error.retriable)
    super('Error while deleting records', { retriable })
    this.partitions = metadata.partitions
  }
}

/**
 * A broken invariant: a bug.
 *
 * @example
 * ```ts
 * throw new KafkaJSInvariantViolation('offsets must grow')
 * ```
 */
export class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  override name = 'KafkaJSInvariantViolation'
  constructor(e: KafkaJSErrorSource) {
    super(`Invariant violated: ${messageOf(e)}. This is likely a bug and should be reported.`)
  }
}

/**
 * A malformed varint; never thrown in process. Its `name` is KafkaJS's: `KafkaJSNonRetriableError`.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSInvalidVarIntError) console.log(e.message)
 * ```
 */
export class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {
  override name = 'KafkaJSNonRetriableError'
}

/**
 * A malformed long; never thrown in process. Its `name` is KafkaJS's: `KafkaJSNonRetriableError`.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSInvalidLongError) console.log(e.message)
 * ```
 */
export class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {
  override name = 'KafkaJSNonRetriableError'
}

/**
 * One topic that could not be created, inside a `KafkaJSAggregateError`.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSAggregateError) for (const err of e.errors) if (err instanceof KafkaJSCreateTopicError) console.log(err.topic, err.type)
 * ```
 */
export class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  override name = 'KafkaJSCreateTopicError'
  readonly topic: string
  constructor(e: KafkaJSErrorSource, topicName: string) {
    super(e)
    this.topic = topicName
  }
}

/**
 * Several errors at once (e.g. `createTopics` failing for several topics).
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSAggregateError) console.log(e.errors.length)
 * ```
 */
export class KafkaJSAggregateError extends Error {
  override name = 'KafkaJSAggregateError'
  readonly errors: (Error | string)[]
  constructor(message: Error | string, errors: (Error | string)[]) {
    super(typeof message === 'string' ? message : message.message)
    this.errors = errors
  }
}

/**
 * KafkaJS's internal signal that a fetch was interrupted by a rebalance; never thrown by the facade.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSFetcherRebalanceError) console.log('rebalancing')
 * ```
 */
export class KafkaJSFetcherRebalanceError extends Error {}

/**
 * No broker is available; never thrown in process.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSNoBrokerAvailableError) console.log(e.message)
 * ```
 */
export class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  override name = 'KafkaJSNoBrokerAvailableError'
  constructor() {
    super('No broker available')
  }
}

/**
 * A partition reassignment failed.
 *
 * @example
 * ```ts
 * if (e instanceof KafkaJSAlterPartitionReassignmentsError) console.log(e.topic, e.partition)
 * ```
 */
export class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  override name = 'KafkaJSAlterPartitionReassignmentsError'
  readonly topic?: string
  readonly partition?: number
  constructor(e: KafkaJSErrorSource, topic?: string, partition?: number) {
    super(e)
    if (topic !== undefined) this.topic = topic
    if (partition !== undefined) this.partition = partition
  }
}

/**
 * KafkaJS's test for the errors after which a member rejoins its group rather than retrying.
 *
 * @example
 * ```ts
 * if (isRebalancing(error)) console.log('rejoining')
 * ```
 */
export function isRebalancing(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type
  return (
    type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION'
  )
}

/** Kafka's protocol errors the facade raises: code, retriable, and a description. */
const PROTOCOL_ERRORS = {
  UNKNOWN: [-1, false, 'The broker failed with an unexpected error'],
  OFFSET_OUT_OF_RANGE: [1, false, 'The offset is outside the range of offsets the partition holds'],
  CORRUPT_MESSAGE: [2, true, 'A record is corrupt'],
  UNKNOWN_TOPIC_OR_PARTITION: [3, true, 'The topic or partition does not exist on this broker'],
  REQUEST_TIMED_OUT: [7, true, 'The request timed out'],
  MESSAGE_TOO_LARGE: [10, false, 'A message is larger than the topic accepts (max.message.bytes)'],
  INVALID_TOPIC_EXCEPTION: [17, false, 'The topic name is not valid'],
  ILLEGAL_GENERATION: [22, false, 'The member is from an older generation of the group'],
  INCONSISTENT_GROUP_PROTOCOL: [23, false, "The member's assigner is not the one the group uses"],
  UNKNOWN_MEMBER_ID: [25, false, 'The group does not know this member'],
  REBALANCE_IN_PROGRESS: [27, false, 'The group is rebalancing, so a rejoin is needed'],
  TOPIC_ALREADY_EXISTS: [36, false, 'A topic with this name already exists'],
  INVALID_PARTITIONS: [37, false, 'The number of partitions is not valid'],
  INVALID_REPLICATION_FACTOR: [38, false, 'The replication factor is not valid'],
  INVALID_REPLICA_ASSIGNMENT: [39, false, 'The replica assignment is not valid'],
  INVALID_CONFIG: [40, false, 'A configuration is not valid'],
  INVALID_REQUEST: [42, false, 'The request is not valid'],
  INVALID_PRODUCER_EPOCH: [
    47,
    false,
    'The producer has an old epoch: a newer producer has the same transactionalId, or its transaction expired',
  ],
  INVALID_TXN_STATE: [48, false, 'The transaction is not in a state that allows this'],
  KAFKA_STORAGE_ERROR: [56, true, 'The broker failed to read or write its log'],
  NON_EMPTY_GROUP: [68, false, 'The group has members'],
  GROUP_ID_NOT_FOUND: [69, false, 'The group does not exist'],
  FENCED_INSTANCE_ID: [82, false, 'A newer member uses this instance id'],
  INVALID_RECORD: [87, false, 'A record is not valid'],
} as const satisfies Record<string, readonly [number, boolean, string]>

/**
 * A Kafka protocol error type the facade can raise.
 *
 * @example
 * ```ts
 * const type: ProtocolErrorType = 'UNKNOWN_TOPIC_OR_PARTITION'
 * ```
 */
export type ProtocolErrorType = keyof typeof PROTOCOL_ERRORS

/**
 * Builds the `KafkaJSProtocolError` KafkaJS would raise for a Kafka error `type`; `detail` is appended
 * to the description.
 *
 * @example
 * ```ts
 * throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', 'topic "orders"')
 * ```
 */
export function protocolError(type: ProtocolErrorType, detail?: string): KafkaJSProtocolError {
  const [code, retriable, description] = PROTOCOL_ERRORS[type]
  const message = detail === undefined ? description : `${description}: ${detail}`
  return new KafkaJSProtocolError({ message, type, code, retriable })
}

/** Core error codes and the Kafka protocol error each one is. */
const CORE_TO_PROTOCOL: Partial<Record<string, ProtocolErrorType>> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'UNKNOWN_TOPIC_OR_PARTITION',
  TOPIC_ALREADY_EXISTS: 'TOPIC_ALREADY_EXISTS',
  INVALID_TOPIC_EXCEPTION: 'INVALID_TOPIC_EXCEPTION',
  INVALID_PARTITIONS: 'INVALID_PARTITIONS',
  INVALID_CONFIG: 'INVALID_CONFIG',
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  REQUEST_TIMED_OUT: 'REQUEST_TIMED_OUT',
  CORRUPT_MESSAGE: 'CORRUPT_MESSAGE',
  KAFKA_STORAGE_ERROR: 'KAFKA_STORAGE_ERROR',
  ILLEGAL_GENERATION: 'ILLEGAL_GENERATION',
  UNKNOWN_MEMBER_ID: 'UNKNOWN_MEMBER_ID',
  FENCED_INSTANCE_ID: 'FENCED_INSTANCE_ID',
  NON_EMPTY_GROUP: 'NON_EMPTY_GROUP',
  GROUP_ID_NOT_FOUND: 'GROUP_ID_NOT_FOUND',
  INCONSISTENT_GROUP_PROTOCOL: 'INCONSISTENT_GROUP_PROTOCOL',
  // Kafka answers the request versions KafkaJS 2.2.4 speaks with INVALID_PRODUCER_EPOCH (it predates PRODUCER_FENCED).
  PRODUCER_FENCED: 'INVALID_PRODUCER_EPOCH',
  INVALID_TXN_STATE: 'INVALID_TXN_STATE',
}

/**
 * The core error code of `error`, if it is a logbus error (checked by shape, not by class).
 *
 * @example
 * ```ts
 * if (coreCode(error) === 'UNKNOWN_TOPIC_OR_PARTITION') return undefined
 * ```
 */
export function coreCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/**
 * Turns what the core throws into the error KafkaJS would raise: logbus errors become the Kafka
 * protocol error of the same meaning; anything else a KafkaJSError (retriable only if it says so).
 * KafkaJS errors pass through unchanged.
 *
 * @example
 * ```ts
 * await bus.createTopic(name).catch((error: unknown) => Promise.reject(toKafkaJSError(error)))
 * ```
 */
export function toKafkaJSError(error: unknown): Error {
  if (error instanceof KafkaJSError || error instanceof KafkaJSAggregateError) return error
  const code = coreCode(error)
  const message = error instanceof Error ? error.message : String(error)
  if (code === 'OFFSET_OUT_OF_RANGE') {
    const { topic, partition } = error as { topic?: string; partition?: number }
    const [protocolCode, retriable, description] = PROTOCOL_ERRORS.OFFSET_OUT_OF_RANGE
    return new KafkaJSOffsetOutOfRange(
      { message: `${description}: ${message}`, type: 'OFFSET_OUT_OF_RANGE', code: protocolCode, retriable },
      { topic: topic ?? '', partition: partition ?? -1 },
    )
  }
  const type = code === undefined ? undefined : CORE_TO_PROTOCOL[code]
  if (type !== undefined) return protocolError(type, message)
  if (code === 'BUFFER_EXHAUSTED') return new KafkaJSError(message, { retriable: true, cause: error })
  const retriable =
    typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true
  return retriable
    ? new KafkaJSError(message, { cause: error })
    : new KafkaJSNonRetriableError(message, { cause: error })
}

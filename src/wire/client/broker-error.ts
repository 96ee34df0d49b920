import {
  GroupNotEmptyError,
  GroupNotFoundError,
  InvalidPartitionsError,
  InvalidTopicError,
  LogbusError,
  OffsetOutOfRangeError,
  TimeoutError,
  TopicExistsError,
  UnknownTopicError,
} from '../../index'
import { type KafkaErrorName, kafkaError } from '../protocol'

/**
 * A Kafka error a broker answered that logbus has no class of its own for (an authorization failure,
 * NOT_ENOUGH_REPLICAS, …): `kafkaName` and `kafkaErrorCode` say which, `retriable` is Kafka's.
 *
 * @example
 * ```ts
 * import { BrokerError } from 'logbus/wire'
 *
 * try {
 *   await admin()
 * } catch (err) {
 *   if (err instanceof BrokerError && err.kafkaName === 'TOPIC_AUTHORIZATION_FAILED') console.error('no access')
 * }
 * ```
 */
export class BrokerError extends LogbusError {
  override readonly name = 'BrokerError'
  readonly kafkaName: KafkaErrorName
  readonly #kafkaCode: number

  constructor(kafkaCode: number, message: string) {
    const info = kafkaError(kafkaCode)
    super('BROKER_ERROR', message, { retriable: info.retriable })
    this.kafkaName = info.name
    this.#kafkaCode = info.code
  }

  /** The broker's numeric error code. */
  override get kafkaErrorCode(): number {
    return this.#kafkaCode
  }
}

/**
 * A connection to a broker that could not be made or broke (Kafka's NETWORK_EXCEPTION): refused,
 * reset, closed by the broker, an unknown host. Retriable: the broker may be back later.
 *
 * @example
 * ```ts
 * import { KafkaClient, NetworkError } from 'logbus/wire'
 *
 * await KafkaClient.connect({ bootstrapServers: 'localhost:9092' }).catch((err) => {
 *   if (err instanceof NetworkError) console.error(err.message) // Cannot connect to localhost:9092: connection refused
 * })
 * ```
 */
export class NetworkError extends LogbusError {
  override readonly name = 'NetworkError'
  constructor(
    readonly broker: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('NETWORK_EXCEPTION', message, { retriable: true, ...options })
  }
}

/**
 * The codes of `AuthenticationError`: Kafka's SASL errors, and logbus's name for a failed TLS handshake.
 *
 * @example
 * ```ts
 * const code: AuthenticationErrorCode = 'SASL_AUTHENTICATION_FAILED'
 * ```
 */
export type AuthenticationErrorCode =
  | 'SASL_AUTHENTICATION_FAILED'
  | 'UNSUPPORTED_SASL_MECHANISM'
  | 'ILLEGAL_SASL_STATE'
  | 'SSL_AUTHENTICATION_FAILED'

/**
 * A connection that could not prove who it is, or could not trust whom it reached (Kafka's
 * AuthenticationException): a wrong user or password (SASL_AUTHENTICATION_FAILED), a mechanism the
 * broker does not offer (UNSUPPORTED_SASL_MECHANISM), SASL asked of a listener that does not do it
 * (ILLEGAL_SASL_STATE), or a TLS handshake that failed (SSL_AUTHENTICATION_FAILED: an untrusted
 * certificate, a host name it does not name, a listener that does not speak TLS). Not retriable: the
 * same settings fail again. The connection it happened on is closed.
 *
 * @example
 * ```ts
 * import { AuthenticationError, KafkaClient } from 'logbus/wire'
 *
 * await KafkaClient.connect({
 *   bootstrapServers: 'localhost:9092',
 *   sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'not-her-password' },
 * }).catch((err) => {
 *   if (err instanceof AuthenticationError && err.code === 'SASL_AUTHENTICATION_FAILED') console.error(err.message)
 * })
 * ```
 */
export class AuthenticationError extends LogbusError {
  override readonly name = 'AuthenticationError'
  declare readonly code: AuthenticationErrorCode
  constructor(code: AuthenticationErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/**
 * What an error code was about, for the error it becomes: the topic and partition, the group, the
 * offset asked for, and the broker's own message when it sent one.
 *
 * @example
 * ```ts
 * const about: ErrorSubject = { topic: 'orders', partition: 3 }
 * ```
 */
export interface ErrorSubject {
  topic?: string
  partition?: number
  groupId?: string
  offset?: number
  /** The broker's error message (CreateTopics, DescribeConfigs, … carry one). */
  message?: string | null
}

/**
 * The error a Kafka error code means, as logbus's own class where it has one — so a caller sees the
 * same error over the wire as from a `Bus`: UNKNOWN_TOPIC_OR_PARTITION is `UnknownTopicError`,
 * TOPIC_ALREADY_EXISTS `TopicExistsError`, NON_EMPTY_GROUP `GroupNotEmptyError`, GROUP_ID_NOT_FOUND
 * `GroupNotFoundError`, OFFSET_OUT_OF_RANGE `OffsetOutOfRangeError`, INVALID_PARTITIONS,
 * INVALID_TOPIC_EXCEPTION and REQUEST_TIMED_OUT theirs, INVALID_CONFIG a `LogbusError` with that code
 * and the broker's message, the SASL errors an `AuthenticationError` — and a `BrokerError` otherwise. Code 0 gives undefined.
 *
 * @example
 * ```ts
 * import { errorFromKafka } from 'logbus/wire'
 *
 * const error = errorFromKafka(3, { topic: 'orders' }) // UnknownTopicError: Unknown topic "orders"
 * if (error !== undefined) throw error
 * ```
 */
export function errorFromKafka(code: number, subject: ErrorSubject = {}): LogbusError | undefined {
  if (code === 0) return undefined
  const { topic, partition, groupId, offset } = subject
  const brokerMessage = subject.message ?? undefined
  const info = kafkaError(code)
  switch (info.name) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'UNKNOWN_TOPIC_ID':
      if (topic !== undefined) return new UnknownTopicError(topic, partition)
      break
    case 'TOPIC_ALREADY_EXISTS':
      if (topic !== undefined) return new TopicExistsError(topic)
      break
    case 'INVALID_TOPIC_EXCEPTION':
      if (topic !== undefined) return new InvalidTopicError(topic, brokerMessage ?? 'refused by the broker')
      break
    case 'INVALID_PARTITIONS':
      return new InvalidPartitionsError(brokerMessage ?? `Invalid partition count for topic "${topic}"`)
    case 'INVALID_CONFIG':
      // Not InvalidConfigError, whose message names an option of ours: the broker's words, as they are.
      return new LogbusError(
        'INVALID_CONFIG',
        `Invalid config${describe(subject)}: ${brokerMessage ?? 'refused by the broker'}`,
      )
    case 'NON_EMPTY_GROUP':
      if (groupId !== undefined) return new GroupNotEmptyError(groupId)
      break
    case 'GROUP_ID_NOT_FOUND':
      if (groupId !== undefined) return new GroupNotFoundError(groupId)
      break
    case 'OFFSET_OUT_OF_RANGE':
      if (topic !== undefined && partition !== undefined && offset !== undefined) {
        return new OffsetOutOfRangeError(topic, partition, offset)
      }
      break
    case 'REQUEST_TIMED_OUT':
      return new TimeoutError(brokerMessage ?? `The broker timed out${describe(subject)}`)
    case 'SASL_AUTHENTICATION_FAILED':
    case 'UNSUPPORTED_SASL_MECHANISM':
    case 'ILLEGAL_SASL_STATE':
      return new AuthenticationError(info.name, brokerMessage ?? `The broker answered ${info.name}`)
  }
  return new BrokerError(
    info.code,
    `The broker answered ${info.name}${describe(subject)}${brokerMessage === undefined ? '' : `: ${brokerMessage}`}`,
  )
}

/**
 * Throws the error a non-zero Kafka error code means (see `errorFromKafka`).
 *
 * @example
 * ```ts
 * import { throwIfError } from 'logbus/wire'
 *
 * for (const result of response.results) throwIfError(result.errorCode, { groupId: result.groupId })
 * ```
 */
export function throwIfError(code: number, subject?: ErrorSubject): void {
  const error = errorFromKafka(code, subject)
  if (error !== undefined) throw error
}

function describe(subject: ErrorSubject): string {
  if (subject.topic !== undefined) {
    return ` for ${subject.partition === undefined ? `topic "${subject.topic}"` : `${subject.topic}-${subject.partition}`}`
  }
  return subject.groupId === undefined ? '' : ` for group "${subject.groupId}"`
}

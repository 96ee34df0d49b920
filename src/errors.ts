/**
 * Stable error codes. Where Kafka has an error with the same meaning, the code is Kafka's name for it
 * (see Kafka's `Errors` enum), so code written for Kafka can branch on the same values. Some codes come
 * from talking to a broker (`logbus/wire`'s client): `NETWORK_EXCEPTION` (the connection failed),
 * `BROKER_ERROR` (a Kafka error logbus has no class for; the error's `kafkaName` says which), the SASL
 * ones (`SASL_AUTHENTICATION_FAILED`, `UNSUPPORTED_SASL_MECHANISM`, `ILLEGAL_SASL_STATE`) and
 * `SSL_AUTHENTICATION_FAILED`, logbus's name for what Kafka's clients throw as SslAuthenticationException
 * (a TLS handshake that failed: an untrusted certificate, a host name it does not match).
 *
 * @example
 * ```ts
 * if (err instanceof LogbusError && err.code === 'UNKNOWN_TOPIC_OR_PARTITION') { ... }
 * ```
 */
export type ErrorCode =
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'TOPIC_ALREADY_EXISTS'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'INVALID_PARTITIONS'
  | 'INVALID_CONFIG'
  | 'INVALID_RECORD'
  | 'MESSAGE_TOO_LARGE'
  | 'BUFFER_EXHAUSTED'
  | 'CLOSED'
  | 'REQUEST_TIMED_OUT'
  | 'CORRUPT_MESSAGE'
  | 'KAFKA_STORAGE_ERROR'
  | 'LOCKED'
  | 'OFFSET_OUT_OF_RANGE'
  | 'ILLEGAL_GENERATION'
  | 'UNKNOWN_MEMBER_ID'
  | 'FENCED_INSTANCE_ID'
  | 'NON_EMPTY_GROUP'
  | 'GROUP_ID_NOT_FOUND'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'INVALID_STATE'
  | 'HANDLER_FAILED'
  | 'INVALID_REQUEST'
  | 'PRODUCER_FENCED'
  | 'INVALID_TXN_STATE'
  | 'UNSUPPORTED_VERSION'
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'INVALID_PRODUCER_EPOCH'
  | 'UNKNOWN_PRODUCER_ID'
  | 'UNSUPPORTED_COMPRESSION_TYPE'
  | 'NETWORK_EXCEPTION'
  | 'BROKER_ERROR'
  | 'SASL_AUTHENTICATION_FAILED'
  | 'UNSUPPORTED_SASL_MECHANISM'
  | 'ILLEGAL_SASL_STATE'
  | 'SSL_AUTHENTICATION_FAILED'

/** Kafka's numeric error codes for the codes that have one (for the wire listener and facade). */
const KAFKA_NUMERIC_CODES: Partial<Record<ErrorCode, number>> = {
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  INVALID_TOPIC_EXCEPTION: 17,
  ILLEGAL_GENERATION: 22,
  UNKNOWN_MEMBER_ID: 25,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_CONFIG: 40,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  KAFKA_STORAGE_ERROR: 56,
  INVALID_RECORD: 87,
  FENCED_INSTANCE_ID: 82,
  UNSUPPORTED_VERSION: 35,
  INVALID_REQUEST: 42,
  INVALID_TXN_STATE: 48,
  PRODUCER_FENCED: 90,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  INVALID_PRODUCER_EPOCH: 47,
  UNKNOWN_PRODUCER_ID: 59,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  NETWORK_EXCEPTION: 13,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  SASL_AUTHENTICATION_FAILED: 58,
}

/**
 * The base of every error logbus throws. `code` is stable across versions; `retriable` says whether
 * the same call may succeed if tried again later (Kafka's `RetriableException`).
 *
 * @example
 * ```ts
 * try {
 *   await producer.send('orders', { value: 'x' })
 * } catch (err) {
 *   if (err instanceof LogbusError && err.retriable) await retryLater()
 *   else throw err
 * }
 * ```
 */
export class LogbusError extends Error {
  override readonly name: string = 'LogbusError'
  readonly code: ErrorCode
  readonly retriable: boolean

  constructor(code: ErrorCode, message: string, options?: { retriable?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retriable = options?.retriable ?? false
  }

  /** Kafka's numeric error code for this error's meaning, or -1 (UNKNOWN_SERVER_ERROR). */
  get kafkaErrorCode(): number {
    return KAFKA_NUMERIC_CODES[this.code] ?? -1
  }
}

/**
 * The topic (or partition) does not exist. Retriable, as in Kafka: it may be created meanwhile.
 *
 * @example
 * ```ts
 * expect(() => bus.topic('nope')).toThrow(UnknownTopicError)
 * ```
 */
export class UnknownTopicError extends LogbusError {
  override readonly name = 'UnknownTopicError'
  constructor(
    readonly topic: string,
    readonly partition?: number,
  ) {
    super(
      'UNKNOWN_TOPIC_OR_PARTITION',
      partition === undefined
        ? `Unknown topic "${topic}"`
        : `Unknown partition ${partition} of topic "${topic}"`,
      { retriable: true },
    )
  }
}

/**
 * `createTopic` of a name that already exists.
 *
 * @example
 * ```ts
 * await expect(bus.createTopic('orders')).rejects.toThrow(TopicExistsError)
 * ```
 */
export class TopicExistsError extends LogbusError {
  override readonly name = 'TopicExistsError'
  constructor(readonly topic: string) {
    super('TOPIC_ALREADY_EXISTS', `Topic "${topic}" already exists`)
  }
}

/**
 * A topic name that breaks Kafka's rules (`[a-zA-Z0-9._-]`, 1 to 249 characters, not `.` or `..`).
 *
 * @example
 * ```ts
 * await expect(bus.createTopic('a/b')).rejects.toThrow(InvalidTopicError)
 * ```
 */
export class InvalidTopicError extends LogbusError {
  override readonly name = 'InvalidTopicError'
  constructor(
    readonly topic: string,
    reason: string,
  ) {
    super('INVALID_TOPIC_EXCEPTION', `Invalid topic name "${topic}": ${reason}`)
  }
}

/**
 * A partition count that is not allowed: below 1, or not larger than the current count when growing.
 *
 * @example
 * ```ts
 * await expect(bus.createPartitions('orders', 1)).rejects.toThrow(InvalidPartitionsError)
 * ```
 */
export class InvalidPartitionsError extends LogbusError {
  override readonly name = 'InvalidPartitionsError'
  constructor(message: string) {
    super('INVALID_PARTITIONS', message)
  }
}

/**
 * An options object failed validation. `field` is the dotted path of the first bad field.
 *
 * @example
 * ```ts
 * expect(() => bus.producer({ lingerMs: -1 })).toThrow(InvalidConfigError)
 * ```
 */
export class InvalidConfigError extends LogbusError {
  override readonly name = 'InvalidConfigError'
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super('INVALID_CONFIG', `Invalid option "${field}": ${reason}`)
  }
}

/**
 * A record that cannot be sent as given: a bad key or value type, or a value a topic's codec
 * rejects. Nothing of the send that carried it was written.
 *
 * @example
 * ```ts
 * await expect(producer.send('orders', { value: 42 as never })).rejects.toThrow(InvalidRecordError)
 * ```
 */
export class InvalidRecordError extends LogbusError {
  override readonly name = 'InvalidRecordError'
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_RECORD', message, options)
  }
}

/**
 * A record larger than the topic's `maxMessageBytes`. Nothing of the send that carried it was written.
 *
 * @example
 * ```ts
 * await expect(producer.send('orders', { value: Buffer.alloc(2 << 20) })).rejects.toThrow(RecordTooLargeError)
 * ```
 */
export class RecordTooLargeError extends LogbusError {
  override readonly name = 'RecordTooLargeError'
  constructor(
    readonly topic: string,
    readonly size: number,
    readonly limit: number,
    /** Which limit it broke: the topic's `maxMessageBytes`, or the producer's `bufferBytes`. */
    readonly limitName: 'maxMessageBytes' | 'bufferBytes' = 'maxMessageBytes',
  ) {
    super(
      'MESSAGE_TOO_LARGE',
      limitName === 'maxMessageBytes'
        ? `Record of ${size} bytes exceeds maxMessageBytes ${limit} of topic "${topic}"`
        : `A send of ${size} bytes to topic "${topic}" can never fit in the producer's bufferBytes ${limit}`,
    )
  }
}

/**
 * The producer's buffer (`bufferBytes`) stayed full for `maxBlockMs`. Retriable: the buffer drains
 * as batches are appended.
 *
 * @example
 * ```ts
 * const producer = bus.producer({ bufferBytes: 1024, maxBlockMs: 0 })
 * ```
 */
export class BufferExhaustedError extends LogbusError {
  override readonly name = 'BufferExhaustedError'
  constructor(message: string) {
    super('BUFFER_EXHAUSTED', message, { retriable: true })
  }
}

/**
 * The object was closed; the call is not accepted.
 *
 * @example
 * ```ts
 * await producer.close()
 * await expect(producer.send('orders', { value: 'x' })).rejects.toThrow(ClosedError)
 * ```
 */
export class ClosedError extends LogbusError {
  override readonly name = 'ClosedError'
  constructor(what: string) {
    super('CLOSED', `${what} is closed`)
  }
}

/**
 * A wait (for buffer space, for a condition) passed its deadline.
 *
 * @example
 * ```ts
 * await expect(consumer.caughtUp({ timeoutMs: 10 })).rejects.toThrow(TimeoutError)
 * ```
 */
export class TimeoutError extends LogbusError {
  override readonly name = 'TimeoutError'
  constructor(message: string) {
    super('REQUEST_TIMED_OUT', message, { retriable: true })
  }
}

/**
 * A log file holds data that is not a valid record batch where a valid one must be. Names the file,
 * the byte position and, when known, the first offset that cannot be read: the records before it stay
 * readable. After an unclean shutdown a torn tail (a batch cut short by a crash) is cut off silently
 * instead; other damage is reported (FileStorage's `onDamage`) and can be repaired with `repairLog`
 * from `logbus/file`.
 *
 * @example
 * ```ts
 * if (err instanceof CorruptLogError) console.error(err.file, err.position, err.offset)
 * ```
 */
export class CorruptLogError extends LogbusError {
  override readonly name = 'CorruptLogError'
  constructor(
    readonly file: string,
    readonly position: number,
    reason: string,
    readonly offset?: number,
  ) {
    super(
      'CORRUPT_MESSAGE',
      `Corrupt log ${file} at byte ${position}${offset === undefined ? '' : ` (offset ${offset})`}: ${reason}`,
    )
  }
}

/**
 * The storage failed to read or write (disk full, permission denied, I/O error). The cause is the
 * underlying system error. Retriable when the failed write was cleanly undone (a full disk may free
 * up); not after a failed fsync, which leaves the log failed until it is reopened.
 *
 * @example
 * ```ts
 * if (err instanceof StorageError) console.error(err.cause)
 * ```
 */
export class StorageError extends LogbusError {
  override readonly name = 'StorageError'
  constructor(message: string, options?: { cause?: unknown; retriable?: boolean }) {
    super('KAFKA_STORAGE_ERROR', message, options)
  }
}

/**
 * Another live `Bus` (in this process or another) owns the directory. Names the owner's pid and host
 * when the lock file says them, and why logbus would not take the lock over.
 *
 * @example
 * ```ts
 * await expect(Bus.open({ dir })).rejects.toThrow(LockedError)
 * ```
 */
export class LockedError extends LogbusError {
  override readonly name = 'LockedError'
  constructor(
    readonly dir: string,
    readonly ownerPid?: number,
    readonly ownerHost?: string,
    hint?: string,
  ) {
    const owner = [
      ownerPid === undefined ? undefined : `pid ${ownerPid}`,
      ownerHost === undefined ? undefined : `on host ${ownerHost}`,
    ].filter((part) => part !== undefined)
    super(
      'LOCKED',
      `Directory ${dir} is locked by another logbus${owner.length === 0 ? '' : ` (${owner.join(' ')})`}${
        hint === undefined ? '' : `: ${hint}`
      }`,
    )
  }
}

/**
 * A fetch or seek at an offset outside `[logStartOffset, logEndOffset]` with no reset policy to apply
 * (`autoOffsetReset: 'none'`).
 *
 * @example
 * ```ts
 * consumer.on('crash', ({ error }) => error instanceof OffsetOutOfRangeError)
 * ```
 */
export class OffsetOutOfRangeError extends LogbusError {
  override readonly name = 'OffsetOutOfRangeError'
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    message = `Offset ${offset} is out of range for ${topic}-${partition}`,
  ) {
    super('OFFSET_OUT_OF_RANGE', message)
  }
}

/**
 * A commit from a member of an older generation: the group rebalanced and its partitions may have
 * moved. As in Kafka, the commit is rejected.
 *
 * @example
 * ```ts
 * await expect(staleConsumer.commit()).rejects.toThrow(IllegalGenerationError)
 * ```
 */
export class IllegalGenerationError extends LogbusError {
  override readonly name = 'IllegalGenerationError'
  constructor(groupId: string, generation: number, current: number) {
    super(
      'ILLEGAL_GENERATION',
      `Generation ${generation} of group "${groupId}" is stale (current ${current})`,
    )
  }
}

/**
 * The member is no longer part of the group (it left, or was removed for missing its session).
 *
 * @example
 * ```ts
 * if (err instanceof UnknownMemberError) await consumer.close()
 * ```
 */
export class UnknownMemberError extends LogbusError {
  override readonly name = 'UnknownMemberError'
  constructor(groupId: string, memberId: string) {
    super('UNKNOWN_MEMBER_ID', `Member ${memberId} is not in group "${groupId}"`)
  }
}

/**
 * A second live member joined with the same static `instanceId`: as in Kafka, the older one is
 * fenced.
 *
 * @example
 * ```ts
 * consumer.on('crash', ({ error }) => error instanceof FencedInstanceIdError)
 * ```
 */
export class FencedInstanceIdError extends LogbusError {
  override readonly name = 'FencedInstanceIdError'
  constructor(groupId: string, instanceId: string) {
    super('FENCED_INSTANCE_ID', `Instance id "${instanceId}" of group "${groupId}" is used by a newer member`)
  }
}

/**
 * An admin operation that needs an empty group (offset reset, delete) on a group with members.
 *
 * @example
 * ```ts
 * await expect(bus.group('billing').resetOffsets({ to: 'earliest' })).rejects.toThrow(GroupNotEmptyError)
 * ```
 */
export class GroupNotEmptyError extends LogbusError {
  override readonly name = 'GroupNotEmptyError'
  constructor(groupId: string) {
    super('NON_EMPTY_GROUP', `Group "${groupId}" has active members`)
  }
}

/**
 * An admin operation on a group that does not exist (no members, no committed offsets).
 *
 * @example
 * ```ts
 * await expect(bus.group('nobody').delete()).rejects.toThrow(GroupNotFoundError)
 * ```
 */
export class GroupNotFoundError extends LogbusError {
  override readonly name = 'GroupNotFoundError'
  constructor(readonly groupId: string) {
    super('GROUP_ID_NOT_FOUND', `Group "${groupId}" does not exist`)
  }
}

/**
 * A member asked for an assignor (protocol) other than the one its group's members use, as Kafka's
 * INCONSISTENT_GROUP_PROTOCOL.
 *
 * @example
 * ```ts
 * await expect(rr.run({ eachMessage })).rejects.toThrow(InconsistentGroupProtocolError)
 * ```
 */
export class InconsistentGroupProtocolError extends LogbusError {
  override readonly name = 'InconsistentGroupProtocolError'
  constructor(groupId: string, protocol: string, wanted: string) {
    super(
      'INCONSISTENT_GROUP_PROTOCOL',
      `Group "${groupId}" uses the "${protocol}" assignor; a member cannot join with "${wanted}"`,
    )
  }
}

/**
 * A call made in a state that does not allow it (e.g. `run` twice on the same consumer).
 *
 * @example
 * ```ts
 * await expect(consumer.run({ eachMessage })).rejects.toThrow(InvalidStateError)
 * ```
 */
export class InvalidStateError extends LogbusError {
  override readonly name = 'InvalidStateError'
  constructor(message: string) {
    super('INVALID_STATE', message)
  }
}

/**
 * A message handler kept failing after its retries; carried by the consumer's `crash` event. `cause`
 * is the handler's last error.
 *
 * @example
 * ```ts
 * consumer.on('crash', ({ error }) => console.error(error.cause))
 * ```
 */
export class HandlerError extends LogbusError {
  override readonly name = 'HandlerError'
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    cause: unknown,
    what = 'Handler failed on',
  ) {
    super(
      'HANDLER_FAILED',
      `${what} ${topic}-${partition} at offset ${offset}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
  }
}

/**
 * A newer producer took this producer's `transactionalId` (Kafka's PRODUCER_FENCED), or its
 * transaction outlived `transactionTimeoutMs` and was aborted: this producer can do nothing more.
 *
 * @example
 * ```ts
 * await expect(old.transaction()).rejects.toBeInstanceOf(ProducerFencedError)
 * ```
 */
export class ProducerFencedError extends LogbusError {
  override readonly name = 'ProducerFencedError'
  constructor(
    readonly transactionalId: string,
    reason = 'a newer producer has the same transactionalId',
  ) {
    super('PRODUCER_FENCED', `The producer of transactionalId "${transactionalId}" is fenced: ${reason}`)
  }
}

/**
 * A transaction call in a state that does not allow it (Kafka's INVALID_TXN_STATE): a send after
 * commit, a second transaction while one is open, a plain send on a transactional producer.
 *
 * @example
 * ```ts
 * await expect(tx.send('orders', { value: 'late' })).rejects.toBeInstanceOf(InvalidTransactionStateError)
 * ```
 */
export class InvalidTransactionStateError extends LogbusError {
  override readonly name = 'InvalidTransactionStateError'
  constructor(message: string) {
    super('INVALID_TXN_STATE', message)
  }
}

/**
 * An idempotent producer's batch whose sequence number is not the one after its last batch on that
 * partition (Kafka's OUT_OF_ORDER_SEQUENCE_NUMBER): a batch was lost in between. Nothing was written.
 *
 * @example
 * ```ts
 * await expect(partition.appendEncoded(gapped)).rejects.toBeInstanceOf(OutOfOrderSequenceError)
 * ```
 */
export class OutOfOrderSequenceError extends LogbusError {
  override readonly name = 'OutOfOrderSequenceError'
  constructor(
    readonly producerId: number,
    readonly expected: number,
    readonly received: number,
  ) {
    super(
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
      `Producer ${producerId} sent sequence ${received} where ${expected} was expected`,
    )
  }
}

/**
 * A batch written with an older epoch than its producer id has now (Kafka's INVALID_PRODUCER_EPOCH):
 * a newer producer with the same id took over. Nothing was written.
 *
 * @example
 * ```ts
 * await expect(partition.appendEncoded(stale)).rejects.toBeInstanceOf(InvalidProducerEpochError)
 * ```
 */
export class InvalidProducerEpochError extends LogbusError {
  override readonly name = 'InvalidProducerEpochError'
  constructor(
    readonly producerId: number,
    readonly epoch: number,
    readonly current: number,
  ) {
    super('INVALID_PRODUCER_EPOCH', `Producer ${producerId} wrote with epoch ${epoch}, older than ${current}`)
  }
}

import { describe, expect, it } from 'vitest'
import {
  BufferExhaustedError,
  ClosedError,
  CorruptLogError,
  type ErrorCode,
  FencedInstanceIdError,
  GroupNotEmptyError,
  HandlerError,
  IllegalGenerationError,
  InvalidConfigError,
  InvalidPartitionsError,
  InvalidRecordError,
  InvalidStateError,
  InvalidTopicError,
  LockedError,
  LogbusError,
  OffsetOutOfRangeError,
  RecordTooLargeError,
  StorageError,
  TimeoutError,
  TopicExistsError,
  UnknownMemberError,
  UnknownTopicError,
} from '../src/index'

interface Case {
  error: LogbusError
  type: abstract new (...args: never[]) => LogbusError
  name: string
  code: ErrorCode
  retriable: boolean
  /** Kafka's numeric error code for the same meaning; -1 (UNKNOWN_SERVER_ERROR) where Kafka has none. */
  kafka: number
}

const handlerCause = new Error('handler blew up')
const ioCause = new Error('EIO')

// Retriable as Kafka means it: the same call may succeed later (the topic may be created, buffer space
// freed, the wait may succeed next time). Everything else is final.
const cases: Case[] = [
  {
    error: new UnknownTopicError('orders'),
    type: UnknownTopicError,
    name: 'UnknownTopicError',
    code: 'UNKNOWN_TOPIC_OR_PARTITION',
    retriable: true,
    kafka: 3,
  },
  {
    error: new TopicExistsError('orders'),
    type: TopicExistsError,
    name: 'TopicExistsError',
    code: 'TOPIC_ALREADY_EXISTS',
    retriable: false,
    kafka: 36,
  },
  {
    error: new InvalidTopicError('a/b', 'bad character'),
    type: InvalidTopicError,
    name: 'InvalidTopicError',
    code: 'INVALID_TOPIC_EXCEPTION',
    retriable: false,
    kafka: 17,
  },
  {
    error: new InvalidPartitionsError('must grow'),
    type: InvalidPartitionsError,
    name: 'InvalidPartitionsError',
    code: 'INVALID_PARTITIONS',
    retriable: false,
    kafka: 37,
  },
  {
    error: new InvalidConfigError('producer.lingerMs', 'too small'),
    type: InvalidConfigError,
    name: 'InvalidConfigError',
    code: 'INVALID_CONFIG',
    retriable: false,
    kafka: 40,
  },
  {
    error: new InvalidRecordError('bad key'),
    type: InvalidRecordError,
    name: 'InvalidRecordError',
    code: 'INVALID_RECORD',
    retriable: false,
    kafka: 87,
  },
  {
    error: new RecordTooLargeError('orders', 2000, 1000),
    type: RecordTooLargeError,
    name: 'RecordTooLargeError',
    code: 'MESSAGE_TOO_LARGE',
    retriable: false,
    kafka: 10,
  },
  {
    error: new BufferExhaustedError('full'),
    type: BufferExhaustedError,
    name: 'BufferExhaustedError',
    code: 'BUFFER_EXHAUSTED',
    retriable: true,
    kafka: -1,
  },
  {
    error: new ClosedError('Producer'),
    type: ClosedError,
    name: 'ClosedError',
    code: 'CLOSED',
    retriable: false,
    kafka: -1,
  },
  {
    error: new TimeoutError('waited too long'),
    type: TimeoutError,
    name: 'TimeoutError',
    code: 'REQUEST_TIMED_OUT',
    retriable: true,
    kafka: 7,
  },
  {
    error: new CorruptLogError('/data/orders-0/00000000000000000000.log', 128, 'bad CRC'),
    type: CorruptLogError,
    name: 'CorruptLogError',
    code: 'CORRUPT_MESSAGE',
    retriable: false,
    kafka: 2,
  },
  {
    error: new StorageError('write failed', { cause: ioCause }),
    type: StorageError,
    name: 'StorageError',
    code: 'KAFKA_STORAGE_ERROR',
    retriable: false,
    kafka: 56,
  },
  {
    error: new LockedError('/data', 1234),
    type: LockedError,
    name: 'LockedError',
    code: 'LOCKED',
    retriable: false,
    kafka: -1,
  },
  {
    error: new OffsetOutOfRangeError('orders', 0, 99),
    type: OffsetOutOfRangeError,
    name: 'OffsetOutOfRangeError',
    code: 'OFFSET_OUT_OF_RANGE',
    retriable: false,
    kafka: 1,
  },
  {
    error: new IllegalGenerationError('billing', 3, 4),
    type: IllegalGenerationError,
    name: 'IllegalGenerationError',
    code: 'ILLEGAL_GENERATION',
    retriable: false,
    kafka: 22,
  },
  {
    error: new UnknownMemberError('billing', 'member-1'),
    type: UnknownMemberError,
    name: 'UnknownMemberError',
    code: 'UNKNOWN_MEMBER_ID',
    retriable: false,
    kafka: 25,
  },
  {
    error: new FencedInstanceIdError('billing', 'worker-1'),
    type: FencedInstanceIdError,
    name: 'FencedInstanceIdError',
    code: 'FENCED_INSTANCE_ID',
    retriable: false,
    kafka: 82,
  },
  {
    error: new GroupNotEmptyError('billing'),
    type: GroupNotEmptyError,
    name: 'GroupNotEmptyError',
    code: 'NON_EMPTY_GROUP',
    retriable: false,
    kafka: 68,
  },
  {
    error: new InvalidStateError('run() twice'),
    type: InvalidStateError,
    name: 'InvalidStateError',
    code: 'INVALID_STATE',
    retriable: false,
    kafka: -1,
  },
  {
    error: new HandlerError('orders', 1, 42, handlerCause),
    type: HandlerError,
    name: 'HandlerError',
    code: 'HANDLER_FAILED',
    retriable: false,
    kafka: -1,
  },
]

describe('error classes', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s is a LogbusError with its code', (_name, c) => {
    expect(c.error).toBeInstanceOf(Error)
    expect(c.error).toBeInstanceOf(LogbusError)
    expect(c.error).toBeInstanceOf(c.type)
    expect(c.error.name).toBe(c.name)
    expect(c.error.code).toBe(c.code)
    expect(c.error.retriable).toBe(c.retriable)
    expect(c.error.kafkaErrorCode).toBe(c.kafka)
    expect(c.error.message.length).toBeGreaterThan(0)
    expect(c.error.stack).toContain(c.name)
    expect(String(c.error)).toBe(`${c.name}: ${c.error.message}`)
  })

  it('covers every exported error class, each with its own code', () => {
    expect(new Set(cases.map((c) => c.type)).size).toBe(cases.length)
    expect(new Set(cases.map((c) => c.code)).size).toBe(cases.length)
  })

  it('only the errors a retry can cure are retriable', () => {
    expect(cases.filter((c) => c.error.retriable).map((c) => c.name)).toEqual([
      'UnknownTopicError',
      'BufferExhaustedError',
      'TimeoutError',
    ])
  })

  it('one class is not an instance of another', () => {
    expect(new UnknownTopicError('t')).not.toBeInstanceOf(TopicExistsError)
    expect(new InvalidConfigError('f', 'r')).not.toBeInstanceOf(InvalidRecordError)
    expect(new TimeoutError('x')).not.toBeInstanceOf(BufferExhaustedError)
  })

  it('the LogbusError base takes a code, a message, retriable and a cause', () => {
    const cause = new Error('root')
    const error = new LogbusError('INVALID_STATE', 'custom', { retriable: true, cause })
    expect(error.code).toBe('INVALID_STATE')
    expect(error.message).toBe('custom')
    expect(error.retriable).toBe(true)
    expect(error.cause).toBe(cause)
    expect(new LogbusError('CLOSED', 'x').retriable).toBe(false)
    expect(new LogbusError('CLOSED', 'x').cause).toBeUndefined()
    expect(new LogbusError('NON_EMPTY_GROUP', 'x').kafkaErrorCode).toBe(68)
    expect(new LogbusError('FENCED_INSTANCE_ID', 'x').kafkaErrorCode).toBe(82)
  })
})

describe('error details', () => {
  it('UnknownTopicError names the topic and, when given, the partition', () => {
    const topic = new UnknownTopicError('orders')
    expect(topic.topic).toBe('orders')
    expect(topic.partition).toBeUndefined()
    expect(topic.message).toContain('"orders"')
    const partition = new UnknownTopicError('orders', 7)
    expect(partition.partition).toBe(7)
    expect(partition.message).toContain('7')
  })

  it('InvalidConfigError carries the field and the reason', () => {
    const error = new InvalidConfigError('producer.lingerMs', 'must be >= 0')
    expect(error.field).toBe('producer.lingerMs')
    expect(error.reason).toBe('must be >= 0')
    expect(error.message).toContain('producer.lingerMs')
    expect(error.message).toContain('must be >= 0')
  })

  it('RecordTooLargeError carries topic, size and limit', () => {
    const error = new RecordTooLargeError('orders', 2000, 1000)
    expect(error).toMatchObject({ topic: 'orders', size: 2000, limit: 1000, limitName: 'maxMessageBytes' })
    expect(error.message).toContain('2000')
    expect(error.message).toContain('1000')
  })

  it('InvalidTopicError names the topic and the reason', () => {
    const error = new InvalidTopicError('a/b', 'bad character')
    expect(error.topic).toBe('a/b')
    expect(error.message).toContain('a/b')
    expect(error.message).toContain('bad character')
  })

  it('OffsetOutOfRangeError carries topic, partition and offset', () => {
    expect(new OffsetOutOfRangeError('orders', 2, 99)).toMatchObject({
      topic: 'orders',
      partition: 2,
      offset: 99,
    })
  })

  it('CorruptLogError names the file and position', () => {
    const error = new CorruptLogError('/d/x.log', 128, 'bad CRC')
    expect(error).toMatchObject({ file: '/d/x.log', position: 128 })
    expect(error.message).toContain('/d/x.log')
    expect(error.message).toContain('128')
  })

  it('LockedError names the directory and the owner pid', () => {
    const error = new LockedError('/data', 1234)
    expect(error).toMatchObject({ dir: '/data', ownerPid: 1234 })
    expect(error.message).toContain('1234')
    expect(new LockedError('/data').ownerPid).toBeUndefined()
  })

  it('HandlerError keeps the handler error as its cause and names where it failed', () => {
    const error = new HandlerError('orders', 1, 42, handlerCause)
    expect(error.cause).toBe(handlerCause)
    expect(error).toMatchObject({ topic: 'orders', partition: 1, offset: 42 })
    expect(error.message).toContain('handler blew up')
    expect(new HandlerError('t', 0, 0, 'thrown string').message).toContain('thrown string')
  })

  it('StorageError and InvalidRecordError keep their cause', () => {
    expect(new StorageError('write failed', { cause: ioCause }).cause).toBe(ioCause)
    const cause = new TypeError('x')
    expect(new InvalidRecordError('bad', { cause }).cause).toBe(cause)
  })
})

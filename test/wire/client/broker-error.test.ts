import { describe, expect, it } from 'vitest'
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
} from '../../../src/index'
import { BrokerError, errorFromKafka, KafkaErrors, NetworkError, throwIfError } from '../../../src/wire'
import { openBus } from '../../support/bus'

describe('Kafka error codes as logbus errors', () => {
  it('become the class a bus throws for the same thing, with the same message', async () => {
    const bus = await openBus()
    const fromBus = (() => {
      try {
        bus.topic('orders')
      } catch (error) {
        return error as Error
      }
    })()
    const wire = errorFromKafka(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION, { topic: 'orders' })
    expect(wire).toBeInstanceOf(UnknownTopicError)
    expect(wire?.message).toBe(fromBus?.message)
    expect(
      errorFromKafka(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION, { topic: 'orders', partition: 4 })?.message,
    ).toBe(new UnknownTopicError('orders', 4).message)
    expect(errorFromKafka(KafkaErrors.TOPIC_ALREADY_EXISTS, { topic: 'orders' })).toEqual(
      new TopicExistsError('orders'),
    )
    expect(errorFromKafka(KafkaErrors.NON_EMPTY_GROUP, { groupId: 'g' })).toEqual(new GroupNotEmptyError('g'))
    expect(errorFromKafka(KafkaErrors.GROUP_ID_NOT_FOUND, { groupId: 'g' })).toEqual(
      new GroupNotFoundError('g'),
    )
    expect(errorFromKafka(KafkaErrors.INVALID_PARTITIONS, { topic: 't', message: 'too few' })).toEqual(
      new InvalidPartitionsError('too few'),
    )
    expect(
      errorFromKafka(KafkaErrors.INVALID_TOPIC_EXCEPTION, { topic: 'a/b', message: 'bad' }),
    ).toBeInstanceOf(InvalidTopicError)
    expect(
      errorFromKafka(KafkaErrors.OFFSET_OUT_OF_RANGE, { topic: 't', partition: 0, offset: 9 }),
    ).toBeInstanceOf(OffsetOutOfRangeError)
    expect(errorFromKafka(KafkaErrors.REQUEST_TIMED_OUT)).toBeInstanceOf(TimeoutError)
    const config = errorFromKafka(KafkaErrors.INVALID_CONFIG, {
      topic: 't',
      message: 'retention.ms: not a number',
    })
    expect(config).toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'Invalid config for topic "t": retention.ms: not a number',
    })
  })

  it('the others are BrokerErrors with Kafka name, numeric code and retriability', () => {
    const denied = errorFromKafka(KafkaErrors.GROUP_AUTHORIZATION_FAILED, { groupId: 'billing' })
    expect(denied).toBeInstanceOf(BrokerError)
    expect(denied).toBeInstanceOf(LogbusError)
    expect(denied).toMatchObject({
      code: 'BROKER_ERROR',
      kafkaName: 'GROUP_AUTHORIZATION_FAILED',
      kafkaErrorCode: 30,
      retriable: false,
      message: 'The broker answered GROUP_AUTHORIZATION_FAILED for group "billing"',
    })
    const notLeader = errorFromKafka(KafkaErrors.NOT_LEADER_OR_FOLLOWER, {
      topic: 'o',
      partition: 1,
      message: 'moved',
    })
    expect(notLeader).toMatchObject({
      retriable: true,
      message: 'The broker answered NOT_LEADER_OR_FOLLOWER for o-1: moved',
    })
    // Without what it was about, a code that has a class of its own is still a BrokerError.
    expect(errorFromKafka(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION)).toBeInstanceOf(BrokerError)
    expect(errorFromKafka(9999)).toMatchObject({ kafkaName: 'UNKNOWN_SERVER_ERROR', kafkaErrorCode: -1 })
  })

  it('code 0 is no error; throwIfError throws the mapped one', () => {
    expect(errorFromKafka(0)).toBeUndefined()
    expect(() => throwIfError(0)).not.toThrow()
    expect(() => throwIfError(KafkaErrors.GROUP_ID_NOT_FOUND, { groupId: 'g' })).toThrow(GroupNotFoundError)
  })

  it('a network error is retriable, with Kafka NETWORK_EXCEPTION', () => {
    const error = new NetworkError('h:1', 'Cannot connect to h:1: connection refused')
    expect(error).toMatchObject({
      code: 'NETWORK_EXCEPTION',
      kafkaErrorCode: 13,
      retriable: true,
      broker: 'h:1',
    })
    expect(String(error)).toBe('NetworkError: Cannot connect to h:1: connection refused')
  })
})

import { type Bus, type Partition, type Topic, UnknownTopicError } from '../../index'
import { KafkaErrors, kafkaErrorOf } from '../protocol'

/** The topic id logbus answers for a topic it does not know: the zero id makes clients use names. */
export { ZERO_UUID } from '../protocol'

/** Kafka's "authorized operations not requested" value. */
export const OPERATIONS_OMITTED = -2147483648

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/** A topic by name, or undefined. */
export function topicOf(bus: Bus, name: string): AnyTopic | undefined {
  try {
    return bus.topic(name) as AnyTopic
  } catch (error) {
    if (error instanceof UnknownTopicError) return undefined
    throw error
  }
}

/** A partition, or the Kafka error code that says why there is none. */
export function partitionOf(
  bus: Bus,
  topic: string,
  partition: number,
): Partition<unknown, unknown> | number {
  const found = topicOf(bus, topic)
  if (found === undefined || partition < 0 || partition >= found.partitionCount) {
    return KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION
  }
  return found.partition(partition)
}

/** A failure's Kafka error code (UNKNOWN_SERVER_ERROR for what is not a LogbusError). */
export function errorCodeOf(error: unknown): number {
  return kafkaErrorOf(error).code
}

/** A failure's message for the responses that carry one. */
export function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** int64 fields are bigint on the wire, offsets are numbers in the core. */
export function toBig(n: number): bigint {
  return BigInt(n)
}

export function toNumber(n: bigint): number {
  return Number(n)
}

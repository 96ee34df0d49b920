import { KafkaErrors, type ResponseInput } from '../protocol'
import { allowed, type Handler } from '../server/context'
import { errorCodeOf, partitionOf, toBig, toNumber } from './common'

type PartitionAnswer = NonNullable<NonNullable<ResponseInput<2>['topics']>[number]['partitions']>[number]

const LATEST = -1
const EARLIEST = -2
const MAX_TIMESTAMP = -3
const READ_COMMITTED = 1

/**
 * ListOffsets: the earliest offset (-2), the latest (-1: the high watermark, or the last stable offset
 * for read_committed), or the first offset at or after a timestamp (none: -1, as Kafka answers).
 * -3 (the record with the largest timestamp, v7) is answered as the latest offset.
 */
export const listOffsets: Handler<2> = async (body, context) => {
  const bus = context.broker.bus
  const committed = body.isolationLevel === READ_COMMITTED
  const topics = []
  for (const topic of body.topics) {
    const mayDescribe = allowed(context, 'topic', topic.name, 'describe')
    const partitions: PartitionAnswer[] = []
    for (const { partitionIndex, timestamp } of topic.partitions) {
      const failed = (errorCode: number): PartitionAnswer => ({
        partitionIndex,
        errorCode,
        timestamp: -1n,
        offset: -1n,
      })
      if (!mayDescribe) {
        partitions.push(failed(KafkaErrors.TOPIC_AUTHORIZATION_FAILED))
        continue
      }
      const partition = partitionOf(bus, topic.name, partitionIndex)
      if (typeof partition === 'number') {
        partitions.push(failed(partition))
        continue
      }
      try {
        const at = toNumber(timestamp)
        let offset: number | null
        if (at === EARLIEST) offset = partition.logStartOffset
        else if (at === LATEST || at === MAX_TIMESTAMP) {
          offset = committed ? partition.lastStableOffset : partition.logEndOffset
        } else offset = await partition.offsetForTimestamp(at)
        partitions.push({
          partitionIndex,
          errorCode: 0,
          timestamp: offset === null || at < 0 ? -1n : timestamp,
          offset: offset === null ? -1n : toBig(offset),
          leaderEpoch: context.apiVersion >= 4 ? 0 : -1,
        })
      } catch (error) {
        partitions.push(failed(errorCodeOf(error)))
      }
    }
    topics.push({ name: topic.name, partitions })
  }
  return { topics }
}

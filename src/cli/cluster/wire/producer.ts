import {
  ApiKeys,
  type BrokerConnection,
  type KafkaClient,
  KafkaErrors,
  type TopicMetadata,
  throwIfError,
  ZERO_UUID,
} from '../../../wire'
import type { ClusterProducer, PartitionBatches } from '../cluster'
import { BROKER_TIMEOUT_MS } from './offsets'

/** Kafka's default `max.message.bytes`: the limit when the broker does not say the topic's. */
const KAFKA_MAX_MESSAGE_BYTES = 1_048_588

/**
 * A producer over the wire, as Kafka's with acks=all: each partition's batches are sent to its leader,
 * one batch per partition per Produce request (Kafka's rule). Sends run one after another, so records
 * keep their order per partition; a batch refused because its leader moved is sent again to the new
 * leader (the broker wrote nothing), any other failure fails the send — a lost connection too, since
 * whether the broker wrote the batch is then unknown.
 */
export function wireProducer(
  client: KafkaClient,
  topic: TopicMetadata,
  maxMessageBytes: number,
): ClusterProducer {
  let previous: Promise<unknown> = Promise.resolve()
  return {
    maxMessageBytes:
      Number.isSafeInteger(maxMessageBytes) && maxMessageBytes > 0
        ? maxMessageBytes
        : KAFKA_MAX_MESSAGE_BYTES,
    send(batches) {
      const sent = previous.then(() => sendBatches(client, topic, batches))
      previous = sent.catch(() => undefined)
      return sent
    },
    close: async () => {
      await previous
    },
  }
}

/** Produce errors that say the broker wrote nothing and a new leader will take the batch. */
const RESEND = new Set<number>([
  KafkaErrors.NOT_LEADER_OR_FOLLOWER,
  KafkaErrors.LEADER_NOT_AVAILABLE,
  KafkaErrors.NOT_ENOUGH_REPLICAS,
  KafkaErrors.UNKNOWN_LEADER_EPOCH,
  KafkaErrors.FENCED_LEADER_EPOCH,
])
const ATTEMPTS = 5

/** One partition's answer to a Produce request. */
interface Outcome {
  partition: number
  errorCode: number
  message: string | null
}

/**
 * Sends the batches round by round (round i holds the i-th batch of each partition), each round's
 * partitions grouped by leader. Partitions whose leader moved are sent again, alone, to the new one.
 */
async function sendBatches(
  client: KafkaClient,
  topic: TopicMetadata,
  batches: PartitionBatches,
): Promise<void> {
  const rounds = Math.max(0, ...[...batches.values()].map((list) => list.length))
  for (let round = 0; round < rounds; round++) {
    let pending = [...batches.keys()].filter((p) => batches.get(p)![round] !== undefined)
    for (let attempt = 1; pending.length > 0; attempt++) {
      const byLeader = new Map<BrokerConnection, number[]>()
      for (const partition of pending) {
        const leader = await client.leader(topic.name, partition)
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition])
      }
      const outcomes = (
        await Promise.all(
          [...byLeader].map(([leader, list]) =>
            produce(
              leader,
              topic,
              list.map((p) => ({ index: p, records: batches.get(p)![round]! })),
            ),
          ),
        )
      ).flat()
      const failed = outcomes.filter((o) => o.errorCode !== KafkaErrors.NONE)
      const fatal = failed.find((o) => !RESEND.has(o.errorCode) || attempt >= ATTEMPTS)
      if (fatal !== undefined) {
        throwIfError(fatal.errorCode, {
          topic: topic.name,
          partition: fatal.partition,
          message: fatal.message,
        })
      }
      pending = failed.map((o) => o.partition)
      if (pending.length > 0) {
        await client.topic(topic.name).catch(() => undefined)
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 1)))
      }
    }
  }
}

async function produce(
  leader: BrokerConnection,
  topic: TopicMetadata,
  partitionData: { index: number; records: Buffer }[],
): Promise<Outcome[]> {
  const { body } = await leader.send(
    ApiKeys.Produce,
    (v) => ({
      transactionalId: null,
      acks: -1,
      timeoutMs: BROKER_TIMEOUT_MS,
      topicData: [{ ...(v >= 13 ? { topicId: topic.topicId } : { name: topic.name }), partitionData }],
    }),
    // v13 names topics by id: only with an id from Metadata.
    topic.topicId === ZERO_UUID ? { maxVersion: 12 } : {},
  )
  return body.responses.flatMap((t) =>
    t.partitionResponses.map((p) => ({
      partition: p.index,
      errorCode: p.errorCode,
      message: p.errorMessage,
    })),
  )
}

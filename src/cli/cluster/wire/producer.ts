import {
  defaultPartitioner,
  encodeRecordBatch,
  RecordBatch,
  type RecordHeaders,
  RecordTooLargeError,
  raw,
} from '../../../index'
import {
  ApiKeys,
  type BrokerConnection,
  type KafkaClient,
  KafkaErrors,
  type TopicMetadata,
  throwIfError,
  ZERO_UUID,
} from '../../../wire'
import type { ClusterProducer, ProduceMessage } from '../cluster'
import { BROKER_TIMEOUT_MS } from './offsets'

/** Kafka's default `max.message.bytes`: the limit when the broker does not say the topic's. */
const KAFKA_MAX_MESSAGE_BYTES = 1_048_588
/** A RecordBatch v2 header. */
const BATCH_OVERHEAD = 61
const RAW_FORM = { keyCodec: raw(), valueCodec: raw() }

/**
 * A producer over the wire, as Kafka's with acks=all: records are partitioned as a data directory's
 * producer partitions them (murmur2 of the key, round-robin without one), built into RecordBatch v2
 * batches of at most the topic's `max.message.bytes` (`encodeRecordBatch`), and sent to each
 * partition's leader, one batch per partition per Produce request (Kafka's rule). Sends run one after
 * another, so records keep their order per partition; a batch refused because its leader moved is
 * sent again to the new leader (the broker wrote nothing), any other failure fails the send — a lost
 * connection too, since whether the broker wrote the batch is then unknown.
 */
export function wireProducer(
  client: KafkaClient,
  topic: TopicMetadata,
  maxMessageBytes: number,
): ClusterProducer {
  const limit =
    Number.isSafeInteger(maxMessageBytes) && maxMessageBytes > 0 ? maxMessageBytes : KAFKA_MAX_MESSAGE_BYTES
  const partitionCount = topic.partitions.length
  const partitioner = defaultPartitioner()
  let previous: Promise<unknown> = Promise.resolve()
  return {
    send(messages) {
      const sent = previous.then(() => {
        const byPartition = new Map<number, ProduceMessage[]>()
        for (const m of messages) {
          const partition =
            m.partition ?? partitioner({ topic: topic.name, partitionCount, key: m.key, value: m.value })
          const list = byPartition.get(partition)
          if (list === undefined) byPartition.set(partition, [m])
          else list.push(m)
        }
        return sendBatches(client, topic, batchesOf(topic.name, byPartition, limit))
      })
      previous = sent.catch(() => undefined)
      return sent
    },
    close: async () => {
      await previous
    },
  }
}

/** Each partition's records as encoded batches within `limit` bytes. */
function batchesOf(
  topic: string,
  byPartition: Map<number, ProduceMessage[]>,
  limit: number,
): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>()
  const timestamp = Date.now()
  for (const [partition, messages] of byPartition) {
    const batches: Buffer[] = []
    let start = 0
    let bytes = BATCH_OVERHEAD
    for (let i = 0; i < messages.length; i++) {
      const size = recordBound(messages[i]!)
      if (i > start && bytes + size > limit) {
        batches.push(encode(messages, start, i, timestamp))
        start = i
        bytes = BATCH_OVERHEAD
      }
      bytes += size
    }
    batches.push(encode(messages, start, messages.length, timestamp))
    for (const batch of batches) {
      if (batch.length > limit) throw new RecordTooLargeError(topic, batch.length, limit)
    }
    out.set(partition, batches)
  }
  return out
}

/**
 * The most bytes a record can take in a batch: its key, value and headers with the largest varints of
 * their lengths, attributes, timestamp and offset deltas.
 */
function recordBound(m: ProduceMessage): number {
  let size = 5 + 1 + 10 + 5 + 5 + (m.key?.length ?? 0) + 5 + (m.value?.length ?? 0) + 5
  for (const [key, value] of Object.entries(m.headers ?? {}))
    size += 10 + Buffer.byteLength(key) + value.length
  return size
}

function encode(messages: readonly ProduceMessage[], from: number, to: number, timestamp: number): Buffer {
  const slice = messages.slice(from, to)
  const withHeaders = slice.some((m) => m.headers !== undefined)
  const batch = RecordBatch.fromColumns(
    RAW_FORM,
    {
      keys: slice.map((m) => m.key),
      values: slice.map((m) => m.value),
      headers: withHeaders ? slice.map((m): RecordHeaders | undefined => m.headers) : null,
      timestamps: null,
      offsetDeltas: null,
      start: 0,
    },
    { count: slice.length, firstTimestamp: timestamp, maxTimestamp: timestamp, sizeBytes: 0 },
  )
  return encodeRecordBatch(batch)
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
  batches: Map<number, Buffer[]>,
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

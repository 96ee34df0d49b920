import type { CommittedOffset } from '../../../index'
import {
  ApiKeys,
  type BrokerConnection,
  errorFromKafka,
  type KafkaClient,
  KafkaErrors,
  retrying,
  throwIfError,
} from '../../../wire'

/** ListOffsets' special timestamps. */
export const EARLIEST = -2n
export const LATEST = -1n

/** A request time limit the broker applies to its own waits (ListOffsets v10, admin requests). */
export const BROKER_TIMEOUT_MS = 30_000

/** `topic\0partition`: a key of per-partition maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/**
 * Runs `run` once per leader broker with the partitions it leads, and gathers the results; after an
 * error that a new leader clears up, asks Metadata again and retries (see `retrying`).
 */
export function byLeader<T>(
  client: KafkaClient,
  topic: string,
  partitions: readonly number[],
  run: (connection: BrokerConnection, partitions: number[]) => Promise<T[]>,
): Promise<T[]> {
  return retrying(async () => {
    try {
      const groups = new Map<BrokerConnection, number[]>()
      for (const partition of partitions) {
        const leader = await client.leader(topic, partition)
        const list = groups.get(leader)
        if (list === undefined) groups.set(leader, [partition])
        else list.push(partition)
      }
      return (await Promise.all([...groups].map(([leader, list]) => run(leader, list)))).flat()
    } catch (error) {
      // The leaders may have moved: the next attempt routes by fresh metadata.
      if ((error as { retriable?: boolean }).retriable === true)
        await client.topic(topic).catch(() => undefined)
      throw error
    }
  })
}

/**
 * Each partition's offset at a timestamp: EARLIEST (the log start), LATEST (the high watermark), or
 * the first offset at or after a time in ms (-1 when there is none). Asks each leader once.
 */
export async function listOffsets(
  client: KafkaClient,
  topic: string,
  partitions: readonly number[],
  timestamp: bigint,
): Promise<Map<number, number>> {
  const answers = await byLeader(client, topic, partitions, async (leader, list) => {
    const { body } = await leader.send(ApiKeys.ListOffsets, () => ({
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: list.map((partitionIndex) => ({ partitionIndex, timestamp })) }],
      timeoutMs: BROKER_TIMEOUT_MS,
    }))
    return body.topics.flatMap((t) =>
      t.partitions.map((p) => {
        throwIfError(p.errorCode, { topic, partition: p.partitionIndex })
        return [p.partitionIndex, Number(p.offset)] as const
      }),
    )
  })
  return new Map(answers)
}

/**
 * Each partition's size in bytes (DescribeLogDirs to each leader, its current log only); -1 for a
 * partition whose broker does not say (an older broker, or no DESCRIBE on the cluster).
 */
export async function logSizes(
  client: KafkaClient,
  topic: string,
  partitions: readonly number[],
): Promise<Map<number, number>> {
  const sizes = new Map<number, number>(partitions.map((p) => [p, -1]))
  await byLeader(client, topic, partitions, async (leader, list) => {
    if (!leader.supports(ApiKeys.DescribeLogDirs)) return []
    const { body } = await leader.send(ApiKeys.DescribeLogDirs, () => ({
      topics: [{ topic, partitions: list }],
    }))
    for (const dir of body.results) {
      if (dir.errorCode !== 0) continue
      for (const t of dir.topics) {
        if (t.name !== topic) continue
        for (const p of t.partitions) {
          if (!p.isFutureKey && list.includes(p.partitionIndex)) {
            sizes.set(
              p.partitionIndex,
              Math.max(0, sizes.get(p.partitionIndex) ?? 0) + Number(p.partitionSize),
            )
          }
        }
      }
    }
    return []
  })
  return sizes
}

/**
 * A group's committed offsets (OffsetFetch): of these topics' partitions, or of every partition it has
 * offsets for (null). Partitions without one are left out.
 */
export async function committedOffsets(
  coordinator: BrokerConnection,
  groupId: string,
  topics: { name: string; partitions: number[] }[] | null,
): Promise<CommittedOffset[]> {
  const requested =
    topics === null ? null : topics.map((t) => ({ name: t.name, partitionIndexes: t.partitions }))
  const { version, body } = await retrying(async () => {
    const answer = await coordinator.send(ApiKeys.OffsetFetch, (v) =>
      v >= 8
        ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: requested }], requireStable: false }
        : { groupId, topics: requested, requireStable: false },
    )
    const groupError = answer.version >= 8 ? (answer.body.groups[0]?.errorCode ?? 0) : answer.body.errorCode
    throwIfError(groupError, { groupId })
    return answer
  })
  const answered = version >= 8 ? (body.groups[0]?.topics ?? []) : body.topics
  const offsets: CommittedOffset[] = []
  for (const t of answered) {
    for (const p of t.partitions) {
      if (p.errorCode === KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION) continue
      throwIfError(p.errorCode, { groupId, topic: t.name, partition: p.partitionIndex })
      if (p.committedOffset >= 0n) {
        offsets.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) })
      }
    }
  }
  return offsets.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
}

/** Who commits: a member of the group's current generation, or nobody (an admin tool's commit). */
export interface Committer {
  memberId: string
  generation: number
}

/**
 * Commits offsets (OffsetCommit). Without a committer it is Kafka's standalone commit (generation -1),
 * which a broker accepts only while the group has no members. The first partition error is thrown.
 */
export async function commitOffsets(
  coordinator: BrokerConnection,
  groupId: string,
  offsets: readonly CommittedOffset[],
  committer?: Committer,
): Promise<void> {
  if (offsets.length === 0) return
  const byTopic = new Map<string, CommittedOffset[]>()
  for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o])
  const { body } = await coordinator.send(ApiKeys.OffsetCommit, () => ({
    groupId,
    generationIdOrMemberEpoch: committer?.generation ?? -1,
    memberId: committer?.memberId ?? '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [...byTopic].map(([name, list]) => ({
      name,
      partitions: list.map((o) => ({
        partitionIndex: o.partition,
        committedOffset: BigInt(o.offset),
        committedLeaderEpoch: -1,
        committedMetadata: '',
      })),
    })),
  }))
  for (const t of body.topics) {
    for (const p of t.partitions) {
      if (p.errorCode === 0) continue
      // Group-wide answers (a stale generation, an unknown member) speak of the group, not the partition.
      const partitionError =
        p.errorCode === KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION ||
        p.errorCode === KafkaErrors.OFFSET_METADATA_TOO_LARGE
      throw errorFromKafka(
        p.errorCode,
        partitionError ? { topic: t.name, partition: p.partitionIndex } : { groupId },
      )!
    }
  }
}

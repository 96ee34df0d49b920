import {
  type CommittedOffset,
  GroupNotEmptyError,
  GroupNotFoundError,
  type TopicPartition,
  UnknownTopicError,
} from '../../../index'
import {
  ApiKeys,
  type BrokerConnection,
  decodeAssignment,
  decodeSubscription,
  type KafkaClient,
  throwIfError,
} from '../../../wire'
import type { GroupListing, GroupPartitionReport, GroupReport, OffsetChange, ResetSpec } from '../cluster'
import { commitOffsets, committedOffsets, EARLIEST, LATEST, listOffsets, partitionKey } from './offsets'

/** The protocol type of consumer groups; '' is a group with offsets only (Kafka's "simple" group). */
const CONSUMER = 'consumer'

interface DescribedMember {
  memberId: string
  clientId: string
  instanceId: string | null
  /** Subscribed topics, from the member's consumer protocol metadata. */
  topics: string[]
  assignment: TopicPartition[]
}

interface DescribedGroup {
  state: string
  protocol: string
  members: DescribedMember[]
}

/** The consumer groups of every broker (each lists the groups it coordinates), by id. */
export async function listGroups(client: KafkaClient): Promise<GroupListing[]> {
  const { brokers } = await client.metadata([])
  const found = new Map<string, string>()
  for (const { nodeId } of brokers) {
    const broker = await client.broker(nodeId)
    const { version, body } = await broker.send(ApiKeys.ListGroups, () => ({
      statesFilter: [],
      typesFilter: [],
    }))
    throwIfError(body.errorCode)
    const groups = body.groups.filter((g) => g.protocolType === CONSUMER || g.protocolType === '')
    // Before v4 the list has no states: DescribeGroups of the same broker says them.
    const states =
      version >= 4
        ? new Map(groups.map((g) => [g.groupId, g.groupState]))
        : await statesOf(
            broker,
            groups.map((g) => g.groupId),
          )
    for (const g of groups) found.set(g.groupId, states.get(g.groupId) ?? '')
  }
  return [...found]
    .filter(([, state]) => state !== 'Dead')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([groupId, state]) => ({ groupId, state }))
}

/** State, members, and per partition the committed offset, log end and lag, as a data directory reports them. */
export async function describeGroup(client: KafkaClient, groupId: string): Promise<GroupReport> {
  const coordinator = await client.coordinator(groupId)
  const group = await describe(coordinator, groupId)
  if (group.state === 'Dead') throw new GroupNotFoundError(groupId)
  const committed = await committedOffsets(coordinator, groupId, null)
  const offsetOf = new Map(committed.map((c) => [partitionKey(c.topic, c.partition), c.offset]))
  const owner = new Map<string, DescribedMember>()
  for (const m of group.members)
    for (const tp of m.assignment) owner.set(partitionKey(tp.topic, tp.partition), m)
  const topics = [
    ...new Set([...group.members.flatMap((m) => m.topics), ...committed.map((c) => c.topic)]),
  ].sort()
  const partitions: GroupPartitionReport[] = []
  for (const topic of topics) {
    const indexes = await partitionsOf(client, topic)
    if (indexes === undefined) continue
    const [starts, ends] = await Promise.all([
      listOffsets(client, topic, indexes, EARLIEST),
      listOffsets(client, topic, indexes, LATEST),
    ])
    for (const partition of indexes) {
      const key = partitionKey(topic, partition)
      const currentOffset = offsetOf.get(key) ?? null
      const logEndOffset = ends.get(partition)!
      const member = owner.get(key)
      partitions.push({
        topic,
        partition,
        currentOffset,
        logEndOffset,
        lag: Math.max(0, logEndOffset - (currentOffset ?? starts.get(partition)!)),
        consumerId: member?.memberId ?? null,
        clientId: member?.clientId ?? null,
      })
    }
  }
  return {
    groupId,
    state: group.state,
    protocol: group.protocol,
    members: group.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      instanceId: m.instanceId,
      assignment: m.assignment.map((tp) => `${tp.topic}-${tp.partition}`),
    })),
    partitions,
  }
}

/** DeleteGroups: GroupNotFoundError for an unknown group, GroupNotEmptyError while it has members. */
export async function deleteGroup(client: KafkaClient, groupId: string): Promise<void> {
  const coordinator = await client.coordinator(groupId)
  const { body } = await coordinator.send(ApiKeys.DeleteGroups, () => ({ groupsNames: [groupId] }))
  const result = body.results.find((r) => r.groupId === groupId)
  throwIfError(result?.errorCode ?? 0, { groupId })
}

/**
 * `--reset-offsets` as kafka-consumer-groups does it: refused while the group has members (dry run
 * included), the new offsets computed from the log's start and end (clamped to them), committed as an
 * admin commit unless it is a dry run.
 */
export async function resetOffsets(
  client: KafkaClient,
  groupId: string,
  options: ResetSpec,
): Promise<OffsetChange[]> {
  const coordinator = await client.coordinator(groupId)
  const group = await describe(coordinator, groupId)
  if (group.members.length > 0 || (group.state !== 'Empty' && group.state !== 'Dead')) {
    throw new GroupNotEmptyError(groupId)
  }
  const committed = await committedOffsets(coordinator, groupId, null)
  const before = new Map(committed.map((c) => [partitionKey(c.topic, c.partition), c.offset]))
  const topics = options.topics ?? [...new Set(committed.map((c) => c.topic))]
  const { to } = options
  const changes: OffsetChange[] = []
  for (const topic of topics) {
    const indexes = await partitionsOf(client, topic)
    if (indexes === undefined) throw new UnknownTopicError(topic)
    const [starts, ends, atTime] = await Promise.all([
      listOffsets(client, topic, indexes, EARLIEST),
      listOffsets(client, topic, indexes, LATEST),
      typeof to === 'object' && 'timestamp' in to
        ? listOffsets(client, topic, indexes, BigInt(to.timestamp))
        : undefined,
    ])
    for (const partition of indexes) {
      const start = starts.get(partition)!
      const end = ends.get(partition)!
      const previous = before.get(partitionKey(topic, partition)) ?? null
      let offset: number
      if (to === 'earliest') offset = start
      else if (to === 'latest') offset = end
      else if ('timestamp' in to) {
        // No offset at or after the time: the end, as a data directory resets.
        const found = atTime?.get(partition) ?? -1
        offset = found < 0 ? end : found
      } else if ('offset' in to) offset = to.offset
      else if (previous === null) continue
      else offset = previous + to.shiftBy
      changes.push({ topic, partition, offset: Math.min(Math.max(offset, start), end), previous })
    }
  }
  if (!options.dryRun) {
    const offsets: CommittedOffset[] = changes.map(({ topic, partition, offset }) => ({
      topic,
      partition,
      offset,
    }))
    await commitOffsets(coordinator, groupId, offsets)
  }
  return changes
}

/** A topic's partition indexes, or undefined when it does not exist. */
async function partitionsOf(client: KafkaClient, topic: string): Promise<number[] | undefined> {
  try {
    return (await client.topic(topic)).partitions.map((p) => p.partition)
  } catch (error) {
    if (error instanceof UnknownTopicError) return undefined
    throw error
  }
}

async function describe(coordinator: BrokerConnection, groupId: string): Promise<DescribedGroup> {
  const { body } = await coordinator.send(ApiKeys.DescribeGroups, () => ({
    groups: [groupId],
    includeAuthorizedOperations: false,
  }))
  const group = body.groups.find((g) => g.groupId === groupId)
  if (group === undefined) return { state: 'Dead', protocol: '', members: [] }
  throwIfError(group.errorCode, { groupId, message: group.errorMessage })
  const consumer = group.protocolType === CONSUMER
  return {
    state: group.groupState,
    protocol: group.protocolData,
    members: group.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      instanceId: m.groupInstanceId,
      topics: consumer ? readable(() => decodeSubscription(Buffer.from(m.memberMetadata)).topics, []) : [],
      assignment: consumer ? readable(() => decodeAssignment(Buffer.from(m.memberAssignment)), []) : [],
    })),
  }
}

async function statesOf(broker: BrokerConnection, groupIds: string[]): Promise<Map<string, string>> {
  if (groupIds.length === 0) return new Map()
  const { body } = await broker.send(ApiKeys.DescribeGroups, () => ({
    groups: groupIds,
    includeAuthorizedOperations: false,
  }))
  return new Map(body.groups.map((g) => [g.groupId, g.groupState]))
}

/** Bytes another client wrote in a form it chose: what does not decode is left out, not fatal. */
function readable<T>(read: () => T, otherwise: T): T {
  try {
    return read()
  } catch {
    return otherwise
  }
}

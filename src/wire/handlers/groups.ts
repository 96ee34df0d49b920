import { type CommittedOffset, GroupNotFoundError } from '../../index'
import { KafkaErrors, type ResponseInput } from '../protocol'
import { allowed, type Handler, type RequestContext } from '../server/context'
import { errorCodeOf, OPERATIONS_OMITTED, partitionOf, toBig } from './common'

const CONSUMER = 'consumer'

/**
 * JoinGroup: the member joins the core group (`group.addMember`) and waits for the rebalance to reach
 * it. v4+ clients without a member id get one with MEMBER_ID_REQUIRED first, as Kafka answers.
 */
export const joinGroup: Handler<11> = async (body, context) => {
  const fail = (errorCode: number) => ({
    errorCode,
    generationId: -1,
    protocolName: '',
    leader: '',
    memberId: body.memberId,
    members: [],
  })
  if (!allowed(context, 'group', body.groupId, 'read')) return fail(KafkaErrors.GROUP_AUTHORIZATION_FAILED)
  if (body.groupId === '') return fail(KafkaErrors.INVALID_GROUP_ID)
  if (body.protocolType !== CONSUMER || body.protocols.length === 0) {
    return fail(KafkaErrors.INCONSISTENT_GROUP_PROTOCOL)
  }
  const groups = context.broker.groups
  if (body.memberId === '' && context.apiVersion >= 4 && body.groupInstanceId === null) {
    return {
      ...fail(KafkaErrors.MEMBER_ID_REQUIRED),
      memberId: groups.newMemberId(context.header.clientId ?? ''),
    }
  }
  const answer = await groups.join({
    groupId: body.groupId,
    memberId: body.memberId,
    instanceId: body.groupInstanceId,
    clientId: context.header.clientId ?? '',
    sessionTimeoutMs: body.sessionTimeoutMs,
    rebalanceTimeoutMs: context.apiVersion >= 1 ? body.rebalanceTimeoutMs : body.sessionTimeoutMs,
    protocols: body.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
    session: context.session,
  })
  return { ...answer, protocolType: CONSUMER, skipAssignment: false }
}

/** SyncGroup: the member's assignment; the leader's request brings everyone's. */
export const syncGroup: Handler<14> = async (body, context) => {
  if (!allowed(context, 'group', body.groupId, 'read')) {
    return { errorCode: KafkaErrors.GROUP_AUTHORIZATION_FAILED, assignment: Buffer.alloc(0) }
  }
  const answer = await context.broker.groups.sync(
    body.groupId,
    body.memberId,
    body.generationId,
    body.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
  )
  return { ...answer, protocolType: CONSUMER, protocolName: protocolOf(context, body.groupId) }
}

/** Heartbeat: REBALANCE_IN_PROGRESS tells the member to rejoin. */
export const heartbeat: Handler<12> = (body, context) => {
  if (!allowed(context, 'group', body.groupId, 'read'))
    return { errorCode: KafkaErrors.GROUP_AUTHORIZATION_FAILED }
  return { errorCode: context.broker.groups.heartbeat(body.groupId, body.memberId, body.generationId) }
}

/** LeaveGroup: one member (v0-2) or a batch of them (v3+). */
export const leaveGroup: Handler<13> = (body, context) => {
  if (!allowed(context, 'group', body.groupId, 'read'))
    return { errorCode: KafkaErrors.GROUP_AUTHORIZATION_FAILED }
  const groups = context.broker.groups
  if (context.apiVersion < 3) return { errorCode: groups.leave(body.groupId, body.memberId) }
  return {
    errorCode: 0,
    members: body.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode: groups.leave(body.groupId, m.memberId),
    })),
  }
}

/**
 * OffsetCommit: a member's commit is checked against its generation, as Kafka does; a commit without a
 * member (generation -1, Kafka's `assign()` consumers and admin tools) is accepted while the group has
 * no members. Offset metadata is not kept (answered as '').
 */
export const offsetCommit: Handler<8> = async (body, context) => {
  const answer = (code: (topic: string, partition: number) => number): ResponseInput<8> => ({
    topics: body.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: code(t.name, p.partitionIndex),
      })),
    })),
  })
  if (!allowed(context, 'group', body.groupId, 'read'))
    return answer(() => KafkaErrors.GROUP_AUTHORIZATION_FAILED)
  const bus = context.broker.bus
  const offsets: CommittedOffset[] = []
  const refused = new Map<string, number>()
  for (const t of body.topics) {
    const mayRead = allowed(context, 'topic', t.name, 'read')
    for (const p of t.partitions) {
      const key = `${t.name}\u0000${p.partitionIndex}`
      const found = mayRead
        ? partitionOf(bus, t.name, p.partitionIndex)
        : KafkaErrors.TOPIC_AUTHORIZATION_FAILED
      if (typeof found === 'number') refused.set(key, found)
      else offsets.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) })
    }
  }
  let errorCode = 0
  if (offsets.length > 0) {
    try {
      const generation = context.apiVersion >= 1 ? body.generationIdOrMemberEpoch : -1
      const handle = context.broker.groups.member(body.groupId, body.memberId)?.handle
      const consumers = context.broker.consumerGroups
      if (generation < 0 && body.memberId === '') await bus.group(body.groupId).commitStandalone(offsets)
      else if (handle !== undefined) await handle.commit(generation, offsets)
      else if (consumers.has(body.groupId, body.memberId)) {
        // KIP-848: generationIdOrMemberEpoch is the member epoch.
        errorCode = await consumers.commit(body.groupId, body.memberId, generation, offsets)
      } else errorCode = KafkaErrors.UNKNOWN_MEMBER_ID
    } catch (error) {
      errorCode = errorCodeOf(error)
    }
  }
  return answer((topic, partition) => refused.get(`${topic}\u0000${partition}`) ?? errorCode)
}

type FetchedTopic = { name: string; partitions: FetchedPartition[] }
type FetchedPartition = {
  partitionIndex: number
  committedOffset: bigint
  committedLeaderEpoch: number
  metadata: string
  errorCode: number
}

/** OffsetFetch: the committed offsets (-1 for none), of the named partitions or all (null topics). */
export const offsetFetch: Handler<9> = (body, context) => {
  if (context.apiVersion >= 8) {
    return {
      groups: body.groups.map((g) => {
        const { errorCode, topics } = committedOf(context, g.groupId, g.topics)
        return { groupId: g.groupId, errorCode, topics }
      }),
    }
  }
  const { errorCode, topics } = committedOf(context, body.groupId, body.topics)
  return { errorCode, topics }
}

function committedOf(
  context: RequestContext,
  groupId: string,
  requested: ReadonlyArray<{ name: string; partitionIndexes: number[] }> | null,
): { errorCode: number; topics: FetchedTopic[] } {
  if (!allowed(context, 'group', groupId, 'describe')) {
    return { errorCode: KafkaErrors.GROUP_AUTHORIZATION_FAILED, topics: [] }
  }
  const bus = context.broker.bus
  const known = bus.listGroups().includes(groupId)
  const committed = known ? bus.group(groupId).committedOffsets() : []
  const entry = (partitionIndex: number, offset: number | undefined, errorCode = 0): FetchedPartition => ({
    partitionIndex,
    committedOffset: toBig(offset ?? -1),
    committedLeaderEpoch: -1,
    metadata: '',
    errorCode,
  })
  if (requested === null) {
    const byTopic = new Map<string, FetchedPartition[]>()
    for (const c of committed) {
      if (!allowed(context, 'topic', c.topic, 'describe')) continue
      const list = byTopic.get(c.topic) ?? []
      list.push(entry(c.partition, c.offset))
      byTopic.set(c.topic, list)
    }
    return { errorCode: 0, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) }
  }
  const offsetOf = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]))
  return {
    errorCode: 0,
    topics: requested.map((t) => {
      const mayRead = allowed(context, 'topic', t.name, 'describe')
      return {
        name: t.name,
        partitions: t.partitionIndexes.map((p) =>
          mayRead
            ? entry(p, offsetOf.get(`${t.name}\u0000${p}`))
            : entry(p, undefined, KafkaErrors.TOPIC_AUTHORIZATION_FAILED),
        ),
      }
    }),
  }
}

/** DescribeGroups: state, protocol and members (wire members with their metadata and assignment bytes). */
export const describeGroups: Handler<15> = (body, context) => {
  const bus = context.broker.bus
  return {
    groups: body.groups.map((groupId) => {
      const base = {
        groupId,
        protocolType: '',
        protocolData: '',
        members: [],
        authorizedOperations: OPERATIONS_OMITTED,
      }
      if (!allowed(context, 'group', groupId, 'describe')) {
        return { ...base, errorCode: KafkaErrors.GROUP_AUTHORIZATION_FAILED, groupState: '' }
      }
      if (!bus.listGroups().includes(groupId)) return { ...base, errorCode: 0, groupState: 'Dead' }
      const description = bus.group(groupId).describe()
      const wire = context.broker.groups.membersOf(groupId)
      return {
        ...base,
        errorCode: 0,
        groupState: description.state,
        protocolType: description.members.length > 0 ? CONSUMER : '',
        protocolData: description.protocol,
        members: description.members.map((m) => {
          const remote = wire.get(m.memberId)
          return {
            memberId: m.memberId,
            groupInstanceId: m.instanceId ?? null,
            clientId: m.clientId,
            clientHost: remote?.clientHost ?? '/127.0.0.1',
            memberMetadata:
              remote?.protocols.find((p) => p.name === description.protocol)?.metadata ?? Buffer.alloc(0),
            memberAssignment: remote?.assignment ?? Buffer.alloc(0),
          }
        }),
      }
    }),
  }
}

/** ListGroups: every group the principal may describe, filtered by state (v4+). */
export const listGroups: Handler<16> = (body, context) => {
  const bus = context.broker.bus
  const states = new Set(body.statesFilter.map((s) => s.toLowerCase()))
  const groups = []
  for (const groupId of bus.listGroups()) {
    if (!allowed(context, 'group', groupId, 'describe')) continue
    const state = bus.group(groupId).state
    if (states.size > 0 && !states.has(state.toLowerCase())) continue
    groups.push({ groupId, protocolType: CONSUMER, groupState: state, groupType: 'classic' })
  }
  return { errorCode: 0, groups }
}

/** DeleteGroups: NON_EMPTY_GROUP while a group has members, GROUP_ID_NOT_FOUND for an unknown one. */
export const deleteGroups: Handler<42> = async (body, context) => {
  const bus = context.broker.bus
  const results = []
  for (const groupId of body.groupsNames) {
    if (!allowed(context, 'group', groupId, 'delete')) {
      results.push({ groupId, errorCode: KafkaErrors.GROUP_AUTHORIZATION_FAILED })
      continue
    }
    try {
      if (!bus.listGroups().includes(groupId)) throw new GroupNotFoundError(groupId)
      await bus.group(groupId).delete()
      results.push({ groupId, errorCode: 0 })
    } catch (error) {
      results.push({ groupId, errorCode: errorCodeOf(error) })
    }
  }
  return { results }
}

function protocolOf(context: RequestContext, groupId: string): string {
  return context.broker.bus.group(groupId).describe().protocol
}

/**
 * ConsumerGroupHeartbeat (KIP-848): joins, heartbeats, reconciles and leaves in one API; the server
 * assigns (see groups/consumer-groups.ts).
 */
export const consumerGroupHeartbeat: Handler<68> = (body, context) => {
  const heartbeatIntervalMs = context.broker.options.consumerHeartbeatIntervalMs
  if (!allowed(context, 'group', body.groupId, 'read')) {
    return {
      errorCode: KafkaErrors.GROUP_AUTHORIZATION_FAILED,
      memberId: body.memberId,
      memberEpoch: -1,
      heartbeatIntervalMs,
    }
  }
  if (body.subscribedTopicRegex !== null) {
    return {
      errorCode: KafkaErrors.INVALID_REQUEST,
      errorMessage: 'Subscriptions by regular expression are not supported; name the topics',
      memberId: body.memberId,
      memberEpoch: -1,
      heartbeatIntervalMs,
    }
  }
  const answer = context.broker.consumerGroups.heartbeat({
    groupId: body.groupId,
    memberId: body.memberId,
    memberEpoch: body.memberEpoch,
    instanceId: body.instanceId,
    rebalanceTimeoutMs: body.rebalanceTimeoutMs,
    subscribedTopicNames: body.subscribedTopicNames,
    serverAssignor: body.serverAssignor,
    topicPartitions: body.topicPartitions,
    clientMakesId: context.apiVersion >= 1,
    clientId: context.header.clientId ?? '',
  })
  return { ...answer, heartbeatIntervalMs }
}

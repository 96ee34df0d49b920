import {
  type Assignor,
  type Bus,
  type CommittedOffset,
  type ExternalMember,
  type LogbusError,
  rangeAssignor,
  roundRobinAssignor,
  type TopicPartition,
} from '../../index'
import { KafkaErrors, kafkaErrorOf } from '../protocol'
import type { TopicIds } from '../server/topic-ids'

/** Kafka's server-side assignors (KIP-848), by name, as the core's assignors. */
const SERVER_ASSIGNORS: ReadonlyMap<string, Assignor> = new Map<string, Assignor>([
  ['uniform', roundRobinAssignor],
  ['range', rangeAssignor],
])
/** Kafka's group.consumer.assignors default: the first one, uniform. */
const DEFAULT_ASSIGNOR = 'uniform'
/** Kafka's group.consumer.session.timeout.ms. */
const SESSION_TIMEOUT_MS = 45_000
const LEAVE = -1
const STATIC_LEAVE = -2

/** A ConsumerGroupHeartbeat request, as the handler passes it. */
export interface ConsumerHeartbeat {
  groupId: string
  memberId: string
  memberEpoch: number
  instanceId: string | null
  rebalanceTimeoutMs: number
  subscribedTopicNames: string[] | null
  serverAssignor: string | null
  topicPartitions: Array<{ topicId: string; partitions: number[] }> | null
  /** v0: the server makes the member id; v1+: the client does. */
  clientMakesId: boolean
  clientId: string
}

/** Its answer (the response's fields, assignment by topic id). */
export interface ConsumerHeartbeatAnswer {
  errorCode: number
  errorMessage: string | null
  memberId: string | null
  memberEpoch: number
  assignment: { topicPartitions: Array<{ topicId: string; partitions: number[] }> } | null
}

/** One member of the consumer group protocol around the core's member handle. */
interface Member {
  readonly groupId: string
  readonly memberId: string
  handle: ExternalMember | undefined
  topics: string[]
  assignor: string
  /** The epoch last sent to the member (the core generation of its assignment), and the one before. */
  epoch: number
  previousEpoch: number
  /** An assignment of the core not yet sent, with its generation. */
  pending: { partitions: TopicPartition[]; generation: number } | undefined
  /** The core waits for the member to give up its partitions (eager rebalance). */
  revoking: (() => void) | undefined
  owned: number
}

/**
 * Kafka's consumer group protocol (KIP-848, ConsumerGroupHeartbeat) over the core's groups: the member
 * is a core group member (`group.addMember`) whose protocol is the server-side assignor it names
 * (`uniform`: the core's round robin, `range`: its range assignor), so the server assigns and the member
 * learns its assignment, and its epoch (the core generation), from heartbeats. The core rebalances
 * eagerly: a rebalance first sends the member an empty assignment and waits until its heartbeat owns
 * nothing, then sends the new one. Members of the classic protocol and in-process consumers share such
 * a group when they use the same assignor name.
 */
export class ConsumerGroups {
  readonly #bus: Bus
  readonly #ids: TopicIds
  readonly #members = new Map<string, Member>()
  #counter = 0

  constructor(bus: Bus, ids: TopicIds) {
    this.#bus = bus
    this.#ids = ids
  }

  /** Whether the group has this consumer-protocol member. */
  has(groupId: string, memberId: string): boolean {
    return this.#members.has(key(groupId, memberId))
  }

  /**
   * OffsetCommit by a member of this protocol: its epoch must be the one it was last told
   * (STALE_MEMBER_EPOCH otherwise, as Kafka answers); the group may have moved on to a generation the
   * member has not heard of yet, which does not make its commit stale.
   */
  async commit(
    groupId: string,
    memberId: string,
    epoch: number,
    offsets: CommittedOffset[],
  ): Promise<number> {
    const member = this.#members.get(key(groupId, memberId))
    if (member?.handle === undefined) return KafkaErrors.UNKNOWN_MEMBER_ID
    if (epoch !== member.epoch) return KafkaErrors.STALE_MEMBER_EPOCH
    try {
      await member.handle.commit(this.#bus.group(groupId).generation, offsets)
      return 0
    } catch (error) {
      return kafkaErrorOf(error).code
    }
  }

  heartbeat(request: ConsumerHeartbeat): ConsumerHeartbeatAnswer {
    const fail = (errorCode: number, errorMessage: string | null = null): ConsumerHeartbeatAnswer => ({
      errorCode,
      errorMessage,
      memberId: request.memberId,
      memberEpoch: -1,
      assignment: null,
    })
    const existing = this.#members.get(key(request.groupId, request.memberId))
    if (request.memberEpoch === LEAVE || request.memberEpoch === STATIC_LEAVE) {
      if (existing === undefined) return fail(KafkaErrors.UNKNOWN_MEMBER_ID)
      this.#forget(existing)
      existing.handle?.leave()
      return {
        errorCode: 0,
        errorMessage: null,
        memberId: request.memberId,
        memberEpoch: request.memberEpoch,
        assignment: null,
      }
    }
    if (existing === undefined) {
      if (request.memberEpoch !== 0) return fail(KafkaErrors.UNKNOWN_MEMBER_ID)
      return this.#join(request)
    }
    if (request.memberEpoch !== existing.epoch && request.memberEpoch !== existing.previousEpoch) {
      return fail(
        KafkaErrors.FENCED_MEMBER_EPOCH,
        `Epoch ${request.memberEpoch}; the member's is ${existing.epoch}`,
      )
    }
    try {
      existing.handle!.heartbeat()
    } catch (error) {
      this.#forget(existing)
      return fail(kafkaErrorOf(error).code)
    }
    if (request.topicPartitions !== null) {
      existing.owned = request.topicPartitions.reduce((n, t) => n + t.partitions.length, 0)
    }
    if (request.subscribedTopicNames !== null && !sameTopics(request.subscribedTopicNames, existing.topics)) {
      existing.topics = [...request.subscribedTopicNames]
      existing.handle!.update([this.#protocol(existing)])
    }
    return this.#answer(existing)
  }

  #join(request: ConsumerHeartbeat): ConsumerHeartbeatAnswer {
    const assignor = request.serverAssignor ?? DEFAULT_ASSIGNOR
    if (!SERVER_ASSIGNORS.has(assignor)) {
      return {
        errorCode: KafkaErrors.UNSUPPORTED_ASSIGNOR,
        errorMessage: `Unknown assignor ${assignor}`,
        memberId: request.memberId,
        memberEpoch: -1,
        assignment: null,
      }
    }
    const memberId =
      request.clientMakesId && request.memberId !== ''
        ? request.memberId
        : `${request.clientId || 'consumer'}-${Date.now().toString(36)}-${(++this.#counter).toString(36)}`
    const member: Member = {
      groupId: request.groupId,
      memberId,
      handle: undefined,
      topics: [...(request.subscribedTopicNames ?? [])],
      assignor,
      epoch: 0,
      previousEpoch: 0,
      pending: undefined,
      revoking: undefined,
      owned: 0,
    }
    this.#members.set(key(member.groupId, memberId), member)
    try {
      member.handle = this.#bus.group(request.groupId).addMember({
        memberId,
        instanceId: request.instanceId ?? undefined,
        clientId: request.clientId,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs > 0 ? request.rebalanceTimeoutMs : 300_000,
        protocols: [this.#protocol(member)],
        revoke: () => this.#revoke(member),
        assign: (partitions, generation) => {
          member.pending = { partitions, generation }
        },
        removed: (reason: LogbusError) => {
          void reason
          this.#forget(member)
        },
      })
    } catch (error) {
      this.#forget(member)
      return {
        errorCode: kafkaErrorOf(error).code,
        errorMessage: String(error),
        memberId,
        memberEpoch: -1,
        assignment: null,
      }
    }
    return this.#answer(member)
  }

  #protocol(member: Member) {
    const assignor = SERVER_ASSIGNORS.get(member.assignor)!
    return {
      name: member.assignor,
      topics: member.topics,
      assign: async (input: Parameters<Assignor>[0]) => assignor(input),
    }
  }

  #revoke(member: Member): Promise<void> {
    member.pending = undefined
    if (member.owned === 0 && member.epoch === 0) return Promise.resolve()
    return new Promise((resolve) => {
      member.revoking = resolve
    })
  }

  #answer(member: Member): ConsumerHeartbeatAnswer {
    const base = { errorCode: 0, errorMessage: null, memberId: member.memberId }
    if (member.revoking !== undefined) {
      if (member.owned === 0) {
        const done = member.revoking
        member.revoking = undefined
        done()
      } else return { ...base, memberEpoch: member.epoch, assignment: { topicPartitions: [] } }
    }
    const pending = member.pending
    if (pending === undefined) return { ...base, memberEpoch: member.epoch, assignment: null }
    member.pending = undefined
    member.previousEpoch = member.epoch
    member.epoch = pending.generation
    const byTopic = new Map<string, number[]>()
    for (const { topic, partition } of pending.partitions) {
      const list = byTopic.get(topic) ?? []
      list.push(partition)
      byTopic.set(topic, list)
    }
    return {
      ...base,
      memberEpoch: member.epoch,
      assignment: {
        topicPartitions: [...byTopic].map(([topic, partitions]) => ({
          topicId: this.#ids.idOf(topic),
          partitions,
        })),
      },
    }
  }

  /** The server closes: its members leave their groups, as their connections go with it. */
  close(): void {
    for (const member of [...this.#members.values()]) {
      this.#forget(member)
      member.handle?.leave()
    }
  }

  #forget(member: Member): void {
    if (this.#members.get(key(member.groupId, member.memberId)) === member) {
      this.#members.delete(key(member.groupId, member.memberId))
    }
    member.revoking?.()
    member.revoking = undefined
  }
}

function key(groupId: string, memberId: string): string {
  return `${groupId}\u0000${memberId}`
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i])
}

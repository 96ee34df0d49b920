import {
  type Assignment,
  type AssignorInput,
  type Bus,
  type ExternalMember,
  type ExternalProtocol,
  InconsistentGroupProtocolError,
  type LogbusError,
  type TopicPartition,
} from '../../index'
import { KafkaErrors, kafkaErrorOf } from '../protocol'
import type { Session } from '../server/context'
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from './consumer-protocol'

/** What a JoinGroup is answered with. */
export interface JoinAnswer {
  errorCode: number
  generationId: number
  protocolName: string
  leader: string
  memberId: string
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>
}

/** A member's protocols as its JoinGroup lists them. */
export interface WireProtocol {
  name: string
  metadata: Buffer
}

/** What a JoinGroup says about its member. */
export interface JoinRequest {
  groupId: string
  memberId: string
  instanceId: string | null
  clientId: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocols: WireProtocol[]
  session: Session
}

/** One wire client in a group: the classic protocol's state around the core's member handle. */
interface WireMember {
  readonly groupId: string
  readonly memberId: string
  readonly instanceId: string | null
  readonly clientId: string
  readonly clientHost: string
  readonly sessionTimeoutMs: number
  session: Session
  protocols: WireProtocol[]
  handle: ExternalMember | undefined
  /** The generation its last JoinGroup answer named. */
  joinedGeneration: number
  /** Its assignment in `assignedGeneration`, as bytes for SyncGroup. */
  assignedGeneration: number
  assignment: Buffer
  /** A JoinGroup waiting for the rebalance to reach this member. */
  join: ((answer: JoinAnswer) => void) | undefined
  /** A SyncGroup waiting for this member's assignment. */
  sync: { generation: number; resolve: (errorCode: number, assignment: Buffer) => void } | undefined
  /** The core waits for this member to rejoin (its revoke). */
  revoked: (() => void) | undefined
  /** The member must rejoin to learn a new generation: heartbeats answer REBALANCE_IN_PROGRESS. */
  needsRejoin: boolean
  /** Keeps the core session alive while a JoinGroup or SyncGroup waits (as Kafka does). */
  keepAlive: NodeJS.Timeout | undefined
  removed: boolean
}

/** The leader's SyncGroup, awaited by the assignment it computes. */
interface LeaderSync {
  generation: number
  resolve: (assignments: Map<string, Buffer>) => void
}

/** The JoinGroup answers of a round a wire leader assigns. */
interface Round {
  generation: number
  protocol: string
  leader: WireMember
  members: JoinAnswer['members']
}

/** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined. */
const PENDING_ID_TTL_MS = 5 * 60_000

/**
 * Kafka's classic group protocol over the core's groups: a wire client is a core group member
 * (`group.addMember`), so wire clients and in-process consumers can share a group. Mapping:
 * - a rebalance asks each member to revoke: a wire member is told so by REBALANCE_IN_PROGRESS on its
 *   heartbeat, and has revoked once it rejoins (JoinGroup);
 * - the group's leader assigns: a wire leader's protocol `assign` answers every waiting JoinGroup
 *   (the leader's with all members' subscriptions), then waits for the leader's SyncGroup and returns
 *   the assignments it carries; an in-process leader's assignor runs in process;
 * - the core hands each member its assignment: a wire member's waiting JoinGroup (follower) and
 *   SyncGroup are answered with it.
 */
export class ClassicGroups {
  readonly #bus: Bus
  readonly #members = new Map<string, Map<string, WireMember>>()
  readonly #leaderSyncs = new Map<string, LeaderSync>()
  readonly #rawAssignments = new Map<string, { generation: number; bytes: Map<string, Buffer> }>()
  readonly #pendingIds = new Map<string, number>()
  /** A wire leader's round in progress, by group: what its members' JoinGroups are answered with. */
  readonly #rounds = new Map<string, Round>()
  #counter = 0

  constructor(bus: Bus) {
    this.#bus = bus
  }

  member(groupId: string, memberId: string): WireMember | undefined {
    return this.#members.get(groupId)?.get(memberId)
  }

  /** The wire members of a group (for DescribeGroups). */
  membersOf(groupId: string): ReadonlyMap<string, WireMember> {
    return this.#members.get(groupId) ?? new Map()
  }

  /** A member id for a JoinGroup v4+ without one (MEMBER_ID_REQUIRED). */
  newMemberId(clientId: string): string {
    const id = `${clientId || 'member'}-${Date.now().toString(36)}-${(++this.#counter).toString(36)}`
    const now = Date.now()
    for (const [pending, at] of this.#pendingIds)
      if (now - at > PENDING_ID_TTL_MS) this.#pendingIds.delete(pending)
    this.#pendingIds.set(id, now)
    return id
  }

  /** JoinGroup: answers once the group's rebalance reaches this member. */
  join(request: JoinRequest): Promise<JoinAnswer> {
    const { groupId } = request
    const existing = request.memberId === '' ? undefined : this.member(groupId, request.memberId)
    if (existing !== undefined && !existing.removed) return this.#rejoin(existing, request)
    if (
      request.memberId !== '' &&
      !this.#pendingIds.delete(request.memberId) &&
      request.instanceId === null
    ) {
      return Promise.resolve(failedJoin(KafkaErrors.UNKNOWN_MEMBER_ID, request.memberId))
    }
    const memberId = request.memberId === '' ? this.newMemberId(request.clientId) : request.memberId
    return this.#add(request, memberId)
  }

  #add(request: JoinRequest, memberId: string): Promise<JoinAnswer> {
    const member: WireMember = {
      groupId: request.groupId,
      memberId,
      instanceId: request.instanceId,
      clientId: request.clientId,
      clientHost: request.session.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      session: request.session,
      protocols: request.protocols,
      handle: undefined,
      joinedGeneration: -1,
      assignedGeneration: -1,
      assignment: Buffer.alloc(0),
      join: undefined,
      sync: undefined,
      revoked: undefined,
      needsRejoin: false,
      keepAlive: undefined,
      removed: false,
    }
    const answer = this.#waitForJoin(member)
    let group = this.#members.get(request.groupId)
    if (group === undefined) {
      group = new Map()
      this.#members.set(request.groupId, group)
    }
    group.set(memberId, member)
    try {
      member.handle = this.#bus.group(request.groupId).addMember({
        memberId,
        instanceId: request.instanceId ?? undefined,
        clientId: request.clientId,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        protocols: this.#protocolsOf(member, request.protocols),
        revoke: () => this.#revoke(member),
        assign: (partitions, generation) => this.#assign(member, partitions, generation),
        removed: (reason) => this.#removed(member, reason),
      })
    } catch (error) {
      group.delete(memberId)
      if (group.size === 0) this.#members.delete(request.groupId)
      member.join = undefined
      const code =
        error instanceof InconsistentGroupProtocolError
          ? KafkaErrors.INCONSISTENT_GROUP_PROTOCOL
          : kafkaErrorOf(error).code
      return Promise.resolve(failedJoin(code, memberId))
    }
    this.#startKeepAlive(member)
    return answer
  }

  #rejoin(member: WireMember, request: JoinRequest): Promise<JoinAnswer> {
    member.session = request.session
    const answer = this.#waitForJoin(member)
    const changed = !sameProtocols(member.protocols, request.protocols)
    member.protocols = request.protocols
    if (changed) member.handle!.update(this.#protocolsOf(member, request.protocols))
    const revoked = member.revoked
    if (revoked !== undefined) {
      member.revoked = undefined
      revoked()
      return answer
    }
    if (this.#answerFromRound(member)) return answer
    const group = this.#bus.group(member.groupId)
    if (!changed && !group.rebalancing && member.assignedGeneration === group.generation) {
      // Nothing moved: the current generation again (Kafka answers a follower's rejoin of a stable group so).
      this.#answerJoin(member, group.generation)
    }
    return answer
  }

  /** Heartbeat: Kafka's error code for it. */
  heartbeat(groupId: string, memberId: string, generation: number): number {
    const member = this.member(groupId, memberId)
    if (member === undefined || member.removed) return KafkaErrors.UNKNOWN_MEMBER_ID
    try {
      member.handle!.heartbeat()
    } catch {
      return KafkaErrors.UNKNOWN_MEMBER_ID
    }
    if (member.needsRejoin || member.revoked !== undefined) return KafkaErrors.REBALANCE_IN_PROGRESS
    if (generation !== member.joinedGeneration) return KafkaErrors.ILLEGAL_GENERATION
    return 0
  }

  /** SyncGroup: the member's assignment of `generation`; the leader's carries everyone's. */
  sync(
    groupId: string,
    memberId: string,
    generation: number,
    assignments: ReadonlyArray<{ memberId: string; assignment: Buffer }>,
  ): Promise<{ errorCode: number; assignment: Buffer }> {
    const member = this.member(groupId, memberId)
    if (member === undefined || member.removed) {
      return Promise.resolve({ errorCode: KafkaErrors.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) })
    }
    if (generation !== member.joinedGeneration) {
      return Promise.resolve({ errorCode: KafkaErrors.ILLEGAL_GENERATION, assignment: Buffer.alloc(0) })
    }
    const leaderSync = this.#leaderSyncs.get(groupId)
    if (leaderSync !== undefined && leaderSync.generation === generation && assignments.length > 0) {
      this.#leaderSyncs.delete(groupId)
      leaderSync.resolve(new Map(assignments.map((a) => [a.memberId, Buffer.from(a.assignment)])))
    }
    if (member.assignedGeneration === generation) {
      return Promise.resolve({ errorCode: 0, assignment: member.assignment })
    }
    return new Promise((resolve) => {
      member.sync = { generation, resolve: (errorCode, assignment) => resolve({ errorCode, assignment }) }
      this.#startKeepAlive(member)
    })
  }

  /** LeaveGroup for one member: Kafka's error code. */
  leave(groupId: string, memberId: string): number {
    const member = this.member(groupId, memberId)
    if (member === undefined) return KafkaErrors.UNKNOWN_MEMBER_ID
    member.handle?.leave()
    this.#forget(member, KafkaErrors.UNKNOWN_MEMBER_ID)
    return 0
  }

  /** The connection went away: its waiting requests can no longer be answered. */
  connectionClosed(session: Session): void {
    for (const group of this.#members.values()) {
      for (const member of group.values()) {
        if (member.session !== session) continue
        member.join = undefined
        member.sync = undefined
        this.#stopKeepAlive(member)
      }
    }
  }

  /**
   * The server closes: its members leave their groups, as their connections go with it. A waiting
   * JoinGroup or SyncGroup is answered NOT_COORDINATOR (what Kafka answers when its coordinator shuts
   * down), so the close does not wait for a rebalance that only clients of this server could finish.
   */
  close(): void {
    for (const group of [...this.#members.values()]) {
      for (const member of [...group.values()]) {
        member.handle?.leave()
        this.#forget(member, KafkaErrors.NOT_COORDINATOR)
      }
    }
  }

  #protocolsOf(member: WireMember, protocols: WireProtocol[]): ExternalProtocol[] {
    return protocols.map(({ name, metadata }) => {
      let topics: string[] = []
      let userData: Buffer | null = null
      try {
        ;({ topics, userData } = decodeSubscription(metadata))
      } catch {
        // Metadata that is not a consumer subscription subscribes to nothing.
      }
      return {
        name,
        topics,
        userData: userData ?? undefined,
        assign: (input: AssignorInput) => this.#leaderAssign(member, name, input),
      }
    })
  }

  /**
   * The wire leader computes the assignment: every waiting JoinGroup is answered now (the leader's with
   * the members' subscriptions), then the leader's SyncGroup brings the assignments.
   */
  async #leaderAssign(leader: WireMember, protocol: string, input: AssignorInput): Promise<Assignment> {
    const group = this.#bus.group(leader.groupId)
    const generation = group.generation + 1
    const members = input.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.instanceId ?? null,
      metadata: this.#metadataOf(leader.groupId, m.memberId, protocol, m.topics, m.userData, m.owned),
    }))
    const assignments = new Promise<Map<string, Buffer>>((resolve) => {
      this.#leaderSyncs.set(leader.groupId, { generation, resolve })
    })
    const round: Round = { generation, protocol, leader, members }
    this.#rounds.set(leader.groupId, round)
    // A leader that was not rejoining (it owned nothing) comes back on REBALANCE_IN_PROGRESS.
    if (leader.join === undefined) leader.needsRejoin = true
    for (const member of this.membersOf(leader.groupId).values()) this.#answerFromRound(member)
    try {
      const raw = await assignments
      this.#rawAssignments.set(leader.groupId, { generation, bytes: raw })
      const out: Assignment = {}
      for (const [memberId, bytes] of raw) {
        try {
          out[memberId] = decodeAssignment(bytes)
        } catch {
          out[memberId] = []
        }
      }
      return out
    } finally {
      if (this.#rounds.get(leader.groupId) === round) this.#rounds.delete(leader.groupId)
    }
  }

  /** Answers a waiting JoinGroup of a member the current wire leader's round includes. */
  #answerFromRound(member: WireMember): boolean {
    const round = this.#rounds.get(member.groupId)
    if (round === undefined || member.join === undefined) return false
    if (!round.members.some((m) => m.memberId === member.memberId)) return false
    const isLeader = member === round.leader
    this.#answerJoin(
      member,
      round.generation,
      round.protocol,
      isLeader ? round.members : [],
      round.leader.memberId,
    )
    return true
  }

  #metadataOf(
    groupId: string,
    memberId: string,
    protocol: string,
    topics: string[],
    userData: Uint8Array | undefined,
    owned: TopicPartition[],
  ): Buffer {
    const wire = this.member(groupId, memberId)
    const own = wire?.protocols.find((p) => p.name === protocol)
    if (own !== undefined) return own.metadata
    return encodeSubscription({
      topics,
      userData: userData === undefined ? null : Buffer.from(userData),
      ownedPartitions: owned,
    })
  }

  #revoke(member: WireMember): Promise<void> {
    if (member.join !== undefined) return Promise.resolve()
    return new Promise((resolve) => {
      member.needsRejoin = true
      member.revoked = resolve
    })
  }

  #assign(member: WireMember, partitions: TopicPartition[], generation: number): void {
    const raw = this.#rawAssignments.get(member.groupId)
    const bytes = raw?.generation === generation ? raw.bytes.get(member.memberId) : undefined
    member.assignment = bytes ?? encodeAssignment(partitions)
    member.assignedGeneration = generation
    if (member.joinedGeneration !== generation) {
      if (member.join !== undefined) this.#answerJoin(member, generation)
      else member.needsRejoin = true
    }
    const sync = member.sync
    if (sync !== undefined && sync.generation === generation) {
      member.sync = undefined
      this.#stopKeepAlive(member)
      sync.resolve(0, member.assignment)
    }
  }

  #answerJoin(
    member: WireMember,
    generation: number,
    protocol = this.#bus.group(member.groupId).describe().protocol,
    members: JoinAnswer['members'] = [],
    leader = this.#bus.group(member.groupId).describe().members[0]?.memberId ?? member.memberId,
  ): void {
    const join = member.join
    if (join === undefined) return
    member.join = undefined
    member.needsRejoin = false
    member.joinedGeneration = generation
    if (member.sync === undefined) this.#stopKeepAlive(member)
    if (leader === member.memberId && members.length === 0) {
      // A leader is always sent the members (a stable group's leader rejoining included).
      members = [...this.#bus.group(member.groupId).describe().members].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.instanceId ?? null,
        metadata: this.#metadataOf(member.groupId, m.memberId, protocol, [], undefined, m.assignment),
      }))
    }
    join({
      errorCode: 0,
      generationId: generation,
      protocolName: protocol,
      leader,
      memberId: member.memberId,
      members,
    })
  }

  #waitForJoin(member: WireMember): Promise<JoinAnswer> {
    const previous = member.join
    if (previous !== undefined) previous(failedJoin(KafkaErrors.UNKNOWN_MEMBER_ID, member.memberId))
    this.#startKeepAlive(member)
    return new Promise((resolve) => {
      member.join = resolve
    })
  }

  #removed(member: WireMember, reason: LogbusError): void {
    const code =
      reason.code === 'FENCED_INSTANCE_ID' ? KafkaErrors.FENCED_INSTANCE_ID : KafkaErrors.UNKNOWN_MEMBER_ID
    this.#forget(member, code)
  }

  #forget(member: WireMember, errorCode: number): void {
    member.removed = true
    this.#stopKeepAlive(member)
    const group = this.#members.get(member.groupId)
    if (group?.get(member.memberId) === member) group.delete(member.memberId)
    if (group?.size === 0) this.#members.delete(member.groupId)
    member.join?.(failedJoin(errorCode, member.memberId))
    member.join = undefined
    member.sync?.resolve(errorCode, Buffer.alloc(0))
    member.sync = undefined
    member.revoked?.()
    member.revoked = undefined
  }

  #startKeepAlive(member: WireMember): void {
    if (member.keepAlive !== undefined || member.handle === undefined) return
    const every = Math.max(10, Math.floor(member.sessionTimeoutMs / 3))
    member.keepAlive = setInterval(() => {
      try {
        member.handle?.heartbeat()
      } catch {
        this.#stopKeepAlive(member)
      }
    }, every)
    member.keepAlive.unref()
  }

  #stopKeepAlive(member: WireMember): void {
    clearInterval(member.keepAlive)
    member.keepAlive = undefined
  }
}

function failedJoin(errorCode: number, memberId: string): JoinAnswer {
  return { errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] }
}

function sameProtocols(a: readonly WireProtocol[], b: readonly WireProtocol[]): boolean {
  return (
    a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata))
  )
}

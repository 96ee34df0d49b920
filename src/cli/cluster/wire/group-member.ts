import { type CommittedOffset, rangeAssignor, roundRobinAssignor } from '../../../index'
import {
  ApiKeys,
  type BrokerConnection,
  BrokerError,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type KafkaClient,
  KafkaErrors,
  type ResponseBody,
  throwIfError,
} from '../../../wire'
import { type Committer, commitOffsets } from './offsets'

/** Kafka's consumer defaults: session.timeout.ms, max.poll.interval.ms, heartbeat.interval.ms. */
const SESSION_TIMEOUT_MS = 45_000
const REBALANCE_TIMEOUT_MS = 300_000
const HEARTBEAT_INTERVAL_MS = 3_000
/** Rounds of JoinGroup/SyncGroup before giving up on a group that keeps rebalancing. */
const JOIN_ATTEMPTS = 20

/** The eager assignors the member offers, in order of preference (Kafka's console consumer: range first). */
const ASSIGNORS = { range: rangeAssignor, roundrobin: roundRobinAssignor } as const
type AssignorName = keyof typeof ASSIGNORS

/** Answers that mean "join again": the group moved on, or this member's id is no longer known. */
const REJOIN = new Set<number>([
  KafkaErrors.REBALANCE_IN_PROGRESS,
  KafkaErrors.ILLEGAL_GENERATION,
  KafkaErrors.UNKNOWN_MEMBER_ID,
  KafkaErrors.FENCED_INSTANCE_ID,
])
/** Answers that mean "find the coordinator again". */
const COORDINATOR_MOVED = new Set<number>([
  KafkaErrors.NOT_COORDINATOR,
  KafkaErrors.COORDINATOR_NOT_AVAILABLE,
  KafkaErrors.COORDINATOR_LOAD_IN_PROGRESS,
])

/**
 * One member of a consumer group, as Kafka's console consumer with `--group` is: it joins with the
 * classic protocol (JoinGroup, SyncGroup) subscribed to one topic, offering the eager `range` and
 * `roundrobin` assignors; as the leader it assigns every member's partitions with logbus's
 * implementation of that assignor; it heartbeats every 3 s on its own connection to the coordinator
 * and, when the group rebalances, says so (`rejoinNeeded`) for the reader to commit and `join` again.
 * Commits carry its generation; `leave` commits nothing and leaves the group.
 */
export class GroupMember {
  readonly #client: KafkaClient
  readonly #groupId: string
  readonly #topic: string
  #memberId = ''
  #generation = -1
  #rejoin = false
  #heartbeat: NodeJS.Timeout | undefined
  #beating = false

  constructor(client: KafkaClient, groupId: string, topic: string) {
    this.#client = client
    this.#groupId = groupId
    this.#topic = topic
  }

  /** The group rebalanced (or forgot this member): commit, then `join` again. */
  get rejoinNeeded(): boolean {
    return this.#rejoin
  }

  /** Joins (or rejoins) the group; resolves with the partitions of the topic assigned to this member. */
  async join(): Promise<number[]> {
    this.#stopHeartbeat()
    for (let attempt = 1; attempt <= JOIN_ATTEMPTS; attempt++) {
      const coordinator = await this.#client.coordinator(this.#groupId)
      const joined = await this.#joinGroup(coordinator)
      if (joined === undefined) continue
      const protocol = (joined.protocolName ?? 'range') as AssignorName
      const assignments = joined.leader === this.#memberId ? await this.#assign(protocol, joined.members) : []
      const { body } = await coordinator.send(ApiKeys.SyncGroup, () => ({
        groupId: this.#groupId,
        generationId: this.#generation,
        memberId: this.#memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: protocol,
        assignments,
      }))
      if (await this.#retryAfter(body.errorCode)) continue
      throwIfError(body.errorCode, { groupId: this.#groupId })
      this.#rejoin = false
      this.#startHeartbeat()
      return decodeAssignment(Buffer.from(body.assignment))
        .filter((tp) => tp.topic === this.#topic)
        .map((tp) => tp.partition)
        .sort((a, b) => a - b)
    }
    throw new BrokerError(
      KafkaErrors.REBALANCE_IN_PROGRESS,
      `Group "${this.#groupId}" kept rebalancing: no assignment after ${JOIN_ATTEMPTS} rounds`,
    )
  }

  /**
   * Commits offsets as this member of its current generation; false when the group has moved on
   * without it (a rebalance completed, or it was removed), when the commit is refused and the records
   * after the last commit are read again by whoever owns them now: at least once, as Kafka's consumers.
   */
  async commit(offsets: readonly CommittedOffset[]): Promise<boolean> {
    const committer: Committer = { memberId: this.#memberId, generation: this.#generation }
    try {
      await commitOffsets(await this.#client.coordinator(this.#groupId), this.#groupId, offsets, committer)
      return true
    } catch (error) {
      if (error instanceof BrokerError && REJOIN.has(error.kafkaErrorCode)) return false
      throw error
    }
  }

  /**
   * The last commit before leaving: if the group moved on meanwhile, joins again and commits the
   * positions of the partitions it still owns. Resolves with what was committed.
   */
  async commitLast(offsets: readonly CommittedOffset[]): Promise<CommittedOffset[]> {
    if (await this.commit(offsets)) return [...offsets]
    const owned = new Set(await this.join())
    const kept = offsets.filter((o) => owned.has(o.partition))
    return (await this.commit(kept)) ? kept : []
  }

  /** Stops heartbeating and leaves the group (the others rebalance at once, not after a session timeout). */
  async leave(): Promise<void> {
    this.#stopHeartbeat()
    if (this.#memberId === '') return
    const coordinator = await this.#client.coordinator(this.#groupId)
    const memberId = this.#memberId
    this.#memberId = ''
    await coordinator.send(ApiKeys.LeaveGroup, (v) =>
      v >= 3
        ? { groupId: this.#groupId, members: [{ memberId, groupInstanceId: null, reason: null }] }
        : { groupId: this.#groupId, memberId },
    )
  }

  /** One JoinGroup round: the response, or undefined when the round must be repeated. */
  async #joinGroup(coordinator: BrokerConnection): Promise<ResponseBody<11> | undefined> {
    const metadata = encodeSubscription({ topics: [this.#topic], userData: null, ownedPartitions: [] })
    const { body } = await coordinator.send(
      ApiKeys.JoinGroup,
      () => ({
        groupId: this.#groupId,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        memberId: this.#memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: Object.keys(ASSIGNORS).map((name) => ({ name, metadata })),
        reason: null,
      }),
      // The coordinator holds a JoinGroup until every member rejoined: up to the rebalance timeout.
      { timeoutMs: REBALANCE_TIMEOUT_MS + 5_000 },
    )
    if (body.errorCode === KafkaErrors.MEMBER_ID_REQUIRED) {
      this.#memberId = body.memberId
      return undefined
    }
    if (await this.#retryAfter(body.errorCode)) return undefined
    throwIfError(body.errorCode, { groupId: this.#groupId })
    this.#memberId = body.memberId
    this.#generation = body.generationId
    return body
  }

  /** Whether an answer means another round; forgets what it invalidated (the member id, the coordinator). */
  async #retryAfter(errorCode: number): Promise<boolean> {
    if (errorCode === KafkaErrors.UNKNOWN_MEMBER_ID) this.#memberId = ''
    if (COORDINATOR_MOVED.has(errorCode)) {
      await this.#client.forgetCoordinator(this.#groupId)
      await new Promise((resolve) => setTimeout(resolve, 100))
      return true
    }
    return REJOIN.has(errorCode)
  }

  /** The leader's work: every member's partitions by the chosen assignor, as SyncGroup assignments. */
  async #assign(
    protocol: AssignorName,
    members: ResponseBody<11>['members'],
  ): Promise<{ memberId: string; assignment: Buffer }[]> {
    const subscriptions = members.map((m) => ({
      memberId: m.memberId,
      instanceId: m.groupInstanceId ?? undefined,
      ...decodeSubscription(Buffer.from(m.metadata)),
    }))
    const topics = [...new Set(subscriptions.flatMap((s) => s.topics))]
    const { topics: found } = await this.#client.metadata(topics)
    const partitions = Object.fromEntries(
      found.filter((t) => t.errorCode === 0).map((t) => [t.name, t.partitions.length]),
    )
    const assignor = ASSIGNORS[protocol] ?? rangeAssignor
    const assignment = assignor({
      members: subscriptions.map((s) => ({
        memberId: s.memberId,
        instanceId: s.instanceId,
        topics: s.topics.filter((t) => t in partitions),
        owned: s.ownedPartitions,
      })),
      partitions,
    })
    return subscriptions.map((s) => ({
      memberId: s.memberId,
      assignment: encodeAssignment(assignment[s.memberId] ?? []),
    }))
  }

  #startHeartbeat(): void {
    this.#heartbeat = setInterval(() => void this.#beat(), HEARTBEAT_INTERVAL_MS)
    // The reader's requests keep the process alive; the heartbeat alone must not.
    this.#heartbeat.unref()
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
  }

  async #beat(): Promise<void> {
    if (this.#beating || this.#rejoin) return
    this.#beating = true
    try {
      const coordinator = await this.#client.coordinator(this.#groupId)
      const { body } = await coordinator.send(ApiKeys.Heartbeat, () => ({
        groupId: this.#groupId,
        generationId: this.#generation,
        memberId: this.#memberId,
        groupInstanceId: null,
      }))
      if (body.errorCode !== 0) {
        if (body.errorCode === KafkaErrors.UNKNOWN_MEMBER_ID) this.#memberId = ''
        if (COORDINATOR_MOVED.has(body.errorCode)) await this.#client.forgetCoordinator(this.#groupId)
        this.#rejoin = true
      }
    } catch {
      // A lost coordinator connection: rejoining finds the coordinator again.
      this.#rejoin = true
    } finally {
      this.#beating = false
    }
  }
}

import { type LogbusError, UnknownMemberError } from '../errors'
import type { TopicPartition } from '../record/log-record'
import { overruns } from '../util/deadline'
import { compareTopicPartitions } from '../util/tp-key'
import type { Assignment } from './assignor'
import type { GroupState } from './group-description'
import { currentPartitionCount, type GroupEmit, type GroupHost } from './group-host'
import type { GroupMembers, MemberEntry } from './group-members'
import { collectSubscriptions, runLeaderAssignor } from './leader-assignment'
import {
  cooperativeFirstRound,
  cooperativeRevocations,
  partitionsFingerprint,
  rebalanceProtocol,
  selectProtocol,
} from './rebalance-plan'

/** Not public: what a rebalance reads and changes in its group, lent by the coordinator. */
export interface RebalanceScope {
  readonly groupId: string
  readonly host: GroupHost
  readonly members: GroupMembers
  readonly emit: GroupEmit
  setState(state: GroupState): void
  /** Removes a member that overran its rebalance timeout (the coordinator's expiry). */
  expire(entry: MemberEntry, reason: LogbusError): void
}

/**
 * Not public: carries out a group's rebalances, one at a time (the coordinator's serial loop calls
 * `run`), and owns what they produce: the generation, the selected protocol, and what the last
 * assignment was computed over.
 *
 * Eager (`range`, `roundrobin`): every member revokes everything, then the leader's assignor runs and
 * one generation hands the result out. Cooperative (`cooperative-sticky`, KIP-429): members keep
 * consuming what they keep; only what moves is revoked, and handed over in a second generation, so
 * that a partition never has two owners.
 */
export class Rebalancer {
  readonly #scope: RebalanceScope
  #generation = 0
  #protocol = ''
  /** Topic → partition count the last assignment was computed over: a change means a rebalance. */
  #assignedOver = ''
  /** The members the last assignment was computed for. */
  #assignedMembers = new Set<string>()

  constructor(scope: RebalanceScope) {
    this.#scope = scope
  }

  /** The current generation; it increments with every completed round and when the group empties. */
  get generation(): number {
    return this.#generation
  }

  /** The selected protocol (before the first rebalance: the first member's preferred one). */
  get protocol(): string {
    return this.#protocol
  }

  /** The first member of an empty group names the protocol until a rebalance selects one. */
  propose(protocol: string): void {
    this.#protocol = protocol
  }

  /** True if the members' topics or their partition counts differ from what the last assignment saw. */
  subscriptionsChanged(): boolean {
    const { host, members } = this.#scope
    const topics = [...members.subscribedTopics(host.topicNames())]
    const partitions = Object.fromEntries(topics.map((topic) => [topic, currentPartitionCount(host, topic)]))
    return partitionsFingerprint(partitions) !== this.#assignedOver
  }

  async run(): Promise<void> {
    const { members } = this.#scope
    if (members.size === 0) return this.#becomeEmpty()
    this.#scope.setState('PreparingRebalance')
    this.#protocol = selectProtocol(members.preferences())
    const cooperative =
      rebalanceProtocol(members.list().map(({ member }) => member.assignors)) === 'cooperative'
    if (!cooperative) {
      // Eager: everyone revokes everything before anything is handed out.
      await Promise.all(
        members.list().map((entry) => {
          const owned = entry.assignment
          entry.assignment = []
          return this.#revokeFrom(entry, owned)
        }),
      )
    }
    if (members.size === 0) return this.#becomeEmpty()
    const target = await this.#computeAssignment()
    if (members.size === 0) return this.#becomeEmpty()
    if (cooperative) {
      const owned = members
        .list()
        .map((entry) => ({ memberId: entry.member.memberId, owned: entry.assignment }))
      const revocations = cooperativeRevocations(owned, target)
      if (revocations.size > 0) {
        // Round one: owners give up what moves (handler in flight, commit, onRevoke) while they keep
        // consuming the rest, and get what they keep plus what nobody owned.
        const first = cooperativeFirstRound(owned, target)
        await Promise.all(
          [...revocations].map(([memberId, moving]) => this.#revokeFrom(members.get(memberId)!, moving)),
        )
        if (members.size === 0) return this.#becomeEmpty()
        await this.#assignRound(first)
        // Round two: the members that revoked rejoin, and the moved partitions reach their new owners.
        this.#scope.setState('PreparingRebalance')
      }
    }
    await this.#assignRound(target)
  }

  /** Revokes from a member, expelling it if it overruns its rebalance timeout (a stuck handler). */
  async #revokeFrom(entry: MemberEntry, partitions: TopicPartition[]): Promise<void> {
    if (partitions.length === 0 || entry.departed) return
    const { host, groupId } = this.#scope
    if (await overruns(host.clock, entry.member.revoke(partitions), entry.member.rebalanceTimeoutMs)) {
      this.#scope.expire(entry, new UnknownMemberError(groupId, entry.member.memberId))
    }
  }

  /** Hands out one generation's assignment and publishes it. */
  async #assignRound(assignment: Assignment): Promise<void> {
    const { members, emit, groupId } = this.#scope
    this.#scope.setState('CompletingRebalance')
    const generation = ++this.#generation
    await Promise.all(
      members
        .list()
        .map((entry) => this.#assignTo(entry, assignment[entry.member.memberId] ?? [], generation)),
    )
    this.#scope.setState('Stable')
    emit('rebalance', { groupId, generation, protocol: this.#protocol, assignment: members.assignment() })
  }

  async #assignTo(entry: MemberEntry, assignment: TopicPartition[], generation: number): Promise<void> {
    // A member that joined after the assignment was computed waits for the rebalance its join queued.
    if (!this.#assignedMembers.has(entry.member.memberId)) return
    entry.assignment = assignment.slice().sort(compareTopicPartitions)
    if (!entry.departed) await entry.member.assign(entry.assignment, generation)
    entry.hasJoined = true
    entry.joined.resolve()
  }

  /**
   * Runs the leader's assignor of the group's protocol over the current members. A failure, an invalid
   * result or an assignor that does not answer within the leader's rebalance timeout assigns nothing
   * (and says why in `error`).
   */
  async #computeAssignment(): Promise<Assignment> {
    const { host, members, emit, groupId } = this.#scope
    const entries = members.list()
    try {
      const input = collectSubscriptions(entries, this.#protocol, host.topicNames(), (topic) =>
        currentPartitionCount(host, topic),
      )
      this.#assignedOver = partitionsFingerprint(input.partitions)
      this.#assignedMembers = new Set(input.members.map((m) => m.memberId))
      return await runLeaderAssignor(entries[0]!, this.#protocol, input, host.clock)
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause))
      emit('error', { groupId, error })
      return {}
    }
  }

  #becomeEmpty(): void {
    this.#generation++
    this.#assignedOver = ''
    this.#scope.setState('Empty')
  }
}

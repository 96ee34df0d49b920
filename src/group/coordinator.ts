import {
  FencedInstanceIdError,
  GroupNotEmptyError,
  GroupNotFoundError,
  IllegalGenerationError,
  InconsistentGroupProtocolError,
  InvalidStateError,
  type LogbusError,
  UnknownMemberError,
  UnknownTopicError,
} from '../errors'
import type { TopicPartition } from '../record/log-record'
import type { CommittedOffset } from '../storage/storage'
import { overruns } from '../util/deadline'
import { type Deferred, deferred } from '../util/deferred'
import { SerialQueue } from '../util/serial-queue'
import { assignorProtocol } from './assignor'
import type { GroupDescription, GroupState } from './group-description'
import { currentPartitionCount, type GroupEmit, type GroupHost } from './group-host'
import { GroupMembers, type MemberEntry } from './group-members'
import type { GroupMember } from './member'
import type { OffsetStore } from './offset-store'
import { candidateProtocols } from './rebalance-plan'
import { Rebalancer } from './rebalancer'

/**
 * Not public: the coordinator of one consumer group (Kafka's GroupCoordinator, in process). It answers
 * the members (join, leave, heartbeat, commit with its generation check), keeps their sessions,
 * hands a static member's partitions to its successor, and gates admin work to an empty group. Every
 * state change goes through one serial loop; rebalances requested while one runs are coalesced into
 * one, which its {@link Rebalancer} carries out.
 */
export class GroupCoordinator {
  readonly #groupId: string
  readonly #host: GroupHost
  readonly #offsets: OffsetStore
  readonly #emit: GroupEmit
  readonly #members: GroupMembers
  readonly #loop = new SerialQueue()
  readonly #rebalancer: Rebalancer
  #state: GroupState = 'Empty'
  #rebalancePending = false

  constructor(groupId: string, host: GroupHost, offsets: OffsetStore, emit: GroupEmit) {
    this.#groupId = groupId
    this.#host = host
    this.#offsets = offsets
    this.#emit = emit
    this.#members = new GroupMembers(host.clock, (entry) =>
      this.#expire(entry, new UnknownMemberError(groupId, entry.member.memberId)),
    )
    this.#rebalancer = new Rebalancer({
      groupId,
      host,
      members: this.#members,
      emit,
      setState: (state) => this.#setState(state),
      expire: (entry, reason) => this.#expire(entry, reason),
    })
  }

  /** Kafka's group state; a group with neither members nor committed offsets is `Dead` (unknown). */
  get state(): GroupState {
    if (this.#state === 'Empty' && this.#offsets.size === 0) return 'Dead'
    return this.#state
  }

  get generation(): number {
    return this.#rebalancer.generation
  }

  /** True while a rebalance (or admin work) runs or is queued. */
  get rebalancing(): boolean {
    return this.#loop.size > 0
  }

  /** Resolves once no rebalance is running or queued. */
  settled(): Promise<void> {
    return this.#loop.idle()
  }

  describe(): GroupDescription {
    return {
      groupId: this.#groupId,
      state: this.state,
      generation: this.#rebalancer.generation,
      protocol: this.#members.size === 0 ? '' : this.#rebalancer.protocol,
      members: this.#members.describe(),
    }
  }

  /** Every topic some member subscribes to, among those that exist now. */
  subscribedTopics(): Set<string> {
    return this.#members.subscribedTopics(this.#host.topicNames())
  }

  /**
   * Runs `work` in the serial loop, once the group has no members (GroupNotEmptyError otherwise):
   * Kafka lets offsets be set only on an empty group.
   */
  whileEmpty<T>(work: () => Promise<T>): Promise<T> {
    return this.#loop.run(() => {
      this.#assertEmpty()
      return work()
    })
  }

  /** Kafka's DeleteGroups: the group and its offsets go; it must exist and have no members. */
  deleteGroup(): Promise<void> {
    return this.#loop.run(async () => {
      if (this.state === 'Dead') throw new GroupNotFoundError(this.#groupId)
      this.#assertEmpty()
      await this.#offsets.clear()
      this.#setState('Empty')
    })
  }

  /** As Kafka's OffsetCommit, a commit to a partition that does not exist is refused. */
  assertPartitionsExist(offsets: readonly TopicPartition[]): void {
    for (const { topic, partition } of offsets) {
      if (partition >= currentPartitionCount(this.#host, topic)) throw new UnknownTopicError(topic, partition)
    }
  }

  /**
   * Adds a member; resolves once it has its first assignment. As Kafka's JoinGroup, a member must
   * support at least one protocol that every current member supports (InconsistentGroupProtocolError
   * otherwise).
   */
  join(member: GroupMember): Promise<void> {
    if (this.#members.get(member.memberId) !== undefined) {
      throw new InvalidStateError(`Member ${member.memberId} already joined group "${this.#groupId}"`)
    }
    const protocols = member.assignors.map(assignorProtocol)
    if (this.#members.size > 0) {
      const candidates = candidateProtocols(this.#members.preferences())
      if (!protocols.some((protocol) => candidates.has(protocol))) {
        throw new InconsistentGroupProtocolError(
          this.#groupId,
          [...candidates].join(', '),
          protocols.join(', '),
        )
      }
    } else {
      this.#rebalancer.propose(protocols[0]!)
    }
    if (member.instanceId !== undefined) {
      const existing = this.#members.ofInstance(member.instanceId)
      if (existing !== undefined) {
        const joined = deferred()
        void this.#loop.run(() => this.#replaceStatic(existing, member, joined))
        return joined.promise
      }
    }
    const entry = this.#members.add(member)
    this.#requestRebalance()
    return entry.joined.promise
  }

  /**
   * Removes a member that already stopped and committed; the others rebalance. A static member only
   * departs: it keeps its partitions for `sessionTimeoutMs`, so that it can come back without a
   * rebalance (Kafka's static membership).
   */
  leave(member: GroupMember): void {
    const entry = this.#members.get(member.memberId)
    if (entry === undefined) return
    if (member.instanceId !== undefined && entry.hasJoined) {
      entry.departed = true
      return
    }
    this.#members.remove(entry)
    if (!entry.hasJoined) entry.joined.resolve()
    this.#requestRebalance()
  }

  /** Removes a member that did not leave cleanly: its partitions move now. */
  remove(member: GroupMember, reason: LogbusError): void {
    const entry = this.#members.get(member.memberId)
    if (entry !== undefined) this.#expire(entry, reason)
  }

  /** A live member says it is alive; rejects a member the group no longer knows. */
  heartbeat(memberId: string): void {
    this.#members.touch(this.#liveEntry(memberId))
  }

  /** As in Kafka, a commit from a member that left or from an older generation is rejected. */
  async commit(memberId: string, generation: number, offsets: CommittedOffset[]): Promise<void> {
    this.#liveEntry(memberId)
    const current = this.#rebalancer.generation
    if (generation !== current) throw new IllegalGenerationError(this.#groupId, generation, current)
    this.assertPartitionsExist(offsets)
    await this.#offsets.store(offsets)
  }

  /** A commit from a consumer that is not a member: Kafka allows it only while the group is empty. */
  async commitStandalone(offsets: CommittedOffset[]): Promise<void> {
    if (this.#members.size > 0) throw new UnknownMemberError(this.#groupId, '')
    this.assertPartitionsExist(offsets)
    await this.#offsets.store(offsets)
  }

  /**
   * Offsets a transaction commits (Kafka's TxnOffsetCommit, applied when it commits): the producer's
   * transaction vouches for them, not a membership. Partitions that no longer exist are left out.
   */
  async commitTransactional(offsets: CommittedOffset[]): Promise<void> {
    await this.#offsets.store(
      offsets.filter(({ topic, partition }) => partition < currentPartitionCount(this.#host, topic)),
    )
  }

  /** The bus's topics changed: rebalance if what the members subscribe to changed. */
  topicsChanged(): void {
    if (this.#members.size > 0 && this.#rebalancer.subscriptionsChanged()) {
      this.#requestRebalance()
    }
  }

  /** Cancels the session timers: the bus is closing. */
  close(): void {
    this.#members.stopSessions()
  }

  #liveEntry(memberId: string): MemberEntry {
    const entry = this.#members.get(memberId)
    if (entry === undefined || entry.departed) throw new UnknownMemberError(this.#groupId, memberId)
    return entry
  }

  #assertEmpty(): void {
    if (this.#members.size > 0) throw new GroupNotEmptyError(this.#groupId)
  }

  /** Removes a member the group stopped hearing from (or that overran its rebalance timeout). */
  #expire(entry: MemberEntry, reason: LogbusError): void {
    if (!this.#members.isCurrent(entry)) return
    this.#members.remove(entry)
    if (!entry.departed) void entry.member.expel(reason)
    if (!entry.hasJoined) entry.joined.resolve()
    this.#emit('memberRemoved', { groupId: this.#groupId, memberId: entry.member.memberId, reason })
    this.#requestRebalance()
  }

  /**
   * A static member came back (or a second one with the same instance id started): the newcomer takes
   * the entry over with its partitions, at the current generation, without a rebalance. A live
   * predecessor is fenced first, and the hand-over waits for its handler in flight.
   */
  async #replaceStatic(entry: MemberEntry, member: GroupMember, joined: Deferred<void>): Promise<void> {
    if (!this.#members.isCurrent(entry)) {
      // It expired meanwhile: an ordinary join.
      const fresh = this.#members.add(member)
      this.#requestRebalance()
      fresh.joined.promise.then(joined.resolve, joined.reject)
      return
    }
    const slot = this.#members.slotOf(entry)
    this.#members.remove(entry)
    if (!entry.departed) {
      const fenced = new FencedInstanceIdError(this.#groupId, member.instanceId!)
      await overruns(this.#host.clock, entry.member.expel(fenced), entry.member.rebalanceTimeoutMs)
      this.#emit('memberRemoved', { groupId: this.#groupId, memberId: entry.member.memberId, reason: fenced })
    }
    // The successor takes its predecessor's place in the member order (the first member leads).
    const successor = this.#members.add(member, entry.assignment, slot)
    await member.assign(entry.assignment, this.#rebalancer.generation)
    successor.hasJoined = true
    successor.joined.resolve()
    joined.resolve()
  }

  #requestRebalance(): void {
    if (this.#rebalancePending) return
    this.#rebalancePending = true
    void this.#loop.run(() => {
      this.#rebalancePending = false
      return this.#rebalancer.run()
    })
  }

  #setState(state: GroupState): void {
    if (this.#state === state) return
    this.#state = state
    this.#emit('stateChange', { groupId: this.#groupId, state: this.state })
  }
}

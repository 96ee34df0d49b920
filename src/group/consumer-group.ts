import type { Topic } from '../bus/topic'
import { IllegalGenerationError, InvalidStateError, UnknownMemberError, UnknownTopicError } from '../errors'
import { TypedEmitter } from '../events/typed-emitter'
import type { TopicPartition } from '../record/log-record'
import type { CommittedOffset } from '../storage/storage'
import { type Deferred, deferred } from '../util/deferred'
import { SerialQueue } from '../util/serial-queue'
import { compareTopicPartitions, tpKey, tpKeyOf } from '../util/tp-key'
import type { Assignment, AssignorMember } from './assignor'
import type { GroupMember } from './member'

/**
 * Kafka's consumer group states.
 *
 * @example
 * ```ts
 * if (bus.group('billing').describe().state === 'Stable') console.log('settled')
 * ```
 */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

/**
 * One member as `describe()` reports it.
 *
 * @example
 * ```ts
 * const owners = bus.group('billing').describe().members.map((m) => m.memberId)
 * ```
 */
export interface MemberDescription {
  memberId: string
  instanceId: string | undefined
  clientId: string
  assignment: TopicPartition[]
}

/**
 * A snapshot of a group, as Kafka's DescribeGroups returns it.
 *
 * @example
 * ```ts
 * const { state, generation, protocol, members } = bus.group('billing').describe()
 * ```
 */
export interface GroupDescription {
  groupId: string
  state: GroupState
  generation: number
  /** The assignor's protocol name (`range`, `roundrobin`, `cooperative-sticky`, …), or '' when empty. */
  protocol: string
  members: MemberDescription[]
}

/**
 * The lag of one partition. `committedOffset` is null when the group never committed there; `lag`
 * then counts from the log start.
 *
 * @example
 * ```ts
 * const total = (await bus.group('billing').lag()).reduce((n, p) => n + p.lag, 0)
 * ```
 */
export interface PartitionLag {
  topic: string
  partition: number
  committedOffset: number | null
  logEndOffset: number
  lag: number
}

/**
 * Events of a group.
 *
 * @example
 * ```ts
 * bus.group('billing').on('rebalance', ({ generation, assignment }) => console.log(generation, assignment))
 * ```
 */
export interface GroupEvents {
  /** A rebalance completed: the new generation and who owns what. */
  rebalance: { groupId: string; generation: number; protocol: string; assignment: Assignment }
  stateChange: { groupId: string; state: GroupState }
  /** A rebalance could not complete (the assignor threw or returned an invalid assignment). */
  error: { groupId: string; error: Error }
}

/** Not public: what a group needs from its bus. */
export interface GroupHost {
  topicNames(): string[]
  findTopic(name: string): Topic<unknown> | undefined
  saveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void>
  deleteGroupOffsets(groupId: string): Promise<void>
}

interface MemberEntry {
  readonly member: GroupMember
  assignment: TopicPartition[]
  /** Settled when the member receives its first assignment. */
  readonly joined: Deferred<void>
  hasJoined: boolean
}

/**
 * The coordinator of one consumer group (Kafka's GroupCoordinator, in process): members, generation,
 * assignment, committed offsets. Get it with `bus.group(groupId)`. State changes (join, leave,
 * rebalance) go through one serial loop; rebalances requested while one runs are coalesced.
 *
 * @example
 * ```ts
 * const group = bus.group('billing')
 * console.log(group.describe())
 * console.table(await group.lag())
 * ```
 */
export class ConsumerGroup extends TypedEmitter<GroupEvents> {
  readonly #host: GroupHost
  readonly #members = new Map<string, MemberEntry>()
  readonly #offsets = new Map<string, CommittedOffset>()
  readonly #loop = new SerialQueue()
  readonly #offsetWrites = new SerialQueue()
  #state: GroupState = 'Empty'
  #generation = 0
  #protocol = ''
  #rebalancePending = false
  /** Topic → partition count the last assignment was computed over: a change means a rebalance. */
  #assignedOver = ''

  /** @internal Use `bus.group(groupId)`. */
  constructor(
    readonly groupId: string,
    host: GroupHost,
    committed: readonly CommittedOffset[] = [],
  ) {
    super()
    this.#host = host
    for (const offset of committed) this.#offsets.set(tpKeyOf(offset), { ...offset })
  }

  /**
   * Kafka's group state. A group that has neither members nor committed offsets is `Dead`, as Kafka
   * reports a group it does not know.
   *
   * @example
   * ```ts
   * expect(bus.group('billing').state).toBe('Stable')
   * ```
   */
  get state(): GroupState {
    if (this.#state === 'Empty' && this.#offsets.size === 0) return 'Dead'
    return this.#state
  }

  /**
   * The current generation; it increments with every completed rebalance.
   *
   * @example
   * ```ts
   * const before = bus.group('billing').generation
   * ```
   */
  get generation(): number {
    return this.#generation
  }

  /**
   * Members, their assignments, state and generation.
   *
   * @example
   * ```ts
   * const { members } = bus.group('billing').describe()
   * ```
   */
  describe(): GroupDescription {
    return {
      groupId: this.groupId,
      state: this.state,
      generation: this.#generation,
      protocol: this.#members.size === 0 ? '' : this.#protocol,
      members: [...this.#members.values()].map(({ member, assignment }) => ({
        memberId: member.memberId,
        instanceId: member.instanceId,
        clientId: member.clientId,
        assignment: assignment.map((tp) => ({ ...tp })),
      })),
    }
  }

  /**
   * Committed offsets and lag for every partition of the topics the group subscribes to or has
   * committed offsets for.
   *
   * @example
   * ```ts
   * for (const { topic, partition, lag } of await bus.group('billing').lag()) console.log(topic, partition, lag)
   * ```
   */
  async lag(): Promise<PartitionLag[]> {
    const topics = new Set<string>()
    const existing = this.#host.topicNames()
    for (const { member } of this.#members.values()) {
      for (const topic of member.subscribedTopics(existing)) topics.add(topic)
    }
    for (const offset of this.#offsets.values()) topics.add(offset.topic)
    const result: PartitionLag[] = []
    for (const name of [...topics].sort()) {
      const topic = this.#host.findTopic(name)
      if (topic === undefined) continue
      for (const p of topic.partitions) {
        const committed = this.#offsets.get(tpKey(name, p.partition))?.offset ?? null
        const logEndOffset = p.logEndOffset
        const from = committed ?? p.logStartOffset
        result.push({
          topic: name,
          partition: p.partition,
          committedOffset: committed,
          logEndOffset,
          lag: Math.max(0, logEndOffset - from),
        })
      }
    }
    return result
  }

  /**
   * The offset the group will resume from on a partition (the next offset to read), if committed.
   *
   * @example
   * ```ts
   * const next = bus.group('billing').committedOffset('orders', 0)
   * ```
   */
  committedOffset(topic: string, partition: number): number | undefined {
    return this.#offsets.get(tpKey(topic, partition))?.offset
  }

  /**
   * Every committed offset of the group, sorted by topic and partition.
   *
   * @example
   * ```ts
   * const offsets = bus.group('billing').committedOffsets()
   * ```
   */
  committedOffsets(): CommittedOffset[] {
    return [...this.#offsets.values()].map((o) => ({ ...o })).sort(compareTopicPartitions)
  }

  /** @internal Adds a member; resolves once it has its first assignment. */
  join(member: GroupMember): Promise<void> {
    if (this.#members.has(member.memberId)) {
      throw new InvalidStateError(`Member ${member.memberId} already joined group "${this.groupId}"`)
    }
    if (this.#members.size === 0)
      this.#protocol = member.assignor.protocol ?? member.assignor.name ?? 'custom'
    const entry: MemberEntry = { member, assignment: [], joined: deferred(), hasJoined: false }
    this.#members.set(member.memberId, entry)
    this.#requestRebalance()
    return entry.joined.promise
  }

  /**
   * @internal Removes a member that already stopped and committed. The others rebalance; the caller
   * does not wait for that.
   */
  leave(member: GroupMember): void {
    const entry = this.#members.get(member.memberId)
    if (entry === undefined) return
    this.#members.delete(member.memberId)
    if (!entry.hasJoined) entry.joined.resolve()
    this.#requestRebalance()
  }

  /**
   * @internal Stores offsets committed by a member of `generation`. As in Kafka, a commit from a
   * member that left or from an older generation is rejected.
   */
  async commit(memberId: string, generation: number, offsets: CommittedOffset[]): Promise<void> {
    if (!this.#members.has(memberId)) throw new UnknownMemberError(this.groupId, memberId)
    if (generation !== this.#generation) {
      throw new IllegalGenerationError(this.groupId, generation, this.#generation)
    }
    for (const { topic, partition } of offsets) {
      const count = this.#host.findTopic(topic)?.partitionCount ?? 0
      if (partition >= count) throw new UnknownTopicError(topic, partition)
    }
    for (const offset of offsets) this.#offsets.set(tpKeyOf(offset), { ...offset })
    await this.#offsetWrites.run(() => this.#host.saveOffsets(this.groupId, offsets))
  }

  /** @internal The bus's topics changed: rebalance if what the members subscribe to changed. */
  topicsChanged(): void {
    if (this.#members.size > 0 && this.#subscriptionFingerprint() !== this.#assignedOver) {
      this.#requestRebalance()
    }
  }

  /** @internal A topic was deleted: its offsets go with it, as in Kafka. */
  topicDeleted(topic: string): void {
    for (const [key, offset] of this.#offsets) if (offset.topic === topic) this.#offsets.delete(key)
    this.topicsChanged()
  }

  /** @internal Resolves once no rebalance is running or queued. */
  settled(): Promise<void> {
    return this.#loop.idle()
  }

  #requestRebalance(): void {
    if (this.#rebalancePending) return
    this.#rebalancePending = true
    void this.#loop.run(() => this.#rebalance())
  }

  #setState(state: GroupState): void {
    if (this.#state === state) return
    this.#state = state
    this.emit('stateChange', { groupId: this.groupId, state: this.state })
  }

  /** Kafka's eager protocol: everyone revokes everything, then the new assignment is handed out. */
  async #rebalance(): Promise<void> {
    this.#rebalancePending = false
    if (this.#members.size === 0) {
      this.#generation++
      this.#assignedOver = ''
      this.#setState('Empty')
      return
    }
    this.#setState('PreparingRebalance')
    await Promise.all(
      [...this.#members.values()].map(async (entry) => {
        if (entry.assignment.length === 0) return
        const owned = entry.assignment
        entry.assignment = []
        await entry.member.revoke(owned)
      }),
    )
    // Members may have left while they revoked; assign over who is still here.
    if (this.#members.size === 0) {
      this.#generation++
      this.#assignedOver = ''
      this.#setState('Empty')
      return
    }
    this.#setState('CompletingRebalance')
    const existing = this.#host.topicNames()
    const partitions: Record<string, number> = {}
    const members: AssignorMember[] = []
    for (const { member } of this.#members.values()) {
      const topics = member.subscribedTopics(existing)
      for (const topic of topics) partitions[topic] = this.#host.findTopic(topic)?.partitionCount ?? 0
      members.push({ memberId: member.memberId, instanceId: member.instanceId, topics, owned: [] })
    }
    const leader = this.#members.values().next().value!.member
    let assignment: Assignment
    try {
      assignment = leader.assignor({ members, partitions })
      validateAssignment(assignment, members, partitions)
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause))
      this.emit('error', { groupId: this.groupId, error })
      assignment = {}
    }
    this.#generation++
    this.#assignedOver = fingerprint(partitions)
    const generation = this.#generation
    await Promise.all(
      [...this.#members.values()].map(async (entry) => {
        entry.assignment = (assignment[entry.member.memberId] ?? []).slice().sort(compareTopicPartitions)
        await entry.member.assign(entry.assignment, generation)
        entry.hasJoined = true
        entry.joined.resolve()
      }),
    )
    this.#setState('Stable')
    const published: Assignment = {}
    for (const entry of this.#members.values()) published[entry.member.memberId] = entry.assignment
    this.emit('rebalance', {
      groupId: this.groupId,
      generation,
      protocol: this.#protocol,
      assignment: published,
    })
  }

  #subscriptionFingerprint(): string {
    const existing = this.#host.topicNames()
    const partitions: Record<string, number> = {}
    for (const { member } of this.#members.values()) {
      for (const topic of member.subscribedTopics(existing)) {
        partitions[topic] = this.#host.findTopic(topic)?.partitionCount ?? 0
      }
    }
    return fingerprint(partitions)
  }
}

function fingerprint(partitions: Record<string, number>): string {
  return Object.keys(partitions)
    .sort()
    .map((topic) => `${topic}:${partitions[topic]}`)
    .join(',')
}

/** A user's assignor may be wrong; an invalid assignment must never reach the members. */
function validateAssignment(
  assignment: Assignment,
  members: AssignorMember[],
  partitions: Record<string, number>,
): void {
  const seen = new Set<string>()
  const byId = new Map(members.map((m) => [m.memberId, m]))
  for (const [memberId, tps] of Object.entries(assignment)) {
    const member = byId.get(memberId)
    if (member === undefined) throw new InvalidStateError(`Assignor assigned to unknown member ${memberId}`)
    for (const tp of tps) {
      const count = partitions[tp.topic]
      if (count === undefined || !member.topics.includes(tp.topic)) {
        throw new InvalidStateError(
          `Assignor gave ${tp.topic} to ${memberId}, which does not subscribe to it`,
        )
      }
      if (!Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition >= count) {
        throw new InvalidStateError(`Assignor gave nonexistent partition ${tp.topic}-${tp.partition}`)
      }
      const key = tpKeyOf(tp)
      if (seen.has(key)) throw new InvalidStateError(`Assignor gave ${tp.topic}-${tp.partition} twice`)
      seen.add(key)
    }
  }
}

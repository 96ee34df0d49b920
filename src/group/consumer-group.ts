import { z } from 'zod'
import {
  ClosedError,
  FencedInstanceIdError,
  GroupNotEmptyError,
  GroupNotFoundError,
  IllegalGenerationError,
  InconsistentGroupProtocolError,
  InvalidStateError,
  type LogbusError,
  TimeoutError,
  UnknownMemberError,
  UnknownTopicError,
} from '../errors'
import { TypedEmitter } from '../events/typed-emitter'
import type { TopicPartition } from '../record/log-record'
import type { CommittedOffset } from '../storage/storage'
import type { Topic } from '../topic/topic'
import type { Clock, ClockTimer } from '../util/clock'
import { type Deferred, deferred } from '../util/deferred'
import { parseOptions } from '../util/options'
import { SerialQueue } from '../util/serial-queue'
import { compareTopicPartitions, tpKey, tpKeyOf } from '../util/tp-key'
import { type Assignment, type Assignor, type AssignorMember, assignorProtocol } from './assignor'
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
  /** A member was removed without leaving: its session or rebalance timed out, or it was fenced. */
  memberRemoved: { groupId: string; memberId: string; reason: LogbusError }
}

/** Not public: what a group needs from its bus. */
export interface GroupHost {
  readonly clock: Clock
  topicNames(): string[]
  findTopic(name: string): Topic<unknown, unknown, unknown, unknown> | undefined
  saveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void>
  deleteGroupOffsets(groupId: string): Promise<void>
}

/**
 * Where `resetOffsets` moves a group: Kafka's `kafka-consumer-groups --reset-offsets` options.
 *
 * @example
 * ```ts
 * await bus.group('billing').resetOffsets({ to: 'earliest' })
 * await bus.group('billing').resetOffsets({ to: { timestamp: Date.now() - 3_600_000 }, topics: ['orders'] })
 * await bus.group('billing').resetOffsets({ to: { shiftBy: -10 } })
 * ```
 */
export interface ResetOffsetsOptions {
  to: 'earliest' | 'latest' | { timestamp: number } | { offset: number } | { shiftBy: number }
  /** Topics to reset; default: every topic the group has committed offsets for. */
  topics?: string[]
}

const offsetListSchema = z.array(
  z.strictObject({
    topic: z.string().min(1),
    partition: z.number().int().min(0),
    offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  }),
)

const resetOffsetsSchema = z.strictObject({
  to: z.union([
    z.enum(['earliest', 'latest']),
    z.strictObject({ timestamp: z.number().int() }),
    z.strictObject({ offset: z.number().int().min(0) }),
    z.strictObject({ shiftBy: z.number().int() }),
  ]),
  topics: z.array(z.string().min(1)).optional(),
})

interface MemberEntry {
  member: GroupMember
  assignment: TopicPartition[]
  /** Settled when the member receives its first assignment. */
  readonly joined: Deferred<void>
  hasJoined: boolean
  /** A static member that closed: it keeps its partitions until it returns or its session expires. */
  departed: boolean
  sessionTimer: ClockTimer | undefined
}

/**
 * The coordinator of one consumer group (Kafka's GroupCoordinator, in process): members, generation,
 * assignment, committed offsets. Get it with `bus.group(groupId)`. State changes (join, leave,
 * rebalance) go through one serial loop; rebalances requested while one runs are coalesced.
 *
 * Rebalances follow the members' assignor: eager for `range` and `roundrobin` (everyone revokes
 * everything first), cooperative for `cooperative-sticky` (KIP-429: members keep consuming what they
 * keep; only moved partitions are revoked, and handed over in a second round).
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
  /** The bus closed: the handle answers nothing any more. */
  #closed = false
  /** Topic → partition count the last assignment was computed over: a change means a rebalance. */
  #assignedOver = ''
  /** The members the last assignment was computed for. */
  #assignedMembers = new Set<string>()

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
   * The current generation; it increments with every completed rebalance round.
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
   * Members, their assignments, state and generation. A static member that closed stays listed (with
   * its partitions, unconsumed) until it returns or its session times out, as in Kafka.
   *
   * @example
   * ```ts
   * const { members } = bus.group('billing').describe()
   * ```
   */
  describe(): GroupDescription {
    this.#assertOpen()
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
    this.#assertOpen()
    const result: PartitionLag[] = []
    for (const name of this.#topicsOfInterest()) {
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
    this.#assertOpen()
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
    this.#assertOpen()
    return [...this.#offsets.values()].map((o) => ({ ...o })).sort(compareTopicPartitions)
  }

  /**
   * Sets committed offsets directly (KafkaJS's `admin.setOffsets`). As in Kafka, only while the group
   * has no members: GroupNotEmptyError otherwise.
   *
   * @example
   * ```ts
   * await bus.group('billing').setOffsets([{ topic: 'orders', partition: 0, offset: 100 }])
   * ```
   */
  setOffsets(offsets: CommittedOffset[]): Promise<CommittedOffset[]> {
    if (this.#closed) return Promise.reject(new ClosedError('Bus'))
    return this.#loop.run(async () => {
      this.#assertEmpty()
      const list = parseOptions(offsetListSchema, offsets, 'offsets')
      for (const o of list) {
        const count = this.#host.findTopic(o.topic)?.partitionCount ?? 0
        if (o.partition >= count) throw new UnknownTopicError(o.topic, o.partition)
      }
      await this.#store(list)
      return list
    })
  }

  /**
   * Moves the committed offsets of an empty group: to the earliest or latest offset, to the first
   * offset at a timestamp, to an offset, or shifted by N (clamped to the log). As in Kafka, only while
   * the group has no members: GroupNotEmptyError otherwise. Resolves with the new offsets.
   *
   * @example
   * ```ts
   * const moved = await bus.group('billing').resetOffsets({ to: 'earliest', topics: ['orders'] })
   * ```
   */
  resetOffsets(options: ResetOffsetsOptions): Promise<CommittedOffset[]> {
    if (this.#closed) return Promise.reject(new ClosedError('Bus'))
    return this.#loop.run(async () => {
      const { to, topics: only } = parseOptions(resetOffsetsSchema, options, 'resetOffsets')
      this.#assertEmpty()
      const topics = only ?? [...new Set([...this.#offsets.values()].map((o) => o.topic))].sort()
      const list: CommittedOffset[] = []
      for (const name of topics) {
        const topic = this.#host.findTopic(name)
        if (topic === undefined) throw new UnknownTopicError(name)
        for (const p of topic.partitions) {
          const start = p.logStartOffset
          const end = p.logEndOffset
          const committed = this.#offsets.get(tpKey(name, p.partition))?.offset
          let offset: number
          if (to === 'earliest') offset = start
          else if (to === 'latest') offset = end
          else if ('timestamp' in to) offset = (await p.offsetForTimestamp(to.timestamp)) ?? end
          else if ('offset' in to) offset = to.offset
          else if (committed === undefined) continue
          else offset = committed + to.shiftBy
          list.push({ topic: name, partition: p.partition, offset: Math.min(Math.max(offset, start), end) })
        }
      }
      await this.#store(list)
      return list
    })
  }

  /**
   * Deletes the group and its committed offsets (Kafka's DeleteGroups). GroupNotEmptyError while it
   * has members, GroupNotFoundError if it does not exist.
   *
   * @example
   * ```ts
   * await bus.group('billing').delete()
   * ```
   */
  delete(): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError('Bus'))
    return this.#loop.run(async () => {
      if (this.state === 'Dead') throw new GroupNotFoundError(this.groupId)
      this.#assertEmpty()
      this.#offsets.clear()
      await this.#offsetWrites.run(() => this.#host.deleteGroupOffsets(this.groupId))
      this.#setState('Empty')
    })
  }

  /**
   * @internal Adds a member; resolves once it has its first assignment. As Kafka's JoinGroup, a member
   * must support at least one protocol that every current member supports
   * (InconsistentGroupProtocolError otherwise).
   */
  join(member: GroupMember): Promise<void> {
    if (this.#members.has(member.memberId)) {
      throw new InvalidStateError(`Member ${member.memberId} already joined group "${this.groupId}"`)
    }
    const protocols = member.assignors.map(assignorProtocol)
    if (this.#members.size > 0) {
      const candidates = this.#candidateProtocols()
      if (!protocols.some((protocol) => candidates.has(protocol))) {
        throw new InconsistentGroupProtocolError(
          this.groupId,
          [...candidates].join(', '),
          protocols.join(', '),
        )
      }
    } else {
      this.#protocol = protocols[0]!
    }
    if (member.instanceId !== undefined) {
      const existing = this.#entryOfInstance(member.instanceId)
      if (existing !== undefined) {
        const joined = deferred()
        void this.#loop.run(() => this.#replaceStatic(existing, member, joined))
        return joined.promise
      }
    }
    const entry = this.#addEntry(member)
    this.#requestRebalance()
    return entry.joined.promise
  }

  /**
   * @internal Removes a member that already stopped and committed. The others rebalance; the caller
   * does not wait for that. A static member that leaves this way only departs: it keeps its partitions
   * for `sessionTimeoutMs`, so that it can come back without a rebalance (Kafka's static membership).
   */
  leave(member: GroupMember): void {
    const entry = this.#members.get(member.memberId)
    if (entry === undefined) return
    if (member.instanceId !== undefined && entry.hasJoined) {
      entry.departed = true
      return
    }
    this.#removeEntry(entry)
    if (!entry.hasJoined) entry.joined.resolve()
    this.#requestRebalance()
  }

  /**
   * @internal Removes a member at its own request without it leaving cleanly (its poll timed out):
   * its partitions move now, without waiting for its handler.
   */
  remove(member: GroupMember, reason: LogbusError): void {
    const entry = this.#members.get(member.memberId)
    if (entry !== undefined) this.#expire(entry, reason)
  }

  /** @internal True while a rebalance runs or is queued. */
  get rebalancing(): boolean {
    return this.#loop.size > 0
  }

  /** @internal A live member says it is alive; rejects a member the group no longer knows. */
  heartbeat(memberId: string): void {
    const entry = this.#members.get(memberId)
    if (entry === undefined || entry.departed) throw new UnknownMemberError(this.groupId, memberId)
    this.#armSession(entry)
  }

  /**
   * @internal Stores offsets committed by a member of `generation`. As in Kafka, a commit from a
   * member that left or from an older generation is rejected.
   */
  async commit(memberId: string, generation: number, offsets: CommittedOffset[]): Promise<void> {
    const entry = this.#members.get(memberId)
    if (entry === undefined || entry.departed) throw new UnknownMemberError(this.groupId, memberId)
    if (generation !== this.#generation) {
      throw new IllegalGenerationError(this.groupId, generation, this.#generation)
    }
    for (const { topic, partition } of offsets) {
      const count = this.#host.findTopic(topic)?.partitionCount ?? 0
      if (partition >= count) throw new UnknownTopicError(topic, partition)
    }
    await this.#store(offsets)
  }

  /**
   * @internal Stores offsets committed by a consumer that is not a member (Kafka's `assign()` with a
   * group.id): allowed while the group has no members, as Kafka allows it only for an empty group.
   */
  async commitStandalone(offsets: CommittedOffset[]): Promise<void> {
    this.#assertOpen()
    if (this.#members.size > 0) throw new UnknownMemberError(this.groupId, '')
    for (const { topic, partition } of offsets) {
      const count = this.#host.findTopic(topic)?.partitionCount ?? 0
      if (partition >= count) throw new UnknownTopicError(topic, partition)
    }
    await this.#store(offsets)
  }

  /**
   * @internal Stores offsets a transaction commits (Kafka's TxnOffsetCommit, applied when the
   * transaction commits): the producer's transaction, not a membership, vouches for them.
   */
  async commitTransactional(offsets: CommittedOffset[]): Promise<void> {
    this.#assertOpen()
    await this.#store(
      offsets.filter(
        ({ topic, partition }) => partition < (this.#host.findTopic(topic)?.partitionCount ?? 0),
      ),
    )
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

  /**
   * Resolves once no rebalance is running or queued: the group is settled (Stable or Empty).
   *
   * @example
   * ```ts
   * await bus.group('billing').settled()
   * ```
   */
  settled(): Promise<void> {
    return this.#loop.idle()
  }

  /** @internal Cancels the session timers: the bus is closing. */
  close(): void {
    this.#closed = true
    for (const entry of this.#members.values()) this.#disarmSession(entry)
  }

  #addEntry(member: GroupMember, assignment: TopicPartition[] = []): MemberEntry {
    const entry: MemberEntry = {
      member,
      assignment,
      joined: deferred(),
      hasJoined: false,
      departed: false,
      sessionTimer: undefined,
    }
    this.#members.set(member.memberId, entry)
    this.#armSession(entry)
    return entry
  }

  #removeEntry(entry: MemberEntry): void {
    this.#disarmSession(entry)
    if (this.#members.get(entry.member.memberId) === entry) this.#members.delete(entry.member.memberId)
  }

  #armSession(entry: MemberEntry): void {
    this.#disarmSession(entry)
    entry.sessionTimer = this.#host.clock.setTimeout(
      () => {
        entry.sessionTimer = undefined
        this.#expire(entry, new UnknownMemberError(this.groupId, entry.member.memberId))
      },
      entry.member.sessionTimeoutMs,
      { unref: true },
    )
  }

  #disarmSession(entry: MemberEntry): void {
    if (entry.sessionTimer !== undefined) this.#host.clock.clearTimeout(entry.sessionTimer)
    entry.sessionTimer = undefined
  }

  /** Removes a member the group stopped hearing from (or that overran its rebalance timeout). */
  #expire(entry: MemberEntry, reason: LogbusError): void {
    if (this.#members.get(entry.member.memberId) !== entry) return
    this.#removeEntry(entry)
    if (!entry.departed) void entry.member.expel(reason)
    if (!entry.hasJoined) entry.joined.resolve()
    this.emit('memberRemoved', { groupId: this.groupId, memberId: entry.member.memberId, reason })
    this.#requestRebalance()
  }

  #entryOfInstance(instanceId: string): MemberEntry | undefined {
    for (const entry of this.#members.values()) if (entry.member.instanceId === instanceId) return entry
    return undefined
  }

  /**
   * A static member came back (or a second one with the same instance id started): the newcomer takes
   * the entry over with its partitions, at the current generation, without a rebalance. A live
   * predecessor is fenced first, and the hand-over waits for its handler in flight.
   */
  async #replaceStatic(entry: MemberEntry, member: GroupMember, joined: Deferred<void>): Promise<void> {
    if (this.#members.get(entry.member.memberId) !== entry) {
      // It expired meanwhile: an ordinary join.
      const fresh = this.#addEntry(member)
      this.#requestRebalance()
      fresh.joined.promise.then(joined.resolve, joined.reject)
      return
    }
    const slot = [...this.#members.values()].indexOf(entry)
    this.#removeEntry(entry)
    if (!entry.departed) {
      const fenced = new FencedInstanceIdError(this.groupId, member.instanceId!)
      await this.#withTimeout(entry.member.expel(fenced), entry.member.rebalanceTimeoutMs)
      this.emit('memberRemoved', { groupId: this.groupId, memberId: entry.member.memberId, reason: fenced })
    }
    const successor = this.#addEntry(member, entry.assignment)
    // The successor takes its predecessor's place in the member order (the first member leads).
    const order = [...this.#members.values()].filter((e) => e !== successor)
    order.splice(Math.min(slot, order.length), 0, successor)
    this.#members.clear()
    for (const e of order) this.#members.set(e.member.memberId, e)
    await member.assign(entry.assignment, this.#generation)
    successor.hasJoined = true
    successor.joined.resolve()
    joined.resolve()
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

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('Bus')
  }

  #assertEmpty(): void {
    if (this.#members.size > 0) throw new GroupNotEmptyError(this.groupId)
  }

  async #store(offsets: CommittedOffset[]): Promise<void> {
    for (const offset of offsets) this.#offsets.set(tpKeyOf(offset), { ...offset })
    if (offsets.length > 0) await this.#offsetWrites.run(() => this.#host.saveOffsets(this.groupId, offsets))
  }

  /** Resolves when `work` settles or after `ms`, whichever is first; reports which. */
  async #withTimeout(work: Promise<void>, ms: number): Promise<boolean> {
    let timer: ClockTimer | undefined
    const timedOut = new Promise<boolean>((resolve) => {
      timer = this.#host.clock.setTimeout(() => resolve(true), ms, { unref: true })
    })
    const done = work.then(
      () => false,
      () => false,
    )
    const result = await Promise.race([done, timedOut])
    this.#host.clock.clearTimeout(timer!)
    return result
  }

  /** Revokes from a member, expelling it if it overruns its rebalance timeout (a stuck handler). */
  async #revokeFrom(entry: MemberEntry, partitions: TopicPartition[]): Promise<void> {
    if (partitions.length === 0 || entry.departed) return
    const overran = await this.#withTimeout(entry.member.revoke(partitions), entry.member.rebalanceTimeoutMs)
    if (overran) {
      this.#expire(entry, new UnknownMemberError(this.groupId, entry.member.memberId))
    }
  }

  async #assignTo(entry: MemberEntry, assignment: TopicPartition[], generation: number): Promise<void> {
    // A member that joined after the assignment was computed waits for the rebalance its join queued.
    if (!this.#assignedMembers.has(entry.member.memberId)) return
    entry.assignment = assignment.slice().sort(compareTopicPartitions)
    if (!entry.departed) await entry.member.assign(entry.assignment, generation)
    entry.hasJoined = true
    entry.joined.resolve()
  }

  async #rebalance(): Promise<void> {
    this.#rebalancePending = false
    if (this.#members.size === 0) {
      this.#becomeEmpty()
      return
    }
    this.#setState('PreparingRebalance')
    this.#protocol = this.#selectProtocol()
    // As a Kafka consumer does with its list of assignors: cooperative only if every one of them is.
    const cooperative = [...this.#members.values()].every(({ member }) =>
      member.assignors.every((assignor) => assignor.rebalance === 'cooperative'),
    )
    if (!cooperative) {
      // Eager: everyone revokes everything before anything is handed out.
      await Promise.all(
        [...this.#members.values()].map((entry) => {
          const owned = entry.assignment
          entry.assignment = []
          return this.#revokeFrom(entry, owned)
        }),
      )
    }
    if (this.#members.size === 0) {
      this.#becomeEmpty()
      return
    }
    const target = await this.#computeAssignment()
    if (this.#members.size === 0) {
      this.#becomeEmpty()
      return
    }
    if (cooperative) {
      // KIP-429: members keep what they keep; moved partitions are revoked, then handed over in a
      // second round. A partition never has two owners.
      const owners = new Map<string, MemberEntry>()
      for (const entry of this.#members.values())
        for (const tp of entry.assignment) owners.set(tpKeyOf(tp), entry)
      const revocations = new Map<MemberEntry, TopicPartition[]>()
      for (const entry of this.#members.values()) {
        const keep = new Set((target[entry.member.memberId] ?? []).map(tpKeyOf))
        const moving = entry.assignment.filter((tp) => !keep.has(tpKeyOf(tp)))
        if (moving.length > 0) revocations.set(entry, moving)
      }
      if (revocations.size > 0) {
        // Round one: owners give up what moves (handler in flight, commit, onRevoke) while they keep
        // consuming the rest; the round's assignment is what each keeps plus what nobody owned.
        await Promise.all([...revocations].map(([entry, moving]) => this.#revokeFrom(entry, moving)))
        if (this.#members.size === 0) {
          this.#becomeEmpty()
          return
        }
        this.#setState('CompletingRebalance')
        const generation = ++this.#generation
        await Promise.all(
          [...this.#members.values()].map((entry) => {
            const first = (target[entry.member.memberId] ?? []).filter((tp) => {
              const owner = owners.get(tpKeyOf(tp))
              return owner === undefined || owner === entry
            })
            return this.#assignTo(entry, first, generation)
          }),
        )
        this.#setState('Stable')
        this.#publish(generation)
        // Round two: the members that revoked rejoin, and the moved partitions reach their new owners.
        this.#setState('PreparingRebalance')
      }
    }
    this.#setState('CompletingRebalance')
    const generation = ++this.#generation
    await Promise.all(
      [...this.#members.values()].map((entry) =>
        this.#assignTo(entry, target[entry.member.memberId] ?? [], generation),
      ),
    )
    this.#setState('Stable')
    this.#publish(generation)
  }

  /**
   * Runs the leader's assignor of the group's protocol over the current members, each with the user
   * data of its own assignor of that protocol. A failure, an invalid result or an assignor that does
   * not answer within the leader's rebalance timeout assigns nothing (and says why in `error`).
   */
  async #computeAssignment(): Promise<Assignment> {
    const existing = this.#host.topicNames()
    const partitions: Record<string, number> = {}
    const entries = [...this.#members.values()]
    const members: AssignorMember[] = []
    const leader = entries[0]!.member
    let timer: ClockTimer | undefined
    try {
      for (const { member, assignment } of entries) {
        const topics = member.subscribedTopics(existing)
        for (const topic of topics) partitions[topic] = this.#host.findTopic(topic)?.partitionCount ?? 0
        const userData = assignorFor(member, this.#protocol)?.subscriptionUserData?.({ topics: [...topics] })
        members.push({
          memberId: member.memberId,
          instanceId: member.instanceId,
          topics,
          owned: assignment,
          userData,
        })
      }
      this.#assignedOver = fingerprint(partitions)
      this.#assignedMembers = new Set(members.map((m) => m.memberId))
      const assignor = assignorFor(leader, this.#protocol) ?? leader.assignors[0]!
      const timeoutMs = leader.rebalanceTimeoutMs
      const timedOut = new Promise<never>((_, reject) => {
        timer = this.#host.clock.setTimeout(
          () =>
            reject(new TimeoutError(`Assignor "${this.#protocol}" did not return within ${timeoutMs} ms`)),
          timeoutMs,
          { unref: true },
        )
      })
      const assignment = await Promise.race([assignor({ members, partitions }), timedOut])
      validateAssignment(assignment, members, partitions)
      return assignment
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause))
      this.emit('error', { groupId: this.groupId, error })
      return {}
    } finally {
      if (timer !== undefined) this.#host.clock.clearTimeout(timer)
    }
  }

  /** The protocols every member supports (Kafka's candidate protocols). */
  #candidateProtocols(): Set<string> {
    let candidates: Set<string> | undefined
    for (const { member } of this.#members.values()) {
      const protocols = new Set(member.assignors.map(assignorProtocol))
      candidates =
        candidates === undefined ? protocols : new Set([...candidates].filter((p) => protocols.has(p)))
    }
    return candidates ?? new Set()
  }

  /**
   * Kafka's protocol selection: each member votes for the first protocol of its preference list that
   * every member supports, and the one with the most votes wins. Kafka leaves a tie to its hash map's
   * order; here the leader's preference breaks it.
   */
  #selectProtocol(): string {
    const candidates = this.#candidateProtocols()
    const votes = new Map<string, number>()
    for (const { member } of this.#members.values()) {
      const vote = member.assignors.map(assignorProtocol).find((protocol) => candidates.has(protocol))
      if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1)
    }
    const leader = this.#members.values().next().value!.member
    let selected = assignorProtocol(leader.assignors[0]!)
    let most = 0
    for (const protocol of leader.assignors.map(assignorProtocol)) {
      const count = votes.get(protocol) ?? 0
      if (count > most) {
        selected = protocol
        most = count
      }
    }
    return selected
  }

  #becomeEmpty(): void {
    this.#generation++
    this.#assignedOver = ''
    this.#setState('Empty')
  }

  #publish(generation: number): void {
    const assignment: Assignment = {}
    for (const entry of this.#members.values()) assignment[entry.member.memberId] = entry.assignment
    this.emit('rebalance', { groupId: this.groupId, generation, protocol: this.#protocol, assignment })
  }

  #topicsOfInterest(): string[] {
    const topics = new Set<string>()
    const existing = this.#host.topicNames()
    for (const { member } of this.#members.values()) {
      for (const topic of member.subscribedTopics(existing)) topics.add(topic)
    }
    for (const offset of this.#offsets.values()) topics.add(offset.topic)
    return [...topics].sort()
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

/** The member's assignor of `protocol`, if it has one. */
function assignorFor(member: GroupMember, protocol: string): Assignor | undefined {
  return member.assignors.find((assignor) => assignorProtocol(assignor) === protocol)
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

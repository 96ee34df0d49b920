import * as z from 'zod'
import { ClosedError, type LogbusError, UnknownTopicError } from '../errors'
import { TypedEmitter } from '../events/typed-emitter'
import type { CommittedOffset } from '../storage/storage'
import { lazySchema, parseOptions } from '../util/options'
import { GroupCoordinator } from './coordinator'
import { ExternalGroupMember, type ExternalMember, type ExternalMemberOptions } from './external-member'
import type { GroupDescription, GroupEvents, GroupState } from './group-description'
import type { GroupHost } from './group-host'
import type { GroupMember } from './member'
import { OffsetStore } from './offset-store'

export type { GroupDescription, GroupEvents, GroupState, MemberDescription } from './group-description'
export type { GroupHost } from './group-host'

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
  /**
   * Compute the new offsets and change nothing (`kafka-consumer-groups --reset-offsets --dry-run`).
   * Refused all the same while the group has members, as Kafka refuses it. Default false.
   */
  dryRun?: boolean
}

const offsetListSchema = lazySchema(() =>
  z.array(
    z.strictObject({
      topic: z.string().min(1),
      partition: z.number().int().min(0),
      offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    }),
  ),
)

const resetOffsetsSchema = lazySchema(() =>
  z.strictObject({
    to: z.union([
      z.enum(['earliest', 'latest']),
      z.strictObject({ timestamp: z.number().int() }),
      z.strictObject({ offset: z.number().int().min(0) }),
      z.strictObject({ shiftBy: z.number().int() }),
    ]),
    topics: z.array(z.string().min(1)).optional(),
    dryRun: z.boolean().optional(),
  }),
)

/**
 * A consumer group as its users see it (Kafka's admin view of one group id): state, members, lag and
 * committed offsets, and the admin operations on an empty group. Get it with `bus.group(groupId)`.
 * Membership and rebalancing are its coordinator's; committed offsets are its offset store's.
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
  readonly #offsets: OffsetStore
  readonly #coordinator: GroupCoordinator
  /** The bus closed: the handle answers nothing any more. */
  #closed = false
  #rebalances = 0

  /** @internal Use `bus.group(groupId)`. */
  constructor(
    readonly groupId: string,
    host: GroupHost,
    committed: readonly CommittedOffset[] = [],
  ) {
    super()
    this.#host = host
    this.#offsets = new OffsetStore(groupId, host, committed)
    this.#coordinator = new GroupCoordinator(groupId, host, this.#offsets, (event, payload) => {
      if (event === 'rebalance') this.#rebalances++
      this.emit(event, payload)
    })
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
    return this.#coordinator.state
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
    return this.#coordinator.generation
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
    return this.#coordinator.describe()
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
    return this.lagNow()
  }

  /** @internal The lag, synchronously: what `bus.metrics()` reports. */
  lagNow(): PartitionLag[] {
    this.#assertOpen()
    const result: PartitionLag[] = []
    const topics = new Set([...this.#coordinator.subscribedTopics(), ...this.#offsets.topics()])
    for (const name of [...topics].sort()) {
      const topic = this.#host.findTopic(name)
      if (topic === undefined) continue
      for (const p of topic.partitions) {
        const committed = this.#offsets.get(name, p.partition) ?? null
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
    return this.#offsets.get(topic, partition)
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
    return this.#offsets.list()
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
    return this.#coordinator.whileEmpty(async () => {
      const list = parseOptions(offsetListSchema(), offsets, 'offsets')
      this.#coordinator.assertPartitionsExist(list)
      await this.#offsets.store(list)
      return list
    })
  }

  /**
   * Moves the committed offsets of an empty group: to the earliest or latest offset, to the first
   * offset at a timestamp, to an offset, or shifted by N (clamped to the log). As in Kafka, only while
   * the group has no members: GroupNotEmptyError otherwise. Resolves with the new offsets; with
   * `dryRun`, with the offsets it would set, changing nothing.
   *
   * @example
   * ```ts
   * const plan = await bus.group('billing').resetOffsets({ to: 'earliest', topics: ['orders'], dryRun: true })
   * const moved = await bus.group('billing').resetOffsets({ to: 'earliest', topics: ['orders'] })
   * ```
   */
  async resetOffsets(options: ResetOffsetsOptions): Promise<CommittedOffset[]> {
    this.#assertOpen()
    const { to, topics: only, dryRun } = parseOptions(resetOffsetsSchema(), options, 'resetOffsets')
    return this.#coordinator.whileEmpty(async () => {
      const topics = only ?? this.#offsets.topics()
      const list: CommittedOffset[] = []
      for (const name of topics) {
        const topic = this.#host.findTopic(name)
        if (topic === undefined) throw new UnknownTopicError(name)
        for (const p of topic.partitions) {
          const start = p.logStartOffset
          const end = p.logEndOffset
          const committed = this.#offsets.get(name, p.partition)
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
      if (dryRun !== true) await this.#offsets.store(list)
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
    return this.#coordinator.deleteGroup()
  }

  /**
   * Adds a member that lives outside the process, such as a Kafka client over the wire (Kafka's
   * classic JoinGroup): the group drives it through `revoke`/`assign`/`removed`, and it takes part in
   * rebalances beside in-process consumers. As Kafka's JoinGroup, its protocols must include one that
   * every current member supports (InconsistentGroupProtocolError otherwise). When it leads the group,
   * its protocol's `assign` computes everyone's assignment (the leader client assigns, as in Kafka).
   *
   * @example
   * ```ts
   * const member = bus.group('billing').addMember({
   *   clientId: 'remote', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
   *   protocols: [{ name: 'range', topics: ['orders'], assign: async (input) => rangeAssignor(input) }],
   *   revoke: async () => {},
   *   assign: (partitions, generation) => console.log(generation, partitions),
   *   removed: (reason) => console.log(reason.message),
   * })
   * await member.joined
   * ```
   */
  addMember(options: ExternalMemberOptions): ExternalMember {
    this.#assertOpen()
    const member = new ExternalGroupMember(options)
    const joined = this.#coordinator.join(member)
    joined.catch(() => undefined)
    return {
      memberId: member.memberId,
      joined,
      heartbeat: () => {
        this.#assertOpen()
        this.#coordinator.heartbeat(member.memberId)
      },
      update: (protocols) => {
        this.#assertOpen()
        member.setProtocols(protocols)
        this.#coordinator.topicsChanged()
      },
      commit: (generation, offsets) => {
        if (this.#closed) return Promise.reject(new ClosedError('Bus'))
        return this.#coordinator.commit(member.memberId, generation, offsets)
      },
      leave: () => {
        if (!this.#closed) this.#coordinator.leave(member)
      },
    }
  }

  /**
   * @internal Adds a member; resolves once it has its first assignment. As Kafka's JoinGroup, a member
   * must support at least one protocol that every current member supports
   * (InconsistentGroupProtocolError otherwise).
   */
  join(member: GroupMember): Promise<void> {
    return this.#coordinator.join(member)
  }

  /**
   * @internal Removes a member that already stopped and committed. The others rebalance; the caller
   * does not wait for that. A static member that leaves this way only departs: it keeps its partitions
   * for `sessionTimeoutMs`, so that it can come back without a rebalance (Kafka's static membership).
   */
  leave(member: GroupMember): void {
    this.#coordinator.leave(member)
  }

  /**
   * @internal Removes a member at its own request without it leaving cleanly (its poll timed out):
   * its partitions move now, without waiting for its handler.
   */
  remove(member: GroupMember, reason: LogbusError): void {
    this.#coordinator.remove(member, reason)
  }

  /** @internal Rebalances completed since the bus opened. */
  get rebalances(): number {
    return this.#rebalances
  }

  /** @internal True while a rebalance runs or is queued. */
  get rebalancing(): boolean {
    return this.#coordinator.rebalancing
  }

  /** @internal A live member says it is alive; rejects a member the group no longer knows. */
  heartbeat(memberId: string): void {
    this.#coordinator.heartbeat(memberId)
  }

  /**
   * @internal Stores offsets committed by a member of `generation`. As in Kafka, a commit from a
   * member that left or from an older generation is rejected.
   */
  commit(memberId: string, generation: number, offsets: CommittedOffset[]): Promise<void> {
    return this.#coordinator.commit(memberId, generation, offsets)
  }

  /**
   * @internal Stores offsets committed by a consumer that is not a member (Kafka's `assign()` with a
   * group.id): allowed while the group has no members, as Kafka allows it only for an empty group.
   */
  async commitStandalone(offsets: CommittedOffset[]): Promise<void> {
    this.#assertOpen()
    await this.#coordinator.commitStandalone(offsets)
  }

  /**
   * @internal Stores offsets a transaction commits (Kafka's TxnOffsetCommit, applied when the
   * transaction commits): the producer's transaction, not a membership, vouches for them.
   */
  async commitTransactional(offsets: CommittedOffset[]): Promise<void> {
    this.#assertOpen()
    await this.#coordinator.commitTransactional(offsets)
  }

  /** @internal The bus's topics changed: rebalance if what the members subscribe to changed. */
  topicsChanged(): void {
    this.#coordinator.topicsChanged()
  }

  /**
   * @internal A topic was deleted: its offsets go with it, as in Kafka. Resolves once the offset
   * writes already under way have settled; the bus deletes the topic from storage after that.
   */
  topicDeleted(topic: string): Promise<void> {
    const written = this.#offsets.forgetTopic(topic)
    this.#coordinator.topicsChanged()
    return written
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
    return this.#coordinator.settled()
  }

  /** @internal Cancels the session timers: the bus is closing. */
  close(): void {
    this.#closed = true
    this.#coordinator.close()
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('Bus')
  }
}

import { FencedInstanceIdError, type LogbusError, UnknownMemberError } from '../errors'
import type { Assignor } from '../group/assignor'
import type { ConsumerGroup } from '../group/consumer-group'
import type { GroupMember } from '../group/member'
import type { TopicPartition } from '../record/log-record'
import type { CommittedOffset } from '../storage/storage'
import type { Clock, ClockTimer } from '../util/clock'
import { startAutoCommit } from './auto-commit'
import type { Delivery } from './delivery'
import type { Fetcher } from './fetcher'
import type { ResolvedConsumerOptions } from './options'
import type { Ownership, OwnershipEvents } from './ownership'
import type { Participation } from './participation'
import type { PartitionState } from './partition-state'

/** What membership needs from its consumer. */
export interface MembershipHost {
  readonly groupId: string
  readonly clock: Clock
  readonly options: ResolvedConsumerOptions
  readonly assignors: readonly Assignor[]
  readonly group: ConsumerGroup
  readonly fetcher: Fetcher
  readonly ownership: Ownership
  readonly emit: OwnershipEvents
  delivery(): Delivery | undefined
  subscribedTopics(existing: readonly string[]): string[]
  crash(error: Error): void
  closing(): boolean
  /** The member rejoins after a removal once its handler in flight returned (if it still runs). */
  rejoin(): void
}

/**
 * One consumer's membership in its group: joining with a fresh member id, the assignment and revokes
 * the coordinator asks for, heartbeats, the poll-timeout watchdog, auto-commit, and leaving.
 */
export class Membership implements Participation {
  memberId = ''
  generation = -1
  /** A member of the group now (joined or joining). */
  member = false
  /** Why the coordinator removed this member, if it did: what a late commit is rejected with. */
  removedReason: LogbusError | undefined
  /** How the coordinator sees this membership; calls through an older one's handle are ignored. */
  #handle: GroupMember | undefined
  #stopAutoCommit: (() => void) | undefined
  #heartbeatTimer: ClockTimer | undefined
  #watchdogTimer: ClockTimer | undefined

  constructor(private readonly host: MembershipHost) {}

  /** Joins with a new member id; resolves once the member has its first assignment. */
  join(memberId: string): Promise<void> {
    this.memberId = memberId
    const handle = this.#makeHandle(memberId)
    this.#handle = handle
    this.removedReason = undefined
    this.member = true
    this.#scheduleAutoCommit()
    this.#scheduleHeartbeat()
    this.#scheduleWatchdog()
    try {
      return this.host.group.join(handle)
    } catch (error) {
      // Refused (another assignor than the group's): nothing of this membership may keep running.
      this.drop()
      throw error
    }
  }

  /** Leaves the group (the others rebalance); the caller committed what it wanted first. */
  leave(): void {
    if (!this.member) return
    this.drop()
    if (this.#handle !== undefined) this.host.group.leave(this.#handle)
  }

  /** Stops the member's timers and forgets its partitions (without committing). */
  drop(): void {
    this.member = false
    const clock = this.host.clock
    for (const timer of [this.#heartbeatTimer, this.#watchdogTimer]) {
      if (timer !== undefined) clock.clearTimeout(timer)
    }
    this.#stopAutoCommit?.()
    this.#stopAutoCommit = undefined
    this.#heartbeatTimer = undefined
    this.#watchdogTimer = undefined
    this.host.ownership.dropAll()
  }

  get rebalancing(): boolean {
    return this.host.group.rebalancing
  }

  settled(): Promise<void> {
    return this.host.group.settled()
  }

  assignment(): TopicPartition[] {
    return this.host.ownership.assignment()
  }

  /** Commits what was processed on `states`. */
  async commitStates(states: readonly PartitionState[]): Promise<void> {
    const offsets = this.host.ownership.uncommitted(states)
    if (offsets.length > 0) await this.commitOffsets(offsets)
  }

  /** Commits exactly `offsets` (each the next offset to read). */
  async commitOffsets(offsets: CommittedOffset[]): Promise<void> {
    await this.host.group.commit(this.memberId, this.generation, offsets)
    this.host.ownership.committed(offsets)
  }

  #makeHandle(memberId: string): GroupMember {
    const options = this.host.options
    const handle: GroupMember = {
      memberId,
      instanceId: options.instanceId,
      clientId: options.clientId,
      assignors: this.host.assignors,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? options.maxPollIntervalMs ?? 300_000,
      sessionTimeoutMs: options.sessionTimeoutMs,
      expel: (reason) => (this.#handle === handle ? this.#expel(reason) : Promise.resolve()),
      subscribedTopics: (existing) => this.host.subscribedTopics(existing),
      revoke: (partitions) => (this.#handle === handle ? this.revoke(partitions) : Promise.resolve()),
      assign: (assignment, generation) =>
        this.#handle === handle ? this.#assign(assignment, generation) : Promise.resolve(),
    }
    return handle
  }

  /** Gives partitions up: the handler in flight returns, auto-commit commits, onRevoke runs. */
  revoke(partitions: TopicPartition[]): Promise<void> {
    const commit =
      this.host.options.autoCommit && this.member
        ? (states: readonly PartitionState[]) => this.commitStates(states)
        : undefined
    return this.host.ownership.give(partitions, this.generation, commit)
  }

  async #assign(assignment: TopicPartition[], generation: number): Promise<void> {
    this.generation = generation
    // A member that is closing takes nothing new: it is about to leave, and the group hands its share on.
    if (this.host.closing()) return
    const group = this.host.group
    const ownership = this.host.ownership
    await ownership.take(assignment, generation, (tp) => group.committedOffset(tp.topic, tp.partition))
    this.host.emit.groupJoin({
      groupId: this.host.groupId,
      memberId: this.memberId,
      generation,
      assignment: this.assignment(),
    })
    ownership.start()
  }

  /**
   * The coordinator removed this member. It owns nothing and may not commit from now on. Fenced (a
   * newer member has its instance id) is final, as in Kafka; otherwise the member rejoins once its
   * handler in flight returns, as a Kafka consumer does on its next poll.
   */
  #expel(reason: LogbusError): Promise<void> {
    if (!this.member) return Promise.resolve()
    const memberId = this.memberId
    this.removedReason = reason
    const states = [...this.host.fetcher.states]
    this.drop()
    this.host.emit.removed({ groupId: this.host.groupId, memberId, reason })
    const safe = this.host.delivery()?.drained(states) ?? Promise.resolve()
    if (reason instanceof FencedInstanceIdError) {
      this.host.crash(reason)
    } else {
      void safe.then(() => this.host.rejoin())
    }
    return safe
  }

  #scheduleHeartbeat(): void {
    this.#heartbeatTimer = this.host.clock.setTimeout(
      () => {
        this.#heartbeatTimer = undefined
        if (!this.member) return
        try {
          this.host.group.heartbeat(this.memberId)
        } catch {
          // The group no longer knows us: it has called expel, or will.
          return
        }
        this.#scheduleHeartbeat()
      },
      this.host.options.heartbeatIntervalMs,
      { unref: true },
    )
  }

  /**
   * Kafka's poll timeout: ticks every half max.poll.interval.ms; the same delivery seen in flight on
   * three ticks in a row has run at least max.poll.interval.ms, and the member is removed.
   */
  #scheduleWatchdog(): void {
    const maxPollIntervalMs = this.host.options.maxPollIntervalMs
    if (maxPollIntervalMs === null) return
    const tick = Math.max(1, Math.floor(maxPollIntervalMs / 2))
    this.#watchdogTimer = this.host.clock.setTimeout(
      () => {
        this.#watchdogTimer = undefined
        if (!this.member) return
        let stuck = false
        for (const state of this.host.fetcher.states) {
          if (state.delivering && state.deliveries === state.watchSeq) {
            state.strikes++
          } else {
            state.watchSeq = state.deliveries
            state.strikes = state.delivering ? 1 : 0
          }
          if (state.strikes >= 3) stuck = true
        }
        if (stuck) {
          if (this.#handle !== undefined) {
            this.host.group.remove(this.#handle, new UnknownMemberError(this.host.groupId, this.memberId))
          }
          return
        }
        this.#scheduleWatchdog()
      },
      tick,
      { unref: true },
    )
  }

  #scheduleAutoCommit(): void {
    const options = this.host.options
    if (!options.autoCommit) return
    this.#stopAutoCommit = startAutoCommit(
      this.host.clock,
      options.autoCommitIntervalMs,
      () => this.commitStates(this.host.fetcher.states),
      () => this.member && !this.host.closing(),
    )
  }
}

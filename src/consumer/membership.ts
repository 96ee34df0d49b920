import { FencedInstanceIdError, type LogbusError, OffsetOutOfRangeError, UnknownMemberError } from '../errors'
import type { Assignor } from '../group/assignor'
import type { ConsumerGroup } from '../group/consumer-group'
import type { GroupMember } from '../group/member'
import type { Codec } from '../record/codec'
import type { TopicPartition } from '../record/log-record'
import type { CommittedOffset } from '../storage/storage'
import type { PartitionCore } from '../topic/partition-core'
import type { Clock, ClockTimer } from '../util/clock'
import type { Signal } from '../util/signal'
import { tpKey } from '../util/tp-key'
import type { Delivery } from './delivery'
import type { Fetcher } from './fetcher'
import type { ResolvedConsumerOptions } from './options'
import { type PartitionState, toTopicPartition } from './partition-state'
import type { ProgressWaits } from './progress'

/** The form a member receives one topic in, and the partition behind it. */
export interface TopicSource {
  partition(index: number): PartitionCore | undefined
  keyCodec: Codec<unknown, unknown>
  valueCodec: Codec<unknown, unknown>
}

/** What membership needs from its consumer. */
export interface MembershipHost {
  readonly groupId: string
  readonly clock: Clock
  readonly options: ResolvedConsumerOptions
  readonly assignor: Assignor
  readonly group: ConsumerGroup
  readonly fetcher: Fetcher
  readonly progress: ProgressWaits
  readonly signal: Signal
  delivery(): Delivery | undefined
  source(topic: string): TopicSource | undefined
  subscribedTopics(existing: readonly string[]): string[]
  resetPosition(core: PartitionCore): number
  crash(error: Error): void
  closing(): boolean
  /** The member rejoins after a removal once its handler in flight returned (if it still runs). */
  rejoin(): void
  emit: MembershipEvents
}

/** The consumer events membership raises. */
export interface MembershipEvents {
  groupJoin(payload: { groupId: string; memberId: string; generation: number; assignment: TopicPartition[] }): void
  partitionsAssigned(payload: { groupId: string; generation: number; partitions: TopicPartition[] }): void
  partitionsRevoked(payload: { groupId: string; generation: number; partitions: TopicPartition[] }): void
  commit(payload: { groupId: string; offsets: CommittedOffset[] }): void
  removed(payload: { groupId: string; memberId: string; reason: LogbusError }): void
}

/**
 * One consumer's membership in its group: joining with a fresh member id, the assignment and revokes
 * the coordinator asks for, heartbeats, the poll-timeout watchdog, auto-commit, and leaving.
 */
export class Membership {
  memberId = ''
  generation = -1
  /** A member of the group now (joined or joining). */
  member = false
  /** Why the coordinator removed this member, if it did: what a late commit is rejected with. */
  removedReason: LogbusError | undefined
  /** How the coordinator sees this membership; calls through an older one's handle are ignored. */
  #handle: GroupMember | undefined
  #autoCommitTimer: ClockTimer | undefined
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
    for (const timer of [this.#autoCommitTimer, this.#heartbeatTimer, this.#watchdogTimer]) {
      if (timer !== undefined) clock.clearTimeout(timer)
    }
    this.#autoCommitTimer = undefined
    this.#heartbeatTimer = undefined
    this.#watchdogTimer = undefined
    for (const state of [...this.host.fetcher.states]) this.host.fetcher.remove(state)
    this.host.progress.check()
  }

  assignment(): TopicPartition[] {
    return this.host.fetcher.states.map(toTopicPartition)
  }

  /** Commits what was processed on `states`. */
  async commitStates(states: readonly PartitionState[]): Promise<void> {
    const offsets: CommittedOffset[] = []
    for (const s of states) {
      if (s.processed !== s.committed && !Number.isNaN(s.processed) && s.core.live) {
        offsets.push({ topic: s.topic, partition: s.core.partition, offset: s.processed })
      }
    }
    if (offsets.length === 0) return
    await this.host.group.commit(this.memberId, this.generation, offsets)
    for (const o of offsets) {
      const state = this.host.fetcher.get(o.topic, o.partition)
      if (state !== undefined) state.committed = o.offset
    }
    this.host.emit.commit({ groupId: this.host.groupId, offsets })
  }

  /** Commits exactly `offsets` (each the next offset to read). */
  async commitOffsets(offsets: CommittedOffset[]): Promise<void> {
    await this.host.group.commit(this.memberId, this.generation, offsets)
    for (const o of offsets) {
      const state = this.host.fetcher.get(o.topic, o.partition)
      if (state !== undefined) state.committed = o.offset
    }
    this.host.emit.commit({ groupId: this.host.groupId, offsets })
  }

  #makeHandle(memberId: string): GroupMember {
    const options = this.host.options
    const handle: GroupMember = {
      memberId,
      instanceId: options.instanceId,
      clientId: options.clientId,
      assignor: this.host.assignor,
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
  async revoke(partitions: TopicPartition[]): Promise<void> {
    const fetcher = this.host.fetcher
    const states: PartitionState[] = []
    for (const tp of partitions) {
      const state = fetcher.get(tp.topic, tp.partition)
      if (state === undefined || state.revoked) continue
      state.revoked = true
      state.interrupted = true
      states.push(state)
    }
    if (states.length === 0) return
    this.host.signal.notify()
    // Only the handlers of the revoked partitions: with cooperative rebalancing the kept ones go on.
    await (this.host.delivery()?.drained(states) ?? Promise.resolve())
    if (this.host.options.autoCommit && this.member) {
      await this.commitStates(states).catch(() => undefined)
    }
    const onRevoke = this.host.options.onRevoke
    if (onRevoke !== undefined) {
      try {
        await onRevoke(states.map(toTopicPartition))
      } catch (error) {
        this.host.crash(asError(error))
      }
    }
    for (const state of states) fetcher.remove(state)
    this.host.emit.partitionsRevoked({
      groupId: this.host.groupId,
      generation: this.generation,
      partitions: states.map(toTopicPartition),
    })
    this.host.progress.check()
  }

  async #assign(assignment: TopicPartition[], generation: number): Promise<void> {
    this.generation = generation
    const fetcher = this.host.fetcher
    const added: TopicPartition[] = []
    const fresh: PartitionState[] = []
    for (const tp of assignment) {
      const key = tpKey(tp.topic, tp.partition)
      if (fetcher.has(key)) continue
      const source = this.host.source(tp.topic)
      const core = source?.partition(tp.partition)
      if (source === undefined || core === undefined) continue
      const committed = this.host.group.committedOffset(tp.topic, tp.partition)
      const valid = committed !== undefined && committed >= core.logStartOffset && committed <= core.logEndOffset
      const start = valid ? committed : this.host.resetPosition(core)
      const state: PartitionState = {
        topic: tp.topic,
        core,
        key,
        keyCodec: source.keyCodec,
        valueCodec: source.valueCodec,
        position: start,
        processed: start,
        committed,
        interrupted: false,
        revoked: false,
        paused: false,
        attempts: 0,
        seeks: 0,
        ready: false,
        busy: false,
        drained: undefined,
        delivering: false,
        deliveries: 0,
        watchSeq: -1,
        strikes: 0,
        unsubscribe: core.subscribe(this.host.signal.notify),
      }
      fetcher.add(state)
      fresh.push(state)
      added.push(tp)
      if (Number.isNaN(start)) {
        this.host.crash(
          committed === undefined
            ? new OffsetOutOfRangeError(
                tp.topic,
                tp.partition,
                -1,
                `Undefined offset with no reset policy for ${tp.topic}-${tp.partition}: no committed offset and autoOffsetReset is 'none'`,
              )
            : new OffsetOutOfRangeError(tp.topic, tp.partition, committed),
        )
      }
    }
    const onAssign = this.host.options.onAssign
    if (onAssign !== undefined && added.length > 0) {
      try {
        await onAssign(added)
      } catch (error) {
        this.host.crash(asError(error))
      }
    }
    for (const state of fetcher.states) state.ready = true
    const groupId = this.host.groupId
    this.host.emit.partitionsAssigned({ groupId, generation, partitions: added })
    this.host.emit.groupJoin({ groupId, memberId: this.memberId, generation, assignment: this.assignment() })
    this.host.signal.notify()
    this.host.progress.check()
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
    if (!this.host.options.autoCommit) return
    this.#autoCommitTimer = this.host.clock.setTimeout(
      () => {
        this.#autoCommitTimer = undefined
        if (!this.member) return
        this.commitStates(this.host.fetcher.states)
          .catch(() => undefined)
          .finally(() => {
            if (this.member && !this.host.closing()) this.#scheduleAutoCommit()
          })
      },
      this.host.options.autoCommitIntervalMs,
      { unref: true },
    )
  }
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

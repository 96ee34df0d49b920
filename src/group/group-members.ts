import type { TopicPartition } from '../record/log-record'
import type { Clock, ClockTimer } from '../util/clock'
import { type Deferred, deferred } from '../util/deferred'
import { type Assignment, assignorProtocol } from './assignor'
import type { MemberDescription } from './group-description'
import type { GroupMember } from './member'

/** Not public: one member as its coordinator tracks it. */
export interface MemberEntry {
  readonly member: GroupMember
  assignment: TopicPartition[]
  /** Settled when the member receives its first assignment. */
  readonly joined: Deferred<void>
  hasJoined: boolean
  /** A static member that closed: it keeps its partitions until it returns or its session expires. */
  departed: boolean
}

/**
 * Not public: the members of one group in join order (the first one leads), each with its session
 * timer (Kafka's session.timeout.ms). A member whose session runs out is reported to `onExpired`; the
 * coordinator decides what that means.
 */
export class GroupMembers {
  readonly #entries = new Map<string, MemberEntry>()
  readonly #sessions = new Map<MemberEntry, ClockTimer>()
  readonly #clock: Clock
  readonly #onExpired: (entry: MemberEntry) => void

  constructor(clock: Clock, onExpired: (entry: MemberEntry) => void) {
    this.#clock = clock
    this.#onExpired = onExpired
  }

  get size(): number {
    return this.#entries.size
  }

  get(memberId: string): MemberEntry | undefined {
    return this.#entries.get(memberId)
  }

  /** The entries in member order, the leader first. */
  list(): MemberEntry[] {
    return [...this.#entries.values()]
  }

  /** False once the entry was removed (its member left, expired or was replaced). */
  isCurrent(entry: MemberEntry): boolean {
    return this.#entries.get(entry.member.memberId) === entry
  }

  ofInstance(instanceId: string): MemberEntry | undefined {
    for (const entry of this.#entries.values()) if (entry.member.instanceId === instanceId) return entry
    return undefined
  }

  /**
   * Adds a member with a fresh session, at the end of the order or at `slot` (where a static member's
   * successor takes its predecessor's place).
   */
  add(member: GroupMember, assignment: TopicPartition[] = [], slot?: number): MemberEntry {
    const entry: MemberEntry = { member, assignment, joined: deferred(), hasJoined: false, departed: false }
    if (slot === undefined) {
      this.#entries.set(member.memberId, entry)
    } else {
      const order = [...this.#entries.values()]
      order.splice(Math.min(slot, order.length), 0, entry)
      this.#entries.clear()
      for (const e of order) this.#entries.set(e.member.memberId, e)
    }
    this.touch(entry)
    return entry
  }

  /** Removes the entry (if it is still current) and stops its session. */
  remove(entry: MemberEntry): void {
    this.#stopSession(entry)
    if (this.isCurrent(entry)) this.#entries.delete(entry.member.memberId)
  }

  /** The member's position in the order, -1 once removed. */
  slotOf(entry: MemberEntry): number {
    return [...this.#entries.values()].indexOf(entry)
  }

  /** Restarts the member's session: it was heard from. */
  touch(entry: MemberEntry): void {
    this.#stopSession(entry)
    const timer = this.#clock.setTimeout(
      () => {
        this.#sessions.delete(entry)
        this.#onExpired(entry)
      },
      entry.member.sessionTimeoutMs,
      { unref: true },
    )
    this.#sessions.set(entry, timer)
  }

  /** Stops every session timer: the bus is closing. */
  stopSessions(): void {
    for (const entry of this.#entries.values()) this.#stopSession(entry)
  }

  /** Each member's protocols in its order of preference, the leader's first. */
  preferences(): string[][] {
    return this.list().map(({ member }) => member.assignors.map(assignorProtocol))
  }

  /** Every topic some member subscribes to, among the topics that exist now. */
  subscribedTopics(existing: readonly string[]): Set<string> {
    const topics = new Set<string>()
    for (const { member } of this.#entries.values()) {
      for (const topic of member.subscribedTopics(existing)) topics.add(topic)
    }
    return topics
  }

  /** Who owns what now. */
  assignment(): Assignment {
    const assignment: Assignment = {}
    for (const entry of this.#entries.values()) assignment[entry.member.memberId] = entry.assignment
    return assignment
  }

  describe(): MemberDescription[] {
    return this.list().map(({ member, assignment }) => ({
      memberId: member.memberId,
      instanceId: member.instanceId,
      clientId: member.clientId,
      assignment: assignment.map((tp) => ({ ...tp })),
    }))
  }

  #stopSession(entry: MemberEntry): void {
    const timer = this.#sessions.get(entry)
    if (timer !== undefined) this.#clock.clearTimeout(timer)
    this.#sessions.delete(entry)
  }
}

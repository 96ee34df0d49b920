import { InvalidStateError } from '../errors'
import type { TopicPartition } from '../record/log-record'
import { tpKeyOf } from '../util/tp-key'
import { type Assignment, type Assignor, type AssignorMember, assignorProtocol } from './assignor'

/**
 * Not public: the decisions of a rebalance, as pure functions of the members and the target
 * assignment. The coordinator carries them out (revoke, assign, publish); nothing here waits, times
 * out or changes state.
 */

/** The protocols every member supports (Kafka's candidate protocols); each list is one member's. */
export function candidateProtocols(preferences: readonly (readonly string[])[]): Set<string> {
  let candidates: Set<string> | undefined
  for (const protocols of preferences) {
    candidates =
      candidates === undefined
        ? new Set(protocols)
        : new Set([...candidates].filter((protocol) => protocols.includes(protocol)))
  }
  return candidates ?? new Set()
}

/**
 * Kafka's protocol selection: each member votes for the first protocol of its preference list that
 * every member supports, and the one with the most votes wins. Kafka leaves a tie to its hash map's
 * order; here the leader's preference breaks it. `preferences[0]` is the leader's list; there is at
 * least one member.
 */
export function selectProtocol(preferences: readonly (readonly string[])[]): string {
  const candidates = candidateProtocols(preferences)
  const votes = new Map<string, number>()
  for (const protocols of preferences) {
    const vote = protocols.find((protocol) => candidates.has(protocol))
    if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1)
  }
  const leader = preferences[0]!
  let selected = leader[0]!
  let most = 0
  for (const protocol of leader) {
    const count = votes.get(protocol) ?? 0
    if (count > most) {
      selected = protocol
      most = count
    }
  }
  return selected
}

/**
 * How the group rebalances. As a Kafka consumer decides over its own list of assignors, a group is
 * cooperative only if every assignor of every member is: one eager assignor anywhere makes it eager.
 */
export function rebalanceProtocol(assignors: readonly (readonly Assignor[])[]): 'eager' | 'cooperative' {
  const cooperative = assignors.every((list) =>
    list.every((assignor) => assignor.rebalance === 'cooperative'),
  )
  return cooperative ? 'cooperative' : 'eager'
}

/** The member's assignor of `protocol`, if it has one. */
export function assignorFor(assignors: readonly Assignor[], protocol: string): Assignor | undefined {
  return assignors.find((assignor) => assignorProtocol(assignor) === protocol)
}

/** What one member owns when a rebalance starts. */
export interface OwnedPartitions {
  readonly memberId: string
  readonly owned: readonly TopicPartition[]
}

/**
 * KIP-429, before round one: each member gives up what it owns and `target` does not leave it, and
 * nothing else. Members with nothing to give up are left out, so an empty map means one round is
 * enough.
 */
export function cooperativeRevocations(
  members: readonly OwnedPartitions[],
  target: Assignment,
): Map<string, TopicPartition[]> {
  const revocations = new Map<string, TopicPartition[]>()
  for (const { memberId, owned } of members) {
    const keep = new Set((target[memberId] ?? []).map(tpKeyOf))
    const moving = owned.filter((tp) => !keep.has(tpKeyOf(tp)))
    if (moving.length > 0) revocations.set(memberId, moving)
  }
  return revocations
}

/**
 * KIP-429, round one: each member gets the part of its target that nobody owned or that it owned
 * itself. A partition that moves from another member waits for round two, when its old owner has
 * revoked it, so that a partition never has two owners. `members` is ownership before round one.
 */
export function cooperativeFirstRound(members: readonly OwnedPartitions[], target: Assignment): Assignment {
  const owners = new Map<string, string>()
  for (const { memberId, owned } of members) for (const tp of owned) owners.set(tpKeyOf(tp), memberId)
  const first: Assignment = {}
  for (const [memberId, partitions] of Object.entries(target)) {
    first[memberId] = partitions.filter((tp) => {
      const owner = owners.get(tpKeyOf(tp))
      return owner === undefined || owner === memberId
    })
  }
  return first
}

/**
 * A user's assignor may be wrong; an invalid assignment must never reach the members. Throws
 * InvalidStateError for a member that is not in the group, a topic the member does not subscribe to,
 * a partition that does not exist, or a partition given twice.
 */
export function validateAssignment(
  assignment: Assignment,
  members: readonly AssignorMember[],
  partitions: Readonly<Record<string, number>>,
): void {
  const seen = new Set<string>()
  const byId = new Map(members.map((m) => [m.memberId, m]))
  for (const [memberId, tps] of Object.entries(assignment)) {
    const member = byId.get(memberId)
    if (member === undefined) throw new InvalidStateError(`Assignor assigned to unknown member ${memberId}`)
    for (const tp of tps) {
      const count = Object.hasOwn(partitions, tp.topic) ? partitions[tp.topic] : undefined
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

/**
 * What an assignment was computed over (topic → partition count), as a string that differs exactly
 * when the topics or their partition counts differ: a change means the group must rebalance.
 */
export function partitionsFingerprint(partitions: Readonly<Record<string, number>>): string {
  return Object.keys(partitions)
    .sort()
    .map((topic) => `${topic}:${partitions[topic]}`)
    .join(',')
}

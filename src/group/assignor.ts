import type { TopicPartition } from '../record/log-record'

/**
 * One member of a group as an assignor sees it.
 *
 * @example
 * ```ts
 * const member: AssignorMember = { memberId: 'm-1', topics: ['orders'], owned: [] }
 * ```
 */
export interface AssignorMember {
  memberId: string
  /** Static membership id (Kafka's `group.instance.id`), when the member has one. */
  instanceId?: string | undefined
  /** Topics this member subscribes to. */
  topics: string[]
  /** Partitions the member owned in the previous generation (used by sticky assignors). */
  owned: TopicPartition[]
}

/**
 * What an assignor is given: the members and the partition count of every subscribed topic.
 *
 * @example
 * ```ts
 * const input: AssignorInput = {
 *   members: [{ memberId: 'a', topics: ['t'], owned: [] }],
 *   partitions: { t: 3 },
 * }
 * ```
 */
export interface AssignorInput {
  members: AssignorMember[]
  /** Topic name → partition count. */
  partitions: Record<string, number>
}

/**
 * memberId → the partitions that member owns in the new generation.
 *
 * @example
 * ```ts
 * const assignment: Assignment = { a: [{ topic: 't', partition: 0 }] }
 * ```
 */
export type Assignment = Record<string, TopicPartition[]>

/**
 * A partition assignor: a pure function from the group's members and partitions to an assignment.
 * Kafka's assignors are exported (`rangeAssignor`, `roundRobinAssignor`, `cooperativeStickyAssignor`);
 * a plain function works too and is run with the eager protocol.
 *
 * `protocol` is the name shown by `describe()` (Kafka's protocol name); `rebalance` selects the
 * eager (revoke everything) or cooperative (KIP-429, revoke only what moves) protocol.
 *
 * @example
 * ```ts
 * const everythingToFirst: Assignor = ({ members, partitions }) => {
 *   const all = Object.entries(partitions).flatMap(([topic, n]) =>
 *     Array.from({ length: n }, (_, partition) => ({ topic, partition })),
 *   )
 *   return Object.fromEntries(members.map((m, i) => [m.memberId, i === 0 ? all : []]))
 * }
 * ```
 */
export type Assignor = ((input: AssignorInput) => Assignment) & {
  readonly protocol?: string
  readonly rebalance?: 'eager' | 'cooperative'
}

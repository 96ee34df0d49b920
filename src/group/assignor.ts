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
  /**
   * What this member's own assignor of the group's protocol returned from `subscriptionUserData`
   * (Kafka's `Subscription.userData`), or undefined.
   */
  userData?: Uint8Array | undefined
}

/**
 * What an assignor is given: the members (the group's leader first, then in join order) and the
 * partition count of every subscribed topic.
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
 * A partition assignor: a function from the group's members and partitions to an assignment, run by
 * the group's leader at every rebalance. It may be asynchronous (as KafkaJS's assigners are); the
 * rebalance waits for it, at most the leader's rebalance timeout. Kafka's assignors are exported
 * (`rangeAssignor`, `roundRobinAssignor`, `cooperativeStickyAssignor`); a plain function works too and
 * is run with the eager protocol.
 *
 * - `protocol` is the name the group selects it by and `describe()` shows (Kafka's protocol name;
 *   default: the function's name).
 * - `rebalance` selects the eager (revoke everything) or cooperative (KIP-429, revoke only what moves)
 *   protocol.
 * - `subscriptionUserData` is Kafka's `ConsumerPartitionAssignor.subscriptionUserData`: each member's
 *   own assignor is asked for bytes to send with its subscription, at every rebalance, and the leader's
 *   assignor finds them in `members[i].userData`.
 *
 * @example
 * ```ts
 * const everythingToFirst: Assignor = ({ members, partitions }) => {
 *   const all = Object.entries(partitions).flatMap(([topic, n]) =>
 *     Array.from({ length: n }, (_, partition) => ({ topic, partition })),
 *   )
 *   return Object.fromEntries(members.map((m, i) => [m.memberId, i === 0 ? all : []]))
 * }
 *
 * // Asynchronous, with user data: the member that says it is "big" gets everything.
 * const bigFirst: Assignor = Object.assign(
 *   async ({ members, partitions }: AssignorInput) => {
 *     const big = members.find((m) => new TextDecoder().decode(m.userData) === 'big') ?? members[0]!
 *     const all = Object.entries(partitions).flatMap(([topic, n]) =>
 *       Array.from({ length: n }, (_, partition) => ({ topic, partition })),
 *     )
 *     return Object.fromEntries(members.map((m) => [m.memberId, m === big ? all : []]))
 *   },
 *   { protocol: 'big-first', subscriptionUserData: () => new TextEncoder().encode('big') },
 * )
 * ```
 */
export type Assignor = ((input: AssignorInput) => Assignment | Promise<Assignment>) & AssignorProperties

/**
 * An assignor that answers at once, as the built-in ones do (so they can be called directly).
 *
 * @example
 * ```ts
 * const assignment = rangeAssignor({ members: [{ memberId: 'a', topics: ['t'], owned: [] }], partitions: { t: 2 } })
 * ```
 */
export type SyncAssignor = ((input: AssignorInput) => Assignment) & AssignorProperties

/**
 * What an {@link Assignor} may say about itself besides assigning.
 *
 * @example
 * ```ts
 * const properties: AssignorProperties = { protocol: 'sticky-by-zone', rebalance: 'eager' }
 * ```
 */
export interface AssignorProperties {
  /** Kafka's protocol name; default: the function's name. */
  readonly protocol?: string
  /** Eager (the default) or cooperative (KIP-429) rebalancing. */
  readonly rebalance?: 'eager' | 'cooperative'
  /** The bytes this member sends with its subscription (Kafka's `subscriptionUserData`). */
  readonly subscriptionUserData?: (subscription: { topics: string[] }) => Uint8Array | undefined
}

/**
 * The protocol name a group knows an assignor by: its `protocol`, else the function's name.
 *
 * @example
 * ```ts
 * assignorProtocol(rangeAssignor) // 'range'
 * ```
 */
export function assignorProtocol(assignor: Assignor): string {
  return assignor.protocol ?? (assignor.name || 'custom')
}

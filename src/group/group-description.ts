import type { LogbusError } from '../errors'
import type { TopicPartition } from '../record/log-record'
import type { Assignment } from './assignor'

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

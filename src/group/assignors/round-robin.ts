import type { TopicPartition } from '../../record/log-record'
import type { Assignment, AssignorInput, SyncAssignor } from '../assignor'
import { partitionCount } from './partition-count'
import { compareStrings, sortMembers } from './sort-members'

function assignRoundRobin({ members, partitions }: AssignorInput): Assignment {
  const result = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]))
  const sorted = sortMembers(members)
  const subscriptions = sorted.map((m) => new Set(m.topics))

  const topics = new Set<string>()
  for (const subscription of subscriptions) {
    for (const topic of subscription) if (partitionCount(partitions, topic) > 0) topics.add(topic)
  }

  // One cursor over the sorted members for all topics, as Kafka's CircularIterator: the assignment of a
  // topic continues where the previous topic stopped, which is what spreads small topics across members.
  let cursor = 0
  for (const topic of [...topics].sort(compareStrings)) {
    const count = partitionCount(partitions, topic)
    for (let partition = 0; partition < count; partition++) {
      // Terminates: the topic is in the set only because some member subscribes to it.
      while (!subscriptions[cursor % sorted.length]!.has(topic)) cursor++
      result.get(sorted[cursor % sorted.length]!.memberId)!.push({ topic, partition })
      cursor++
    }
  }

  // fromEntries defines own properties, so a member id such as `__proto__` stays an ordinary key.
  return Object.fromEntries(result)
}

/**
 * Kafka's `RoundRobinAssignor` (protocol `roundrobin`, eager rebalance). All partitions of the subscribed
 * topics, sorted by topic then partition, are dealt one by one to the members in Kafka's member order
 * (static members by instance id first, then member id), skipping members not subscribed to the topic.
 * Balanced when all members share one subscription.
 *
 * @example
 * ```ts
 * roundRobinAssignor({
 *   members: [
 *     { memberId: 'consumer1', topics: ['t1', 't2'], owned: [] },
 *     { memberId: 'consumer2', topics: ['t1', 't2'], owned: [] },
 *   ],
 *   partitions: { t1: 3, t2: 3 },
 * })
 * // → consumer1: t1-0, t1-2, t2-1; consumer2: t1-1, t2-0, t2-2
 * ```
 */
export const roundRobinAssignor: SyncAssignor = Object.assign(assignRoundRobin, {
  protocol: 'roundrobin',
  rebalance: 'eager',
} as const)

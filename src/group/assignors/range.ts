import type { TopicPartition } from '../../record/log-record'
import type { Assignment, AssignorInput, AssignorMember, SyncAssignor } from '../assignor'
import { partitionCount } from './partition-count'
import { compareStrings, sortMembers } from './sort-members'

function assignRange({ members, partitions }: AssignorInput): Assignment {
  const result = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]))

  const subscribers = new Map<string, AssignorMember[]>()
  for (const member of sortMembers(members)) {
    for (const topic of new Set(member.topics)) {
      if (partitionCount(partitions, topic) === 0) continue
      const list = subscribers.get(topic)
      if (list === undefined) subscribers.set(topic, [member])
      else list.push(member)
    }
  }

  // Kafka walks a HashMap of topics; sorting gives the same per-topic result in a stable list order.
  for (const topic of [...subscribers.keys()].sort(compareStrings)) {
    const consumers = subscribers.get(topic)!
    const count = partitionCount(partitions, topic)
    const perConsumer = Math.floor(count / consumers.length)
    const withExtra = count % consumers.length
    consumers.forEach((member, i) => {
      const start = perConsumer * i + Math.min(i, withExtra)
      const length = perConsumer + (i < withExtra ? 1 : 0)
      const target = result.get(member.memberId)!
      for (let partition = start; partition < start + length; partition++) target.push({ topic, partition })
    })
  }

  // fromEntries defines own properties, so a member id such as `__proto__` stays an ordinary key.
  return Object.fromEntries(result)
}

/**
 * Kafka's `RangeAssignor` (protocol `range`, eager rebalance). Topic by topic, the members subscribed to
 * the topic, in Kafka's member order (static members by instance id first, then member id), each get a
 * contiguous range of its partitions; the first `partitions % members` get one extra. Co-partitioned
 * topics thus go to the same member, at the price of imbalance across many topics.
 *
 * @example
 * ```ts
 * rangeAssignor({
 *   members: [
 *     { memberId: 'consumer1', topics: ['t1', 't2'], owned: [] },
 *     { memberId: 'consumer2', topics: ['t1', 't2'], owned: [] },
 *   ],
 *   partitions: { t1: 3, t2: 3 },
 * })
 * // → consumer1: t1-0, t1-1, t2-0, t2-1; consumer2: t1-2, t2-2
 * ```
 */
export const rangeAssignor: SyncAssignor = Object.assign(assignRange, {
  protocol: 'range',
  rebalance: 'eager',
} as const)

import { TimeoutError } from '../errors'
import type { Clock } from '../util/clock'
import { timedOut, within } from '../util/deadline'
import type { Assignment, AssignorInput, AssignorMember } from './assignor'
import type { MemberEntry } from './group-members'
import { assignorFor, validateAssignment } from './rebalance-plan'

/**
 * Not public: what the members tell the leader at a rebalance (Kafka's JoinGroup subscriptions):
 * their topics among those that exist now, what they own, and the user data of their own assignor of
 * the group's protocol; with the partition count of every subscribed topic. User code runs here (a
 * member's subscription, an assignor's `subscriptionUserData`) and may throw.
 */
export function collectSubscriptions(
  entries: readonly MemberEntry[],
  protocol: string,
  existing: readonly string[],
  partitionCount: (topic: string) => number,
): AssignorInput {
  const counts = new Map<string, number>()
  const members: AssignorMember[] = []
  for (const { member, assignment } of entries) {
    const topics = member.subscribedTopics(existing)
    for (const topic of topics) counts.set(topic, partitionCount(topic))
    const userData = assignorFor(member.assignors, protocol)?.subscriptionUserData?.({ topics: [...topics] })
    members.push({
      memberId: member.memberId,
      instanceId: member.instanceId,
      topics,
      owned: assignment,
      userData,
    })
  }
  // fromEntries defines own properties, so a topic named `__proto__` is a key like any other.
  return { members, partitions: Object.fromEntries(counts) }
}

/**
 * Not public: runs the leader's assignor of the group's protocol (its first one if it has none of that
 * protocol) over `input`. Rejects with TimeoutError if the assignor does not answer within the
 * leader's rebalance timeout, and with InvalidStateError if its answer is not a valid assignment.
 */
export async function runLeaderAssignor(
  leader: MemberEntry,
  protocol: string,
  input: AssignorInput,
  clock: Clock,
): Promise<Assignment> {
  const { assignors, rebalanceTimeoutMs } = leader.member
  const assignor = assignorFor(assignors, protocol) ?? assignors[0]!
  const assignment = await within(clock, assignor(input), rebalanceTimeoutMs)
  if (assignment === timedOut) {
    throw new TimeoutError(`Assignor "${protocol}" did not return within ${rebalanceTimeoutMs} ms`)
  }
  validateAssignment(assignment, input.members, input.partitions)
  return assignment
}

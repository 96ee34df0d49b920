import type { AssignorMember } from '../assignor'

/**
 * Orders strings by UTF-16 code units, as Java's `String.compareTo` does (and unlike `localeCompare`),
 * so topic and member orders match Kafka's `TreeSet` and `Collections.sort` for every string.
 *
 * @example
 * ```ts
 * ['b', 'B', 'a'].sort(compareStrings) // → ['B', 'a', 'b']
 * ```
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Kafka's member order (`MemberInfo.compareTo`): static members (with an `instanceId`) first, ordered by
 * instance id, then dynamic members ordered by member id. Ordering static members by their stable
 * instance id is what keeps their assignment the same across restarts, when their member id changes.
 *
 * @example
 * ```ts
 * members.sort(compareMembers)
 * ```
 */
export function compareMembers(
  a: Pick<AssignorMember, 'memberId' | 'instanceId'>,
  b: Pick<AssignorMember, 'memberId' | 'instanceId'>,
): number {
  if (a.instanceId !== undefined && b.instanceId !== undefined) {
    // Two members never share an instance id in a live group; the member id only makes the order total.
    return compareStrings(a.instanceId, b.instanceId) || compareStrings(a.memberId, b.memberId)
  }
  if (a.instanceId !== undefined) return -1
  if (b.instanceId !== undefined) return 1
  return compareStrings(a.memberId, b.memberId)
}

/**
 * A sorted copy of `members` in Kafka's member order (see {@link compareMembers}); the input is untouched.
 *
 * @example
 * ```ts
 * sortMembers([
 *   { memberId: 'b', topics: [], owned: [] },
 *   { memberId: 'z', instanceId: 'worker-1', topics: [], owned: [] },
 *   { memberId: 'a', topics: [], owned: [] },
 * ]).map((m) => m.memberId) // → ['z', 'a', 'b']
 * ```
 */
export function sortMembers<T extends Pick<AssignorMember, 'memberId' | 'instanceId'>>(
  members: readonly T[],
): T[] {
  return [...members].sort(compareMembers)
}

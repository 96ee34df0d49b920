import type { TopicPartition } from '../../record/log-record'
import type { Assignment, AssignorInput, AssignorMember, SyncAssignor } from '../assignor'
import { partitionCount } from './partition-count'
import { compareStrings, sortMembers } from './sort-members'

/**
 * The input reduced to small integers: members by their index in Kafka's member order, topics by their
 * index in sorted order, partitions by a dense index in (topic, partition) order. Index order is the
 * tie-break everywhere, which is what makes the output a function of the input alone.
 */
interface Group {
  readonly members: readonly AssignorMember[]
  readonly topics: readonly string[]
  /** Partition index → topic index. */
  readonly topicOf: readonly number[]
  /** Partition index → partition number within its topic. */
  readonly numberOf: readonly number[]
  /** Member index → topic indices it subscribes to (existing topics only). */
  readonly subscribed: readonly ReadonlySet<number>[]
  /** Member index → the owned partitions it may keep (valid, subscribed, unclaimed by others), ascending. */
  readonly owned: readonly (readonly number[])[]
}

const UNCLAIMED = -1
const CONFLICT = -2

function prepare({ members: unsorted, partitions }: AssignorInput): Group {
  const members = sortMembers(unsorted)

  const names = new Set<string>()
  for (const member of members) {
    for (const topic of member.topics) if (partitionCount(partitions, topic) > 0) names.add(topic)
  }
  const topics = [...names].sort(compareStrings)
  const topicIndex = new Map(topics.map((topic, i) => [topic, i]))
  const topicStart: number[] = []
  const topicSize: number[] = []
  const topicOf: number[] = []
  const numberOf: number[] = []
  topics.forEach((topic, ti) => {
    topicStart.push(topicOf.length)
    const count = partitionCount(partitions, topic)
    topicSize.push(count)
    for (let partition = 0; partition < count; partition++) {
      topicOf.push(ti)
      numberOf.push(partition)
    }
  })

  const subscribed = members.map((member) => {
    const set = new Set<number>()
    for (const topic of member.topics) {
      const ti = topicIndex.get(topic)
      if (ti !== undefined) set.add(ti)
    }
    return set
  })

  // A partition claimed by two members cannot be trusted to either (Kafka invalidates it for both), and
  // a claim on a topic the member dropped or on a partition that no longer exists is simply stale.
  const claimant = new Int32Array(topicOf.length).fill(UNCLAIMED)
  const claims = members.map((member, mi) => {
    const mine: number[] = []
    for (const { topic, partition } of member.owned) {
      const ti = topicIndex.get(topic)
      if (ti === undefined || !subscribed[mi]!.has(ti)) continue
      if (!Number.isInteger(partition) || partition < 0 || partition >= topicSize[ti]!) continue
      const p = topicStart[ti]! + partition
      if (claimant[p] === UNCLAIMED) {
        claimant[p] = mi
        mine.push(p)
      } else if (claimant[p] !== mi) {
        claimant[p] = CONFLICT
      }
    }
    return mine
  })
  const owned = claims.map((mine, mi) => mine.filter((p) => claimant[p] === mi).sort((a, b) => a - b))

  return { members, topics, topicOf, numberOf, subscribed, owned }
}

function sameSubscriptions(group: Group): boolean {
  const [first, ...rest] = group.subscribed
  if (first === undefined) return true
  return rest.every((set) => set.size === first.size && [...set].every((ti) => first.has(ti)))
}

/** A chain of hand-overs that moves one partition's worth of load from its first member to its last. */
interface Chain {
  /** From the giving member to the receiving one. */
  readonly members: number[]
  /** `topics[i]` is the topic of the partition `members[i]` passes to `members[i + 1]`. */
  readonly topics: number[]
  /** Hops, plus a large penalty per owned partition changing hands (see `OWNED_MOVE`). */
  readonly weight: number
}

function leastLoaded(candidates: readonly number[], load: (mi: number) => number): number {
  let best = candidates[0]!
  for (const mi of candidates) if (load(mi) < load(best)) best = mi
  return best
}

/**
 * Every member subscribes to the same topics, so any partition can go to any member and the ideal sizes
 * are known up front: `P / M` rounded down or up, with exactly `P % M` members rounded up. Members keep
 * their owned partitions up to that quota, and the rest are dealt out; Kafka's `ConstrainedAssignmentBuilder`.
 */
function assignConstrained(group: Group): number[][] {
  const memberCount = group.members.length
  const partitionTotal = group.topicOf.length
  const minQuota = Math.floor(partitionTotal / memberCount)
  const maxQuota = Math.ceil(partitionTotal / memberCount)
  const expectedOverMin = partitionTotal % memberCount
  let overMin = 0

  const result: number[][] = []
  const taken = new Uint8Array(partitionTotal)
  // Members below minQuota, filled round-robin; then members at minQuota that may still take one more.
  const underMin: number[] = []
  let atMin: number[] = []

  group.owned.forEach((owned, mi) => {
    let keep: number
    if (owned.length < minQuota) {
      keep = owned.length
      underMin.push(mi)
    } else if (owned.length >= maxQuota && overMin < expectedOverMin) {
      keep = maxQuota
      overMin++
      // All the extra slots are taken: members at minQuota will not get another partition.
      if (overMin === expectedOverMin) atMin = []
    } else {
      keep = minQuota
      if (overMin < expectedOverMin) atMin.push(mi)
    }
    const kept = owned.slice(0, keep)
    for (const p of kept) taken[p] = 1
    result.push(kept)
  })

  const everyone = result.map((_, mi) => mi)
  let cursor = 0
  let next = 0
  for (let p = 0; p < partitionTotal; p++) {
    if (taken[p] === 1) continue
    if (underMin.length > 0) {
      if (cursor >= underMin.length) cursor = 0
      const mi = underMin[cursor]!
      result[mi]!.push(p)
      if (result[mi]!.length === minQuota) {
        underMin.splice(cursor, 1)
        atMin.push(mi)
      } else {
        cursor++
      }
    } else {
      // The quotas add up to exactly P, so the list cannot run dry; the fallback only keeps a bug balanced.
      const mi = atMin[next++] ?? leastLoaded(everyone, (i) => result[i]!.length)
      result[mi]!.push(p)
    }
  }
  return result
}

/**
 * Subscriptions differ, so quotas are not known up front. As Kafka's `GeneralAssignmentBuilder`: keep
 * every valid owned partition, give each unassigned partition to the least-loaded member that can take it
 * (partitions with the fewest candidate members first), then move single partitions to members with at
 * least two fewer, newly assigned partitions before owned ones.
 *
 * Single moves can stop short of balance when only a chain of moves helps (A can give only to B, B only
 * to C, and B has just one more than C). So, unlike Kafka, the rebalance then follows such chains, the
 * ones that move the fewest owned partitions first, until no member can pass load along a chain to a
 * member with at least two fewer partitions. Then the assignment is optimally balanced (a known property
 * of load balancing with unit jobs: no such chain left means optimal), which also satisfies Kafka's own
 * balance check, of which a single move is the one-link case.
 *
 * Last, owned partitions are won back by moves that leave the loads as they are. Stickiness here is a
 * heuristic, as in Kafka: the common case of equal subscriptions goes through `assignConstrained`.
 */
function assignGeneral(group: Group): number[][] {
  const memberCount = group.members.length
  const partitionTotal = group.topicOf.length

  const subscribers: number[][] = group.topics.map(() => [])
  group.subscribed.forEach((set, mi) => {
    for (const ti of set) subscribers[ti]!.push(mi)
  })

  const originalOwner = new Int32Array(partitionTotal).fill(UNCLAIMED)
  const load = new Array<number>(memberCount).fill(0)
  // Member → topic → partitions held: a move only needs "some partition of a topic the receiver takes".
  const holdings = group.members.map(() => new Map<number, Set<number>>())
  // Member → topic → how many of those it did not own before: passing one on costs no stickiness.
  const fresh = group.members.map(() => new Map<number, number>())

  const give = (p: number, mi: number): void => {
    const ti = group.topicOf[p]!
    const held = holdings[mi]!.get(ti)
    if (held === undefined) holdings[mi]!.set(ti, new Set([p]))
    else held.add(p)
    if (originalOwner[p] !== mi) fresh[mi]!.set(ti, (fresh[mi]!.get(ti) ?? 0) + 1)
    load[mi]!++
  }
  const take = (p: number, mi: number): void => {
    const ti = group.topicOf[p]!
    const held = holdings[mi]!.get(ti)!
    held.delete(p)
    if (held.size === 0) holdings[mi]!.delete(ti)
    if (originalOwner[p] !== mi) fresh[mi]!.set(ti, fresh[mi]!.get(ti)! - 1)
    load[mi]!--
  }

  const assigned = new Uint8Array(partitionTotal)
  group.owned.forEach((owned, mi) => {
    for (const p of owned) {
      originalOwner[p] = mi
      assigned[p] = 1
      give(p, mi)
    }
  })

  const unassigned: number[] = []
  for (let p = 0; p < partitionTotal; p++) if (assigned[p] === 0) unassigned.push(p)
  const candidates = (p: number): number[] => subscribers[group.topicOf[p]!]!
  unassigned.sort((a, b) => candidates(a).length - candidates(b).length || a - b)
  for (const p of unassigned) {
    const to = leastLoaded(candidates(p), (mi) => load[mi]!)
    give(p, to)
  }

  const topicsOf = group.subscribed.map((set) => [...set].sort((a, b) => a - b))
  // A chain's length is below memberCount, so this weight makes one owned partition changing hands cost
  // more than any number of free hops: chains compare by owned moves first, then by length.
  const OWNED_MOVE = memberCount + 1

  // The cheapest chain from a member with at least `level + 2` partitions to one with `level`, found by a
  // shortest-path search backwards from all members at `level`. Groups are small, so a linear scan for
  // the next closest member is fast enough and keeps the tie-breaks plain.
  const cheapestChainTo = (level: number): Chain | undefined => {
    const weight = new Array<number>(memberCount).fill(Number.POSITIVE_INFINITY)
    const next = new Int32Array(memberCount).fill(-1)
    const via = new Int32Array(memberCount).fill(-1)
    const done = new Uint8Array(memberCount)
    for (let mi = 0; mi < memberCount; mi++) if (load[mi] === level) weight[mi] = 0
    for (;;) {
      let to = -1
      for (let mi = 0; mi < memberCount; mi++) {
        if (done[mi] === 1 || weight[mi] === Number.POSITIVE_INFINITY) continue
        if (to === -1 || weight[mi]! < weight[to]!) to = mi
      }
      if (to === -1) break
      done[to] = 1
      for (const ti of topicsOf[to]!) {
        for (const from of subscribers[ti]!) {
          if (done[from] === 1 || !holdings[from]!.has(ti)) continue
          const w = weight[to]! + 1 + ((fresh[from]!.get(ti) ?? 0) > 0 ? 0 : OWNED_MOVE)
          if (w < weight[from]!) {
            weight[from] = w
            next[from] = to
            via[from] = ti
          }
        }
      }
    }
    let source = -1
    for (let mi = 0; mi < memberCount; mi++) {
      if (load[mi]! < level + 2 || weight[mi] === Number.POSITIVE_INFINITY) continue
      if (source === -1 || weight[mi]! < weight[source]!) source = mi
      else if (weight[mi] === weight[source] && load[mi]! > load[source]!) source = mi
    }
    if (source === -1) return undefined
    const members = [source]
    const topics: number[] = []
    for (let at = source; next[at] !== -1; at = next[at]!) {
      topics.push(via[at]!)
      members.push(next[at]!)
    }
    return { members, topics, weight: weight[source]! }
  }

  // Of the partitions of a topic that `from` passes on, prefer one returning to its original owner, then
  // one `from` did not own before, so that as few owned partitions as possible change hands.
  const pick = (from: number, to: number, ti: number): number => {
    let choice = -1
    let choiceRank = 3
    for (const p of holdings[from]!.get(ti)!) {
      const rank = originalOwner[p] === to ? 0 : originalOwner[p] !== from ? 1 : 2
      if (rank < choiceRank || (rank === choiceRank && p < choice)) {
        choice = p
        choiceRank = rank
      }
    }
    return choice
  }

  // Kafka's one-partition moves first, to the least-loaded member that may take the partition when it
  // has at least two fewer: cheap, and they do the bulk of the work when a few members own far too much.
  // Passing on partitions a member did not own before is tried first, as it costs no stickiness.
  const moveDirectly = (freshOnly: boolean): void => {
    for (let moved = true; moved; ) {
      moved = false
      const byLoad = group.members.map((_, mi) => mi).sort((a, b) => load[b]! - load[a]! || a - b)
      for (const from of byLoad) {
        const held = [...holdings[from]!.values()].flatMap((set) => [...set])
        held.sort((a, b) => Number(originalOwner[a] === from) - Number(originalOwner[b] === from) || a - b)
        for (const p of held) {
          if (freshOnly && originalOwner[p] === from) continue
          // The least-loaded other candidate; on a tie, the partition's original owner.
          let to = -1
          for (const mi of candidates(p)) {
            if (mi === from) continue
            const better = to === -1 || load[mi]! < load[to]!
            if (better || (load[mi] === load[to] && originalOwner[p] === mi)) to = mi
          }
          if (to === -1 || load[to]! > load[from]! - 2) continue
          take(p, from)
          give(p, to)
          moved = true
        }
      }
    }
  }
  moveDirectly(true)
  moveDirectly(false)

  // Then chains, for what single moves cannot fix. Each chain moves one partition's worth of load from a
  // member to one with at least two fewer, which lowers the sum of squared loads: the loop ends, and it
  // ends only when no such chain is left.
  for (;;) {
    const levels = [...new Set(load)].sort((a, b) => a - b)
    const maxLoad = levels[levels.length - 1] ?? 0
    let best: Chain | undefined
    for (const level of levels) {
      if (level > maxLoad - 2) break
      const chain = cheapestChainTo(level)
      if (chain !== undefined && (best === undefined || chain.weight < best.weight)) best = chain
    }
    if (best === undefined) break
    const { members, topics } = best
    // Passing along the chain in order lets each member hand on what it just received.
    topics.forEach((ti, i) => {
      const from = members[i]!
      const to = members[i + 1]!
      const p = pick(from, to, ti)
      take(p, from)
      give(p, to)
    })
  }

  // Balance is settled; now win back owned partitions without changing it. A partition goes home when
  // its owner has exactly one fewer (the two loads swap), or in exchange for a partition the owner holds
  // but did not own before. Each step keeps one more owned partition in place, so this loop ends too.
  const holderOf = new Int32Array(partitionTotal).fill(UNCLAIMED)
  holdings.forEach((byTopic, mi) => {
    for (const set of byTopic.values()) for (const p of set) holderOf[p] = mi
  })
  const relocate = (p: number, from: number, to: number): void => {
    take(p, from)
    give(p, to)
    holderOf[p] = to
  }
  for (let improved = true; improved; ) {
    improved = false
    for (let p = 0; p < partitionTotal; p++) {
      const home = originalOwner[p]!
      const holder = holderOf[p]!
      if (home === UNCLAIMED || home === holder) continue
      if (load[home] === load[holder]! - 1) {
        relocate(p, holder, home)
        improved = true
        continue
      }
      if (load[home] !== load[holder]) continue
      let swap = -1
      for (const [ti, set] of holdings[home]!) {
        if (!group.subscribed[holder]!.has(ti)) continue
        for (const q of set) if (originalOwner[q] !== home && (swap === -1 || q < swap)) swap = q
      }
      if (swap === -1) continue
      relocate(p, holder, home)
      relocate(swap, home, holder)
      improved = true
    }
  }

  return holdings.map((byTopic) => [...byTopic.values()].flatMap((set) => [...set]).sort((a, b) => a - b))
}

function assignCooperativeSticky(input: AssignorInput): Assignment {
  const group = prepare(input)
  if (group.members.length === 0) return {}
  const perMember = sameSubscriptions(group) ? assignConstrained(group) : assignGeneral(group)

  const result = new Map<string, TopicPartition[]>()
  group.members.forEach((member, mi) => {
    const partitions = perMember[mi]!.sort((a, b) => a - b)
    result.set(
      member.memberId,
      partitions.map((p) => ({ topic: group.topics[group.topicOf[p]!]!, partition: group.numberOf[p]! })),
    )
  })
  // fromEntries defines own properties, so a member id such as `__proto__` stays an ordinary key.
  return Object.fromEntries(result)
}

/**
 * Kafka's `CooperativeStickyAssignor` (protocol `cooperative-sticky`, cooperative rebalance), following
 * `AbstractStickyAssignor`:
 *
 * - **Balance first.** When all members subscribe to the same topics, their partition counts differ by at
 *   most one. Otherwise the assignment is as balanced as the subscriptions allow, and members subscribed
 *   to the same topics still differ by at most one.
 * - **Stickiness second.** A member keeps as many of its `owned` partitions as balance allows. With one
 *   shared subscription, a member that joins only takes partitions from the others (nothing moves between
 *   them), and when one leaves the others keep all they had. With different subscriptions stickiness is,
 *   as in Kafka, best effort.
 * - A partition only goes to a member subscribed to its topic. Owned partitions claimed by two members,
 *   of topics the member no longer subscribes to, or that no longer exist are ignored.
 * - The output depends only on the input (not on the order of members or owned partitions); each
 *   member's list is sorted by topic then partition.
 *
 * It returns the target assignment. Revoking moved partitions first and handing them over in a second
 * round (KIP-429) is the group coordinator's part of the cooperative protocol.
 *
 * @example
 * ```ts
 * cooperativeStickyAssignor({
 *   members: [
 *     { memberId: 'a', topics: ['t'], owned: [0, 1, 2].map((partition) => ({ topic: 't', partition })) },
 *     { memberId: 'b', topics: ['t'], owned: [] },
 *   ],
 *   partitions: { t: 3 },
 * })
 * // → a keeps t-0 and t-1; b gets t-2
 * ```
 */
export const cooperativeStickyAssignor: SyncAssignor = Object.assign(assignCooperativeSticky, {
  protocol: 'cooperative-sticky',
  rebalance: 'cooperative',
} as const)

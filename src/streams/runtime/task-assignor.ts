import type { Assignment, Assignor, AssignorInput, TopicPartition } from '../../index'

/** The source topics of each sub-topology, in sub-topology order. */
export type TaskLayout = readonly (readonly string[])[]

interface TaskUnit {
  readonly partitions: TopicPartition[]
}

/**
 * The group's assignor for a streams application (the part of Kafka's `StreamsPartitionAssignor`
 * that logbus needs): partitions are handed out as whole tasks — task `(s, p)` is partition `p` of
 * every source topic of sub-topology `s`, so co-partitioned topics always land together. Tasks are
 * balanced by count; a member keeps the tasks it had while that stays balanced (sticky, so state
 * moves as little as possible), and the protocol is cooperative: only moved tasks are revoked.
 */
export function taskAssignor(layout: () => TaskLayout): Assignor {
  const assign = ({ members, partitions }: AssignorInput): Assignment => {
    const tasks: TaskUnit[] = []
    const taskOf = new Map<string, number>()
    for (const topics of layout()) {
      const count = Math.max(0, ...topics.map((topic) => partitions[topic] ?? 0))
      for (let p = 0; p < count; p++) {
        const unit: TaskUnit = {
          partitions: topics
            .filter((t) => p < (partitions[t] ?? 0))
            .map((topic) => ({ topic, partition: p })),
        }
        for (const tp of unit.partitions) taskOf.set(`${tp.topic}\u0000${tp.partition}`, tasks.length)
        tasks.push(unit)
      }
    }
    const sorted = [...members].sort((a, b) => {
      const ka = a.instanceId ?? a.memberId
      const kb = b.instanceId ?? b.memberId
      return ka < kb ? -1 : ka > kb ? 1 : 0
    })
    const result: Assignment = Object.fromEntries(members.map((m) => [m.memberId, [] as TopicPartition[]]))
    if (sorted.length === 0) return result
    const base = Math.floor(tasks.length / sorted.length)
    const extra = tasks.length % sorted.length
    // Members that already own the most get the larger shares, so fewer tasks move.
    const owned = sorted.map((member) => {
      const mine = new Set<number>()
      for (const tp of member.owned) {
        const task = taskOf.get(`${tp.topic}\u0000${tp.partition}`)
        if (task !== undefined) mine.add(task)
      }
      return mine
    })
    const byOwned = sorted.map((_, i) => i).sort((a, b) => owned[b]!.size - owned[a]!.size || a - b)
    const capacity = new Array<number>(sorted.length).fill(base)
    for (let i = 0; i < extra; i++) capacity[byOwned[i]!]!++
    const ownerOf = new Array<number>(tasks.length).fill(-1)
    const load = new Array<number>(sorted.length).fill(0)
    sorted.forEach((_, m) => {
      for (const task of [...owned[m]!].sort((a, b) => a - b)) {
        if (ownerOf[task] === -1 && load[m]! < capacity[m]!) {
          ownerOf[task] = m
          load[m]!++
        }
      }
    })
    tasks.forEach((_, task) => {
      if (ownerOf[task] !== -1) return
      let best = -1
      for (let m = 0; m < sorted.length; m++) {
        if (load[m]! < capacity[m]! && (best === -1 || load[m]! < load[best]!)) best = m
      }
      ownerOf[task] = best
      load[best]!++
    })
    tasks.forEach((unit, task) => {
      result[sorted[ownerOf[task]!]!.memberId]!.push(...unit.partitions)
    })
    return result
  }
  return Object.assign(assign, { protocol: 'logbus-streams', rebalance: 'cooperative' as const })
}

import { InvalidConfigError } from '../../index'
import type { TopologyDescription } from '../events'
import type { StoreSpec } from '../state/store'
import type { TopologyBuilder } from './builder'
import type { NodeSpec } from './node'
import { SinkNode, SourceTopic, StreamSourceNode, TableSourceNode } from './sources'

/** A source of a sub-topology: the topic and the node its records enter. */
export interface SubtopologySource {
  readonly topic: SourceTopic
  readonly node: StreamSourceNode | TableSourceNode
}

/**
 * A connected part of the topology (Kafka's sub-topology): the nodes records flow through from a set
 * of source topics. Repartition topics separate sub-topologies. It runs as `taskCount` tasks, task
 * `p` reading partition `p` of each of its source topics.
 */
export interface Subtopology {
  readonly id: number
  readonly nodes: readonly NodeSpec[]
  readonly sources: ReadonlyMap<string, SubtopologySource>
  readonly stores: readonly StoreSpec[]
  readonly taskCount: number
  /** Source topic → its partition count. */
  readonly partitions: ReadonlyMap<string, number>
}

/** Everything the runtime needs to know about the topology once topics are known. */
export interface Plan {
  readonly subtopologies: readonly Subtopology[]
  /** Topic → sub-topology reading it. */
  readonly bySource: ReadonlyMap<string, Subtopology>
  readonly byNode: ReadonlyMap<NodeSpec, Subtopology>
  /** Internal topics to create, with their partition counts and retention. */
  readonly repartitionTopics: ReadonlyMap<string, number>
  readonly changelogTopics: ReadonlyMap<string, { partitions: number; retentionMs: number | null }>
}

function sourceTopics(node: NodeSpec): readonly SourceTopic[] {
  if (node instanceof StreamSourceNode) return node.topics
  if (node instanceof TableSourceNode) return node.topics
  return []
}

/** The source topics a node's records and lookups come from, within its sub-topology. */
function upstreamTopics(node: NodeSpec): Set<SourceTopic> {
  const found = new Set<SourceTopic>()
  const seen = new Set<NodeSpec>()
  const visit = (n: NodeSpec): void => {
    if (seen.has(n)) return
    seen.add(n)
    for (const topic of sourceTopics(n)) found.add(topic)
    for (const parent of n.parents) visit(parent)
    for (const peer of n.peers()) visit(peer)
  }
  visit(node)
  return found
}

/**
 * Splits the topology into sub-topologies, fixes the partition counts of repartition topics (given,
 * or those of the topics they are joined with, or the largest of the sub-topology writing them), and
 * checks that joined topics are co-partitioned: the same number of partitions, as Kafka requires.
 */
export function planTopology(builder: TopologyBuilder, partitionsOf: (topic: string) => number): Plan {
  const nodes = builder.nodes
  const index = new Map(nodes.map((n, i) => [n, i]))
  const root = nodes.map((_, i) => i)
  const find = (i: number): number => {
    while (root[i] !== i) {
      root[i] = root[root[i]!]!
      i = root[i]!
    }
    return i
  }
  const union = (a: NodeSpec, b: NodeSpec): void => {
    const ra = find(index.get(a)!)
    const rb = find(index.get(b)!)
    if (ra !== rb) root[Math.max(ra, rb)] = Math.min(ra, rb)
  }
  for (const node of nodes) {
    for (const parent of node.parents) union(node, parent)
    for (const peer of node.peers()) union(node, peer)
  }

  const groups = new Map<number, NodeSpec[]>()
  nodes.forEach((node, i) => {
    const r = find(i)
    const group = groups.get(r)
    if (group === undefined) groups.set(r, [node])
    else group.push(node)
  })

  // Partition counts: user topics from the bus; repartition topics given or derived below.
  const counts = new Map<string, number>()
  const allTopics: SourceTopic[] = []
  for (const node of nodes) allTopics.push(...sourceTopics(node))
  for (const topic of allTopics) {
    if (topic.repartition === undefined) counts.set(topic.name, partitionsOf(topic.name))
    else if (topic.repartition.partitions !== undefined) counts.set(topic.name, topic.repartition.partitions)
  }
  const copartitioned: SourceTopic[][] = []
  for (const node of nodes) if (node.joins) copartitioned.push([...upstreamTopics(node)])
  const groupOfNode = new Map<NodeSpec, NodeSpec[]>()
  for (const group of groups.values()) for (const node of group) groupOfNode.set(node, group)
  const writers = new Map<string, NodeSpec[]>()
  for (const node of nodes) {
    if (node instanceof SinkNode && node.topic instanceof SourceTopic) {
      writers.set(node.topic.name, groupOfNode.get(node)!)
    }
  }
  const pending = allTopics.filter((t) => !counts.has(t.name))
  while (pending.length > 0) {
    const before = pending.length
    for (let i = pending.length - 1; i >= 0; i--) {
      const topic = pending[i]!
      const partner = copartitioned
        .filter((group) => group.includes(topic))
        .flat()
        .find((t) => t !== topic && counts.has(t.name))
      let count = partner === undefined ? undefined : counts.get(partner.name)
      if (count === undefined) {
        const upstream = (writers.get(topic.name) ?? []).flatMap(sourceTopics)
        if (upstream.length > 0 && upstream.every((t) => counts.has(t.name)))
          count = Math.max(...upstream.map((t) => counts.get(t.name)!))
      }
      if (count !== undefined) {
        counts.set(topic.name, count)
        pending.splice(i, 1)
      }
    }
    if (pending.length === before) {
      throw new InvalidConfigError(
        'streams.topology',
        `cannot tell how many partitions ${pending.map((t) => `"${t.name}"`).join(', ')} should have: give repartition({ partitions })`,
      )
    }
  }

  for (const group of copartitioned) {
    const distinct = new Set(group.map((t) => counts.get(t.name)))
    if (distinct.size > 1) {
      const list = group.map((t) => `"${t.name}" (${counts.get(t.name)} partitions)`).join(', ')
      throw new InvalidConfigError(
        'streams.topology',
        `joined topics are not co-partitioned: ${list}; a join needs the same number of partitions on both sides (repartition() one side)`,
      )
    }
  }

  const subtopologies: Subtopology[] = []
  const bySource = new Map<string, Subtopology>()
  const byNode = new Map<NodeSpec, Subtopology>()
  const repartitionTopics = new Map<string, number>()
  const changelogTopics = new Map<string, { partitions: number; retentionMs: number | null }>()
  for (const group of groups.values()) {
    const sources = new Map<string, SubtopologySource>()
    const stores = new Map<string, StoreSpec>()
    for (const node of group) {
      for (const topic of sourceTopics(node)) {
        sources.set(topic.name, { topic, node: node as StreamSourceNode | TableSourceNode })
      }
      for (const store of node.stores()) stores.set(store.name, store)
    }
    if (sources.size === 0) continue
    const partitions = new Map([...sources.keys()].map((name) => [name, counts.get(name)!]))
    const taskCount = Math.max(...partitions.values())
    const sub: Subtopology = {
      id: subtopologies.length,
      nodes: group,
      sources,
      stores: [...stores.values()],
      taskCount,
      partitions,
    }
    subtopologies.push(sub)
    for (const name of sources.keys()) bySource.set(name, sub)
    for (const node of group) byNode.set(node, sub)
    for (const { topic } of sources.values()) {
      if (topic.repartition !== undefined) repartitionTopics.set(topic.name, counts.get(topic.name)!)
    }
    for (const store of stores.values()) {
      if (store.restoreFrom === 'changelog') {
        changelogTopics.set(builder.changelogTopic(store.name), {
          partitions: taskCount,
          retentionMs: store.changelogRetentionMs,
        })
      }
    }
  }
  return { subtopologies, bySource, byNode, repartitionTopics, changelogTopics }
}

/** The plan as `app.describe()` shows it. */
export function describePlan(plan: Plan): TopologyDescription {
  return {
    subtopologies: plan.subtopologies.map((sub) => ({
      id: sub.id,
      sources: [...sub.sources.keys()],
      processors: sub.nodes.map((node) => node.name),
      stores: sub.stores.map((store) => store.name),
      tasks: sub.taskCount,
    })),
    repartitionTopics: [...plan.repartitionTopics.keys()],
    changelogTopics: [...plan.changelogTopics.keys()],
  }
}

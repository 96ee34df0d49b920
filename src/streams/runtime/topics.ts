import { type Bus, InvalidConfigError, string, type TopicDeclarations } from '../../index'
import { ANY_KEY, ANY_VALUE } from '../state/codecs'
import type { AnyTopic } from '../topology/node'
import type { Plan } from '../topology/plan'

/** The topics an application reads and writes, by name, seen through the codecs it uses. */
export interface StreamsTopics {
  readonly views: ReadonlyMap<string, AnyTopic>
  /** The changelog topics: a failure to write one always stops the application. */
  readonly changelogs: ReadonlySet<AnyTopic>
}

/**
 * Resolves the user topics the topology reads (declared names through their declared codecs, or the
 * views given) and makes the internal topics it needs, or takes the existing ones: repartition topics
 * (kept until the application purges them) and changelogs (kept forever, or for a windowed store's
 * retention). An existing internal topic with another partition count is refused: its data belongs
 * to another layout of tasks.
 */
export async function openTopics(bus: Bus<TopicDeclarations>, plan: Plan): Promise<StreamsTopics> {
  const views = new Map<string, AnyTopic>()
  const changelogs = new Set<AnyTopic>()
  for (const sub of plan.subtopologies) {
    for (const { topic } of sub.sources.values()) {
      if (topic.repartition === undefined) views.set(topic.name, topic.view ?? bus.topic(topic.name))
    }
  }
  for (const [name, partitions] of plan.repartitionTopics) {
    const view = await bus.createTopic(name, {
      partitions,
      retentionMs: null,
      key: ANY_KEY,
      value: ANY_VALUE,
      ifNotExists: true,
    })
    views.set(name, checkPartitions(view as AnyTopic, partitions))
  }
  for (const [name, { partitions, retentionMs }] of plan.changelogTopics) {
    const view = await bus.createTopic(name, {
      partitions,
      retentionMs,
      key: string(),
      value: ANY_VALUE,
      ifNotExists: true,
    })
    const checked = checkPartitions(view as AnyTopic, partitions)
    views.set(name, checked)
    changelogs.add(checked)
  }
  return { views, changelogs }
}

function checkPartitions(view: AnyTopic, partitions: number): AnyTopic {
  if (view.partitionCount !== partitions) {
    throw new InvalidConfigError(
      'streams.topology',
      `the internal topic "${view.name}" has ${view.partitionCount} partitions where the topology needs ${partitions}`,
    )
  }
  return view
}

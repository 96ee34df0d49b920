import { type Bus, InvalidConfigError, string, type TopicDeclarations } from '../../index'
import { ANY_KEY, ANY_VALUE } from '../state/codecs'
import type { AnyTopic } from '../topology/node'
import type { Plan } from '../topology/plan'

/**
 * Changelog segments roll at this size, not Kafka's 1 GiB: compaction works on closed segments only,
 * and logbus has no segment.ms to close a changelog's active segment after a week as Kafka does.
 */
const CHANGELOG_SEGMENT_BYTES = 64 * 1024 * 1024

/** The topics an application reads and writes, by name, seen through the codecs it uses. */
export interface StreamsTopics {
  readonly views: ReadonlyMap<string, AnyTopic>
  /** The changelog topics: a failure to write one always stops the application. */
  readonly changelogs: ReadonlySet<AnyTopic>
}

/**
 * Resolves the user topics the topology reads (declared names through their declared codecs, or the
 * views given) and makes the internal topics it needs, or takes the existing ones: repartition topics
 * (kept until the application purges them) and changelogs (compacted, as Kafka Streams makes them:
 * `compact`, and `compact,delete` with the store's retention for a windowed store). An existing internal topic with another partition count is refused: its data belongs
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
    // Kafka Streams' changelogs: compacted, and a windowed store's deleted by time as well.
    const cleanupPolicy = retentionMs === null ? 'compact' : 'compact,delete'
    const view = await bus.createTopic(name, {
      partitions,
      retentionMs,
      cleanupPolicy,
      segmentBytes: CHANGELOG_SEGMENT_BYTES,
      key: string(),
      value: ANY_VALUE,
      ifNotExists: true,
    })
    // A changelog made before logbus compacted: compacted from now on.
    if (view.config.cleanupPolicy !== cleanupPolicy) await bus.alterTopicConfig(name, { cleanupPolicy })
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

import type { TopicPartition } from '../record/log-record'

/** A string key for maps of topic-partitions; NUL cannot appear in a topic name. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export function tpKeyOf(tp: TopicPartition): string {
  return tpKey(tp.topic, tp.partition)
}

/** Sorts by topic, then partition: the order Kafka tools list partitions in. */
export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition
}

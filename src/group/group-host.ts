import type { Topic } from '../topic/topic'
import type { Clock } from '../util/clock'
import type { GroupEvents } from './group-description'
import type { OffsetPersistence } from './offset-store'

/** Not public: what a group needs from its bus. */
export interface GroupHost extends OffsetPersistence {
  readonly clock: Clock
  topicNames(): string[]
  findTopic(name: string): Topic<unknown, unknown, unknown, unknown> | undefined
}

/** Not public: how the parts of a group tell its listeners (the `ConsumerGroup` emits). */
export type GroupEmit = <E extends keyof GroupEvents & string>(event: E, payload: GroupEvents[E]) => void

/** A topic's partition count on the host, 0 once the topic is gone. */
export function currentPartitionCount(host: GroupHost, topic: string): number {
  return host.findTopic(topic)?.partitionCount ?? 0
}

import type { TopicPartition } from '../record/log-record'
import type { Assignor } from './assignor'

/**
 * Not public: the coordinator's view of one member. The coordinator calls `revoke` and `assign` from
 * its serial rebalance loop; the member never changes its ownership on its own.
 */
export interface GroupMember {
  readonly memberId: string
  readonly instanceId: string | undefined
  readonly clientId: string
  readonly assignor: Assignor
  /** The topics this member subscribes to, among the topics that exist now. */
  subscribedTopics(existing: readonly string[]): string[]
  /** Stop consuming `partitions`: wait for the in-flight handler, commit (auto-commit), call onRevoke. */
  revoke(partitions: TopicPartition[]): Promise<void>
  /** The member's whole assignment in `generation`; it starts fetching the partitions it did not own. */
  assign(assignment: TopicPartition[], generation: number): Promise<void>
}

import type { LogbusError } from '../errors'
import type { TopicPartition } from '../record/log-record'
import type { Assignor } from './assignor'

/**
 * Not public: the coordinator's view of one member. The coordinator calls `revoke`, `assign` and
 * `expel` from its serial loop; the member never changes its ownership on its own.
 */
export interface GroupMember {
  readonly memberId: string
  readonly instanceId: string | undefined
  readonly clientId: string
  /** The member's assignors in preference order (Kafka's partition.assignment.strategy); never empty. */
  readonly assignors: readonly Assignor[]
  /** How long the member may take to revoke (Kafka's rebalance timeout = max.poll.interval.ms). */
  readonly rebalanceTimeoutMs: number
  /** How long the member may go without a heartbeat before it is removed (session.timeout.ms). */
  readonly sessionTimeoutMs: number
  /** The topics this member subscribes to, among the topics that exist now. */
  subscribedTopics(existing: readonly string[]): string[]
  /** Stop consuming `partitions`: wait for the in-flight handler, commit (auto-commit), call onRevoke. */
  revoke(partitions: TopicPartition[]): Promise<void>
  /** The member's whole assignment in `generation`; it starts fetching the partitions it did not own. */
  assign(assignment: TopicPartition[], generation: number): Promise<void>
  /**
   * The coordinator removed the member (session or rebalance timeout, or fenced by a newer member
   * with its instance id): it owns nothing from now on and may not commit.
   */
  expel(reason: LogbusError): Promise<void>
}

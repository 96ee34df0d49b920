import type { LogbusError } from '../errors'
import type { TopicPartition } from '../record/log-record'
import type { CommittedOffset } from '../storage/storage'
import type { PartitionState } from './partition-state'

/**
 * How a consumer takes part: as a member of its group (`Membership`) or on its own (`Standalone`).
 * Either way it joins (gets partitions), commits what it processed, gives partitions up and leaves.
 */
export interface Participation {
  readonly memberId: string
  readonly generation: number
  /** Joined (or joining) now. */
  readonly member: boolean
  /** Why the coordinator removed this member, if it did: what a late commit is rejected with. */
  readonly removedReason: LogbusError | undefined
  /** Whether a rebalance of the group is running or queued. */
  readonly rebalancing: boolean
  settled(): Promise<void>
  join(memberId: string): Promise<void>
  leave(): void
  assignment(): TopicPartition[]
  commitStates(states: readonly PartitionState[]): Promise<void>
  commitOffsets(offsets: CommittedOffset[]): Promise<void>
  revoke(partitions: TopicPartition[]): Promise<void>
}

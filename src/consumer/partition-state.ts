import type { Codec } from '../record/codec'
import type { TopicPartition } from '../record/log-record'
import type { PartitionCore } from '../topic/partition-core'
import type { Deferred } from '../util/deferred'

/** Consumption state of one assigned partition. */
export interface PartitionState {
  readonly topic: string
  readonly core: PartitionCore
  readonly key: string
  /** The form this member receives the topic's keys and values in. */
  readonly keyCodec: Codec<unknown, unknown>
  readonly valueCodec: Codec<unknown, unknown>
  /** read_committed: only committed transactional records, and nothing past the last stable offset. */
  readonly readCommitted: boolean
  /** Next offset to fetch. */
  position: number
  /** Next offset to commit: everything before it was processed. */
  processed: number
  committed: number | undefined
  /** Set when the batch being delivered must be abandoned (revoked, paused, seeked, stopping). */
  interrupted: boolean
  revoked: boolean
  /** The revoke in flight on this partition, which a second revoke waits for. */
  giving?: Promise<void>
  paused: boolean
  /** Failed deliveries in a row at `position`, for the retry schedule. */
  attempts: number
  /** Counts seeks, so a batch handler's automatic resolve does not undo a seek made inside it. */
  seeks: number
  /** Not fetched until onAssign returned (a seek in onAssign must take effect first). */
  ready: boolean
  /** A fetch loop is working on it: with several loops, a partition is still handled by one at a time. */
  busy: boolean
  /** Settled when the handler running on this partition returns: what a revoke waits for. */
  drained: Deferred<void> | undefined
  /** Set while a handler runs on it; with `watchSeq`/`strikes`, what the poll watchdog looks at. */
  delivering: boolean
  deliveries: number
  watchSeq: number
  strikes: number
  unsubscribe: () => void
}

export function toTopicPartition(state: PartitionState): TopicPartition {
  return { topic: state.topic, partition: state.core.partition }
}

/** Where this consumer may read up to: the last stable offset for read_committed, else the log end (-1: gone). */
export function readableEnd(state: PartitionState): number {
  const core = state.core
  if (!core.live) return -1
  return state.readCommitted ? core.lastStableOffset : core.logEndOffset
}

import { RAW } from '../record/codec'
import { RecordBatch } from '../record/record-batch'
import type { CommittedOffset } from '../storage/storage'

/** The topic where the transaction coordinator keeps its state, as Kafka's `__transaction_state`. */
export const TRANSACTION_STATE_TOPIC = '__transaction_state'

/** Topics the bus keeps for itself: left out of `listTopics()` and of subscriptions, as in Kafka. */
export function isInternalTopic(name: string): boolean {
  return name === TRANSACTION_STATE_TOPIC
}

/** Kafka's transaction states, as the coordinator logs them. */
export type TransactionStatus =
  | 'Empty'
  | 'Ongoing'
  | 'PrepareCommit'
  | 'PrepareAbort'
  | 'CompleteCommit'
  | 'CompleteAbort'

/** One entry of the state log: where a transactional id stands (the last entry per id wins). */
export interface TransactionStateEntry {
  transactionalId: string
  producerId: number
  epoch: number
  status: TransactionStatus
  /** The partitions written in the transaction (`[topic, partition]`). */
  partitions: Array<[string, number]>
  /** Offsets to commit with the transaction, by group. */
  offsets: Array<{ groupId: string; offsets: CommittedOffset[] }>
}

/**
 * The state log's record of an entry: key the transactional id, value its JSON. (Kafka's own
 * `__transaction_state` records are binary; this log is logbus's own, read only by logbus.)
 */
export function stateRecord(entry: TransactionStateEntry, timestamp: number): RecordBatch {
  const key = Buffer.from(entry.transactionalId)
  const { transactionalId: _id, ...rest } = entry
  const value = Buffer.from(JSON.stringify(rest))
  return RecordBatch.fromColumns(
    { keyCodec: RAW, valueCodec: RAW },
    { keys: [key], values: [value], headers: null, timestamps: null, offsetDeltas: null, start: 0 },
    {
      count: 1,
      firstTimestamp: timestamp,
      maxTimestamp: timestamp,
      sizeBytes: 16 + key.length + value.length,
    },
  )
}

/** Reads an entry back; undefined for a record that is not one. */
export function parseStateRecord(key: unknown, value: unknown): TransactionStateEntry | undefined {
  if (!Buffer.isBuffer(key) || !Buffer.isBuffer(value)) return undefined
  try {
    const parsed = JSON.parse(value.toString('utf8')) as Omit<TransactionStateEntry, 'transactionalId'>
    if (typeof parsed.producerId !== 'number' || typeof parsed.epoch !== 'number') return undefined
    return { transactionalId: key.toString('utf8'), ...parsed }
  } catch {
    return undefined
  }
}

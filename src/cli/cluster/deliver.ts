import type { RecordBatch } from '../../index'
import { offsetAt, type RecordSink } from './cluster'

/** Where a partition's reading got to after `deliver`. */
export interface Delivered {
  /** The next offset to read. */
  position: number
  /** Records handed to the sink. */
  records: number
}

/**
 * Hands the records of `batches` from `position` on to `sink`, at most `limit` of them, batch by batch
 * (awaiting what the sink returns): control batches, empty ones and records before `position` are
 * skipped. Both backends read this way, from a log or from a Fetch response.
 */
export async function deliver(
  topic: string,
  partition: number,
  batches: Iterable<RecordBatch>,
  position: number,
  limit: number,
  sink: RecordSink,
): Promise<Delivered> {
  let records = 0
  for (const batch of batches) {
    if (records >= limit) break
    const next = batch.baseOffset + batch.lastOffsetDelta + 1
    if (batch.control || batch.count === 0 || next <= position) {
      position = Math.max(position, next)
      continue
    }
    const from = firstIndexAt(batch, position)
    const to = Math.min(batch.count, from + limit - records)
    if (to > from) {
      const pending = sink({ topic, partition, batch, from, to })
      if (pending !== undefined) await pending
      records += to - from
    }
    position = to === batch.count ? next : offsetAt(batch, to)
  }
  return { position, records }
}

/** The index of the first record of a batch at or after `offset`. */
function firstIndexAt(batch: RecordBatch, offset: number): number {
  if (offset <= batch.baseOffset) return 0
  if (batch.offsetDeltas === null) return offset - batch.baseOffset
  let i = 0
  while (i < batch.count && offsetAt(batch, i) < offset) i++
  return i
}

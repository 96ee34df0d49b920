import { InvalidProducerEpochError, OutOfOrderSequenceError } from '../errors'
import type { RecordBatch } from '../record/record-batch'

/** Kafka keeps the last five batches of each producer: a client has at most five requests in flight. */
const BATCHES_KEPT = 5
const INT32_MAX = 0x7fffffff

/** One written batch of a producer, as duplicate detection needs it. */
interface WrittenBatch {
  firstSeq: number
  lastSeq: number
  baseOffset: number
}

interface ProducerEntry {
  epoch: number
  /** Oldest first; at most BATCHES_KEPT. */
  batches: WrittenBatch[]
}

/** The batch fields idempotence looks at. */
export interface SequencedBatch {
  readonly producerId: number
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly lastOffsetDelta: number
}

/** The last sequence number of a batch: sequences wrap from Int32 max to 0, as in Kafka. */
export function lastSequence(batch: SequencedBatch): number {
  const last = batch.baseSequence + batch.lastOffsetDelta
  return last > INT32_MAX ? last - INT32_MAX - 1 : last
}

/**
 * The idempotent producers of one partition (Kafka's ProducerStateManager): each producer id's epoch
 * and its last batches. A batch that repeats one of them (a retry whose first answer was lost) is a
 * duplicate and is answered with the original's offset; a batch that skips sequence numbers is
 * refused; a batch of an older epoch is refused.
 */
export class ProducerStates {
  readonly #entries = new Map<number, ProducerEntry>()

  /**
   * Decides on a batch before it is appended: the base offset it already has if it is a duplicate,
   * else undefined (append it). Throws InvalidProducerEpochError or OutOfOrderSequenceError, as
   * Kafka's broker answers, for a batch that must not be written.
   */
  check(batch: SequencedBatch): number | undefined {
    const entry = this.#entries.get(batch.producerId)
    if (entry === undefined) return undefined
    if (batch.producerEpoch < entry.epoch) {
      throw new InvalidProducerEpochError(batch.producerId, batch.producerEpoch, entry.epoch)
    }
    const firstSeq = batch.baseSequence
    if (batch.producerEpoch > entry.epoch) {
      // A new epoch starts its sequences at 0.
      if (firstSeq !== 0) throw new OutOfOrderSequenceError(batch.producerId, 0, firstSeq)
      return undefined
    }
    const lastSeq = lastSequence(batch)
    for (const written of entry.batches) {
      if (written.firstSeq === firstSeq && written.lastSeq === lastSeq) return written.baseOffset
    }
    const previous = entry.batches.at(-1)
    if (previous === undefined) return undefined
    const expected = previous.lastSeq === INT32_MAX ? 0 : previous.lastSeq + 1
    if (firstSeq !== expected) throw new OutOfOrderSequenceError(batch.producerId, expected, firstSeq)
    return undefined
  }

  /** Takes an appended (or recovered) batch into account: its base offset is assigned. */
  observe(batch: RecordBatch): void {
    const producerId = batch.producerId
    if (producerId < 0) return
    let entry = this.#entries.get(producerId)
    if (entry === undefined || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, batches: [] }
      this.#entries.set(producerId, entry)
    }
    // Markers carry the epoch (a bumped one fences the older producer) but no sequence.
    if (batch.control || batch.baseSequence < 0) return
    entry.batches.push({
      firstSeq: batch.baseSequence,
      lastSeq: lastSequence(batch),
      baseOffset: batch.baseOffset,
    })
    if (entry.batches.length > BATCHES_KEPT) entry.batches.shift()
  }
}

import { ControlType, controlType } from '../record/control'
import type { RecordBatch } from '../record/record-batch'

/** One aborted transaction's range in a partition: what read_committed readers skip. */
interface AbortedRange {
  producerId: number
  firstOffset: number
  lastOffset: number
}

/**
 * The transactions of one partition, as its batches show them: which producers have a transaction
 * open (and from which offset: the last stable offset is the earliest of them) and which offset ranges
 * belong to aborted transactions. Kafka keeps the same in its producer state and `.txnindex` files.
 */
export class TransactionIndex {
  readonly #open = new Map<number, number>()
  readonly #aborted = new Map<number, AbortedRange[]>()
  #any = false

  /** Whether a transactional batch was ever seen here. */
  get used(): boolean {
    return this.#any
  }

  /** Producers with a transaction open here, and where each began. */
  get openTransactions(): ReadonlyMap<number, number> {
    return this.#open
  }

  /** Takes an appended (or recovered) batch into account. */
  observe(batch: RecordBatch): void {
    if (!batch.transactional) return
    this.#any = true
    const producerId = batch.producerId
    if (batch.control) {
      const first = this.#open.get(producerId)
      this.#open.delete(producerId)
      if (first !== undefined && controlType(batch) === ControlType.Abort) {
        let ranges = this.#aborted.get(producerId)
        if (ranges === undefined) {
          ranges = []
          this.#aborted.set(producerId, ranges)
        }
        ranges.push({ producerId, firstOffset: first, lastOffset: batch.baseOffset })
      }
      return
    }
    if (!this.#open.has(producerId)) this.#open.set(producerId, batch.baseOffset)
  }

  /** Kafka's last stable offset: the first offset of the earliest open transaction, else `end`. */
  lastStableOffset(end: number): number {
    let lso = end
    for (const first of this.#open.values()) if (first < lso) lso = first
    return lso
  }

  /** Whether the record of `producerId` at `offset` belongs to an aborted transaction. */
  aborted(producerId: number, offset: number): boolean {
    const ranges = this.#aborted.get(producerId)
    if (ranges === undefined) return false
    for (let i = ranges.length - 1; i >= 0; i--) {
      const range = ranges[i]!
      if (offset >= range.firstOffset && offset <= range.lastOffset) return true
      if (range.lastOffset < offset) return false
    }
    return false
  }

  /** The aborted ranges that overlap `[from, to)`, as Kafka's Fetch response lists them. */
  abortedBetween(from: number, to: number): Array<{ producerId: number; firstOffset: number }> {
    const out: Array<{ producerId: number; firstOffset: number }> = []
    for (const ranges of this.#aborted.values()) {
      for (const range of ranges) {
        if (range.lastOffset >= from && range.firstOffset < to) {
          out.push({ producerId: range.producerId, firstOffset: range.firstOffset })
        }
      }
    }
    return out.sort((a, b) => a.firstOffset - b.firstOffset)
  }

  /** Forgets what retention or DeleteRecords removed. */
  dropBefore(offset: number): void {
    for (const [producerId, ranges] of this.#aborted) {
      const kept = ranges.filter((r) => r.lastOffset >= offset)
      if (kept.length === 0) this.#aborted.delete(producerId)
      else this.#aborted.set(producerId, kept)
    }
  }
}

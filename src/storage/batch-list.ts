import type { RecordBatch } from '../record/record-batch'

/**
 * Batches in offset order, dropped from the oldest end: what memory storage keeps, and what the file
 * log's read cache keeps of its recent batches. Dropping is O(1): a dropped slot is cleared at once
 * (so its records are garbage now) and the array is compacted in bulk.
 *
 * @example
 * ```ts
 * const list = new BatchList()
 * list.push(batch)
 * const batches = list.from(offset, 1 << 20)
 * ```
 */
export class BatchList {
  #batches: Array<RecordBatch | undefined> = []
  #head = 0
  #bytes = 0

  /** Batches held. */
  get length(): number {
    return this.#batches.length - this.#head
  }

  /** Sum of the held batches' sizes. */
  get bytes(): number {
    return this.#bytes
  }

  /** The oldest batch held. */
  get first(): RecordBatch | undefined {
    return this.#batches[this.#head]
  }

  /** The newest batch held. */
  get last(): RecordBatch | undefined {
    return this.#head < this.#batches.length ? this.#batches[this.#batches.length - 1] : undefined
  }

  /** The batch `i` places after the oldest. */
  at(i: number): RecordBatch | undefined {
    return this.#batches[this.#head + i]
  }

  push(batch: RecordBatch): void {
    this.#batches.push(batch)
    this.#bytes += batch.sizeBytes
  }

  /** Puts `batch` in the newest batch's place (a batch that holds the newest's records and more). */
  replaceLast(batch: RecordBatch): void {
    const at = this.#batches.length - 1
    this.#bytes += batch.sizeBytes - this.#batches[at]!.sizeBytes
    this.#batches[at] = batch
  }

  /** Drops the oldest batch. */
  shift(): RecordBatch | undefined {
    if (this.#head >= this.#batches.length) return undefined
    const batch = this.#batches[this.#head]!
    this.#bytes -= batch.sizeBytes
    this.#batches[this.#head] = undefined
    this.#head++
    if (this.#head === this.#batches.length) {
      this.#batches = []
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#batches.length) {
      this.#batches = this.#batches.slice(this.#head)
      this.#head = 0
    }
    return batch
  }

  /** Drops every batch that ends at or before `offset`. */
  dropBefore(offset: number): void {
    while (this.#head < this.#batches.length && this.#batches[this.#head]!.nextOffset <= offset) this.shift()
  }

  /** Drops every batch from `offset` on (the newest end), e.g. when a write is undone. */
  dropFrom(offset: number): void {
    while (
      this.#head < this.#batches.length &&
      this.#batches[this.#batches.length - 1]!.nextOffset > offset
    ) {
      this.#bytes -= this.#batches.pop()!.sizeBytes
    }
  }

  /** Replaces the `count` oldest batches with `batches` (what compaction made of them). */
  replaceFirst(count: number, batches: readonly RecordBatch[]): void {
    for (let i = 0; i < count; i++) this.#bytes -= this.#batches[this.#head + i]!.sizeBytes
    for (const batch of batches) this.#bytes += batch.sizeBytes
    this.#batches = [...batches, ...this.#batches.slice(this.#head + count)]
    this.#head = 0
  }

  /** True when the list holds the batch containing `offset`. */
  covers(offset: number): boolean {
    const first = this.#batches[this.#head]
    return first !== undefined && offset >= first.baseOffset && offset < this.last!.nextOffset
  }

  /**
   * The batches from the one holding `offset` on, at least one, up to about `maxBytes`; `offset` must
   * be covered. The newest-batch case, a tailing reader's, costs no search.
   */
  from(offset: number, maxBytes: number): RecordBatch[] {
    const batches = this.#batches
    const end = batches.length
    let index: number
    const last = batches[end - 1]!
    if (offset >= last.baseOffset) return [last]
    let lo = this.#head
    let hi = end - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (batches[mid]!.baseOffset <= offset) lo = mid
      else hi = mid - 1
    }
    index = lo
    const out: RecordBatch[] = []
    let bytes = 0
    for (; index < end && (bytes === 0 || bytes < maxBytes); index++) {
      const batch = batches[index]!
      out.push(batch)
      bytes += batch.sizeBytes
    }
    return out
  }

  /** Every batch held, oldest first. */
  *[Symbol.iterator](): IterableIterator<RecordBatch> {
    for (let i = this.#head; i < this.#batches.length; i++) yield this.#batches[i]!
  }
}

import { RAW } from '../../record/codec'
import type { RecordHeaders } from '../../record/log-record'
import { RecordBatch } from '../../record/record-batch'
import type { CompactionRequest } from '../storage'
import { keyIdentity } from './key-identity'

/** The size of a RecordBatch v2 header: what an empty batch weighs. */
const EMPTY_BATCH_BYTES = 61

const EMPTY_COLUMNS = { keys: [], values: [], headers: null, timestamps: null, offsetDeltas: null, start: 0 }

/**
 * One compaction pass over a partition log, as Kafka's log cleaner does it: `index` learns the last
 * offset of every key in the dirty part of the log, then `clean` rewrites the batches of the cleanable
 * part, segment by segment, oldest first. A record is kept when no later record of its key is in the
 * dirty part; a keyless record (which a compacted topic refuses, but a topic switched to compaction may
 * hold) is removed, as Kafka's cleaner removes it. A tombstone (null value) and a transaction marker
 * stay until the delete horizon compaction stamped on their batch when it first kept them has passed
 * (Kafka's KIP-534); a marker stays besides while its transaction keeps records. Records of aborted
 * transactions are removed. Offsets never change: what goes leaves a gap inside its batch (the offset
 * deltas say where each record is), and a range with no record left becomes one empty batch, so
 * batches still follow on from each other for every reader and for the file log's recovery.
 *
 * Batches nothing was removed from come out as they went in (the same objects: the file log keeps
 * their bytes); the others are rebuilt over their own columns, in their codecs' form.
 */
export class Cleaner {
  readonly #request: CompactionRequest
  /** Key → the offset of its last record in the dirty part. */
  readonly #latest = new Map<string, number>()
  /** Producer → whether its transaction under way kept a record in this pass. */
  readonly #transactionKept = new Map<number, boolean>()
  #removed = 0
  /** The earliest delete horizon left on a kept batch: when a later pass has something to remove. */
  #nextHorizon = -1
  #out: RecordBatch[] = []
  #cursor = 0
  #gapTimestamp = -1
  /** An empty batch at the start of the current gap: the filler, if the gap ends where it does. */
  #reusable: RecordBatch | undefined

  constructor(request: CompactionRequest) {
    this.#request = request
  }

  /** Records removed so far. */
  get removedRecords(): number {
    return this.#removed
  }

  /** The earliest delete horizon of the batches kept so far; -1 when none has one. */
  get nextHorizon(): number {
    return this.#nextHorizon
  }

  /** Learns the keys of a batch of the dirty part (aborted transactions' records and markers count for nothing). */
  index(batch: RecordBatch): void {
    if (batch.control || batch.count === 0) return
    if (batch.transactional && this.#request.aborted(batch.producerId, batch.baseOffset)) return
    const keys = batch.keys
    const deltas = batch.offsetDeltas
    const at = batch.columnStart
    const base = batch.baseOffset
    for (let i = 0; i < batch.count; i++) {
      const id = keyIdentity(batch, keys[at + i])
      if (id !== null) this.#latest.set(id, base + (deltas === null ? i : deltas[at + i]!))
    }
  }

  /**
   * The batches that replace `batches`, which cover offsets `from` to `to` (a segment, or the cleanable
   * part of a memory log), covering the same range with no hole: removed ranges become empty batches.
   */
  clean(batches: Iterable<RecordBatch>, from: number, to: number): RecordBatch[] {
    this.#out = []
    this.#cursor = from
    this.#gapTimestamp = -1
    this.#reusable = undefined
    for (const batch of batches) {
      if (batch.nextOffset <= from || batch.baseOffset >= to) continue
      if (batch.count === 0) {
        // An empty batch an earlier pass left is reused when the gap turns out to be exactly it.
        if (batch.baseOffset === this.#cursor) this.#reusable = batch
        this.#gap(batch)
      } else if (batch.control) this.#marker(batch)
      else if (batch.transactional && this.#request.aborted(batch.producerId, batch.baseOffset)) {
        this.#transactionKept.set(batch.producerId, this.#transactionKept.get(batch.producerId) ?? false)
        this.#removed += batch.count
        this.#gap(batch)
      } else this.#records(batch)
    }
    if (this.#cursor < to) this.#fill(to)
    const out = this.#out
    this.#out = []
    return out
  }

  #marker(batch: RecordBatch): void {
    const producerId = batch.producerId
    const kept = this.#transactionKept.get(producerId) ?? false
    this.#transactionKept.delete(producerId)
    if (!kept && this.#horizonPassed(batch)) {
      this.#removed += batch.count
      this.#gap(batch)
      return
    }
    // Its transaction's records are gone: from now on the marker only waits out its horizon.
    this.#emit(!kept && batch.deleteHorizonMs < 0 ? rebuild(batch, null, this.#horizon()) : batch)
  }

  #records(batch: RecordBatch): void {
    const count = batch.count
    const keys = batch.keys
    const values = batch.values
    const deltas = batch.offsetDeltas
    const at = batch.columnStart
    const base = batch.baseOffset
    const horizonPassed = this.#horizonPassed(batch)
    let kept: number[] | null = null
    let tombstones = false
    for (let i = 0; i < count; i++) {
      const id = keyIdentity(batch, keys[at + i])
      const latest = id === null ? undefined : this.#latest.get(id)
      const tombstone = values[at + i] === null || values[at + i] === undefined
      const keep =
        id !== null &&
        (latest === undefined || base + (deltas === null ? i : deltas[at + i]!) >= latest) &&
        !(tombstone && horizonPassed)
      if (keep) {
        if (tombstone) tombstones = true
        if (kept !== null) kept.push(i)
      } else if (kept === null) {
        kept = []
        for (let j = 0; j < i; j++) kept.push(j)
      }
    }
    const keptCount = kept === null ? count : kept.length
    this.#removed += count - keptCount
    if (batch.transactional) {
      const producerId = batch.producerId
      this.#transactionKept.set(producerId, (this.#transactionKept.get(producerId) ?? false) || keptCount > 0)
    }
    if (keptCount === 0) {
      this.#gap(batch)
      return
    }
    // The horizon stays with the batch while it holds tombstones; a batch without any needs none.
    const horizon = !tombstones ? -1 : batch.deleteHorizonMs >= 0 ? batch.deleteHorizonMs : this.#horizon()
    if (kept === null && horizon === batch.deleteHorizonMs) this.#emit(batch)
    else this.#emit(rebuild(batch, kept, horizon))
  }

  #horizonPassed(batch: RecordBatch): boolean {
    return batch.deleteHorizonMs >= 0 && batch.deleteHorizonMs <= this.#request.now
  }

  #horizon(): number {
    return this.#request.now + this.#request.deleteRetentionMs
  }

  #gap(batch: RecordBatch): void {
    if (batch.maxTimestamp > this.#gapTimestamp) this.#gapTimestamp = batch.maxTimestamp
  }

  #emit(batch: RecordBatch): void {
    if (batch.baseOffset > this.#cursor) this.#fill(batch.baseOffset)
    this.#out.push(batch)
    this.#cursor = batch.nextOffset
    const horizon = batch.deleteHorizonMs
    if (horizon >= 0 && (this.#nextHorizon < 0 || horizon < this.#nextHorizon)) this.#nextHorizon = horizon
  }

  /** One empty batch over the offsets from the cursor to `to`, as old as the records it replaces. */
  #fill(to: number): void {
    const reusable = this.#reusable
    this.#reusable = undefined
    if (reusable !== undefined && reusable.baseOffset === this.#cursor && reusable.nextOffset === to) {
      this.#out.push(reusable)
      this.#cursor = to
      this.#gapTimestamp = -1
      return
    }
    const filler = RecordBatch.fromColumns({ keyCodec: RAW, valueCodec: RAW }, EMPTY_COLUMNS, {
      count: 0,
      firstTimestamp: this.#gapTimestamp,
      maxTimestamp: this.#gapTimestamp,
      sizeBytes: EMPTY_BATCH_BYTES,
      lastOffsetDelta: to - this.#cursor - 1,
    })
    filler.assignBaseOffset(this.#cursor)
    this.#out.push(filler)
    this.#cursor = to
    this.#gapTimestamp = -1
  }
}

/**
 * The batch with only the records at `kept` (all of them when null), its base offset and producer
 * fields unchanged, and `deleteHorizonMs`. Its offsets end at its last record kept.
 */
function rebuild(batch: RecordBatch, kept: readonly number[] | null, deleteHorizonMs: number): RecordBatch {
  const at = batch.columnStart
  const n = kept === null ? batch.count : kept.length
  const srcKeys = batch.keys
  const srcValues = batch.values
  const srcHeaders = batch.headers
  const srcTimestamps = batch.timestamps
  const srcDeltas = batch.offsetDeltas
  const keys = new Array<unknown>(n)
  const values = new Array<unknown>(n)
  const headers = srcHeaders === null ? null : new Array<RecordHeaders | undefined>(n)
  const timestamps = new Array<number>(n)
  const deltas = new Int32Array(n)
  let dense = true
  let maxTimestamp = -1
  for (let j = 0; j < n; j++) {
    const i = kept === null ? j : kept[j]!
    keys[j] = srcKeys[at + i]
    values[j] = srcValues[at + i]
    if (headers !== null) headers[j] = srcHeaders![at + i]
    const timestamp = srcTimestamps === null ? batch.firstTimestamp : srcTimestamps[at + i]!
    timestamps[j] = timestamp
    if (timestamp > maxTimestamp) maxTimestamp = timestamp
    const delta = srcDeltas === null ? i : srcDeltas[at + i]!
    deltas[j] = delta
    if (delta !== j) dense = false
  }
  const rebuilt = RecordBatch.fromColumns(
    { keyCodec: batch.keyCodec, valueCodec: batch.valueCodec },
    { keys, values, headers, timestamps, offsetDeltas: dense ? null : deltas, start: 0 },
    {
      count: n,
      firstTimestamp: timestamps[0]!,
      maxTimestamp,
      sizeBytes: Math.max(EMPTY_BATCH_BYTES, Math.round((batch.sizeBytes * n) / batch.count)),
      lastOffsetDelta: deltas[n - 1]!,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      transactional: batch.transactional,
      control: batch.control,
      deleteHorizonMs,
    },
  )
  rebuilt.assignBaseOffset(batch.baseOffset)
  return rebuilt
}

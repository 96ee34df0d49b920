import { deepFreeze, keyFromId } from './key-id'
import { KeyedTimeline } from './keyed-timeline'
import type { ChangelogMessage, StateStore } from './store'

/** One record kept by a side of a stream–stream join. */
export interface JoinRecord {
  readonly timestamp: number
  readonly seq: number
  readonly value: unknown
}

/**
 * The records one side of a stream–stream join keeps (Kafka's join window store, with duplicates):
 * per key, sorted by timestamp. Append-only: records leave by the changelog's time retention, and
 * from memory once older than `retentionMs` behind stream time.
 */
export class JoinWindowStore extends KeyedTimeline<JoinRecord> implements StateStore {
  #dirty: Array<{ id: string; record: JoinRecord }> = []
  #seq = 0

  protected sortTime(record: JoinRecord): number {
    return record.timestamp
  }

  protected live(record: JoinRecord, horizon: number): boolean {
    return record.timestamp > horizon
  }

  protected seenTime(record: JoinRecord): number {
    return record.timestamp
  }

  /** Whether a record with this timestamp is too old to keep (Kafka drops it from the store). */
  expired(timestamp: number): boolean {
    return timestamp <= this.horizon
  }

  add(id: string, timestamp: number, value: unknown): void {
    const record: JoinRecord = { timestamp, seq: this.#seq++, value: deepFreeze(value) }
    this.insert(id, record)
    this.#dirty.push({ id, record })
  }

  /** A key's records with timestamps in `[from, to]`, oldest first. */
  fetch(id: string, from: number, to: number): JoinRecord[] {
    const list = this.byKey.get(id)
    if (list === undefined) return []
    // Records past the retention are gone, whether or not a sweep removed them yet.
    const lowest = Math.max(from, this.horizon + 1)
    const out: JoinRecord[] = []
    for (const r of list) {
      if (r.timestamp > to) break
      if (r.timestamp >= lowest) out.push(r)
    }
    return out
  }

  restore(changelogKey: string, value: unknown): void {
    if (value === null) return
    const first = changelogKey.indexOf(':')
    const second = changelogKey.indexOf(':', first + 1)
    const timestamp = Number(changelogKey.slice(0, first))
    const seq = Number(changelogKey.slice(first + 1, second))
    this.#seq = Math.max(this.#seq, seq + 1)
    this.insert(changelogKey.slice(second + 1), { timestamp, seq, value: (value as readonly [unknown])[0] })
  }

  restored(): void {
    this.restoreStreamTime()
  }

  drainChanges(partition: number, out: ChangelogMessage[]): void {
    const dirty = this.#dirty
    if (dirty.length === 0) return
    this.#dirty = []
    for (const { id, record } of dirty) {
      out.push({
        key: `${record.timestamp}:${record.seq}:${id}`,
        value: [record.value],
        partition,
        timestamp: record.timestamp,
      })
    }
  }
}

/** One record of a left or outer stream–stream join that has not found a match yet. */
export interface UnmatchedRecord {
  readonly bufferKey: string
  readonly id: string
  readonly key: unknown
  readonly timestamp: number
  readonly left: boolean
  readonly values: readonly unknown[]
}

/**
 * The records of a left or outer stream–stream join still without a match (Kafka's outer join
 * store), keyed by (side, timestamp, key). A match removes every record of that side, key and
 * timestamp; a record whose window closed is emitted with a null partner and removed.
 */
export class OuterJoinBuffer implements StateStore {
  readonly #entries = new Map<string, UnmatchedRecord>()
  /** Buffer key → the entry to write, or the timestamp of a tombstone. */
  #dirty = new Map<string, UnmatchedRecord | number>()
  /** The smallest timestamp held (Kafka's `minTime`): no emission is needed before it closes. */
  minTime = Number.POSITIVE_INFINITY

  constructor(readonly name: string) {}

  get size(): number {
    return this.#entries.size
  }

  add(left: boolean, id: string, key: unknown, timestamp: number, value: unknown): void {
    const bufferKey = `${left ? 'L' : 'R'}:${timestamp}:${id}`
    const existing = this.#entries.get(bufferKey)
    const values = existing === undefined ? [deepFreeze(value)] : [...existing.values, deepFreeze(value)]
    const entry: UnmatchedRecord = { bufferKey, id, key, timestamp, left, values }
    this.#entries.set(bufferKey, entry)
    this.#dirty.set(bufferKey, entry)
    if (timestamp < this.minTime) this.minTime = timestamp
  }

  /** A match for the other side's records of `id` at `timestamp`: they are no longer unmatched. */
  matched(left: boolean, id: string, timestamp: number): void {
    const bufferKey = `${left ? 'L' : 'R'}:${timestamp}:${id}`
    if (!this.#entries.delete(bufferKey)) return
    this.#dirty.set(bufferKey, timestamp)
  }

  /** Held records, oldest first (ties: left before right, as Kafka orders them). */
  sorted(): UnmatchedRecord[] {
    return [...this.#entries.values()].sort(
      (a, b) => a.timestamp - b.timestamp || Number(b.left) - Number(a.left),
    )
  }

  remove(entry: UnmatchedRecord): void {
    if (!this.#entries.delete(entry.bufferKey)) return
    this.#dirty.set(entry.bufferKey, entry.timestamp)
  }

  /** Recomputes `minTime` after removals. */
  resetMinTime(): void {
    let min = Number.POSITIVE_INFINITY
    for (const e of this.#entries.values()) if (e.timestamp < min) min = e.timestamp
    this.minTime = min
  }

  restore(bufferKey: string, value: unknown): void {
    if (value === null) {
      this.#entries.delete(bufferKey)
      return
    }
    const [side, stamp] = bufferKey.split(':', 2) as [string, string]
    const id = bufferKey.slice(side.length + stamp.length + 2)
    const entry: UnmatchedRecord = {
      bufferKey,
      id,
      key: keyFromId(id),
      timestamp: Number(stamp),
      left: side === 'L',
      values: value as readonly unknown[],
    }
    this.#entries.set(bufferKey, entry)
  }

  restored(): void {
    this.resetMinTime()
  }

  drainChanges(partition: number, out: ChangelogMessage[]): void {
    if (this.#dirty.size === 0) return
    const dirty = this.#dirty
    this.#dirty = new Map()
    for (const [bufferKey, entry] of dirty) {
      out.push(
        typeof entry === 'number'
          ? { key: bufferKey, value: null, partition, timestamp: entry }
          : { key: bufferKey, value: entry.values, partition, timestamp: entry.timestamp },
      )
    }
  }
}

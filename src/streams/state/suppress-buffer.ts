import type { Windowed } from '../windows'
import { windowed } from '../windows'
import { deepFreeze, keyFromId, keyId } from './key-id'
import type { ChangelogMessage, StateStore } from './store'

/** One windowed result waiting for its window to close. */
export interface BufferedResult {
  readonly id: string
  readonly key: Windowed<unknown>
  readonly value: unknown
  readonly timestamp: number
}

/**
 * The buffer of `suppress(untilWindowCloses)` (Kafka's in-memory time-ordered buffer): the latest
 * result of each window, until stream time passes the window's end plus its grace. Kept in a
 * changelog like any state, so a restart emits nothing twice and loses nothing.
 */
export class SuppressBuffer implements StateStore {
  readonly #entries = new Map<string, BufferedResult>()
  /** Id → the entry to write, or the timestamp of a tombstone. */
  #dirty = new Map<string, BufferedResult | number>()
  #minEnd = Number.POSITIVE_INFINITY
  streamTime = Number.NEGATIVE_INFINITY

  constructor(readonly name: string) {}

  get size(): number {
    return this.#entries.size
  }

  advance(timestamp: number): void {
    if (timestamp > this.streamTime) this.streamTime = timestamp
  }

  put(key: Windowed<unknown>, value: unknown, timestamp: number): void {
    const id = `${key.window.start}:${key.window.end}:${keyId(key.key)}`
    const entry: BufferedResult = { id, key, value: deepFreeze(value), timestamp }
    // Re-inserted, so the map's order is the order of the latest updates.
    this.#entries.delete(id)
    this.#entries.set(id, entry)
    this.#dirty.set(id, entry)
    if (key.window.end < this.#minEnd) this.#minEnd = key.window.end
  }

  /** Takes the results whose window closed (`end + closeAfterMs <= streamTime`), by window end. */
  takeClosed(closeAfterMs: number): BufferedResult[] {
    const cutoff = this.streamTime - closeAfterMs
    if (this.#minEnd > cutoff) return []
    const closed: BufferedResult[] = []
    let minEnd = Number.POSITIVE_INFINITY
    for (const entry of this.#entries.values()) {
      const end = entry.key.window.end
      if (end <= cutoff) closed.push(entry)
      else if (end < minEnd) minEnd = end
    }
    this.#minEnd = minEnd
    for (const entry of closed) {
      this.#entries.delete(entry.id)
      this.#dirty.set(entry.id, entry.timestamp)
    }
    return closed.sort((a, b) => a.key.window.end - b.key.window.end)
  }

  restore(id: string, value: unknown): void {
    if (value === null) {
      this.#entries.delete(id)
      return
    }
    const first = id.indexOf(':')
    const second = id.indexOf(':', first + 1)
    const key = windowed(
      keyFromId(id.slice(second + 1)),
      Number(id.slice(0, first)),
      Number(id.slice(first + 1, second)),
    )
    const [stored, timestamp] = value as readonly [unknown, number]
    this.#entries.set(id, { id, key, value: stored, timestamp })
  }

  restored(): void {
    let minEnd = Number.POSITIVE_INFINITY
    for (const entry of this.#entries.values()) minEnd = Math.min(minEnd, entry.key.window.end)
    this.#minEnd = minEnd
  }

  drainChanges(partition: number, out: ChangelogMessage[]): void {
    if (this.#dirty.size === 0) return
    const dirty = this.#dirty
    this.#dirty = new Map()
    for (const [id, entry] of dirty) {
      out.push(
        typeof entry === 'number'
          ? { key: id, value: null, partition, timestamp: entry }
          : { key: id, value: [entry.value, entry.timestamp], partition, timestamp: entry.timestamp },
      )
    }
  }
}

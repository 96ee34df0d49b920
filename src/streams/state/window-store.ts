import { type Windowed, windowed } from '../windows'
import { compareKeys, deepFreeze, keyFromId } from './key-id'
import { KeyedTimeline } from './keyed-timeline'
import type { ChangelogMessage, StateStore } from './store'

/** One window of one key. */
export interface WindowEntry<V = unknown> {
  readonly id: string
  readonly key: unknown
  readonly start: number
  readonly end: number
  value: V
  /** The largest record timestamp in the window (what its updates are stamped with). */
  timestamp: number
  dirty: boolean
  /** The key and window as the aggregation forwards them: made once per window, not per update. */
  windowed: Windowed<unknown> | undefined
}

/** The key and window of an entry as a `Windowed` key (the same object for every update of it). */
export function windowedKey(entry: WindowEntry): Windowed<unknown> {
  entry.windowed ??= windowed(entry.key, entry.start, entry.end)
  return entry.windowed
}

/**
 * An in-memory window store (Kafka's in-memory `WindowStore`): per key, its windows sorted by start.
 * It also keeps the observed stream time of the processor that owns it, which is restored with it (the
 * largest timestamp it holds). Windows are kept while `start > streamTime - retentionMs`; older ones
 * are dropped from memory and left to the changelog topic's time retention (no tombstones), as Kafka
 * does with its `compact,delete` window changelogs.
 */
export class WindowStore<V = unknown> extends KeyedTimeline<WindowEntry<V>> implements StateStore {
  #dirty: WindowEntry<V>[] = []

  protected sortTime(entry: WindowEntry<V>): number {
    return entry.start
  }

  protected live(entry: WindowEntry<V>, horizon: number): boolean {
    return entry.start > horizon
  }

  protected seenTime(entry: WindowEntry<V>): number {
    return entry.timestamp
  }

  /** The window of a key id that starts at `start`. */
  find(id: string, start: number): WindowEntry<V> | undefined {
    const list = this.byKey.get(id)
    if (list === undefined) return undefined
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i]!
      if (entry.start === start) return entry
      if (entry.start < start) return undefined
    }
    return undefined
  }

  /** The live windows of a key id whose start is in `[from, to]`, oldest first. */
  fetch(id: string, from: number, to: number): WindowEntry<V>[] {
    const list = this.byKey.get(id)
    if (list === undefined) return []
    const horizon = this.horizon
    return list.filter((e) => e.start >= from && e.start <= to && e.start > horizon)
  }

  /** Every live window whose start is in `[from, to]`, by key then start. */
  fetchAll(from: number, to: number): WindowEntry<V>[] {
    const horizon = this.horizon
    const out: WindowEntry<V>[] = []
    for (const list of this.byKey.values()) {
      for (const e of list) if (e.start >= from && e.start <= to && e.start > horizon) out.push(e)
    }
    return out.sort((a, b) => compareKeys(a.key, b.key) || a.start - b.start)
  }

  /** Writes a window's value (`existing` when the caller found it). */
  put(
    id: string,
    key: unknown,
    start: number,
    end: number,
    value: V,
    timestamp: number,
    existing?: WindowEntry<V>,
  ): WindowEntry<V> {
    const frozen = deepFreeze(value)
    let entry = existing ?? this.find(id, start)
    if (entry !== undefined) {
      entry.value = frozen
      entry.timestamp = timestamp
    } else {
      entry = { id, key, start, end, value: frozen, timestamp, dirty: false, windowed: undefined }
      this.insert(id, entry)
    }
    if (!entry.dirty) {
      entry.dirty = true
      this.#dirty.push(entry)
    }
    return entry
  }

  restore(changelogKey: string, value: unknown): void {
    if (value === null) return
    const colon = changelogKey.indexOf(':')
    const start = Number(changelogKey.slice(0, colon))
    const id = changelogKey.slice(colon + 1)
    const [stored, timestamp, end] = value as readonly [V, number, number]
    const entry = this.find(id, start)
    if (entry !== undefined) {
      entry.value = stored
      entry.timestamp = timestamp
    } else {
      this.insert(id, {
        id,
        key: keyFromId(id),
        start,
        end,
        value: stored,
        timestamp,
        dirty: false,
        windowed: undefined,
      })
    }
  }

  restored(): void {
    this.restoreStreamTime()
  }

  drainChanges(partition: number, out: ChangelogMessage[]): void {
    const dirty = this.#dirty
    if (dirty.length === 0) return
    this.#dirty = []
    for (const e of dirty) {
      e.dirty = false
      out.push({
        key: `${e.start}:${e.id}`,
        value: [e.value, e.timestamp, e.end],
        partition,
        timestamp: e.timestamp,
      })
    }
  }
}

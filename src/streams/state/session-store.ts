import { compareKeys, deepFreeze, keyFromId } from './key-id'
import { KeyedTimeline } from './keyed-timeline'
import type { ChangelogMessage, StateStore } from './store'

/** One session of one key: `[start, end]`, both inclusive. */
export interface SessionEntry<V = unknown> {
  readonly id: string
  readonly key: unknown
  readonly start: number
  readonly end: number
  readonly value: V
  dirty: boolean
  removed: boolean
}

/**
 * An in-memory session store (Kafka's `SessionStore`): per key, its sessions sorted by start. A
 * session is keyed by its bounds, so growing or merging sessions removes the old ones (a tombstone in
 * the changelog) and writes the new one. Sessions are kept while `end > streamTime - retentionMs`.
 */
export class SessionStore<V = unknown> extends KeyedTimeline<SessionEntry<V>> implements StateStore {
  #dirty: SessionEntry<V>[] = []

  protected sortTime(entry: SessionEntry<V>): number {
    return entry.start
  }

  protected live(entry: SessionEntry<V>, horizon: number): boolean {
    return entry.end > horizon
  }

  protected seenTime(entry: SessionEntry<V>): number {
    return entry.end
  }

  /** Sessions of a key id that end at or after `earliestEnd` and start at or before `latestStart`. */
  find(id: string, earliestEnd: number, latestStart: number): SessionEntry<V>[] {
    const list = this.byKey.get(id)
    if (list === undefined) return []
    const horizon = this.horizon
    return list.filter((s) => s.end >= earliestEnd && s.start <= latestStart && s.end > horizon)
  }

  /** Every live session, by key then start. */
  all(): SessionEntry<V>[] {
    const horizon = this.horizon
    const out: SessionEntry<V>[] = []
    for (const list of this.byKey.values()) for (const s of list) if (s.end > horizon) out.push(s)
    return out.sort((a, b) => compareKeys(a.key, b.key) || a.start - b.start)
  }

  put(id: string, key: unknown, start: number, end: number, value: V): SessionEntry<V> {
    const entry: SessionEntry<V> = {
      id,
      key,
      start,
      end,
      value: deepFreeze(value),
      dirty: true,
      removed: false,
    }
    this.insert(id, entry)
    this.#dirty.push(entry)
    return entry
  }

  /** Removes a session; the next flush writes its tombstone. */
  delete(entry: SessionEntry<V>): void {
    if (!this.remove(entry.id, entry)) return
    entry.removed = true
    if (!entry.dirty) {
      entry.dirty = true
      this.#dirty.push(entry)
    }
  }

  restore(changelogKey: string, value: unknown): void {
    const first = changelogKey.indexOf(':')
    const second = changelogKey.indexOf(':', first + 1)
    const start = Number(changelogKey.slice(0, first))
    const end = Number(changelogKey.slice(first + 1, second))
    const id = changelogKey.slice(second + 1)
    const existing = this.byKey.get(id)?.find((s) => s.start === start && s.end === end)
    if (existing !== undefined) this.remove(id, existing)
    if (value !== null) {
      const stored = (value as readonly [V])[0]
      this.insert(id, { id, key: keyFromId(id), start, end, value: stored, dirty: false, removed: false })
    }
  }

  restored(): void {
    this.restoreStreamTime()
  }

  drainChanges(partition: number, out: ChangelogMessage[]): void {
    const dirty = this.#dirty
    if (dirty.length === 0) return
    this.#dirty = []
    for (const s of dirty) {
      s.dirty = false
      out.push({
        key: `${s.start}:${s.end}:${s.id}`,
        value: s.removed ? null : [s.value],
        partition,
        timestamp: s.end,
      })
    }
  }
}

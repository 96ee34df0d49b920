import { compareKeys, deepFreeze, keyFromId, keyId } from './key-id'
import type { ChangelogMessage, Stamped, StateStore } from './store'

/** One key of a key-value store. The entry object is the store's own; only `value` is shared. */
export interface KeyValueEntry<V = unknown> {
  readonly id: string
  readonly key: unknown
  value: V
  timestamp: number
  /** Waiting to be written to the changelog. */
  dirty: boolean
  /** Removed: written as a tombstone at the next flush. */
  deleted: boolean
}

/**
 * An in-memory key-value store (Kafka's in-memory `KeyValueStore`, timestamped): a map from key id to
 * entry. Values are frozen when written, so the changelog, queries and the next aggregation see the
 * same value. Changes are collected for the changelog and written at the next commit.
 *
 * A key restored from the changelog is held as the changelog's `[value, timestamp]` until it is first
 * read or written, when it becomes an entry: a restore of a large table is then one map insertion
 * per key and no allocation (as Kafka's stores keep the changelog's bytes and deserialise on read).
 * Arrays are never entries, so the two are told apart by `Array.isArray`.
 *
 * `logged` false: the store mirrors a source topic (a table read from a topic), which is its changelog.
 */
export class KeyValueStore<V = unknown> implements StateStore {
  readonly #entries = new Map<string, KeyValueEntry<V> | Stamped>()
  #dirty: KeyValueEntry<V>[] = []

  constructor(
    readonly name: string,
    readonly logged: boolean,
  ) {}

  get size(): number {
    return this.#entries.size
  }

  /** The entry of a key id, if any. */
  lookup(id: string): KeyValueEntry<V> | undefined {
    const found = this.#entries.get(id)
    return found === undefined || !isStamped(found) ? found : this.#materialize(id, found)
  }

  /** The value of a key, if any. */
  get(key: unknown): V | undefined {
    return this.lookup(keyId(key))?.value
  }

  /** Writes a value for a key id (`existing` is its current entry, when the caller looked it up). */
  put(id: string, key: unknown, value: V, timestamp: number, existing?: KeyValueEntry<V>): void {
    const frozen = deepFreeze(value)
    const entry = existing ?? this.lookup(id)
    if (entry !== undefined) {
      entry.value = frozen
      entry.timestamp = timestamp
      if (this.logged && !entry.dirty) {
        entry.dirty = true
        this.#dirty.push(entry)
      }
      return
    }
    const created: KeyValueEntry<V> = {
      id,
      key,
      value: frozen,
      timestamp,
      dirty: this.logged,
      deleted: false,
    }
    this.#entries.set(id, created)
    if (this.logged) this.#dirty.push(created)
  }

  /** Removes a key id; returns the entry it had. */
  delete(id: string, timestamp: number): KeyValueEntry<V> | undefined {
    const entry = this.lookup(id)
    if (entry === undefined) return undefined
    this.#entries.delete(id)
    entry.deleted = true
    entry.timestamp = timestamp
    if (this.logged && !entry.dirty) {
      entry.dirty = true
      this.#dirty.push(entry)
    }
    return entry
  }

  /** Every entry, in key order (Kafka's in-memory store iterates sorted). */
  sorted(): KeyValueEntry<V>[] {
    return this.#all().sort((a, b) => compareKeys(a.key, b.key))
  }

  /** The entries, unordered. */
  values(): IterableIterator<KeyValueEntry<V>> {
    return this.#all().values()
  }

  restore(id: string, value: unknown, timestamp: number): void {
    if (value === null) {
      this.#entries.delete(id)
      return
    }
    const stamped = value as Stamped
    // The last record of a key wins: a set replaces whatever an earlier record of it left.
    if (typeof stamped[1] === 'number') this.#entries.set(id, stamped)
    else this.#restoreEntry(id, keyFromId(id), stamped[0] as V, timestamp)
  }

  /** Applies a record of the source topic this store mirrors: the key as it is, null deletes it. */
  restoreRecord(key: unknown, value: V | null, timestamp: number): void {
    const id = keyId(key)
    if (value === null) this.#entries.delete(id)
    else this.#restoreEntry(id, key, value, timestamp)
  }

  restored(): void {}

  drainChanges(partition: number, out: ChangelogMessage[]): void {
    const dirty = this.#dirty
    if (dirty.length === 0) return
    this.#dirty = []
    for (const entry of dirty) {
      entry.dirty = false
      out.push({
        key: entry.id,
        value: entry.deleted ? null : [entry.value, entry.timestamp],
        partition,
        timestamp: entry.timestamp,
      })
    }
  }

  /** One set per record, no lookup: a restore writes mostly new keys, and the last record of a key wins. */
  #restoreEntry(id: string, key: unknown, value: V, timestamp: number): void {
    this.#entries.set(id, { id, key, value, timestamp, dirty: false, deleted: false })
  }

  /** A restored key's entry, made when it is first used. */
  #materialize(id: string, [value, timestamp]: Stamped): KeyValueEntry<V> {
    const entry: KeyValueEntry<V> = {
      id,
      key: keyFromId(id),
      value: value as V,
      timestamp,
      dirty: false,
      deleted: false,
    }
    this.#entries.set(id, entry)
    return entry
  }

  /** Every entry, the restored ones made. */
  #all(): KeyValueEntry<V>[] {
    const out: KeyValueEntry<V>[] = []
    for (const [id, found] of this.#entries) out.push(isStamped(found) ? this.#materialize(id, found) : found)
    return out
  }
}

/** A restored key not used yet (entries are never arrays). */
function isStamped<V>(found: KeyValueEntry<V> | Stamped): found is Stamped {
  return Array.isArray(found)
}

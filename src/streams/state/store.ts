/**
 * What every state store gives its task: restore from a changelog, and the changes to write to it.
 * Stores are in memory; their changelog topics make them durable. A store is written to its
 * changelog at each commit (write-behind): one record per key changed since the last commit, its
 * latest value or a null tombstone. Restoring replays the changelog in order, so the last record of a
 * key wins, which is also what a compacted changelog keeps.
 */
export interface StateStore {
  readonly name: string
  /** Applies one changelog record while restoring (nothing is logged back). */
  restore(key: string, value: unknown, timestamp: number): void
  /** Called once the changelog has been replayed: rebuild what derives from the data (stream time). */
  restored(): void
  /** Appends the changes since the last call as changelog messages for `partition`, and forgets them. */
  drainChanges(partition: number, out: ChangelogMessage[]): void
  /** How many entries the store holds. */
  readonly size: number
}

/** One changelog record: the store's key id, the latest value (null deletes it), its timestamp. */
export interface ChangelogMessage {
  key: string
  value: unknown
  partition: number
  timestamp: number
}

/** How a store is made and made durable; one instance per task. */
export interface StoreSpec<S extends StateStore = StateStore> {
  /** The store's name, unique in the application (Kafka's store name). */
  readonly name: string
  /** `'changelog'`: its own `<applicationId>-<name>-changelog` topic; `'source'`: the source topic it mirrors. */
  readonly restoreFrom: 'changelog' | 'source'
  /** Retention of the changelog topic: null keeps everything (a key-value store), else windowed state. */
  readonly changelogRetentionMs: number | null
  create(): S
}

/** A changelog value of a timestamped store: the value and the timestamp it was written with. */
export type Stamped = readonly [value: unknown, timestamp: number]

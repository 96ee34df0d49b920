import { ClosedError, LockedError } from '../errors'
import type {
  CommittedOffset,
  PartitionLog,
  Storage,
  StorageSnapshot,
  TopicConfig,
  TopicMetadata,
} from './storage'

type Phase = 'new' | 'opening' | 'open' | 'closing' | 'closed'

/**
 * The open/closed lifecycle every storage shares, so that a backend implements only its medium:
 * `open` runs once at a time, calls outside open → closed give `ClosedError`, and `close` is idempotent
 * (the first call's outcome is every call's outcome) and may be followed by a new `open` (a memory
 * storage is reused by a new bus to test restarts).
 *
 * @example
 * ```ts
 * class SqliteStorage extends BaseStorage {
 *   protected async doOpen() { return { topics: [], groups: {} } }
 *   // … doOpenLog, doSaveTopic, doDeleteTopic, doSaveOffsets, doDeleteGroup, doClose
 * }
 * ```
 */
export abstract class BaseStorage implements Storage {
  #phase: Phase = 'new'
  #closing: Promise<void> | undefined
  readonly #name: string

  protected constructor(name: string) {
    this.#name = name
  }

  /** Acquires the medium and returns what it holds. Called once per open/close cycle. */
  protected abstract doOpen(): Promise<StorageSnapshot>
  protected abstract doOpenLog(topic: string, partition: number, config: TopicConfig): Promise<PartitionLog>
  protected abstract doSaveTopic(topic: TopicMetadata): Promise<void>
  protected abstract doDeleteTopic(name: string): Promise<void>
  protected abstract doSaveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void>
  protected abstract doDeleteGroup(groupId: string): Promise<void>
  /** Releases the medium (and every log still open). Called once per open/close cycle. */
  protected abstract doClose(): Promise<void>

  /** True between a successful `open` and `close`. */
  protected get isOpen(): boolean {
    return this.#phase === 'open'
  }

  /** Throws ClosedError unless the storage is open. */
  protected assertOpen(): void {
    if (this.#phase !== 'open') throw new ClosedError(this.#name)
  }

  async open(): Promise<StorageSnapshot> {
    if (this.#phase === 'opening' || this.#phase === 'open' || this.#phase === 'closing') {
      throw new LockedError(this.#name)
    }
    const before = this.#phase
    // Two opens started at once: the second sees 'opening' and fails, as against an open storage.
    this.#phase = 'opening'
    let snapshot: StorageSnapshot
    try {
      snapshot = await this.doOpen()
    } catch (error) {
      this.#phase = before
      throw error
    }
    this.#phase = 'open'
    this.#closing = undefined
    return snapshot
  }

  async openLog(topic: string, partition: number, config: TopicConfig): Promise<PartitionLog> {
    this.assertOpen()
    return this.doOpenLog(topic, partition, config)
  }

  async saveTopic(topic: TopicMetadata): Promise<void> {
    this.assertOpen()
    return this.doSaveTopic(topic)
  }

  async deleteTopic(name: string): Promise<void> {
    this.assertOpen()
    return this.doDeleteTopic(name)
  }

  async saveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void> {
    this.assertOpen()
    return this.doSaveOffsets(groupId, offsets)
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.assertOpen()
    return this.doDeleteGroup(groupId)
  }

  close(): Promise<void> {
    if (this.#phase !== 'open') return this.#closing ?? Promise.resolve()
    this.#phase = 'closing'
    this.#closing = this.doClose().finally(() => {
      this.#phase = 'closed'
    })
    return this.#closing
  }
}

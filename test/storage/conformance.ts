import { describe } from 'vitest'
import { compactionContract } from './conformance/compaction-contract'
import type { StorageFactory } from './conformance/harness'
import { logContract } from './conformance/log-contract'
import { storageContract } from './conformance/storage-contract'

export type { StorageFactory, StorageUnderTest } from './conformance/harness'

/**
 * The one conformance suite every Storage passes, exercising the Storage and PartitionLog contracts
 * directly (not through a Bus) and stating them:
 *
 * - `open` once: a second open (also one started at the same moment) throws LockedError; every other
 *   call before `open` or after `close` throws ClosedError; `close` is idempotent and closes the logs.
 * - `append` assigns the batch's base offset synchronously, in call order, and resolves with it once
 *   the batch is stored; offsets are dense; what was appended reads back as it was given, in the
 *   batch's own codecs.
 * - `read` returns whole batches from the one holding the offset, at least one and about `maxBytes`;
 *   OffsetOutOfRangeError outside `[logStartOffset, logEndOffset]`, `[]` at the end; never a batch
 *   past `logEndOffset`.
 * - `segments()` oldest first, contiguous, the last one active; `truncateBefore` moves the start and
 *   deletes whole segments; the core's `retentionCut` over them gives Kafka's retention.
 * - A damaged batch throws CorruptLogError naming its offset; the batches before and after it stay
 *   readable (checked when the backend can be damaged: `corrupt` in the factory).
 * - `compact` (Kafka's log cleaner) keeps the last record per key below the active segment and the
 *   last stable offset, past `minCompactionLagMs`, once the dirty ratio is reached; tombstones and
 *   markers go `deleteRetentionMs` after compaction first kept them; aborted transactions' records go;
 *   offsets never change and batches still follow on from each other; the result is durable.
 * - Failures of the medium are StorageError; nothing else leaves a backend (backend-specific tests
 *   inject those).
 *
 * `factory` makes a fresh, unopened storage per test; with `reopen`, durability across close and open
 * is checked too.
 */
export function storageConformance(name: string, factory: StorageFactory): void {
  describe(`${name}: storage conformance`, () => {
    storageContract(factory)
    logContract(factory)
    compactionContract(factory)
  })
}

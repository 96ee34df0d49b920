import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../../src/index'
import type { LogRecord } from '../../../src/record/log-record'
import type { PartitionLog } from '../../../src/storage/storage'
import { rawBatch, readAll, topicConfig } from '../conformance/harness'

type Op = { key: string; value: string | null }

const recordArb = fc.record({
  key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'é'),
  value: fc.option(fc.string({ maxLength: 12 }), { nil: null, freq: 5 }),
})
/** Batches of 1 to 5 records: memory storage's segments are batches, so most of the log is cleanable. */
const logArb = fc.array(fc.array(recordArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 40 })
/** Compaction passes: each at some time after the last (so tombstone horizons pass or not). */
const passesArb = fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 4 })

/** The table a log stands for: the last value per key, a null value deleting the key. */
function table(records: readonly { key: string; value: string | null }[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const { key, value } of records) {
    if (value === null) out.delete(key)
    else out.set(key, value)
  }
  return out
}

async function compact(log: PartitionLog, now: number): Promise<void> {
  await log.compact!({
    now,
    deleteRetentionMs: 5_000,
    minCleanableDirtyRatio: 0.5,
    minCompactionLagMs: 0,
    lastStableOffset: log.logEndOffset,
    aborted: () => false,
    force: true,
  })
}

const plain = (records: readonly LogRecord[]): Op[] =>
  records.map((r) => ({ key: r.key!.toString(), value: r.value === null ? null : r.value.toString() }))

describe('compaction (property)', () => {
  it('a table read after compaction equals the reference; survivors keep their offsets and values', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, passesArb, async (batches, passes) => {
        const storage = new MemoryStorage()
        await storage.open()
        const log = await storage.openLog('t', 0, topicConfig({ cleanupPolicy: 'compact' }))
        for (const batch of batches) await log.append(rawBatch(batch))
        const original = await readAll(log, 't', 0)
        const end = log.logEndOffset
        let now = 1_000_000
        for (const step of passes) {
          now += step
          await compact(log, now)
        }
        const after = await readAll(log, 't', 0)
        expect(table(plain(after))).toEqual(table(batches.flat()))
        expect(log.logEndOffset).toBe(end)
        const byOffset = new Map(original.map((r) => [r.offset, r]))
        let last = -1
        for (const record of after) {
          expect(record.offset).toBeGreaterThan(last)
          last = record.offset
          const before = byOffset.get(record.offset)!
          expect([record.key, record.value, record.timestamp]).toEqual([
            before.key,
            before.value,
            before.timestamp,
          ])
        }
        // What the active segment (the last batch) holds is never touched.
        const activeBase = [...log.segments()].at(-1)!.baseOffset
        expect(after.filter((r) => r.offset >= activeBase)).toEqual(
          original.filter((r) => r.offset >= activeBase),
        )
        await storage.close()
      }),
      { numRuns: 200 },
    )
  })
})

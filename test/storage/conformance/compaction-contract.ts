import { describe, expect, it } from 'vitest'
import { batchRecords } from '../../../src/record/batch-records'
import { RAW } from '../../../src/record/codec'
import { ControlType, controlBatch } from '../../../src/record/control'
import type { LogRecord } from '../../../src/record/log-record'
import { RecordBatch } from '../../../src/record/record-batch'
import type { CompactionRequest, PartitionLog } from '../../../src/storage/storage'
import { uniqueName } from '../../support/bus'
import {
  append,
  type RecordSpec,
  rawBatch,
  readAll,
  readBatches,
  type StorageFactory,
  setup,
  topicConfig,
  views,
} from './harness'

const NOW = 1_000_000
const DELETE_RETENTION_MS = 5_000

/** Compacts through the MaybePromise, with Kafka's defaults unless overridden. */
async function compact(log: PartitionLog, overrides: Partial<CompactionRequest> = {}) {
  return await log.compact!({
    now: NOW,
    deleteRetentionMs: DELETE_RETENTION_MS,
    minCleanableDirtyRatio: 0.5,
    minCompactionLagMs: 0,
    lastStableOffset: log.logEndOffset,
    aborted: () => false,
    ...overrides,
  })
}

/** Where the active segment starts: what compaction never touches. */
function activeBase(log: PartitionLog): number {
  return [...log.segments()].at(-1)!.baseOffset
}

/** What compaction must leave of `records` below `end`: the last record of each key; the rest as is. */
function lastPerKey(records: readonly LogRecord[], end: number): LogRecord[] {
  const last = new Map<string, number>()
  for (const r of records) if (r.offset < end) last.set(r.key!.toString('latin1'), r.offset)
  return records.filter((r) => r.offset >= end || last.get(r.key!.toString('latin1')) === r.offset)
}

/** `count` batches of `perBatch` keyed records cycling over `keys` keys, values naming their offset. */
async function fill(log: PartitionLog, count: number, perBatch: number, keys: number, timestamp = 1_000) {
  let n = 0
  for (let b = 0; b < count; b++) {
    const specs: RecordSpec[] = []
    for (let i = 0; i < perBatch; i++, n++)
      specs.push({ key: `k${n % keys}`, value: `v${n}-${'x'.repeat(60)}`, timestamp: timestamp + n })
    await append(log, specs)
  }
}

/** Batches follow on from each other with no hole, and offsets strictly increase. */
async function expectContiguous(log: PartitionLog): Promise<void> {
  let offset = log.logStartOffset
  let last = -1
  while (offset < log.logEndOffset) {
    const batches = await readBatches(log, offset)
    for (const batch of batches) {
      if (batch.nextOffset <= offset) continue
      expect(batch.baseOffset).toBeLessThanOrEqual(offset)
      const out: LogRecord[] = []
      batchRecords(batch, 0, 't', 0, RAW, RAW, out)
      for (const r of out) {
        expect(r.offset).toBeGreaterThan(last)
        expect(r.offset).toBeLessThan(batch.nextOffset)
        last = r.offset
      }
      offset = batch.nextOffset
    }
  }
  const segments = [...log.segments()]
  for (let i = 1; i < segments.length; i++) expect(segments[i]!.baseOffset).toBe(segments[i - 1]!.nextOffset)
}

/** Log compaction (`PartitionLog.compact`), as Kafka's log cleaner does it. */
export function compactionContract(factory: StorageFactory): void {
  async function openLog(prefix: string, overrides = {}) {
    const h = await setup(factory)
    const topic = uniqueName(prefix)
    const config = topicConfig({ cleanupPolicy: 'compact', ...overrides })
    return { h, topic, config, log: await h.storage.openLog(topic, 0, config) }
  }

  describe('compaction', () => {
    it('keeps the last record per key below the active segment, every survivor unchanged at its offset', async () => {
      const { topic, log } = await openLog('compact')
      await fill(log, 40, 3, 7)
      const before = await readAll(log, topic, 0)
      const end = activeBase(log)
      expect(end).toBeGreaterThan(0)
      const result = await compact(log)
      expect(result).not.toBeNull()
      expect(result!.cleanedTo).toBe(end)
      const after = await readAll(log, topic, 0)
      expect(views(after)).toEqual(views(lastPerKey(before, end)))
      expect(result!.removedRecords).toBe(before.length - after.length)
      expect(result!.bytesAfter).toBeLessThan(result!.bytesBefore)
      expect([log.logStartOffset, log.logEndOffset]).toEqual([0, 120])
      await expectContiguous(log)
    })

    it('reads from an offset compaction removed: the next surviving record comes first', async () => {
      const { topic, log } = await openLog('gap')
      await fill(log, 30, 2, 3)
      const before = await readAll(log, topic, 0)
      await compact(log)
      const survivors = new Set((await readAll(log, topic, 0)).map((r) => r.offset))
      const removed = before.find((r) => !survivors.has(r.offset))!
      const next = [...survivors].sort((a, b) => a - b).find((o) => o > removed.offset)!
      const from = await readAll(log, topic, 0, removed.offset)
      expect(from[0]!.offset).toBe(next)
      expect(await log.offsetForTimestamp(removed.timestamp)).toBe(next)
    })

    it('never compacts the active segment', async () => {
      const { topic, log } = await openLog('active')
      await append(log, [
        { key: 'a', value: '1' },
        { key: 'a', value: '2' },
      ])
      expect(await compact(log, { force: true })).toBeNull()
      expect((await readAll(log, topic, 0)).map((r) => r.value!.toString())).toEqual(['1', '2'])
    })

    it('waits for the dirty ratio, unless forced; a second pass over clean segments finds nothing due', async () => {
      const { log } = await openLog('ratio')
      await fill(log, 30, 2, 5)
      expect(await compact(log, { minCleanableDirtyRatio: 1.01 })).toBeNull()
      expect(await compact(log)).not.toBeNull()
      expect(await compact(log)).toBeNull()
      const again = await compact(log, { force: true })
      // A pass over what is compacted already removes nothing and leaves the log as it was.
      expect(again).toMatchObject({ removedRecords: 0, bytesAfter: again!.bytesBefore })
    })

    it('leaves segments newer than minCompactionLagMs and everything from the last stable offset on', async () => {
      const { topic, log } = await openLog('lag')
      await fill(log, 30, 2, 2, NOW - 100_000)
      const before = await readAll(log, topic, 0)
      const lso = Math.floor(log.logEndOffset / 2)
      const result = await compact(log, { lastStableOffset: lso })
      expect(result!.cleanedTo).toBeLessThanOrEqual(lso)
      const after = await readAll(log, topic, 0)
      expect(after.filter((r) => r.offset >= result!.cleanedTo)).toEqual(
        before.filter((r) => r.offset >= result!.cleanedTo),
      )
      expect(await compact(log, { force: true, minCompactionLagMs: 1_000_000 })).toBeNull()
    })

    it('keeps a tombstone until deleteRetentionMs after compaction first kept it, then removes it', async () => {
      const { topic, log } = await openLog('tombstone')
      await append(log, [{ key: 'gone', value: 'a' }])
      await append(log, [{ key: 'kept', value: 'b' }])
      await append(log, [{ key: 'gone', value: null }])
      await fill(log, 20, 2, 50)
      await compact(log, { force: true })
      const first = await readAll(log, topic, 0)
      expect(first.filter((r) => r.key!.toString() === 'gone').map((r) => r.value)).toEqual([null])
      await compact(log, { force: true, now: NOW + DELETE_RETENTION_MS - 1 })
      expect((await readAll(log, topic, 0)).some((r) => r.key!.toString() === 'gone')).toBe(true)
      await compact(log, { force: true, now: NOW + DELETE_RETENTION_MS })
      const last = await readAll(log, topic, 0)
      expect(last.some((r) => r.key!.toString() === 'gone')).toBe(false)
      expect(last.find((r) => r.key!.toString() === 'kept')?.value?.toString()).toBe('b')
      await expectContiguous(log)
    })

    it('runs again on its own once a delete horizon has passed, below the dirty ratio', async () => {
      const { topic, log } = await openLog('horizon')
      await append(log, [{ key: 'x', value: null }])
      await fill(log, 20, 2, 50)
      await compact(log)
      expect(await compact(log, { now: NOW + DELETE_RETENTION_MS - 1 })).toBeNull()
      expect(await compact(log, { now: NOW + DELETE_RETENTION_MS })).not.toBeNull()
      expect((await readAll(log, topic, 0)).some((r) => r.key!.toString() === 'x')).toBe(false)
    })

    it("removes aborted transactions' records; keeps a marker while its transaction keeps records", async () => {
      const { topic, log } = await openLog('txn')
      const txn = (producerId: number, key: string) =>
        transactional(rawBatch([{ key, value: `${key}-${producerId}` }]), producerId)
      await log.append(txn(1, 'a'))
      await log.append(txn(2, 'b'))
      const abort = await log.append(controlBatch(ControlType.Abort, 1, 0, 1_000))
      await log.append(controlBatch(ControlType.Commit, 2, 0, 1_000))
      await fill(log, 20, 2, 50)
      const aborted = (producerId: number, offset: number) => producerId === 1 && offset < abort
      await compact(log, { force: true, aborted })
      const records = await readAll(log, topic, 0)
      expect(records.map((r) => r.key!.toString())).not.toContain('a')
      expect(records.find((r) => r.key!.toString() === 'b')?.value?.toString()).toBe('b-2')
      const markers = async () => {
        const found: number[] = []
        for (const batch of await readBatches(log, 0)) if (batch.control) found.push(batch.producerId)
        return found
      }
      expect(await markers()).toEqual([1, 2])
      await compact(log, { force: true, aborted, now: NOW + DELETE_RETENTION_MS })
      expect(await markers()).toEqual([2])
    })

    it('removes keyless records (a topic that became compacted may hold some), as Kafka does', async () => {
      const { topic, log } = await openLog('keyless')
      await append(log, [{ value: 'no key' }, { key: 'k', value: 'v' }])
      await fill(log, 20, 2, 50)
      await compact(log, { force: true })
      expect((await readAll(log, topic, 0)).map((r) => r.value!.toString())).not.toContain('no key')
    })

    it('what it made survives a close and reopen', async () => {
      const { h, topic, config, log } = await openLog('durable')
      if (!h.canReopen) return
      await fill(log, 30, 3, 4)
      await compact(log)
      const after = views(await readAll(log, topic, 0))
      await h.closeAndReopen()
      const again = await h.storage.openLog(topic, 0, config)
      expect(views(await readAll(again, topic, 0))).toEqual(after)
      await expectContiguous(again)
    })
  })
}

function transactional(batch: RecordBatch, producerId: number): RecordBatch {
  return RecordBatch.fromColumns(batch, batch.columns, {
    ...batch,
    count: batch.count,
    firstTimestamp: batch.firstTimestamp,
    maxTimestamp: batch.maxTimestamp,
    sizeBytes: batch.sizeBytes,
    producerId,
    producerEpoch: 0,
    baseSequence: 0,
    transactional: true,
  })
}

import { describe, expect, it } from 'vitest'
import { ClosedError, CorruptLogError, OffsetOutOfRangeError } from '../../../src/errors'
import { type Codec, RAW, string } from '../../../src/record/codec'
import type { PartitionLog } from '../../../src/storage/storage'
import { type RetentionPolicy, retentionCut } from '../../../src/topic/retention'
import { uniqueName } from '../../support/bus'
import {
  type Appended,
  append,
  appendBatches,
  BIG_READ,
  columnIn,
  expectedRecords,
  expectWithinBudget,
  failure,
  offsetsOf,
  range,
  rawBatch,
  read,
  readAll,
  readBatches,
  rejection,
  SEGMENT_BYTES,
  type StorageFactory,
  setup,
  sized,
  topicConfig,
  typedBatch,
  views,
} from './harness'

/** Retention as the core applies it: the cut `retentionCut` computes over the log's segments. */
async function applyRetention(log: PartitionLog, policy: RetentionPolicy): Promise<void> {
  const cut = retentionCut(log.segments(), log.sizeBytes, policy)
  if (cut !== undefined && cut > log.logStartOffset) await log.truncateBefore(cut)
}

/** The PartitionLog contract: append, read, offsetForTimestamp, segments, truncateBefore, errors. */
export function logContract(factory: StorageFactory): void {
  async function openLog(prefix: string) {
    const h = await setup(factory)
    const topic = uniqueName(prefix)
    return { h, topic, log: await h.storage.openLog(topic, 0, topicConfig()) }
  }

  describe('append', () => {
    it('returns the base offset and numbers records densely from the current end', async () => {
      const { topic, log } = await openLog('append')
      expect([log.logStartOffset, log.logEndOffset]).toEqual([0, 0])
      const a = await append(log, [{ value: 'a' }, { value: 'b' }])
      const b = await append(log, [{ value: 'c' }])
      const c = await append(log, [{ value: 'd' }, { value: 'e' }, { value: 'f' }])
      expect([a.base, b.base, c.base]).toEqual([0, 2, 3])
      expect([a.batch.baseOffset, b.batch.baseOffset, c.batch.nextOffset]).toEqual([0, 2, 6])
      expect([log.logStartOffset, log.logEndOffset]).toEqual([0, 6])
      expect(offsetsOf(await readAll(log, topic, 0))).toEqual(range(0, 6))
    })

    it('assigns base offsets synchronously, in call order, for appends issued back to back', async () => {
      const { topic, log } = await openLog('order')
      const batches = [3, 1, 4, 1, 5, 9, 2, 6].map((n, b) =>
        rawBatch(range(0, n).map((i) => ({ value: sized(`b${b}-${i}`, 150) }))),
      )
      // Issued without awaiting: each base offset is set before append returns.
      const pending = batches.map((batch) => log.append(batch))
      expect(batches.map((b) => b.baseOffset)).toEqual([0, 3, 4, 8, 9, 14, 23, 25])
      expect(await Promise.all(pending)).toEqual([0, 3, 4, 8, 9, 14, 23, 25])
      expect(log.logEndOffset).toBe(31)
      const stored = await readAll(log, topic, 0)
      expect(stored.map((r) => r.value?.toString())).toEqual(
        batches.flatMap((b) => columnIn(b, RAW, 'values').map((v) => (v as Buffer).toString())),
      )
      expect(offsetsOf(stored)).toEqual(range(0, 31))
    })

    it('stores keys, values, headers and timestamps as given', async () => {
      const { topic, log } = await openLog('fields')
      const binary = Buffer.from([0, 1, 2, 0xfe, 0xff])
      const appended = await append(log, [
        { key: 'k', value: 'v', headers: { one: Buffer.from('1') }, timestamp: 1_700_000_000_123 },
        { key: null, value: null, timestamp: 5 },
        { key: binary, value: Buffer.alloc(0), headers: { rep: [Buffer.from('a'), Buffer.from('b')] } },
        { key: '', value: 'x', headers: { empty: Buffer.alloc(0), 'ü-ß': Buffer.from('ÿ') }, timestamp: 7 },
        // Timestamps need not increase within a batch.
        { key: 'late', value: 'earlier', timestamp: 3 },
      ])
      expect(views(await read(log, topic, 0, 0))).toEqual(expectedRecords(topic, 0, [appended]))
    })

    it('returns batches as stored: a typed batch reads back with the same values in its codec', async () => {
      const { log } = await openLog('typed')
      const text = string()
      const keys = ['k1', 'ключ', 'k3']
      const values = ['plain', 'ünïcödé 😀', '']
      await log.append(typedBatch(text, keys, values, 42))
      const [batch] = await readBatches(log, 0)
      expect(batch!.baseOffset).toBe(0)
      expect(batch!.count).toBe(3)
      expect(batch!.maxTimestamp).toBe(42)
      expect(columnIn(batch!, text as Codec<unknown, unknown>, 'keys')).toEqual(keys)
      expect(columnIn(batch!, text as Codec<unknown, unknown>, 'values')).toEqual(values)
      expect(columnIn(batch!, RAW, 'values').map((b) => (b as Buffer).toString('utf8'))).toEqual(values)
    })
  })

  describe('read', () => {
    it('reads from the first offset, the middle of a batch, the last offset and the end', async () => {
      const { topic, log } = await openLog('read')
      // 10 batches of 3 records: about 3 KiB, several segments in file storage.
      const expected = expectedRecords(
        topic,
        0,
        await appendBatches(log, 10, { perBatch: 3, valueBytes: 80 }),
      )
      expect(log.logEndOffset).toBe(30)
      expect(views(await readAll(log, topic, 0))).toEqual(expected)
      for (const offset of range(0, 30)) {
        const batches = await readBatches(log, offset)
        // Whole batches, the first one holding the offset.
        expect(batches[0]!.baseOffset).toBeLessThanOrEqual(offset)
        expect(batches[0]!.nextOffset).toBeGreaterThan(offset)
        const records = await read(log, topic, 0, offset)
        expect(records[0]?.offset).toBe(offset)
        expect(views(records)).toEqual(expected.slice(offset, offset + records.length))
      }
      expect((await read(log, topic, 0, 13))[0]?.value?.toString()).toBe(sized('r-4-1', 80))
      expect(views(await read(log, topic, 0, 29))).toEqual([expected[29]])
      expect(await readBatches(log, 30)).toEqual([])
    })

    it('rejects offsets outside [logStartOffset, logEndOffset] with OffsetOutOfRangeError', async () => {
      const { topic, log } = await openLog('range')
      expect(await readBatches(log, 0)).toEqual([])
      expect(await rejection(readBatches(log, 1))).toBeInstanceOf(OffsetOutOfRangeError)
      await appendBatches(log, 2, { perBatch: 2 })
      for (const offset of [-1, 5, 100]) {
        const error = await rejection(readBatches(log, offset))
        expect(error).toBeInstanceOf(OffsetOutOfRangeError)
        expect(error).toMatchObject({ topic, partition: 0, offset })
      }
    })

    it('returns one whole batch even when it is larger than maxBytes', async () => {
      const { topic, log } = await openLog('big')
      await appendBatches(log, 1, { perBatch: 2, valueBytes: 50, label: 'small' })
      // Larger than the budget, and larger than a segment.
      const big = (await appendBatches(log, 1, { perBatch: 3, valueBytes: 600, label: 'big' }))[0]!
      await appendBatches(log, 1, { perBatch: 2, valueBytes: 50, label: 'after' })
      expect(big.batch.sizeBytes).toBeGreaterThan(SEGMENT_BYTES)
      const bigRecords = expectedRecords(topic, 0, [big])
      expect(views(await read(log, topic, 0, big.base, 1))).toEqual(bigRecords)
      expect(views(await read(log, topic, 0, big.base + 1, 1))).toEqual(bigRecords.slice(1))
      expect(views(await read(log, topic, 0, big.base + 2, 100))).toEqual(bigRecords.slice(2))
      expect(offsetsOf(await read(log, topic, 0, 0, 1))).toEqual([0, 1])
    })

    // A backend may store batches as they were appended (the file log) or join small ones (memory
    // storage, `joinsBatches`): the first batch read holds `from`, and the batches follow one another
    // with no gap. As appended, it starts exactly at `from`.
    it('stops at about maxBytes, across segments', async () => {
      const { h, log } = await openLog('budget')
      const asAppended = h.underTest.joinsBatches !== true
      await appendBatches(log, 30, { valueBytes: 200 })
      for (const maxBytes of [1000, 2500]) {
        for (const from of [0, 7, 22]) {
          const batches = await readBatches(log, from, maxBytes)
          if (asAppended) expect(batches[0]!.baseOffset).toBe(from)
          expect(batches[0]!.baseOffset).toBeLessThanOrEqual(from)
          expect(batches[0]!.nextOffset).toBeGreaterThan(from)
          for (let i = 1; i < batches.length; i++)
            expect(batches[i]!.baseOffset).toBe(batches[i - 1]!.nextOffset)
          expectWithinBudget(batches, maxBytes, batches.at(-1)!.nextOffset < 30)
        }
      }
      const tail = await readBatches(log, 27, 1000)
      expect([tail[0]!.baseOffset <= 27, tail.at(-1)!.nextOffset]).toEqual([true, 30])
      if (asAppended) expect(tail.map((b) => b.baseOffset)).toEqual([27, 28, 29])
    })

    it('never returns records at or past logEndOffset, even while an append is in flight', async () => {
      const { topic, log } = await openLog('inflight')
      await appendBatches(log, 3, { perBatch: 2 })
      const pending = log.append(rawBatch([{ value: 'p0' }, { value: 'p1' }, { value: 'p2' }]))
      // Everything below is synchronous: the append cannot complete in between.
      const end = log.logEndOffset
      const fromStart = log.read(0, BIG_READ)
      const atEnd = log.read(end, BIG_READ)
      expect([6, 9]).toContain(end)
      const seen = (await fromStart).filter((b) => b.baseOffset >= 0)
      expect(seen.at(-1)!.nextOffset).toBe(end)
      expect(await atEnd).toEqual([])
      expect(await pending).toBe(6)
      expect(log.logEndOffset).toBe(9)
      expect(offsetsOf(await read(log, topic, 0, 6))).toEqual([6, 7, 8])
    })

    it('reading the same offsets twice gives the same records', async () => {
      const { topic, log } = await openLog('twice')
      await appendBatches(log, 6, { perBatch: 2, valueBytes: 120 })
      const first = views(await readAll(log, topic, 0))
      expect(views(await readAll(log, topic, 0))).toEqual(first)
    })
  })

  describe('offsetForTimestamp', () => {
    it('finds the first offset whose timestamp is at or after the one asked for', async () => {
      const { log } = await openLog('time')
      expect(await log.offsetForTimestamp(0)).toBeNull()
      const ts = [100, 200, 200, 300, 500, 400, 600]
      // Batches: [100, 200], [200, 300], [500, 400], [600]; values pad them over several segments.
      for (const group of [[0, 1], [2, 3], [4, 5], [6]]) {
        await append(
          log,
          group.map((i) => ({ value: sized(`t${i}`, 300), timestamp: ts[i]! })),
        )
      }
      expect(await log.offsetForTimestamp(0)).toBe(0)
      expect(await log.offsetForTimestamp(100)).toBe(0)
      expect(await log.offsetForTimestamp(101)).toBe(1)
      expect(await log.offsetForTimestamp(200)).toBe(1)
      expect(await log.offsetForTimestamp(250)).toBe(3)
      expect(await log.offsetForTimestamp(301)).toBe(4)
      // Offset 4 (500) comes before offset 5 (400): the first offset at or after 450 is 4.
      expect(await log.offsetForTimestamp(450)).toBe(4)
      expect(await log.offsetForTimestamp(600)).toBe(6)
      expect(await log.offsetForTimestamp(601)).toBeNull()
      // Records below logStartOffset are not found any more.
      await log.truncateBefore(2)
      expect(await log.offsetForTimestamp(0)).toBe(2)
      await log.truncateBefore(5)
      expect(await log.offsetForTimestamp(450)).toBe(6)
      expect(await log.offsetForTimestamp(0)).toBe(5)
    })
  })

  describe('segments and truncateBefore', () => {
    it('segments are oldest first, contiguous, cover the log and add up to sizeBytes', async () => {
      const { log } = await openLog('segments')
      expect([...log.segments()].reduce((n, s) => n + s.sizeBytes, 0)).toBe(log.sizeBytes)
      await appendBatches(log, 12, { perBatch: 2, valueBytes: 100, timestamp: 5 })
      await appendBatches(log, 1, { timestamp: 9 })
      const segments = [...log.segments()]
      expect(segments.length).toBeGreaterThan(0)
      expect(segments[0]!.baseOffset).toBeLessThanOrEqual(log.logStartOffset)
      for (let i = 1; i < segments.length; i++)
        expect(segments[i]!.baseOffset).toBe(segments[i - 1]!.nextOffset)
      expect(segments.at(-1)!.nextOffset).toBe(log.logEndOffset)
      expect(segments.reduce((n, s) => n + s.sizeBytes, 0)).toBe(log.sizeBytes)
      expect(Math.max(...segments.map((s) => s.maxTimestamp))).toBe(9)
    })

    it('moves logStartOffset; reads below it fail, reads from it return the rest', async () => {
      const { topic, log } = await openLog('truncate')
      const expected = expectedRecords(
        topic,
        0,
        await appendBatches(log, 8, { perBatch: 3, valueBytes: 100 }),
      )
      // Into the middle of a batch in a later segment.
      await log.truncateBefore(10)
      expect([log.logStartOffset, log.logEndOffset]).toEqual([10, 24])
      for (const offset of [0, 9])
        expect(await rejection(readBatches(log, offset))).toBeInstanceOf(OffsetOutOfRangeError)
      expect(views(await readAll(log, topic, 0))).toEqual(expected.slice(10))
      expect((await read(log, topic, 0, 10))[0]?.offset).toBe(10)
      // Lower than the start: nothing changes.
      await log.truncateBefore(4)
      expect(log.logStartOffset).toBe(10)
      // Past the end: rejected, nothing changes.
      expect(await failure(() => log.truncateBefore(25))).toBeInstanceOf(OffsetOutOfRangeError)
      expect(log.logStartOffset).toBe(10)
      // Up to the end: empty, and appends go on from the end.
      await log.truncateBefore(24)
      expect([log.logStartOffset, log.logEndOffset]).toEqual([24, 24])
      expect(await readBatches(log, 24)).toEqual([])
      expect(await rejection(readBatches(log, 23))).toBeInstanceOf(OffsetOutOfRangeError)
      expect((await append(log, [{ value: 'after' }])).base).toBe(24)
      expect((await read(log, topic, 0, 24)).map((r) => r.value?.toString())).toEqual(['after'])
    })
  })

  describe('retention (the core’s retentionCut over segments, then truncateBefore)', () => {
    /** The batch whose base is the log start: retention deletes whole batches or segments only. */
    function remainingFrom(appended: Appended[], start: number): Appended[] {
      const index = appended.findIndex((a) => a.base === start)
      expect(index, `logStartOffset ${start} is the base of an appended batch`).toBeGreaterThanOrEqual(0)
      return appended.slice(index)
    }

    it('by time: deletes whole old batches or segments and keeps what is recent', async () => {
      const { topic, log } = await openLog('ret-time')
      const old = await appendBatches(log, 12, { perBatch: 2, valueBytes: 100, timestamp: 1_000 })
      const recent = await appendBatches(log, 3, {
        perBatch: 2,
        valueBytes: 100,
        timestamp: 100_000,
        label: 'new',
      })
      await applyRetention(log, { now: 100_000, retentionMs: 50_000, retentionBytes: null })
      const start = log.logStartOffset
      expect(start).toBeGreaterThan(0)
      expect(start).toBeLessThanOrEqual(recent[0]!.base)
      expect(log.logEndOffset).toBe(30)
      const kept = remainingFrom([...old, ...recent], start)
      expect(views(await readAll(log, topic, 0))).toEqual(expectedRecords(topic, 0, kept))
      expect(await rejection(readBatches(log, start - 1))).toBeInstanceOf(OffsetOutOfRangeError)
      expect(await log.offsetForTimestamp(0)).toBe(start)
      // Nothing else is old enough now.
      await applyRetention(log, { now: 100_000, retentionMs: 50_000, retentionBytes: null })
      expect(log.logStartOffset).toBe(start)
    })

    it('by time: never deletes the newest data, even when all of it expired', async () => {
      const { topic, log } = await openLog('ret-all')
      const appended = await appendBatches(log, 10, { perBatch: 2, valueBytes: 100 })
      await applyRetention(log, { now: 1_000_000_000, retentionMs: 1_000, retentionBytes: null })
      expect(log.logEndOffset).toBe(20)
      expect(log.logStartOffset).toBeGreaterThan(0)
      expect(log.logStartOffset).toBeLessThanOrEqual(appended.at(-1)!.base)
      const kept = remainingFrom(appended, log.logStartOffset)
      expect(views(await readAll(log, topic, 0))).toEqual(expectedRecords(topic, 0, kept))
      expect((await append(log, [{ value: 'next' }])).base).toBe(20)
    })

    it('by bytes: keeps at least retentionBytes and deletes whole batches or segments beyond', async () => {
      const { topic, log } = await openLog('ret-bytes')
      const appended = await appendBatches(log, 15, { valueBytes: 200 })
      // About a third of the log: several segments (or batches) go.
      const retentionBytes = Math.floor(log.sizeBytes / 3)
      await applyRetention(log, { now: 2_000, retentionMs: null, retentionBytes })
      expect(log.logStartOffset).toBeGreaterThan(0)
      expect(log.sizeBytes).toBeGreaterThanOrEqual(retentionBytes)
      const kept = remainingFrom(appended, log.logStartOffset)
      expect(views(await readAll(log, topic, 0))).toEqual(expectedRecords(topic, 0, kept))
      // A tiny limit still keeps the newest batch.
      await applyRetention(log, { now: 2_000, retentionMs: null, retentionBytes: 1 })
      expect(log.logStartOffset).toBeLessThanOrEqual(appended.at(-1)!.base)
      expect(log.logEndOffset).toBe(15)
      expect(offsetsOf(await read(log, topic, 0, 14))).toEqual([14])
    })

    it('deletes nothing without limits or within them', async () => {
      const { topic, log } = await openLog('ret-none')
      const appended = await appendBatches(log, 10, { valueBytes: 200, timestamp: 5_000 })
      await applyRetention(log, { now: 1e12, retentionMs: null, retentionBytes: null })
      await applyRetention(log, { now: 6_000, retentionMs: 10_000, retentionBytes: 1 << 30 })
      // Exactly at the limit is not past it.
      await applyRetention(log, { now: 15_000, retentionMs: 10_000, retentionBytes: null })
      expect(log.logStartOffset).toBe(0)
      expect(views(await readAll(log, topic, 0))).toEqual(expectedRecords(topic, 0, appended))
    })

    it('retention survives a reopen', async (ctx) => {
      const h = await setup(factory)
      if (!h.canReopen) ctx.skip()
      const topic = uniqueName('retained')
      const config = topicConfig()
      await h.storage.saveTopic({ name: topic, config })
      const log = await h.storage.openLog(topic, 0, config)
      const appended = await appendBatches(log, 12, { valueBytes: 200 })
      await applyRetention(log, { now: 0, retentionMs: null, retentionBytes: 1 })
      const start = log.logStartOffset
      expect(start).toBeGreaterThan(0)
      await h.closeAndReopen()
      const again = await h.storage.openLog(topic, 0, config)
      expect([again.logStartOffset, again.logEndOffset]).toEqual([start, 12])
      expect(views(await readAll(again, topic, 0))).toEqual(expectedRecords(topic, 0, appended.slice(start)))
    })
  })

  describe('errors', () => {
    it('after close every call on the log throws ClosedError; close is idempotent', async () => {
      const { log } = await openLog('closed')
      await appendBatches(log, 2)
      await log.close()
      await log.close()
      const calls = [
        () => log.logStartOffset,
        () => log.logEndOffset,
        () => log.sizeBytes,
        () => log.append(rawBatch([{ value: 'late' }])),
        () => log.read(0, BIG_READ),
        () => log.offsetForTimestamp(0),
        () => [...log.segments()],
        () => log.truncateBefore(1),
      ]
      for (const call of calls) expect(await failure(call)).toBeInstanceOf(ClosedError)
    })

    it('a damaged batch throws CorruptLogError naming its offset; the batches around it stay readable', async (ctx) => {
      const h = await setup(factory)
      if (!h.canReopen || h.underTest.corrupt === undefined) ctx.skip()
      const topic = uniqueName('damaged')
      const config = topicConfig()
      await h.storage.saveTopic({ name: topic, config })
      const appended = await appendBatches(await h.storage.openLog(topic, 0, config), 9, {
        perBatch: 2,
        valueBytes: 100,
      })
      const expected = expectedRecords(topic, 0, appended)
      const victim = appended[4]!
      await h.storage.close()
      await h.underTest.corrupt!(topic, 0, victim.base)
      const next = await h.underTest.reopen!()
      await next.open()
      h.storage = next
      const log = await next.openLog(topic, 0, config)
      // A read from before the damage returns what precedes it and stops there.
      const before = await readAll(log, topic, 0).catch(() => undefined)
      expect(before).toBeUndefined()
      const head = await read(log, topic, 0, 0)
      expect(views(head)).toEqual(expected.slice(0, head.length))
      expect(head.at(-1)!.offset).toBeLessThan(victim.base)
      for (const offset of [victim.base, victim.base + 1]) {
        const error = await rejection(readBatches(log, offset))
        expect(error).toBeInstanceOf(CorruptLogError)
        expect((error as CorruptLogError).offset).toBe(victim.base)
      }
      // Reads past it go on.
      const after = appended[5]!.base
      expect(views(await readAll(log, topic, 0, after))).toEqual(expected.slice(after))
    })
  })
}

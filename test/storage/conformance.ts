import { describe, expect, it, onTestFinished } from 'vitest'
import { LockedError, OffsetOutOfRangeError } from '../../src/errors'
import { EMPTY_HEADERS, type LogRecord, type RecordHeaders } from '../../src/record/log-record'
import { encodedBatchSize } from '../../src/storage/file/record-batch'
import type {
  CommittedOffset,
  PartitionLog,
  Storage,
  StorageSnapshot,
  TopicConfig,
} from '../../src/storage/storage'
import { uniqueName } from '../support/bus'

/**
 * What a storage conformance run needs: a storage that has not been opened yet, optionally a way to get
 * a new (not yet opened) handle on the same data after the first one closed, and a cleanup.
 */
export interface StorageUnderTest {
  storage: Storage
  reopen?: () => Promise<Storage>
  cleanup: () => Promise<void>
}

/** Segments roll at this size, so a few kilobytes of records span several segments in file storage. */
const SEGMENT_BYTES = 1024
const BIG_READ = 1 << 20

function topicConfig(overrides: Partial<TopicConfig> = {}): TopicConfig {
  return {
    partitions: 1,
    retentionMs: null,
    retentionBytes: null,
    segmentBytes: SEGMENT_BYTES,
    cleanupPolicy: 'delete',
    maxMessageBytes: 1 << 20,
    ...overrides,
  }
}

interface RecordSpec {
  key?: Buffer | string | null
  value: Buffer | string | null
  headers?: RecordHeaders
  timestamp?: number
}

function toBuffer(value: Buffer | string | null | undefined): Buffer | null {
  if (value === undefined || value === null) return null
  return typeof value === 'string' ? Buffer.from(value) : value
}

function makeRecords(topic: string, partition: number, specs: RecordSpec[]): LogRecord[] {
  return specs.map((spec) => ({
    topic,
    partition,
    offset: -1,
    timestamp: spec.timestamp ?? 1_000,
    key: toBuffer(spec.key),
    value: toBuffer(spec.value),
    headers: spec.headers ?? EMPTY_HEADERS,
  }))
}

/** A value of exactly `size` bytes that names its position, so misplaced records are visible. */
function sized(label: string, size: number): string {
  return label.padEnd(size, '.')
}

/** What a test appended: its records (offsets set by the log) and its size as the producer counted it. */
interface Appended {
  base: number
  records: LogRecord[]
  bytes: number
}

/**
 * Appends one batch and waits for it. `bytes` is the batch's RecordBatch v2 size, so memory and file
 * storage measure the same thing for byte budgets and retention.
 */
async function append(log: PartitionLog, records: LogRecord[]): Promise<Appended> {
  const bytes = encodedBatchSize(records)
  const base = await log.append(records, bytes)
  return { base, records, bytes }
}

/** `count` batches of `perBatch` records with values of `valueBytes`, appended one after the other. */
async function appendBatches(
  log: PartitionLog,
  topic: string,
  partition: number,
  count: number,
  options: { perBatch?: number; valueBytes?: number; timestamp?: number; label?: string } = {},
): Promise<Appended[]> {
  const { perBatch = 1, valueBytes = 200, timestamp = 1_000, label = 'r' } = options
  const out: Appended[] = []
  for (let b = 0; b < count; b++) {
    const specs: RecordSpec[] = []
    for (let i = 0; i < perBatch; i++) {
      specs.push({ key: `${label}-${b}-${i}`, value: sized(`${label}-${b}-${i}`, valueBytes), timestamp })
    }
    out.push(await append(log, makeRecords(topic, partition, specs)))
  }
  return out
}

/** Reads through the MaybePromise (a synchronous throw becomes a rejection). */
async function read(log: PartitionLog, offset: number, maxBytes = BIG_READ): Promise<LogRecord[]> {
  return await log.read(offset, maxBytes)
}

/** Every record from `from` to the log end, one read after another. */
async function readAll(log: PartitionLog, from = log.logStartOffset): Promise<LogRecord[]> {
  const out: LogRecord[] = []
  let offset = from
  while (offset < log.logEndOffset) {
    const records = await read(log, offset)
    if (records.length === 0) throw new Error(`read(${offset}) returned nothing before the log end`)
    out.push(...records)
    offset = records.at(-1)!.offset + 1
  }
  return out
}

async function rejection(promise: unknown): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** A comparable view of a record: what must survive storage byte for byte. */
function view(record: LogRecord): {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: string | null
  headers: Record<string, string | string[]>
} {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(record.headers)) {
    headers[name] = Array.isArray(value) ? value.map((v) => v.toString('hex')) : value.toString('hex')
  }
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : record.key.toString('hex'),
    value: record.value === null ? null : record.value.toString('hex'),
    headers,
  }
}

function views(records: readonly LogRecord[]): ReturnType<typeof view>[] {
  return records.map(view)
}

function offsetsOf(records: readonly LogRecord[]): number[] {
  return records.map((r) => r.offset)
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}

function sortOffsets(offsets: readonly CommittedOffset[]): CommittedOffset[] {
  return [...offsets].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  )
}

function sortedGroups(snapshot: StorageSnapshot): Record<string, CommittedOffset[]> {
  const out: Record<string, CommittedOffset[]> = {}
  for (const [groupId, offsets] of Object.entries(snapshot.groups)) out[groupId] = sortOffsets(offsets)
  return out
}

interface Harness {
  storage: Storage
  snapshot: StorageSnapshot
  canReopen: boolean
  /** Closes the current storage and opens the data again; the harness then points at the new one. */
  closeAndReopen(): Promise<StorageSnapshot>
  /** A second, not yet opened handle on the same data (for the lock test). */
  another(): Promise<Storage>
}

async function setup(factory: () => Promise<StorageUnderTest>): Promise<Harness> {
  const underTest = await factory()
  const opened: Storage[] = []
  onTestFinished(async () => {
    for (const storage of opened.reverse()) await storage.close()
    await underTest.cleanup()
  })
  const snapshot = await underTest.storage.open()
  opened.push(underTest.storage)
  const harness: Harness = {
    storage: underTest.storage,
    snapshot,
    canReopen: underTest.reopen !== undefined,
    async closeAndReopen() {
      if (underTest.reopen === undefined) throw new Error('this storage cannot be reopened')
      await harness.storage.close()
      const next = await underTest.reopen()
      harness.snapshot = await next.open()
      opened.push(next)
      harness.storage = next
      return harness.snapshot
    },
    async another() {
      if (underTest.reopen === undefined) return underTest.storage
      return underTest.reopen()
    },
  }
  return harness
}

/**
 * The one conformance suite every Storage passes: the Storage and PartitionLog contracts, exercised
 * directly (not through a Bus). `factory` makes a fresh, unopened storage per test; with `reopen`,
 * durability across close and open is checked too.
 */
export function storageConformance(
  name: string,
  factory: () => Promise<{ storage: Storage; reopen?: () => Promise<Storage>; cleanup: () => Promise<void> }>,
): void {
  describe(`${name}: storage conformance`, () => {
    describe('open and topic metadata', () => {
      it('a fresh storage opens to an empty snapshot', async () => {
        const h = await setup(factory)
        expect(h.snapshot).toEqual({ topics: [], groups: {} })
      })

      it('saved, updated and deleted topics are what the next open returns', async (ctx) => {
        const h = await setup(factory)
        if (!h.canReopen) ctx.skip()
        const orders = uniqueName('orders')
        const audit = uniqueName('audit')
        const gone = uniqueName('gone')
        const ordersConfig = topicConfig({ partitions: 3, retentionMs: 60_000, retentionBytes: 4096 })
        await h.storage.saveTopic({ name: orders, config: ordersConfig })
        await h.storage.saveTopic({ name: audit, config: topicConfig() })
        await h.storage.saveTopic({ name: gone, config: topicConfig() })
        // An update (createPartitions) replaces the stored config.
        const grown = { ...ordersConfig, partitions: 5 }
        await h.storage.saveTopic({ name: orders, config: grown })
        await h.storage.deleteTopic(gone)

        const snapshot = await h.closeAndReopen()
        const byName = new Map(snapshot.topics.map((t) => [t.name, t.config]))
        expect([...byName.keys()].sort()).toEqual([audit, orders].sort())
        expect(byName.get(orders)).toEqual(grown)
        expect(byName.get(audit)).toEqual(topicConfig())

        // The snapshot is a copy: changing it changes nothing stored.
        byName.get(orders)!.partitions = 99
        const again = await h.closeAndReopen()
        expect(again.topics.find((t) => t.name === orders)?.config).toEqual(grown)
      })

      it('a second open while the storage is open rejects with LockedError; after close it opens', async () => {
        const h = await setup(factory)
        const topic = uniqueName('locked')
        await h.storage.saveTopic({ name: topic, config: topicConfig() })
        const other = await h.another()
        const error = await rejection(other.open())
        expect(error).toBeInstanceOf(LockedError)
        // The failed open took nothing from the owner.
        const log = await h.storage.openLog(topic, 0, topicConfig())
        const { base } = await append(log, makeRecords(topic, 0, [{ value: 'still mine' }]))
        expect(base).toBe(0)
        if (h.canReopen) {
          const snapshot = await h.closeAndReopen()
          expect(snapshot.topics.map((t) => t.name)).toEqual([topic])
        }
      })
    })

    describe('append', () => {
      it('returns the base offset and numbers records densely from the current end', async () => {
        const h = await setup(factory)
        const topic = uniqueName('append')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        expect(log.logStartOffset).toBe(0)
        expect(log.logEndOffset).toBe(0)
        const a = await append(log, makeRecords(topic, 0, [{ value: 'a' }, { value: 'b' }]))
        const b = await append(log, makeRecords(topic, 0, [{ value: 'c' }]))
        const c = await append(log, makeRecords(topic, 0, [{ value: 'd' }, { value: 'e' }, { value: 'f' }]))
        expect([a.base, b.base, c.base]).toEqual([0, 2, 3])
        expect(offsetsOf([...a.records, ...b.records, ...c.records])).toEqual([0, 1, 2, 3, 4, 5])
        expect(log.logEndOffset).toBe(6)
        expect(log.logStartOffset).toBe(0)
      })

      it('sets offsets before append returns and keeps call order for appends issued back-to-back', async () => {
        const h = await setup(factory)
        const topic = uniqueName('order')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        const batches = [3, 1, 4, 1, 5, 9, 2, 6].map((n, b) =>
          makeRecords(
            topic,
            0,
            range(0, n).map((i) => ({ value: sized(`b${b}-${i}`, 150) })),
          ),
        )
        // Issued without awaiting: offsets must be assigned synchronously, in call order.
        const pending = batches.map((records) => log.append(records, encodedBatchSize(records)))
        expect(batches.flat().map((r) => r.offset)).toEqual(range(0, 31))
        const bases = await Promise.all(pending)
        expect(bases).toEqual([0, 3, 4, 8, 9, 14, 23, 25])
        expect(log.logEndOffset).toBe(31)
        const stored = await readAll(log, 0)
        expect(stored.map((r) => r.value?.toString())).toEqual(batches.flat().map((r) => r.value?.toString()))
        expect(offsetsOf(stored)).toEqual(range(0, 31))
      })

      it('stores keys, values, headers and timestamps as given', async () => {
        const h = await setup(factory)
        const topic = uniqueName('fields')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        const binary = Buffer.from([0, 1, 2, 0xfe, 0xff])
        const records = makeRecords(topic, 0, [
          { key: 'k', value: 'v', headers: { one: Buffer.from('1') }, timestamp: 1_700_000_000_123 },
          { key: null, value: null, timestamp: 5 },
          { key: binary, value: Buffer.alloc(0), headers: { rep: [Buffer.from('a'), Buffer.from('b')] } },
          { key: '', value: 'x', headers: { empty: Buffer.alloc(0), 'ü-ß': Buffer.from('ÿ') }, timestamp: 7 },
          // Timestamps need not increase within a batch.
          { key: 'late', value: 'earlier', timestamp: 3 },
        ])
        const expected = views(records.map((r, i) => ({ ...r, offset: i })))
        await append(log, records)
        expect(views(await read(log, 0))).toEqual(expected)
      })
    })

    describe('read', () => {
      it('reads from the first offset, the middle of a batch, the last offset and the end', async () => {
        const h = await setup(factory)
        const topic = uniqueName('read')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        // 10 batches of 3 records: about 3 KiB, several segments in file storage.
        const appended = await appendBatches(log, topic, 0, 10, { perBatch: 3, valueBytes: 80 })
        const all = appended.flatMap((a) => a.records)
        const expected = views(all)
        expect(log.logEndOffset).toBe(30)

        expect(views(await readAll(log, 0))).toEqual(expected)
        const fromFirst = await read(log, 0)
        expect(fromFirst[0]?.offset).toBe(0)
        expect(views(fromFirst)).toEqual(expected.slice(0, fromFirst.length))

        for (const offset of range(0, 30)) {
          const records = await read(log, offset)
          expect(records.length).toBeGreaterThan(0)
          expect(records[0]?.offset).toBe(offset)
          expect(views(records)).toEqual(expected.slice(offset, offset + records.length))
        }
        const middle = await read(log, 13)
        expect(middle[0]?.value?.toString()).toBe(sized('r-4-1', 80))

        const last = await read(log, 29)
        expect(views(last)).toEqual([expected[29]])
        expect(await read(log, 30)).toEqual([])
      })

      it('rejects offsets outside [logStartOffset, logEndOffset] with OffsetOutOfRangeError', async () => {
        const h = await setup(factory)
        const topic = uniqueName('range')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        expect(await read(log, 0)).toEqual([])
        expect(await rejection(read(log, 1))).toBeInstanceOf(OffsetOutOfRangeError)
        await appendBatches(log, topic, 0, 2, { perBatch: 2 })
        for (const offset of [-1, 5, 100]) {
          const error = await rejection(read(log, offset))
          expect(error).toBeInstanceOf(OffsetOutOfRangeError)
          expect(error).toMatchObject({ topic, partition: 0, offset })
        }
      })

      it('returns one whole batch even when it is larger than maxBytes', async () => {
        const h = await setup(factory)
        const topic = uniqueName('big')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        await appendBatches(log, topic, 0, 1, { perBatch: 2, valueBytes: 50, label: 'small' })
        // Larger than the budget, and larger than a segment.
        const big = await appendBatches(log, topic, 0, 1, { perBatch: 3, valueBytes: 600, label: 'big' })
        await appendBatches(log, topic, 0, 1, { perBatch: 2, valueBytes: 50, label: 'after' })
        const batch = big[0]!
        expect(batch.bytes).toBeGreaterThan(SEGMENT_BYTES)

        expect(views(await read(log, batch.base, 1))).toEqual(views(batch.records))
        expect(views(await read(log, batch.base + 1, 1))).toEqual(views(batch.records.slice(1)))
        expect(views(await read(log, batch.base + 2, 100))).toEqual(views(batch.records.slice(2)))
        expect(offsetsOf(await read(log, 0, 1))).toEqual([0, 1])
      })

      it('stops at about maxBytes, across segments', async () => {
        const h = await setup(factory)
        const topic = uniqueName('budget')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        const appended = await appendBatches(log, topic, 0, 30, { valueBytes: 200 })
        const size = appended[0]!.bytes
        const maxBytes = 1000
        for (const from of [0, 7, 22]) {
          const records = await read(log, from, maxBytes)
          expect(records[0]?.offset).toBe(from)
          expect(offsetsOf(records)).toEqual(range(from, from + records.length))
          const bytes = records.length * size
          // At most one batch past the budget, and no early stop unless the log ended.
          expect(bytes).toBeLessThan(maxBytes + size)
          if (from + records.length < 30) expect(bytes).toBeGreaterThan(maxBytes - size)
        }
        expect(offsetsOf(await read(log, 27, maxBytes))).toEqual([27, 28, 29])
      })

      it('never returns records at or past logEndOffset, even while an append is in flight', async () => {
        const h = await setup(factory)
        const topic = uniqueName('inflight')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        await appendBatches(log, topic, 0, 3, { perBatch: 2 })
        const next = makeRecords(topic, 0, [{ value: 'p0' }, { value: 'p1' }, { value: 'p2' }])
        const pending = log.append(next, encodedBatchSize(next))
        // Everything below is synchronous: the append cannot complete in between.
        const end = log.logEndOffset
        const fromStart = log.read(0, BIG_READ)
        const atEnd = log.read(end, BIG_READ)
        expect([6, 9]).toContain(end)
        const seen = await fromStart
        expect(seen.length).toBe(end)
        expect(Math.max(...offsetsOf(seen))).toBe(end - 1)
        expect(await atEnd).toEqual([])
        expect(await pending).toBe(6)
        expect(log.logEndOffset).toBe(9)
        expect(offsetsOf(await read(log, 6))).toEqual([6, 7, 8])
      })
    })

    describe('offsetForTimestamp', () => {
      it('finds the first offset whose timestamp is at or after the one asked for', async () => {
        const h = await setup(factory)
        const topic = uniqueName('time')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        expect(await log.offsetForTimestamp(0)).toBeNull()
        const ts = [100, 200, 200, 300, 500, 400, 600]
        // Batches: [100, 200], [200, 300], [500, 400], [600]; values pad them over several segments.
        for (const group of [[0, 1], [2, 3], [4, 5], [6]]) {
          await append(
            log,
            makeRecords(
              topic,
              0,
              group.map((i) => ({ value: sized(`t${i}`, 300), timestamp: ts[i]! })),
            ),
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

    describe('truncateBefore', () => {
      it('moves logStartOffset; reads below it fail, reads from it return the rest', async () => {
        const h = await setup(factory)
        const topic = uniqueName('truncate')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        const appended = await appendBatches(log, topic, 0, 8, { perBatch: 3, valueBytes: 100 })
        const expected = views(appended.flatMap((a) => a.records))

        // Into the middle of a batch in a later segment.
        await log.truncateBefore(10)
        expect(log.logStartOffset).toBe(10)
        expect(log.logEndOffset).toBe(24)
        for (const offset of [0, 9]) {
          expect(await rejection(read(log, offset))).toBeInstanceOf(OffsetOutOfRangeError)
        }
        expect(views(await readAll(log))).toEqual(expected.slice(10))
        expect((await read(log, 10))[0]?.offset).toBe(10)

        // Lower than the start: nothing changes.
        await log.truncateBefore(4)
        expect(log.logStartOffset).toBe(10)
        expect(views(await readAll(log))).toEqual(expected.slice(10))

        // Past the end: rejected, nothing changes.
        expect(await rejection(Promise.resolve().then(() => log.truncateBefore(25)))).toBeInstanceOf(
          OffsetOutOfRangeError,
        )
        expect(log.logStartOffset).toBe(10)

        // Up to the end: empty, and appends go on from the end.
        await log.truncateBefore(24)
        expect(log.logStartOffset).toBe(24)
        expect(log.logEndOffset).toBe(24)
        expect(await read(log, 24)).toEqual([])
        expect(await rejection(read(log, 23))).toBeInstanceOf(OffsetOutOfRangeError)
        const { base } = await append(log, makeRecords(topic, 0, [{ value: 'after' }]))
        expect(base).toBe(24)
        expect((await read(log, 24)).map((r) => r.value?.toString())).toEqual(['after'])
      })
    })

    describe('applyRetention', () => {
      /** The batch whose base is the log start: retention deletes whole batches or segments only. */
      function remainingFrom(appended: Appended[], start: number): Appended[] {
        const index = appended.findIndex((a) => a.base === start)
        expect(index, `logStartOffset ${start} is the base of an appended batch`).toBeGreaterThanOrEqual(0)
        return appended.slice(index)
      }

      it('by time: deletes whole old batches or segments and keeps what is recent', async () => {
        const h = await setup(factory)
        const topic = uniqueName('ret-time')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        const old = await appendBatches(log, topic, 0, 12, { perBatch: 2, valueBytes: 100, timestamp: 1_000 })
        const recent = await appendBatches(log, topic, 0, 3, {
          perBatch: 2,
          valueBytes: 100,
          timestamp: 100_000,
          label: 'new',
        })
        const appended = [...old, ...recent]
        await log.applyRetention({ now: 100_000, retentionMs: 50_000, retentionBytes: null })
        const start = log.logStartOffset
        expect(start).toBeGreaterThan(0)
        expect(start).toBeLessThanOrEqual(recent[0]!.base)
        expect(log.logEndOffset).toBe(30)
        const kept = remainingFrom(appended, start)
        expect(views(await readAll(log))).toEqual(views(kept.flatMap((a) => a.records)))
        expect(await rejection(read(log, start - 1))).toBeInstanceOf(OffsetOutOfRangeError)
        expect(await log.offsetForTimestamp(0)).toBe(start)

        // Nothing else is old enough now.
        await log.applyRetention({ now: 100_000, retentionMs: 50_000, retentionBytes: null })
        expect(log.logStartOffset).toBe(start)
      })

      it('by time: never deletes the newest data, even when all of it expired', async () => {
        const h = await setup(factory)
        const topic = uniqueName('ret-all')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        const appended = await appendBatches(log, topic, 0, 10, { perBatch: 2, valueBytes: 100 })
        await log.applyRetention({ now: 1_000_000_000, retentionMs: 1_000, retentionBytes: null })
        const last = appended.at(-1)!
        expect(log.logEndOffset).toBe(20)
        expect(log.logStartOffset).toBeGreaterThan(0)
        expect(log.logStartOffset).toBeLessThanOrEqual(last.base)
        const kept = remainingFrom(appended, log.logStartOffset)
        expect(views(await readAll(log))).toEqual(views(kept.flatMap((a) => a.records)))
        const { base } = await append(log, makeRecords(topic, 0, [{ value: 'next' }]))
        expect(base).toBe(20)
      })

      it('by bytes: keeps at least retentionBytes and deletes whole batches or segments beyond', async () => {
        const h = await setup(factory)
        const topic = uniqueName('ret-bytes')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        const appended = await appendBatches(log, topic, 0, 15, { valueBytes: 200 })
        const total = appended.reduce((n, a) => n + a.bytes, 0)
        const retentionBytes = 1500
        expect(total).toBeGreaterThan(retentionBytes + 2 * SEGMENT_BYTES)
        await log.applyRetention({ now: 2_000, retentionMs: null, retentionBytes })
        const kept = remainingFrom(appended, log.logStartOffset)
        const keptBytes = kept.reduce((n, a) => n + a.bytes, 0)
        expect(log.logStartOffset).toBeGreaterThan(0)
        expect(keptBytes).toBeGreaterThanOrEqual(retentionBytes)
        // Only what can go in whole units (a batch, a segment) is left over.
        expect(keptBytes).toBeLessThan(retentionBytes + SEGMENT_BYTES)
        expect(views(await readAll(log))).toEqual(views(kept.flatMap((a) => a.records)))

        // A tiny limit still keeps the newest batch.
        await log.applyRetention({ now: 2_000, retentionMs: null, retentionBytes: 1 })
        expect(log.logStartOffset).toBeLessThanOrEqual(appended.at(-1)!.base)
        expect(log.logEndOffset).toBe(15)
        expect((await read(log, 14)).map((r) => r.offset)).toEqual([14])
      })

      it('deletes nothing without limits or within them', async () => {
        const h = await setup(factory)
        const topic = uniqueName('ret-none')
        const log = await h.storage.openLog(topic, 0, topicConfig())
        const appended = await appendBatches(log, topic, 0, 10, { valueBytes: 200, timestamp: 5_000 })
        await log.applyRetention({ now: 1e12, retentionMs: null, retentionBytes: null })
        await log.applyRetention({ now: 6_000, retentionMs: 10_000, retentionBytes: 1 << 30 })
        // Exactly at the limit is not past it.
        await log.applyRetention({ now: 15_000, retentionMs: 10_000, retentionBytes: null })
        expect(log.logStartOffset).toBe(0)
        expect(views(await readAll(log))).toEqual(views(appended.flatMap((a) => a.records)))
      })
    })

    describe('group offsets', () => {
      it('saveOffsets merges per partition, and the next open returns every group’s latest offsets', async (ctx) => {
        const h = await setup(factory)
        if (!h.canReopen) ctx.skip()
        const orders = uniqueName('orders')
        const audit = uniqueName('audit')
        const billing = uniqueName('billing')
        const shipping = uniqueName('shipping')
        await h.storage.saveTopic({ name: orders, config: topicConfig({ partitions: 2 }) })
        await h.storage.saveTopic({ name: audit, config: topicConfig() })
        await h.storage.saveOffsets(billing, [
          { topic: orders, partition: 0, offset: 5 },
          { topic: orders, partition: 1, offset: 7 },
        ])
        await h.storage.saveOffsets(billing, [{ topic: orders, partition: 0, offset: 9 }])
        await h.storage.saveOffsets(billing, [{ topic: audit, partition: 0, offset: 0 }])
        await h.storage.saveOffsets(shipping, [{ topic: orders, partition: 1, offset: 3 }])

        const snapshot = await h.closeAndReopen()
        expect(sortedGroups(snapshot)).toEqual({
          [billing]: sortOffsets([
            { topic: orders, partition: 0, offset: 9 },
            { topic: orders, partition: 1, offset: 7 },
            { topic: audit, partition: 0, offset: 0 },
          ]),
          [shipping]: [{ topic: orders, partition: 1, offset: 3 }],
        })

        // Offsets may also go back (a reset); the latest save wins, across reopens.
        await h.storage.saveOffsets(billing, [{ topic: orders, partition: 0, offset: 2 }])
        const again = await h.closeAndReopen()
        expect(sortedGroups(again)[billing]?.find((o) => o.topic === orders && o.partition === 0)).toEqual({
          topic: orders,
          partition: 0,
          offset: 2,
        })
      })

      it('deleteGroup removes the group’s offsets and only them', async (ctx) => {
        const h = await setup(factory)
        if (!h.canReopen) ctx.skip()
        const topic = uniqueName('orders')
        const doomed = uniqueName('doomed')
        const kept = uniqueName('kept')
        await h.storage.saveTopic({ name: topic, config: topicConfig() })
        await h.storage.saveOffsets(doomed, [{ topic, partition: 0, offset: 4 }])
        await h.storage.saveOffsets(kept, [{ topic, partition: 0, offset: 6 }])
        await h.storage.deleteGroup(doomed)
        await h.storage.deleteGroup(uniqueName('never-existed'))
        const snapshot = await h.closeAndReopen()
        expect(sortedGroups(snapshot)).toEqual({ [kept]: [{ topic, partition: 0, offset: 6 }] })

        // A deleted group can commit again from scratch.
        await h.storage.saveOffsets(doomed, [{ topic, partition: 0, offset: 1 }])
        const again = await h.closeAndReopen()
        expect(sortedGroups(again)[doomed]).toEqual([{ topic, partition: 0, offset: 1 }])
      })

      it('deleteTopic removes its records and every group’s offsets for it, and nothing of other topics', async (ctx) => {
        const h = await setup(factory)
        if (!h.canReopen) ctx.skip()
        const doomed = uniqueName('orders')
        // A name that shares a prefix with the doomed topic's partition directories.
        const similar = `${doomed}-1`
        const billing = uniqueName('billing')
        const config = topicConfig({ partitions: 2 })
        await h.storage.saveTopic({ name: doomed, config })
        await h.storage.saveTopic({ name: similar, config: topicConfig() })
        const logs = [await h.storage.openLog(doomed, 0, config), await h.storage.openLog(doomed, 1, config)]
        const other = await h.storage.openLog(similar, 0, topicConfig())
        await appendBatches(logs[0]!, doomed, 0, 5)
        await appendBatches(logs[1]!, doomed, 1, 2)
        const otherRecords = (await appendBatches(other, similar, 0, 3)).flatMap((a) => a.records)
        await h.storage.saveOffsets(billing, [
          { topic: doomed, partition: 0, offset: 5 },
          { topic: doomed, partition: 1, offset: 2 },
          { topic: similar, partition: 0, offset: 3 },
        ])
        // The caller closes the logs first.
        for (const log of logs) await log.close()
        await h.storage.deleteTopic(doomed)

        // Recreated under the same name, the topic starts empty.
        const fresh = await h.storage.openLog(doomed, 0, config)
        expect([fresh.logStartOffset, fresh.logEndOffset]).toEqual([0, 0])
        expect(await read(fresh, 0)).toEqual([])
        expect(views(await readAll(other))).toEqual(views(otherRecords))

        const snapshot = await h.closeAndReopen()
        expect(snapshot.topics.map((t) => t.name)).toEqual([similar])
        expect(sortedGroups(snapshot)[billing]).toEqual([{ topic: similar, partition: 0, offset: 3 }])
        const reopenedOther = await h.storage.openLog(similar, 0, topicConfig())
        expect(views(await readAll(reopenedOther))).toEqual(views(otherRecords))
        const reopenedDoomed = await h.storage.openLog(doomed, 1, config)
        expect(reopenedDoomed.logEndOffset).toBe(0)
      })

      it('a group whose every offset went with a deleted topic is not in the snapshot', async (ctx) => {
        const h = await setup(factory)
        if (!h.canReopen) ctx.skip()
        const topic = uniqueName('orders')
        const onlyHere = uniqueName('only-here')
        await h.storage.saveTopic({ name: topic, config: topicConfig() })
        await h.storage.saveOffsets(onlyHere, [{ topic, partition: 0, offset: 1 }])
        await h.storage.deleteTopic(topic)
        const snapshot = await h.closeAndReopen()
        // As Kafka: deleting a topic removes its offsets, and an empty group without offsets is gone.
        expect(snapshot.groups).toEqual({})
      })

      it('saving an empty list of offsets stores no group', async (ctx) => {
        const h = await setup(factory)
        if (!h.canReopen) ctx.skip()
        const empty = uniqueName('empty')
        const real = uniqueName('real')
        await h.storage.saveOffsets(empty, [])
        await h.storage.saveOffsets(real, [{ topic: 'orders', partition: 0, offset: 1 }])
        await h.storage.saveOffsets(real, [])
        const snapshot = await h.closeAndReopen()
        expect(sortedGroups(snapshot)).toEqual({ [real]: [{ topic: 'orders', partition: 0, offset: 1 }] })
      })
    })

    describe('close and reopen', () => {
      it('records, offsets, headers, timestamps and logStartOffset survive; appends go on from the end', async (ctx) => {
        const h = await setup(factory)
        if (!h.canReopen) ctx.skip()
        const topic = uniqueName('durable')
        const config = topicConfig({ partitions: 2 })
        await h.storage.saveTopic({ name: topic, config })
        const p0 = await h.storage.openLog(topic, 0, config)
        const p1 = await h.storage.openLog(topic, 1, config)
        const written: LogRecord[] = []
        for (let b = 0; b < 12; b++) {
          const specs: RecordSpec[] = range(0, 3).map((i) => ({
            key: i === 1 ? null : Buffer.from([b, i, 0xff]),
            value: i === 2 && b % 3 === 0 ? null : sized(`d-${b}-${i}`, 90),
            headers:
              i === 0
                ? { trace: Buffer.from(`t${b}`), rep: [Buffer.from('x'), Buffer.from(''), Buffer.from('z')] }
                : EMPTY_HEADERS,
            timestamp: 10_000 + b * 10 - i,
          }))
          written.push(...(await append(p0, makeRecords(topic, 0, specs))).records)
        }
        const p1Records = (await appendBatches(p1, topic, 1, 2, { perBatch: 2, label: 'p1' })).flatMap(
          (a) => a.records,
        )
        await p0.truncateBefore(4)
        const expected = views(written)
        expect(views(await readAll(p0))).toEqual(expected.slice(4))

        const snapshot = await h.closeAndReopen()
        expect(snapshot.topics).toEqual([{ name: topic, config }])
        const r0 = await h.storage.openLog(topic, 0, config)
        const r1 = await h.storage.openLog(topic, 1, config)
        expect([r0.logStartOffset, r0.logEndOffset]).toEqual([4, 36])
        expect([r1.logStartOffset, r1.logEndOffset]).toEqual([0, 4])
        expect(views(await readAll(r0))).toEqual(expected.slice(4))
        for (const offset of range(4, 36)) {
          expect(views(await read(r0, offset, 1))[0]).toEqual(expected[offset])
        }
        expect(await rejection(read(r0, 3))).toBeInstanceOf(OffsetOutOfRangeError)
        expect(views(await readAll(r1))).toEqual(views(p1Records))
        expect(await r0.offsetForTimestamp(10_050)).toBe(15)

        const next = await append(r0, makeRecords(topic, 0, [{ value: 'after reopen' }]))
        expect(next.base).toBe(36)
        await h.closeAndReopen()
        const r0Again = await h.storage.openLog(topic, 0, config)
        expect([r0Again.logStartOffset, r0Again.logEndOffset]).toEqual([4, 37])
        expect((await read(r0Again, 36)).map((r) => r.value?.toString())).toEqual(['after reopen'])
      })

      it('retention survives a reopen', async (ctx) => {
        const h = await setup(factory)
        if (!h.canReopen) ctx.skip()
        const topic = uniqueName('retained')
        const config = topicConfig()
        await h.storage.saveTopic({ name: topic, config })
        const log = await h.storage.openLog(topic, 0, config)
        const appended = await appendBatches(log, topic, 0, 12, { valueBytes: 200 })
        await log.applyRetention({ now: 0, retentionMs: null, retentionBytes: 1 })
        const start = log.logStartOffset
        expect(start).toBeGreaterThan(0)
        await h.closeAndReopen()
        const again = await h.storage.openLog(topic, 0, config)
        expect([again.logStartOffset, again.logEndOffset]).toEqual([start, 12])
        expect(views(await readAll(again))).toEqual(views(appended.slice(start).flatMap((a) => a.records)))
      })
    })
  })
}

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { FileStorage, type FileSystem, nodeFileSystem } from '../../../src/file'
import { OffsetOutOfRangeError } from '../../../src/index'
import { openBus, uniqueName, waitUntil } from '../../support/bus'
import { FakeClock } from '../../support/fake-clock'
import {
  decodeSegment,
  fileBus,
  indexPath,
  type KafkajsBatch,
  type KafkajsRecord,
  logPath,
  partitionDir,
  readAll,
  rejection,
  segmentBases,
  segmentName,
  sendEach,
  syncSpy,
  tempDir,
  value,
} from './support'

describe('FileStorage layout', () => {
  it('writes <topic>-<partition>/<20-digit base offset>.log and .index, rolling at segmentBytes', async () => {
    const dir = tempDir()
    const bus = await fileBus(dir)
    const topic = uniqueName('layout')
    await bus.createTopic(topic, { partitions: 2, segmentBytes: 1024 })
    await sendEach(
      bus,
      topic,
      Array.from({ length: 20 }, (_, i) => value(i)),
    )
    await sendEach(bus, topic, ['p1'], 1)
    await bus.close()

    expect(readdirSync(dir).sort()).toEqual(['__logbus', `${topic}-0`, `${topic}-1`].sort())
    const bases = segmentBases(dir, topic)
    expect(bases.length).toBeGreaterThanOrEqual(5)
    expect(bases[0]).toBe(0)
    const files = readdirSync(partitionDir(dir, topic)).sort()
    for (const name of files) expect(name).toMatch(/^\d{20}\.(log|index)$/)
    expect(files).toEqual(bases.flatMap((b) => [`${segmentName(b)}.index`, `${segmentName(b)}.log`]).sort())
    expect(segmentBases(dir, topic, 1)).toEqual([0])

    let next = 0
    for (const base of bases) {
      const path = logPath(dir, topic, base)
      const size = statSync(path).size
      expect(size).toBeLessThanOrEqual(1024)
      const batches = await decodeSegment(path)
      // Each file is named by the offset of its first batch, and offsets continue across files.
      expect(Number(batches[0]!.batch.firstOffset)).toBe(base)
      expect(base).toBe(next)
      const last = batches.at(-1)!.batch
      next = Number(last.firstOffset) + last.lastOffsetDelta + 1
      // Rolled because the next batch would not fit.
      if (base !== bases.at(-1)) {
        const nextSize = (await decodeSegment(logPath(dir, topic, bases[bases.indexOf(base) + 1]!)))[0]!.size
        expect(size + nextSize).toBeGreaterThan(1024)
      }
      // Kafka's offset index: (last offset of a batch - base offset) int32, byte position int32.
      const index = readFileSync(indexPath(dir, topic, base))
      expect(index.length % 8).toBe(0)
      expect(index.length).toBeGreaterThan(0)
      for (let p = 0; p < index.length; p += 8) {
        const relative = index.readInt32BE(p)
        const position = index.readInt32BE(p + 4)
        const batch = batches.find((b) => b.position === position)
        expect(batch, `index entry at ${p} points at a batch`).toBeDefined()
        expect(Number(batch!.batch.firstOffset) + batch!.batch.lastOffsetDelta).toBe(base + relative)
      }
    }
    expect(next).toBe(20)
  })

  it('the .log bytes decode as Kafka RecordBatch v2 with kafkajs: same offsets, keys, values, headers, CRC-32C', async () => {
    const dir = tempDir()
    const bus = await fileBus(dir)
    const topic = uniqueName('kafka-format')
    await bus.createTopic(topic, { segmentBytes: 1024 })
    const producer = bus.producer()
    await producer.send(topic, [
      { key: 'k0', value: 'first', headers: { trace: 'abc', rep: ['1', '2'] }, timestamp: 1_700_000_000_001 },
      { key: null, value: null, timestamp: 1_700_000_000_000 },
      { key: Buffer.from([0, 0xff]), value: Buffer.from([1, 2, 3]), headers: { bin: Buffer.from([9]) } },
    ])
    for (let i = 0; i < 6; i++) await producer.send(topic, { key: `key-${i}`, value: value(i, 300) })
    const stored = await readAll(bus, topic)
    await bus.close()

    const decoded: Array<{ batch: KafkajsBatch; record: KafkajsRecord }> = []
    const bases = segmentBases(dir, topic)
    expect(bases.length).toBeGreaterThan(1)
    for (const base of bases) {
      for (const d of await decodeSegment(logPath(dir, topic, base))) {
        expect(d.magic).toBe(2)
        expect(d.computedCrc).toBe(d.storedCrc)
        expect(d.batch.partitionLeaderEpoch).toBe(0)
        for (const record of d.batch.records) decoded.push({ batch: d.batch, record })
      }
    }
    expect(decoded.length).toBe(9)
    expect(stored.length).toBe(9)
    // The first send is one batch of three records.
    expect(new Set(decoded.slice(0, 3).map((d) => d.batch)).size).toBe(1)
    decoded.forEach(({ record }, i) => {
      const expected = stored[i]!
      expect(Number(record.offset)).toBe(i)
      expect(Number(record.offset)).toBe(expected.offset)
      expect(Number(record.timestamp)).toBe(expected.timestamp)
      expect(record.key).toEqual(expected.key)
      expect(record.value).toEqual(expected.value)
      expect(record.headers).toEqual(expected.headers)
    })
    expect(decoded[0]!.record.headers).toEqual({
      trace: Buffer.from('abc'),
      rep: [Buffer.from('1'), Buffer.from('2')],
    })
    expect(decoded[1]!.record.key).toBeNull()
    expect(decoded[1]!.record.value).toBeNull()
    expect(Number(decoded[1]!.record.timestamp)).toBe(1_700_000_000_000)
  })
})

describe('FileStorage across close and reopen', () => {
  it('a consumer group resumes from its committed offsets', async () => {
    const dir = tempDir()
    const topic = uniqueName('resume')
    const groupId = uniqueName('billing')
    const first = await fileBus(dir)
    await first.createTopic(topic)
    await sendEach(
      first,
      topic,
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    )
    const consumer = first.consumer({ groupId, topics: [topic], fromBeginning: true, autoCommit: false })
    const seen: number[] = []
    await consumer.run({
      eachMessage: async (record) => {
        seen.push(record.offset)
      },
    })
    await waitUntil(() => seen.length === 10, { message: 'the first consumer to read everything' })
    await consumer.commit([{ topic, partition: 0, offset: 6 }])
    await consumer.close()
    await first.close()

    const second = await fileBus(dir)
    expect(second.group(groupId).committedOffset(topic, 0)).toBe(6)
    const resumed = second.consumer({ groupId, topics: [topic], fromBeginning: true, autoCommit: false })
    const again: Array<[number, string | undefined]> = []
    await resumed.run({
      eachMessage: async (record) => {
        again.push([record.offset, record.value?.toString()])
      },
    })
    await sendEach(second, topic, ['m10'])
    await waitUntil(() => again.length >= 5, { message: 'the resumed consumer' })
    expect(again).toEqual([
      [6, 'm6'],
      [7, 'm7'],
      [8, 'm8'],
      [9, 'm9'],
      [10, 'm10'],
    ])
  })

  it('topic config survives; createPartitions adds directories; deleteTopic removes them', async () => {
    const dir = tempDir()
    const topic = uniqueName('admin')
    const neighbour = `${topic}-1`
    const first = await fileBus(dir)
    await first.createTopic(topic, {
      partitions: 2,
      segmentBytes: 4096,
      retentionMs: 3_600_000,
      retentionBytes: 1_000_000,
      maxMessageBytes: 5000,
    })
    await first.createTopic(neighbour)
    expect(existsSync(partitionDir(dir, topic, 0))).toBe(true)
    expect(existsSync(partitionDir(dir, topic, 2))).toBe(false)
    await first.createPartitions(topic, 4)
    for (const p of [2, 3]) expect(existsSync(partitionDir(dir, topic, p))).toBe(true)
    await sendEach(first, topic, ['on three'], 3)
    await sendEach(first, neighbour, ['kept'])
    const config = { ...first.topic(topic).config }
    expect(config).toMatchObject({ partitions: 4, segmentBytes: 4096, maxMessageBytes: 5000 })
    await first.close()

    const second = await fileBus(dir)
    expect(second.listTopics()).toEqual([topic, neighbour].sort())
    expect(second.topic(topic).config).toEqual(config)
    expect((await second.topic(topic).partition(3).read(0)).map((r) => r.value?.toString())).toEqual([
      'on three',
    ])
    await second.deleteTopic(topic)
    const left = readdirSync(dir)
    expect(left.filter((name) => name.startsWith(`${topic}-`) && name !== `${neighbour}-0`)).toEqual([])
    expect(left).toContain(`${neighbour}-0`)
    await second.close()

    const third = await fileBus(dir)
    expect(third.listTopics()).toEqual([neighbour])
    expect((await readAll(third, neighbour)).map((r) => r.value?.toString())).toEqual(['kept'])
  })
})

describe('FileStorage fsync policies', () => {
  it("'always': a send resolves only after fdatasync of its data, and readers see it only then", async () => {
    const dir = tempDir()
    const spy = syncSpy(dir)
    const bus = await fileBus(dir, { fs: spy.fs, fsync: 'always' })
    const topic = uniqueName('always')
    await bus.createTopic(topic)
    const segment = `${topic}-0/${segmentName(0)}.log`
    spy.hold(true)
    const producer = bus.producer()
    let resolved = false
    const sent = producer.send(topic, { value: 'durable' }).then((meta) => {
      resolved = true
      spy.events.push('resolved')
      return meta
    })
    await waitUntil(() => spy.held() === 1, { message: 'the fdatasync of the append' })
    expect(resolved).toBe(false)
    const p = bus.topic(topic).partition(0)
    expect(p.logEndOffset).toBe(0)
    expect(await p.read(0)).toEqual([])
    expect(spy.events.indexOf(`write ${segment}`)).toBeLessThan(spy.events.indexOf(`fdatasync ${segment}`))

    spy.hold(false)
    expect((await sent).offset).toBe(0)
    expect(spy.events.indexOf(`synced ${segment}`)).toBeGreaterThan(
      spy.events.indexOf(`fdatasync ${segment}`),
    )
    expect(spy.events.indexOf('resolved')).toBeGreaterThan(spy.events.indexOf(`synced ${segment}`))
    expect(p.logEndOffset).toBe(1)
  })

  /** Whether `fsync <path>` happened after event `after` and before `before`. */
  /** Whether `path` was flushed (fsync, or fdatasync for a file's data) after event `after` and before `before`. */
  function fsyncedBetween(events: string[], path: string, after: number, before: number): boolean {
    return events.some(
      (event, i) => i > after && i < before && (event === `fsync ${path}` || event === `fdatasync ${path}`),
    )
  }

  it("'always': the first send to a new topic resolves only once its new directory entries are durable", async () => {
    const dir = tempDir()
    const spy = syncSpy(dir)
    const bus = await fileBus(dir, { fs: spy.fs, fsync: 'always' })
    const topic = uniqueName('dir-entries')
    await bus.createTopic(topic)
    await bus.producer().send(topic, { value: 'first' })
    spy.events.push('resolved')
    const events = spy.events
    const created = events.indexOf(`mkdir ${topic}-0`)
    const resolved = events.indexOf('resolved')
    expect(created).toBeGreaterThanOrEqual(0)
    // The segment file's entry is in the partition directory; the partition directory's is in `dir`.
    expect(fsyncedBetween(events, `${topic}-0`, created, resolved), `fsync of ${topic}-0`).toBe(true)
    expect(fsyncedBetween(events, '.', created, resolved), 'fsync of the data directory').toBe(true)
  })

  it("'always': saved group offsets resolve only once the offsets log's directory entries are durable", async () => {
    const dir = tempDir()
    const spy = syncSpy(dir)
    const storage = new FileStorage({ dir, fs: spy.fs, fsync: 'always' })
    await storage.open()
    onTestFinished(() => storage.close())
    await storage.saveOffsets(uniqueName('group'), [{ topic: 'orders', partition: 0, offset: 1 }])
    spy.events.push('resolved')
    const events = spy.events
    const resolved = events.indexOf('resolved')
    const meta = events.indexOf('mkdir __logbus')
    const offsets = events.indexOf('mkdir __logbus/offsets-0')
    expect(meta).toBeGreaterThanOrEqual(0)
    expect(offsets).toBeGreaterThanOrEqual(0)
    expect(fsyncedBetween(events, '__logbus/offsets-0', offsets, resolved), 'fsync of offsets-0').toBe(true)
    expect(fsyncedBetween(events, '__logbus', offsets, resolved), 'fsync of __logbus').toBe(true)
    expect(fsyncedBetween(events, '.', meta, resolved), 'fsync of the data directory').toBe(true)
  })

  it('compacting the offsets log at open makes the copy durable before it replaces the original', async () => {
    const dir = tempDir()
    const groupId = uniqueName('busy')
    const first = new FileStorage({ dir })
    await first.open()
    // 10,000 commits of one partition: mostly superseded records, so the next open compacts.
    const commits = Array.from({ length: 10_000 }, (_, i) => ({
      topic: 'orders',
      partition: 0,
      offset: i + 1,
    }))
    await first.saveOffsets(groupId, commits)
    await first.close()

    const spy = syncSpy(dir)
    const second = new FileStorage({ dir, fs: spy.fs })
    const snapshot = await second.open()
    onTestFinished(() => second.close())
    expect(snapshot.groups).toEqual({ [groupId]: [{ topic: 'orders', partition: 0, offset: 10_000 }] })
    const events = spy.events
    const replaced = events.indexOf('rename __logbus/offsets-0.compacting __logbus/offsets-0')
    expect(replaced, 'the offsets log was compacted').toBeGreaterThanOrEqual(0)
    const copy = `__logbus/offsets-0.compacting/${segmentName(0)}.log`
    // The copy's data and its directory entry are durable before the copy takes the original's place.
    expect(fsyncedBetween(events, copy, events.indexOf(`write ${copy}`), replaced), 'fsync of the copy').toBe(
      true,
    )
    const created = events.indexOf('mkdir __logbus/offsets-0.compacting')
    expect(
      fsyncedBetween(events, '__logbus/offsets-0.compacting', created, replaced),
      'fsync of its directory',
    ).toBe(true)
    expect(statSync(join(dir, '__logbus', 'offsets-0', `${segmentName(0)}.log`)).size).toBeLessThan(10_000)
  })

  it("'always': concurrent sends share fdatasync calls (group commit)", async () => {
    const dir = tempDir()
    const spy = syncSpy(dir)
    const bus = await fileBus(dir, { fs: spy.fs, fsync: 'always' })
    const topic = uniqueName('group-commit')
    await bus.createTopic(topic)
    // batchBytes 1: every send is its own batch, so its own append.
    const producer = bus.producer({ batchBytes: 1 })
    let appends = 0
    producer.on('batch', () => {
      appends++
    })
    const metas = await Promise.all(
      Array.from({ length: 100 }, (_, i) => producer.send(topic, { value: `m${i}` })),
    )
    expect(appends).toBe(100)
    expect(metas.map((m) => m.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    const syncs = spy.fdatasyncs(`${topic}-0/`)
    expect(syncs).toBeGreaterThanOrEqual(1)
    expect(syncs).toBeLessThanOrEqual(10)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(100)
  })

  it("'never': no flush of segments before close; close makes the data of every segment durable", async () => {
    const dir = tempDir()
    const spy = syncSpy(dir)
    const bus = await fileBus(dir, { fs: spy.fs, fsync: 'never' })
    const topic = uniqueName('never')
    await bus.createTopic(topic, { segmentBytes: 1024 })
    await sendEach(
      bus,
      topic,
      Array.from({ length: 12 }, (_, i) => value(i)),
    )
    expect(segmentBases(dir, topic).length).toBeGreaterThan(1)
    expect(spy.fdatasyncs('')).toBe(0)
    expect(spy.fsyncs(`${topic}-0/`)).toBe(0)
    await bus.close()
    // Every segment, rolled ones included ('never' does not flush at a roll), once.
    for (const base of segmentBases(dir, topic)) {
      expect(
        spy.fdatasyncs(`${topic}-0/${segmentName(base)}.log`) +
          spy.fsyncs(`${topic}-0/${segmentName(base)}.log`),
      ).toBe(1)
    }
  })

  it("'interval': sends resolve at once and fdatasync runs in the background", async () => {
    const dir = tempDir()
    const spy = syncSpy(dir)
    const bus = await fileBus(dir, { fs: spy.fs, fsync: 'interval', fsyncIntervalMs: 20 })
    const topic = uniqueName('interval')
    await bus.createTopic(topic)
    const producer = bus.producer()
    const meta = await producer.send(topic, { value: 'soon durable' })
    expect(meta.offset).toBe(0)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(1)
    expect(spy.fdatasyncs(`${topic}-0/`)).toBe(0)
    await waitUntil(() => spy.fdatasyncs(`${topic}-0/`) >= 1, {
      timeoutMs: 3_000,
      message: 'a background fdatasync',
    })
    await producer.send(topic, { value: 'and again' })
    const after = spy.fdatasyncs(`${topic}-0/`)
    await waitUntil(() => spy.fdatasyncs(`${topic}-0/`) > after, {
      timeoutMs: 3_000,
      message: 'a second background fdatasync',
    })
  })
})

describe('FileStorage retention', () => {
  const RETENTION_NEVER_BY_TIMER = 1_000_000_000

  /** Segments roll every 3 records of 200 bytes (270-byte batches, 1024-byte segments). */
  async function retentionBus(options: { retentionMs?: number | null; retentionBytes?: number | null }) {
    const dir = tempDir()
    const clock = new FakeClock()
    const bus = await openBus({ dir, clock, retentionCheckIntervalMs: RETENTION_NEVER_BY_TIMER })
    const topic = uniqueName('retention')
    await bus.createTopic(topic, { segmentBytes: 1024, ...options })
    return { dir, clock, bus, topic }
  }

  it('by retentionMs: deletes whole old segments, advances logStartOffset, never the active segment', async () => {
    const { dir, clock, bus, topic } = await retentionBus({ retentionMs: 60_000 })
    const values = Array.from({ length: 15 }, (_, i) => value(i))
    await sendEach(bus, topic, values.slice(0, 12))
    await clock.advance(30_000)
    await sendEach(bus, topic, values.slice(12))
    expect(segmentBases(dir, topic)).toEqual([0, 3, 6, 9, 12])
    const p = bus.topic(topic).partition(0)

    await clock.advance(40_000)
    await bus.applyRetention()
    expect(segmentBases(dir, topic)).toEqual([12])
    for (const base of [0, 3, 6, 9]) {
      expect(existsSync(logPath(dir, topic, base))).toBe(false)
      expect(existsSync(indexPath(dir, topic, base))).toBe(false)
    }
    expect([p.logStartOffset, p.logEndOffset]).toEqual([12, 15])
    expect(await rejection(p.read(11))).toBeInstanceOf(OffsetOutOfRangeError)
    expect((await readAll(bus, topic)).map((r) => r.value?.toString())).toEqual(values.slice(12))

    // Everything is old now, but the active segment stays.
    await clock.advance(1_000_000)
    await bus.applyRetention()
    expect(segmentBases(dir, topic)).toEqual([12])
    expect([p.logStartOffset, p.logEndOffset]).toEqual([12, 15])
    expect(await sendEach(bus, topic, ['next'])).toEqual([15])

    await bus.close()
    const reopened = await fileBus(dir)
    const again = reopened.topic(topic).partition(0)
    expect([again.logStartOffset, again.logEndOffset]).toEqual([12, 16])
  })

  it('by retentionBytes: deletes the oldest whole segments beyond the limit', async () => {
    const { dir, bus, topic } = await retentionBus({ retentionMs: null, retentionBytes: 1500 })
    const values = Array.from({ length: 15 }, (_, i) => value(i))
    await sendEach(bus, topic, values)
    expect(segmentBases(dir, topic)).toEqual([0, 3, 6, 9, 12])
    await bus.applyRetention()
    const bases = segmentBases(dir, topic)
    const kept = bases.reduce((n, b) => n + statSync(logPath(dir, topic, b)).size, 0)
    expect(kept).toBeGreaterThanOrEqual(1500)
    expect(kept).toBeLessThan(1500 + 1024)
    expect(bases).toEqual([9, 12])
    const p = bus.topic(topic).partition(0)
    expect([p.logStartOffset, p.logEndOffset]).toEqual([9, 15])
    expect((await readAll(bus, topic)).map((r) => r.value?.toString())).toEqual(values.slice(9))
  })

  it('a consumer whose position fell below the log start resets per autoOffsetReset', async () => {
    const { clock, bus, topic } = await retentionBus({ retentionMs: 60_000 })
    await sendEach(
      bus,
      topic,
      Array.from({ length: 12 }, (_, i) => value(i)),
    )

    /** Commits `offset` for a group through a member, as an application would. */
    const commitAt = async (groupId: string, offset: number): Promise<void> => {
      const member = bus.consumer({ groupId, topics: [topic], fromBeginning: true, autoCommit: false })
      await member.run({ eachMessage: async () => {} })
      await member.commit([{ topic, partition: 0, offset }])
      await member.close()
      expect(bus.group(groupId).committedOffset(topic, 0)).toBe(offset)
    }
    const earliest = uniqueName('earliest')
    const latest = uniqueName('latest')
    const none = uniqueName('none')
    for (const groupId of [earliest, latest, none]) await commitAt(groupId, 2)

    // A running member, paused at offset 2, falls behind too.
    const running = bus.consumer({
      groupId: uniqueName('running'),
      topics: [topic],
      autoOffsetReset: 'earliest',
      autoCommit: false,
    })
    const runningSeen: number[] = []
    await running.run({
      eachMessage: async (record) => {
        runningSeen.push(record.offset)
        if (record.offset === 1) running.pause([{ topic }])
      },
    })
    await waitUntil(() => runningSeen.length === 2, { message: 'the running member to pause' })
    expect(runningSeen).toEqual([0, 1])

    await clock.advance(30_000)
    await sendEach(bus, topic, [value(12), value(13), value(14)])
    await clock.advance(40_000)
    await bus.applyRetention()
    const p = bus.topic(topic).partition(0)
    expect(p.logStartOffset).toBe(12)

    const collect = async (groupId: string, reset: 'earliest' | 'latest'): Promise<number[]> => {
      const consumer = bus.consumer({ groupId, topics: [topic], autoOffsetReset: reset, autoCommit: false })
      const seen: number[] = []
      await consumer.run({
        eachMessage: async (record) => {
          seen.push(record.offset)
        },
      })
      return seen
    }
    const fromEarliest = await collect(earliest, 'earliest')
    await waitUntil(() => fromEarliest.length === 3, { message: 'the earliest reset' })
    expect(fromEarliest).toEqual([12, 13, 14])

    const fromLatest = await collect(latest, 'latest')
    running.resume([{ topic }])
    await waitUntil(() => runningSeen.length === 5, { message: 'the running member to reset' })
    expect(runningSeen).toEqual([0, 1, 12, 13, 14])
    await sendEach(bus, topic, ['n15'])
    await waitUntil(() => fromLatest.length === 1, { message: 'the latest reset' })
    expect(fromLatest).toEqual([15])

    const strict = bus.consumer({
      groupId: none,
      topics: [topic],
      autoOffsetReset: 'none',
      autoCommit: false,
      restartOnFailure: false,
    })
    const crashes: Error[] = []
    strict.on('crash', ({ error }) => {
      crashes.push(error)
    })
    const delivered: number[] = []
    await strict
      .run({
        eachMessage: async (record) => {
          delivered.push(record.offset)
        },
      })
      .catch((error: unknown) => {
        crashes.push(error as Error)
      })
    await waitUntil(() => crashes.length > 0, { message: "the 'none' member to crash" })
    expect(crashes[0]).toBeInstanceOf(OffsetOutOfRangeError)
    expect(delivered).toEqual([])
  })
})

describe('FileStorage: retention and fsync in flight', () => {
  it('never deletes a segment while its fsync runs, nor one not yet acknowledged', async () => {
    const dir = tempDir()
    let release: (() => void) | undefined
    let held = 0
    const fs: FileSystem = {
      ...nodeFileSystem,
      fdatasync: async (fd) => {
        held++
        await new Promise<void>((resolve) => {
          release = resolve
        })
        return nodeFileSystem.fdatasync(fd)
      },
    }
    const bus = await fileBus(dir, { fs, fsync: 'always' })
    const topic = uniqueName('ret-sync')
    await bus.createTopic(topic, { segmentBytes: 1024, retentionBytes: 1 })
    const producer = bus.producer({ batchBytes: 1 })
    // Each send waits for its (held) fsync; the second rolls a new segment while the first syncs.
    const first = producer.send(topic, { value: 'x'.repeat(900) })
    await waitUntil(() => held === 1)
    const second = producer.send(topic, { value: 'y'.repeat(900) })
    await bus.applyRetention()
    const p = bus.topic(topic).partition(0)
    expect(p.logStartOffset).toBeLessThanOrEqual(p.logEndOffset)
    let acknowledged = false
    void Promise.all([first, second]).then(() => {
      acknowledged = true
    })
    // Release each held fsync in turn until both sends are acknowledged.
    await waitUntil(() => {
      release?.()
      return acknowledged
    })
    expect((await first).offset).toBe(0)
    expect((await second).offset).toBe(1)
    await bus.applyRetention()
    expect(p.logStartOffset).toBe(1)
    expect(p.logEndOffset).toBe(2)
    // The log still works.
    release = undefined
    const third = producer.send(topic, { value: 'z' })
    await waitUntil(() => release !== undefined)
    release!()
    expect((await third).offset).toBe(2)
  })
})

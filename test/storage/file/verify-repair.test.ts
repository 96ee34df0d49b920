import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  type BatchReport,
  type FileSystem,
  nodeFileSystem,
  repairLog,
  type VerifyProgress,
  verifyLog,
} from '../../../src/file'
import { Bus, LockedError } from '../../../src/index'
import { uniqueName, waitUntil } from '../../support/bus'
import {
  decodeSegment,
  faultyFs,
  fileBus,
  flipByte,
  LOCK,
  logPath,
  MARKER,
  partitionDir,
  readAll,
  rejection,
  segmentBases,
  sendEach,
  tempDir,
  tree,
  VALUE_IN_BATCH,
  writtenTopic,
} from './support'

/** A topic of 30 one-record batches over several segments, closed cleanly. */
async function damagedLater(): Promise<{ dir: string; topic: string; values: string[] }> {
  const dir = tempDir()
  const { topic, values } = await writtenTopic(dir, 30)
  return { dir, topic, values }
}

/** Flips a byte inside the records of the batch at `offset` (one record per batch). */
async function corruptOffset(
  dir: string,
  topic: string,
  offset: number,
): Promise<{ file: string; position: number }> {
  for (const base of segmentBases(dir, topic)) {
    const file = logPath(dir, topic, base)
    const batch = (await decodeSegment(file)).find((b) => Number(b.batch.firstOffset) === offset)
    if (batch !== undefined) {
      flipByte(file, batch.position + VALUE_IN_BATCH + 20)
      return { file, position: batch.position }
    }
  }
  throw new Error(`no batch at ${offset}`)
}

async function values(dir: string, topic: string): Promise<Array<[number, string | undefined]>> {
  const bus = await Bus.open({ dir })
  try {
    return (await readAll(bus, topic)).map((r) => [r.offset, r.value?.toString()])
  } finally {
    await bus.close()
  }
}

describe('verifyLog', () => {
  it('reports every partition and batch of a healthy directory, with progress; the report is plain JSON', async () => {
    const { dir, topic } = await damagedLater()
    const batches: BatchReport[] = []
    const progress: VerifyProgress[] = []
    const report = await verifyLog({
      dir,
      onBatch: (b) => batches.push(b),
      onProgress: (p) => progress.push(p),
    })
    expect(report.ok).toBe(true)
    expect(report.damage).toEqual([])
    const partition = report.partitions.find((p) => p.topic === topic)!
    expect(partition).toMatchObject({
      partition: 0,
      logStartOffset: 0,
      logEndOffset: 30,
      batches: 30,
      records: 30,
    })
    expect(partition.segments).toBe(segmentBases(dir, topic).length)
    // The offsets log is verified too.
    expect(report.partitions.map((p) => p.topic)).toContain('__logbus_offsets')
    const mine = batches.filter((b) => b.topic === topic)
    expect(mine.map((b) => b.baseOffset)).toEqual(Array.from({ length: 30 }, (_, i) => i))
    expect(mine[0]).toMatchObject({
      count: 1,
      lastOffset: 0,
      compression: 0,
      producerId: -1,
      transactional: false,
    })
    expect(progress.length).toBeGreaterThanOrEqual(partition.segments)
    expect(progress.at(-1)!.partitionsTotal).toBe(report.partitions.length)
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
    // It changed nothing, and released the lock.
    expect(existsSync(join(dir, LOCK))).toBe(false)
    expect(existsSync(join(dir, MARKER))).toBe(true)
  })

  it('reports damage by offset, file, byte position and reason: a bad CRC, a wrong base offset, a torn tail', async () => {
    const { dir, topic } = await damagedLater()
    const crc = await corruptOffset(dir, topic, 5)
    // Offset 12's base offset (outside the CRC) says 13.
    const moved = (
      await decodeSegment(
        logPath(
          dir,
          topic,
          segmentBases(dir, topic).find((b, i, all) => b <= 12 && (all[i + 1] ?? Infinity) > 12)!,
        ),
      )
    ).find((b) => Number(b.batch.firstOffset) === 12)!
    const movedFile = logPath(
      dir,
      topic,
      segmentBases(dir, topic).find((b, i, all) => b <= 12 && (all[i + 1] ?? Infinity) > 12)!,
    )
    const bytes = readFileSync(movedFile)
    bytes[moved.position + 7] = 13
    writeFileSync(movedFile, bytes)
    // The last batch, cut short.
    const last = logPath(dir, topic, segmentBases(dir, topic).at(-1)!)
    const lastBatch = (await decodeSegment(last)).at(-1)!
    writeFileSync(last, readFileSync(last).subarray(0, lastBatch.position + 10))

    const report = await verifyLog({ dir })
    expect(report.ok).toBe(false)
    expect(report.damage).toEqual([
      expect.objectContaining({
        topic,
        partition: 0,
        file: crc.file,
        position: crc.position,
        offset: 5,
        endOffset: 6,
        kind: 'corrupt',
        reason: expect.stringMatching(/CRC mismatch/),
      }),
      expect.objectContaining({
        file: movedFile,
        position: moved.position,
        offset: 12,
        endOffset: 13,
        kind: 'corrupt',
        reason: 'base offset 13 where 12 was expected',
      }),
      expect.objectContaining({
        file: last,
        position: lastBatch.position,
        offset: 29,
        endOffset: null,
        kind: 'torn-tail',
      }),
    ])
    expect(report.partitions.find((p) => p.topic === topic)!.logEndOffset).toBe(29)
  })

  it('refuses a directory a bus has open; runs on a read-only file system without taking the lock', async () => {
    const { dir } = await damagedLater()
    const bus = await fileBus(dir)
    expect(await rejection(verifyLog({ dir }))).toBeInstanceOf(LockedError)
    await bus.close()
    const faults = faultyFs()
    faults.fail('writeFileSync', 'EROFS')
    expect((await verifyLog({ dir, fs: faults.fs })).ok).toBe(true)
  })

  it('reads each byte of a log once, batches that cross its read windows included', async () => {
    const dir = tempDir()
    // Batches of about 0.9 MB: several to a read window, and some across the end of one.
    const { topic } = await writtenTopic(dir, 12, { segmentBytes: 64 << 20, valueBytes: 900_000 })
    let read = 0
    const counting: FileSystem = {
      ...nodeFileSystem,
      readSync: (fd, buffer, offset, length, position) => {
        const n = nodeFileSystem.readSync(fd, buffer, offset, length, position)
        read += n
        return n
      },
    }
    const report = await verifyLog({ dir, fs: counting })
    expect(report.ok).toBe(true)
    const partition = report.partitions.find((p) => p.topic === topic)!
    expect(partition.records).toBe(12)
    const logBytes = report.partitions.reduce((n, p) => n + p.bytes, 0)
    expect(partition.bytes).toBeGreaterThan(12 * 900_000)
    // Besides the segments, only small files (the log-start offset) are read.
    expect(read).toBeGreaterThanOrEqual(logBytes)
    expect(read).toBeLessThan(logBytes + 4096)
  })
})

describe('repairLog', () => {
  it("'truncate': the log ends where the damage starts; what followed is kept aside in .cut files", async () => {
    const { dir, topic, values: written } = await damagedLater()
    await corruptOffset(dir, topic, 17)
    const before = tree(dir)

    const plan = await repairLog({ dir, mode: 'truncate', dryRun: true })
    expect(tree(dir)).toEqual(before)
    expect(plan.damage.map((d) => d.offset)).toEqual([17])
    const report = await repairLog({ dir, mode: 'truncate' })
    expect(report.actions.map(({ movedTo: _, ...a }) => a)).toEqual(
      plan.actions.map(({ movedTo: _, ...a }) => a),
    )
    expect(report.actions[0]).toMatchObject({ action: 'cut', fromOffset: 17, toOffset: null })
    for (const action of report.actions) expect(existsSync(action.movedTo!)).toBe(true)
    expect(report.actions.slice(1).every((a) => a.action === 'removed')).toBe(true)
    expect(existsSync(join(dir, MARKER))).toBe(false)

    expect((await verifyLog({ dir })).ok).toBe(true)
    expect(await values(dir, topic)).toEqual(written.slice(0, 17).map((v, i) => [i, v]))
    const bus = await fileBus(dir)
    expect(await sendEach(bus, topic, ['after repair'])).toEqual([17])
  })

  it("'skip': the damaged batch becomes an empty batch keeping its offsets; everything after it stays where it was", async () => {
    const { dir, topic, values: written } = await damagedLater()
    const damaged = await corruptOffset(dir, topic, 17)
    const report = await repairLog({ dir, mode: 'skip' })
    expect(report.actions).toEqual([
      expect.objectContaining({
        action: 'skipped',
        file: damaged.file,
        position: damaged.position,
        fromOffset: 17,
        toOffset: 18,
      }),
    ])
    expect(existsSync(report.actions[0]!.movedTo!)).toBe(true)
    const verified = await verifyLog({ dir })
    expect(verified.ok).toBe(true)
    expect(verified.damage).toEqual([])

    const expected = written.map((v, i) => [i, v] as [number, string]).filter(([i]) => i !== 17)
    expect(await values(dir, topic)).toEqual(expected)
    // A consumer group passes the empty batch as it passes a compacted gap.
    const bus = await fileBus(dir)
    const seen: number[] = []
    const consumer = bus.consumer({ groupId: uniqueName('after-skip'), topics: [topic], fromBeginning: true })
    await consumer.run({ eachMessage: async (r) => void seen.push(r.offset) })
    await sendEach(bus, topic, ['new'])
    await waitUntil(() => seen.length === 30, { message: 'the consumer to read past the skipped offset' })
    expect(seen).toEqual([...expected.map(([i]) => i), 30])
  })

  it("'skip' cuts damage at the very end of the log, and fills offsets missing between segments", async () => {
    const { dir, topic, values: written } = await damagedLater()
    const bases = segmentBases(dir, topic)
    // A whole middle segment lost, and the last batch damaged.
    const lostFrom = bases[2]!
    const lostTo = bases[3]!
    unlinkSync(logPath(dir, topic, lostFrom))
    rmSync(join(partitionDir(dir, topic), `${String(lostFrom).padStart(20, '0')}.index`), { force: true })
    await corruptOffset(dir, topic, 29)

    const found = await verifyLog({ dir })
    expect(found.damage.map((d) => [d.offset, d.endOffset, d.kind])).toEqual([
      [lostFrom, lostTo, 'corrupt'],
      [29, null, 'corrupt'],
    ])
    const report = await repairLog({ dir, mode: 'skip' })
    expect(report.actions.map((a) => [a.action, a.fromOffset, a.toOffset])).toEqual([
      ['skipped', lostFrom, lostTo],
      ['cut', 29, null],
    ])
    expect((await verifyLog({ dir })).ok).toBe(true)
    const expected = written
      .map((v, i) => [i, v] as [number, string])
      .filter(([i]) => (i < lostFrom || i >= lostTo) && i < 29)
    expect(await values(dir, topic)).toEqual(expected)
    expect(
      readdirSync(partitionDir(dir, topic)).filter((n) => n.endsWith('.damaged') || n.endsWith('.cut'))
        .length,
    ).toBe(1)
  })

  it('refuses to run while a bus has the directory open', async () => {
    const { dir } = await damagedLater()
    const bus = await fileBus(dir)
    expect(await rejection(repairLog({ dir, mode: 'skip' }))).toBeInstanceOf(LockedError)
    await bus.close()
  })
})

import {
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type FileSystem, type LogDamage, nodeFileSystem } from '../../../src/file'
import { CorruptLogError } from '../../../src/index'
import { uniqueName } from '../../support/bus'
import {
  decodeSegment,
  fileBus,
  flipByte,
  indexPath,
  logPath,
  MARKER,
  partitionDir,
  rejection,
  segmentBases,
  sendEach,
  tempDir,
  VALUE_IN_BATCH,
  valuesAtEveryOffset,
  writtenTopic,
} from './support'

describe('FileStorage recovery', () => {
  it('cuts garbage appended to the last segment (a torn tail); earlier records stay, offsets stay dense', async () => {
    const dir = tempDir()
    const { topic, values } = await writtenTopic(dir, 20)
    const last = logPath(dir, topic, segmentBases(dir, topic).at(-1)!)
    const size = statSync(last).size
    writeFileSync(last, Buffer.from('a torn write: not a record batch at all'), { flag: 'a' })

    const bus = await fileBus(dir)
    const p = bus.topic(topic).partition(0)
    expect([p.logStartOffset, p.logEndOffset]).toEqual([0, 20])
    expect(statSync(last).size).toBe(size)
    expect(await valuesAtEveryOffset(bus, topic)).toEqual(values)
    expect(await sendEach(bus, topic, ['next'])).toEqual([20])
    await bus.close()
    const batches = await decodeSegment(last)
    expect(batches.at(-1)!.batch.records.map((r) => r.value?.toString())).toEqual(['next'])
  })

  it('cuts a half-written batch after a crash (no clean-shutdown marker)', async () => {
    const dir = tempDir()
    const { topic, values } = await writtenTopic(dir, 20)
    const last = logPath(dir, topic, segmentBases(dir, topic).at(-1)!)
    const size = statSync(last).size
    // The next batch as a crash leaves it: its first bytes only.
    const batch = readFileSync(last).subarray(size - (await decodeSegment(last)).at(-1)!.size)
    const torn = Buffer.from(batch.subarray(0, Math.floor(batch.length / 2)))
    torn.writeBigInt64BE(20n, 0)
    writeFileSync(last, torn, { flag: 'a' })
    unlinkSync(join(dir, MARKER))

    const bus = await fileBus(dir)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(20)
    expect(statSync(last).size).toBe(size)
    expect(await valuesAtEveryOffset(bus, topic)).toEqual(values)
    expect(await sendEach(bus, topic, ['next'])).toEqual([20])
  })

  it('rebuilds a truncated .index and a deleted .index; reads at every offset still work', async () => {
    const dir = tempDir()
    // Segments of 16 KiB hold several index entries (one per 4 KiB of log).
    const { topic, values } = await writtenTopic(dir, 150, { segmentBytes: 16_384, valueBytes: 300 })
    const bases = segmentBases(dir, topic)
    expect(bases.length).toBeGreaterThanOrEqual(3)
    const originals = bases.map((b) => readFileSync(indexPath(dir, topic, b)))
    expect(originals[0]!.length).toBeGreaterThanOrEqual(3 * 8)
    truncateSync(indexPath(dir, topic, bases[0]!), 11)
    unlinkSync(indexPath(dir, topic, bases[1]!))
    // The active segment's index, cut to whole entries but missing the last ones.
    truncateSync(indexPath(dir, topic, bases.at(-1)!), 0)

    const bus = await fileBus(dir)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(150)
    expect(await valuesAtEveryOffset(bus, topic)).toEqual(values)
    await bus.close()
    // Rebuilt, the indexes are what they were.
    bases.forEach((b, i) => {
      expect(readFileSync(indexPath(dir, topic, b))).toEqual(originals[i])
    })
  })

  it('does not trust an .index entry that points into the middle of a batch', async () => {
    const dir = tempDir()
    const { topic, values } = await writtenTopic(dir, 150, { segmentBytes: 16_384, valueBytes: 300 })
    const base = segmentBases(dir, topic)[0]!
    const path = indexPath(dir, topic, base)
    const index = readFileSync(path)
    expect(index.length).toBeGreaterThanOrEqual(3 * 8)
    // Entry 1 (not the last): its position moved 10 bytes into the batch, still increasing.
    index.writeInt32BE(index.readInt32BE(8 + 4) + 10, 8 + 4)
    writeFileSync(path, index)

    const bus = await fileBus(dir)
    expect(await valuesAtEveryOffset(bus, topic)).toEqual(values)
  })

  it('does not trust an .index entry that points at a later batch than its offset', async () => {
    const dir = tempDir()
    const { topic, values } = await writtenTopic(dir, 150, { segmentBytes: 16_384, valueBytes: 300 })
    const base = segmentBases(dir, topic)[0]!
    const path = indexPath(dir, topic, base)
    const index = readFileSync(path)
    expect(index.length).toBeGreaterThanOrEqual(3 * 8)
    // Entry 1 keeps its offset but points at the batch boundary just before entry 2: a well-formed
    // index (offsets and positions increase) that disagrees with the log.
    const batches = await decodeSegment(logPath(dir, topic, base))
    const nextPosition = index.readInt32BE(2 * 8 + 4)
    const later = batches.filter((b) => b.position < nextPosition).at(-1)!
    expect(later.position).toBeGreaterThan(index.readInt32BE(8 + 4))
    index.writeInt32BE(later.position, 8 + 4)
    writeFileSync(path, index)

    const bus = await fileBus(dir)
    expect(await valuesAtEveryOffset(bus, topic)).toEqual(values)
  })

  it('without the clean-shutdown marker, scans every segment and still recovers', async () => {
    const dir = tempDir()
    const { topic, values } = await writtenTopic(dir, 30)
    const logBytes = segmentBases(dir, topic).reduce((n, b) => n + statSync(logPath(dir, topic, b)).size, 0)
    const counting = (): { fs: FileSystem; bytesRead: () => number } => {
      let read = 0
      return {
        fs: {
          ...nodeFileSystem,
          readSync(fd, buffer, offset, length, position) {
            const n = nodeFileSystem.readSync(fd, buffer, offset, length, position)
            read += n
            return n
          },
        },
        bytesRead: () => read,
      }
    }

    // With the marker: a clean reopen reads (almost) nothing of the logs.
    expect(existsSync(join(dir, MARKER))).toBe(true)
    const clean = counting()
    const first = await fileBus(dir, { fs: clean.fs })
    // While a bus is open there is no marker: a crash now must be recovered from.
    expect(existsSync(join(dir, MARKER))).toBe(false)
    expect(clean.bytesRead()).toBeLessThan(logBytes / 2)
    await first.close()

    // Without it (a crash): every segment is read.
    unlinkSync(join(dir, MARKER))
    unlinkSync(indexPath(dir, topic, segmentBases(dir, topic).at(-1)!))
    const crashed = counting()
    const bus = await fileBus(dir, { fs: crashed.fs })
    expect(crashed.bytesRead()).toBeGreaterThanOrEqual(logBytes)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(30)
    expect(await valuesAtEveryOffset(bus, topic)).toEqual(values)
    expect(await sendEach(bus, topic, ['next'])).toEqual([30])
  })

  it('damage followed by valid batches stays in place, reported: reads around it work, reads of it throw', async () => {
    const dir = tempDir()
    // 21 records: the last segment holds three batches.
    const { topic, values } = await writtenTopic(dir, 21)
    const path = logPath(dir, topic, segmentBases(dir, topic).at(-1)!)
    const batches = await decodeSegment(path)
    expect(batches.length).toBe(3)
    const victim = batches[1]!
    const victimOffset = Number(victim.batch.firstOffset)
    flipByte(path, victim.position + VALUE_IN_BATCH + 50)
    // As after a crash: no clean-shutdown marker, so recovery checks the segment.
    unlinkSync(join(dir, MARKER))
    const before = readFileSync(path)

    const damages: LogDamage[] = []
    const bus = await fileBus(dir, { onDamage: (d) => damages.push(d) })
    expect(damages).toEqual([
      expect.objectContaining({
        topic,
        partition: 0,
        file: path,
        position: victim.position,
        length: victim.size,
        offset: victimOffset,
        endOffset: victimOffset + 1,
        action: 'kept',
        damagedFile: null,
      }),
    ])
    expect(damages[0]!.reason).toMatch(/CRC mismatch/)
    const p = bus.topic(topic).partition(0)
    expect(p.logEndOffset).toBe(21)
    // Everything before the damage reads; a read from before it stops in front of it.
    const head = await p.read(0)
    expect(head.map((r) => r.value?.toString())).toEqual(values.slice(0, victimOffset))
    const error = await rejection(p.read(victimOffset))
    expect(error).toBeInstanceOf(CorruptLogError)
    expect(error).toMatchObject({ file: path, position: victim.position, offset: victimOffset })
    expect((error as Error).message).toContain(`offset ${victimOffset}`)
    // After it, reading goes on, and so do appends.
    expect((await p.read(victimOffset + 1)).map((r) => r.value?.toString())).toEqual(
      values.slice(victimOffset + 1),
    )
    expect(await sendEach(bus, topic, ['next'])).toEqual([21])
    // Acknowledged data after the bad batch is not cut off to "repair" the log.
    expect(readFileSync(path).subarray(0, before.length).equals(before)).toBe(true)
  })

  it('after an unclean shutdown, a complete last batch with a bad CRC is damage: set aside, reported, cut off', async () => {
    const dir = tempDir()
    const { topic, values } = await writtenTopic(dir, 20)
    const path = logPath(dir, topic, segmentBases(dir, topic).at(-1)!)
    const last = (await decodeSegment(path)).at(-1)!
    flipByte(path, last.position + VALUE_IN_BATCH + 50)
    const damagedBytes = readFileSync(path).subarray(last.position)
    unlinkSync(join(dir, MARKER))

    const damages: LogDamage[] = []
    const bus = await fileBus(dir, { onDamage: (d) => damages.push(d) })
    const setAside = `${path}.${last.position}.damaged`
    expect(damages).toEqual([
      expect.objectContaining({
        file: path,
        position: last.position,
        length: last.size,
        offset: 19,
        action: 'set-aside',
        damagedFile: setAside,
      }),
    ])
    // The bytes are kept, not destroyed; the log goes on from the damaged offset.
    expect(readFileSync(setAside).equals(damagedBytes)).toBe(true)
    const p = bus.topic(topic).partition(0)
    expect([p.logStartOffset, p.logEndOffset]).toEqual([0, 19])
    expect(statSync(path).size).toBe(last.position)
    expect(await valuesAtEveryOffset(bus, topic)).toEqual(values.slice(0, 19))
    expect(await sendEach(bus, topic, ['replacement'])).toEqual([19])
  })

  it('a short last batch (what a crash leaves) is a torn tail: cut off without a report', async () => {
    const dir = tempDir()
    const { topic, values } = await writtenTopic(dir, 20)
    const path = logPath(dir, topic, segmentBases(dir, topic).at(-1)!)
    const last = (await decodeSegment(path)).at(-1)!
    truncateSync(path, last.position + last.size - 3)
    unlinkSync(join(dir, MARKER))
    const damages: LogDamage[] = []
    const bus = await fileBus(dir, { onDamage: (d) => damages.push(d) })
    expect(damages).toEqual([])
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(19)
    expect(statSync(path).size).toBe(last.position)
    expect(readdirSync(partitionDir(dir, topic)).filter((n) => n.endsWith('.damaged'))).toEqual([])
    expect(await valuesAtEveryOffset(bus, topic)).toEqual(values.slice(0, 19))
  })

  it('a flipped byte in a batch behind a clean marker: the records before it read, its offset throws', async () => {
    const dir = tempDir()
    const { topic, values } = await writtenTopic(dir, 20)
    // In an older segment, where a clean reopen scans nothing.
    const path = logPath(dir, topic, segmentBases(dir, topic)[0]!)
    const batches = await decodeSegment(path)
    const victim = batches[1]!
    const victimOffset = Number(victim.batch.firstOffset)
    flipByte(path, victim.position + VALUE_IN_BATCH + 50)
    expect(existsSync(join(dir, MARKER))).toBe(true)

    const damages: LogDamage[] = []
    const bus = await fileBus(dir, { onDamage: (d) => damages.push(d) })
    const p = bus.topic(topic).partition(0)
    expect((await p.read(0)).map((r) => r.value?.toString())).toEqual(values.slice(0, victimOffset))
    for (let round = 0; round < 2; round++) {
      const error = await rejection(p.read(victimOffset))
      expect(error).toBeInstanceOf(CorruptLogError)
      expect(error).toMatchObject({ file: path, position: victim.position, offset: victimOffset })
    }
    // Found by the read, reported once.
    expect(damages.map((d) => [d.offset, d.action])).toEqual([[victimOffset, 'kept']])
    expect((await p.read(victimOffset + 1))[0]?.value?.toString()).toBe(values[victimOffset + 1])
  })

  it('one CRC-bad batch at the end of a segment blocks nothing before it (issue 10, bug 2)', async () => {
    const dir = tempDir()
    // One segment of 49 records and a corrupt 50th, after a clean close.
    const { topic, values } = await writtenTopic(dir, 50, { segmentBytes: 1 << 20, valueBytes: 50 })
    const path = logPath(dir, topic, 0)
    const last = (await decodeSegment(path)).at(-1)!
    flipByte(path, last.position + VALUE_IN_BATCH + 20)
    const bus = await fileBus(dir, { onDamage: () => {} })
    const p = bus.topic(topic).partition(0)
    expect(p.logEndOffset).toBe(50)
    // Before the fix, read(0) threw for the whole segment: 0 of 49 intact records delivered.
    const records = await p.read(0)
    expect(records.map((r) => r.value?.toString())).toEqual(values.slice(0, 49))
    expect(await rejection(p.read(49))).toMatchObject({ name: 'CorruptLogError', offset: 49 })
  })

  it('a flipped byte in a batch’s baseOffset (outside the CRC) is caught on every read (issue 10, bug 2)', async () => {
    const dir = tempDir()
    const { topic, values } = await writtenTopic(dir, 20, { segmentBytes: 1 << 20 })
    const path = logPath(dir, topic, 0)
    const victim = (await decodeSegment(path))[10]!
    expect(Number(victim.batch.firstOffset)).toBe(10)
    // 10 → 11: the CRC still checks out.
    const bytes = readFileSync(path)
    bytes[victim.position + 7] = 11
    writeFileSync(path, bytes)
    expect(existsSync(join(dir, MARKER))).toBe(true)

    const bus = await fileBus(dir, { onDamage: () => {} })
    const p = bus.topic(topic).partition(0)
    // Before the fix, offsets 11..20 came back carrying records 10..19 and offset 10 never arrived.
    const records = await p.read(0)
    expect(records.map((r) => [r.offset, r.value?.toString()])).toEqual(
      values.slice(0, 10).map((v, i) => [i, v]),
    )
    for (let round = 0; round < 2; round++) {
      const error = await rejection(p.read(10))
      expect(error).toBeInstanceOf(CorruptLogError)
      expect(error).toMatchObject({ offset: 10, position: victim.position })
      expect((error as Error).message).toMatch(/base offset 11 where 10 was expected/)
    }
    const after = await p.read(11)
    expect(after.map((r) => [r.offset, r.value?.toString()])).toEqual(
      values.slice(11).map((v, i) => [11 + i, v]),
    )
    // A consumer group never delivers a record under another offset.
    const seen: Array<[number, string | undefined]> = []
    const consumer = bus.consumer({
      groupId: uniqueName('g'),
      topics: [topic],
      fromBeginning: true,
      restartOnFailure: false,
    })
    const crashed = new Promise<Error>((resolve) => consumer.on('crash', ({ error }) => resolve(error)))
    await consumer.run({ eachMessage: async (r) => void seen.push([r.offset, r.value?.toString()]) })
    expect(await crashed).toBeInstanceOf(CorruptLogError)
    expect(seen).toEqual(values.slice(0, 10).map((v, i) => [i, v]))
  })
})

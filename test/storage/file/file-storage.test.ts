import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  type Bus,
  type BusOptions,
  CorruptLogError,
  FileStorage,
  type FileStorageOptions,
  type FileSystem,
  LockedError,
  type LogRecord,
  nodeFileSystem,
  OffsetOutOfRangeError,
  StorageError,
} from '../../../src/index'
import { openBus, uniqueName, waitUntil } from '../../support/bus'
import { FakeClock } from '../../support/fake-clock'

// kafkajs' RecordBatch v2 decoder (CommonJS internals): an implementation of Kafka's format written
// independently of logbus, typed as far as these tests use it.
interface KafkajsDecoder {
  readonly offset: number
}
interface KafkajsRecord {
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | Buffer[] | null>
}
interface KafkajsBatch {
  firstOffset: string
  lastOffsetDelta: number
  partitionLeaderEpoch: number
  records: KafkajsRecord[]
}
const require = createRequire(import.meta.url)
const KafkajsDecoderClass = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => KafkajsDecoder
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: KafkajsDecoder,
) => Promise<KafkajsBatch>
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (buf: Buffer) => number

const MARKER = join('__logbus', 'clean-shutdown.json')
const LOCK = 'logbus.lock'
/** Where a record's value starts in a one-record batch without key or headers (61-byte header, then
 * length, attributes, timestamp delta, offset delta, key length and a 2-byte value length). */
const VALUE_IN_BATCH = 69

// ---------------------------------------------------------------------------------------------------
// Helpers

/** A temporary directory, removed when the test finishes (after the buses it holds have closed). */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'logbus-file-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function fileBus(
  dir: string,
  options: Omit<FileStorageOptions, 'dir'> = {},
  bus: BusOptions = {},
): Promise<Bus> {
  return openBus({ ...bus, storage: new FileStorage({ dir, ...options }) })
}

function segmentName(base: number): string {
  return String(base).padStart(20, '0')
}

function partitionDir(dir: string, topic: string, partition = 0): string {
  return join(dir, `${topic}-${partition}`)
}

function logPath(dir: string, topic: string, base: number, partition = 0): string {
  return join(partitionDir(dir, topic, partition), `${segmentName(base)}.log`)
}

function indexPath(dir: string, topic: string, base: number, partition = 0): string {
  return join(partitionDir(dir, topic, partition), `${segmentName(base)}.index`)
}

/** Base offsets of a partition's segments, from the `.log` file names, in order. */
function segmentBases(dir: string, topic: string, partition = 0): number[] {
  return readdirSync(partitionDir(dir, topic, partition))
    .filter((name) => name.endsWith('.log'))
    .map((name) => Number(name.slice(0, 20)))
    .sort((a, b) => a - b)
}

/** Every file under `dir` with a digest of its content: to check that nothing changed. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`
      if (entry.isDirectory()) {
        out[`${path}/`] = 'dir'
        walk(path)
      } else {
        out[path] = createHash('sha256')
          .update(readFileSync(join(dir, path)))
          .digest('hex')
      }
    }
  }
  walk('')
  return out
}

function flipByte(path: string, position: number): void {
  const bytes = readFileSync(path)
  bytes[position] = bytes[position]! ^ 0xff
  writeFileSync(path, bytes)
}

interface DecodedBatch {
  position: number
  size: number
  magic: number
  storedCrc: number
  computedCrc: number
  batch: KafkajsBatch
}

/** Decodes a whole `.log` file with kafkajs, one RecordBatch after another, with each batch's CRC-32C. */
async function decodeSegment(path: string): Promise<DecodedBatch[]> {
  const bytes = readFileSync(path)
  const decoder = new KafkajsDecoderClass(bytes)
  const out: DecodedBatch[] = []
  while (decoder.offset < bytes.length) {
    const position = decoder.offset
    const batch = await kafkajsDecodeBatch(decoder)
    const size = decoder.offset - position
    out.push({
      position,
      size,
      magic: bytes[position + 16]!,
      storedCrc: bytes.readUInt32BE(position + 17),
      computedCrc: kafkajsCrc32c(bytes.subarray(position + 21, position + size)),
      batch,
    })
  }
  return out
}

function value(i: number, size = 200): string {
  return `v${i}`.padEnd(size, '.')
}

/** Sends `values` one awaited send each, so each is its own record batch. Returns their offsets. */
async function sendEach(bus: Bus, topic: string, values: string[], partition = 0): Promise<number[]> {
  const producer = bus.producer()
  const offsets: number[] = []
  for (const v of values) offsets.push((await producer.send(topic, { value: v, partition })).offset)
  await producer.close()
  return offsets
}

async function readAll(bus: Bus, topic: string, partition = 0): Promise<LogRecord[]> {
  const p = bus.topic(topic).partition(partition)
  const out: LogRecord[] = []
  let offset = p.logStartOffset
  while (offset < p.logEndOffset) {
    const records = await p.read(offset)
    if (records.length === 0) throw new Error(`read(${offset}) returned nothing before the end`)
    out.push(...records)
    offset = records.at(-1)!.offset + 1
  }
  return out
}

/** Reads each offset on its own (a one-byte budget), so every index lookup is exercised. */
async function valuesAtEveryOffset(bus: Bus, topic: string): Promise<Array<string | undefined>> {
  const p = bus.topic(topic).partition(0)
  const out: Array<string | undefined> = []
  for (let offset = p.logStartOffset; offset < p.logEndOffset; offset++) {
    const records = await p.read(offset, 1)
    expect(records[0]?.offset).toBe(offset)
    out.push(records[0]?.value?.toString())
  }
  return out
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

function systemError(code: string, syscall: string, path = ''): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated, ${syscall} '${path}'`), { code, syscall, path })
}

/** Node's fs, remembering which path each descriptor was opened on. */
function trackedFs(): { fs: FileSystem; pathOf: (fd: number) => string } {
  const paths = new Map<number, string>()
  return {
    fs: {
      ...nodeFileSystem,
      openSync(path, flags) {
        const fd = nodeFileSystem.openSync(path, flags)
        paths.set(fd, path)
        return fd
      },
    },
    pathOf: (fd) => paths.get(fd) ?? '',
  }
}

/** A directory with one topic (one batch per record) written and closed: `count` records. */
async function writtenTopic(
  dir: string,
  count: number,
  options: { segmentBytes?: number; valueBytes?: number } = {},
): Promise<{ topic: string; values: string[] }> {
  const topic = uniqueName('disk')
  // Durability is not under test here: the OS may flush when it likes (close still syncs).
  const bus = await fileBus(dir, { fsync: 'never' })
  await bus.createTopic(topic, { segmentBytes: options.segmentBytes ?? 1024 })
  const values = Array.from({ length: count }, (_, i) => value(i, options.valueBytes))
  await sendEach(bus, topic, values)
  await bus.close()
  return { topic, values }
}

/**
 * Records writes, directory creations, fsyncs and fdatasyncs by path relative to `dir`; `hold` parks
 * fdatasync calls until released.
 */
function syncSpy(dir: string): {
  fs: FileSystem
  events: string[]
  fdatasyncs: (prefix: string) => number
  fsyncs: (prefix: string) => number
  hold: (on: boolean) => void
  held: () => number
} {
  const tracked = trackedFs()
  const events: string[] = []
  const datasyncs: string[] = []
  const fsyncs: string[] = []
  let holding = false
  let parked: Array<() => void> = []
  /** Paths relative to `dir`, which itself is '.'. */
  const relative = (path: string): string => (path === dir ? '.' : path.slice(dir.length + 1))
  const rel = (fd: number): string => relative(tracked.pathOf(fd))
  return {
    fs: {
      ...tracked.fs,
      mkdirSync(path) {
        if (!existsSync(path)) events.push(`mkdir ${relative(path)}`)
        nodeFileSystem.mkdirSync(path)
      },
      renameSync(from, to) {
        events.push(`rename ${relative(from)} ${relative(to)}`)
        nodeFileSystem.renameSync(from, to)
      },
      writeSync(fd, buffer, offset, length, position) {
        events.push(`write ${rel(fd)}`)
        return nodeFileSystem.writeSync(fd, buffer, offset, length, position)
      },
      fsyncSync(fd) {
        fsyncs.push(rel(fd))
        events.push(`fsync ${rel(fd)}`)
        nodeFileSystem.fsyncSync(fd)
      },
      async fdatasync(fd) {
        const path = rel(fd)
        datasyncs.push(path)
        events.push(`fdatasync ${path}`)
        if (holding) await new Promise<void>((resolve) => parked.push(resolve))
        await nodeFileSystem.fdatasync(fd)
        events.push(`synced ${path}`)
      },
    },
    events,
    fdatasyncs: (prefix) => datasyncs.filter((p) => p.startsWith(prefix)).length,
    fsyncs: (prefix) => fsyncs.filter((p) => p.startsWith(prefix)).length,
    hold(on) {
      holding = on
      if (!on) {
        for (const resolve of parked) resolve()
        parked = []
      }
    },
    held: () => parked.length,
  }
}

// ---------------------------------------------------------------------------------------------------

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

  it('a flipped byte mid-log, followed by valid batches, fails the open with CorruptLogError naming file and byte', async () => {
    const dir = tempDir()
    // 21 records: the last segment holds three batches.
    const { topic } = await writtenTopic(dir, 21)
    const path = logPath(dir, topic, segmentBases(dir, topic).at(-1)!)
    const batches = await decodeSegment(path)
    expect(batches.length).toBe(3)
    const victim = batches[batches.length - 2]!
    flipByte(path, victim.position + VALUE_IN_BATCH + 50)
    // As after a crash: no clean-shutdown marker, so recovery checks the segment.
    unlinkSync(join(dir, MARKER))
    const before = readFileSync(path)

    const error = await rejection(fileBus(dir))
    expect(error).toBeInstanceOf(CorruptLogError)
    const corrupt = error as CorruptLogError
    expect(corrupt.file).toBe(path)
    expect(corrupt.position).toBe(victim.position)
    expect(corrupt.message).toContain(path)
    expect(corrupt.message).toContain(`byte ${victim.position}`)
    // Acknowledged data after the bad batch is not cut off to "repair" the log.
    expect(readFileSync(path).equals(before)).toBe(true)
    // The failed open released the directory: the next attempt fails the same way, not with LockedError.
    expect(await rejection(fileBus(dir))).toBeInstanceOf(CorruptLogError)
  })

  it('a flipped byte in the last batch only is a torn tail: cut off', async () => {
    const dir = tempDir()
    const { topic, values } = await writtenTopic(dir, 20)
    const path = logPath(dir, topic, segmentBases(dir, topic).at(-1)!)
    const last = (await decodeSegment(path)).at(-1)!
    flipByte(path, last.position + VALUE_IN_BATCH + 50)
    unlinkSync(join(dir, MARKER))

    const bus = await fileBus(dir)
    const p = bus.topic(topic).partition(0)
    expect([p.logStartOffset, p.logEndOffset]).toEqual([0, 19])
    expect(statSync(path).size).toBe(last.position)
    expect(await valuesAtEveryOffset(bus, topic)).toEqual(values.slice(0, 19))
    expect(await sendEach(bus, topic, ['replacement'])).toEqual([19])
  })

  it('never returns corrupt data: a flipped byte behind a clean marker fails the open or the read', async () => {
    const dir = tempDir()
    const { topic, values } = await writtenTopic(dir, 20)
    // In an older segment, where a clean reopen scans nothing.
    const path = logPath(dir, topic, segmentBases(dir, topic)[0]!)
    const batches = await decodeSegment(path)
    const victim = batches[1]!
    const victimOffset = Number(victim.batch.firstOffset)
    flipByte(path, victim.position + VALUE_IN_BATCH + 50)
    expect(existsSync(join(dir, MARKER))).toBe(true)

    let bus: Bus
    try {
      bus = await fileBus(dir)
    } catch (error) {
      expect(error).toBeInstanceOf(CorruptLogError)
      return
    }
    const p = bus.topic(topic).partition(0)
    expect((await p.read(0, 1)).map((r) => r.value?.toString())).toEqual([values[0]])
    const error = await rejection(p.read(victimOffset))
    expect(error).toBeInstanceOf(CorruptLogError)
    expect((error as CorruptLogError).file).toBe(path)
    expect((error as CorruptLogError).position).toBe(victim.position)
  })
})

describe('FileStorage lock', () => {
  it('a second Bus.open on the same directory rejects with LockedError and changes nothing', async () => {
    const dir = tempDir()
    const topic = uniqueName('locked')
    const owner = await fileBus(dir)
    await owner.createTopic(topic)
    await sendEach(owner, topic, ['a', 'b'])
    const before = tree(dir)
    expect(before[LOCK]).toBeDefined()

    const error = await rejection(fileBus(dir))
    expect(error).toBeInstanceOf(LockedError)
    expect((error as LockedError).message).toContain(dir)
    const alsoDir = await rejection(openBus({ dir }))
    expect(alsoDir).toBeInstanceOf(LockedError)
    expect(tree(dir)).toEqual(before)
    // The owner goes on as if nothing happened.
    expect(await sendEach(owner, topic, ['c'])).toEqual([2])
    await owner.close()
    expect(existsSync(join(dir, LOCK))).toBe(false)
    const next = await fileBus(dir)
    expect((await readAll(next, topic)).map((r) => r.value?.toString())).toEqual(['a', 'b', 'c'])
  })

  it('a second open through a symlink to the same directory rejects with LockedError', async () => {
    const dir = tempDir()
    const link = join(tempDir(), 'alias')
    symlinkSync(dir, link, 'dir')
    const topic = uniqueName('alias')
    const owner = await fileBus(dir)
    await owner.createTopic(topic)
    await sendEach(owner, topic, ['a'])
    const before = tree(dir)
    expect(await rejection(fileBus(link))).toBeInstanceOf(LockedError)
    expect(tree(dir)).toEqual(before)
  })

  it('takes over the lock of a dead process', async () => {
    const dir = tempDir()
    const { topic } = await writtenTopic(dir, 3)
    writeFileSync(join(dir, LOCK), `2147483646\n${hostname()}\nsome-old-token\n`)
    const bus = await fileBus(dir)
    expect(readFileSync(join(dir, LOCK), 'utf8').split('\n')[0]).toBe(String(process.pid))
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(3)
    await bus.close()
    expect(existsSync(join(dir, LOCK))).toBe(false)
  })

  it('never takes over a lock written on another host (its pid cannot be checked from here)', async () => {
    const dir = tempDir()
    await writtenTopic(dir, 1)
    // A dead pid, but another host's (or container's): it may be alive there.
    writeFileSync(join(dir, LOCK), `2147483646\nsome-other-host\ntoken\n`)
    await expect(fileBus(dir)).rejects.toBeInstanceOf(LockedError)
    expect(readFileSync(join(dir, LOCK), 'utf8')).toBe('2147483646\nsome-other-host\ntoken\n')
  })

  it('refuses a lock held by another live process', async () => {
    const dir = tempDir()
    const { topic } = await writtenTopic(dir, 3)
    const child: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
      stdio: 'ignore',
    })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    onTestFinished(async () => {
      child.kill()
      await exited
    })
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
    const pid = child.pid!
    writeFileSync(join(dir, LOCK), `${pid}\n${hostname()}\nother-process-token\n`)
    const before = tree(dir)

    const error = await rejection(fileBus(dir))
    expect(error).toBeInstanceOf(LockedError)
    expect((error as LockedError).ownerPid).toBe(pid)
    expect((error as LockedError).message).toContain(String(pid))
    expect(tree(dir)).toEqual(before)

    // Once the owner is gone, its lock is stale and taken over.
    child.kill()
    await exited
    const bus = await fileBus(dir)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(3)
  })
})

describe('FileStorage fault injection', () => {
  it('a full disk (ENOSPC mid-write) rejects the send with StorageError, leaves no partial batch, and recovers', async () => {
    const dir = tempDir()
    const topic = uniqueName('enospc')
    const tracked = trackedFs()
    let diskFull = false
    let partialFirst = false
    const fs: FileSystem = {
      ...tracked.fs,
      writeSync(fd, buffer, offset, length, position) {
        if (diskFull && tracked.pathOf(fd).startsWith(partitionDir(dir, topic))) {
          if (partialFirst) {
            // Part of the batch reaches the file before the disk fills up.
            partialFirst = false
            return nodeFileSystem.writeSync(fd, buffer, offset, Math.floor(length / 2), position)
          }
          throw systemError('ENOSPC', 'write', tracked.pathOf(fd))
        }
        return nodeFileSystem.writeSync(fd, buffer, offset, length, position)
      },
    }
    const bus = await fileBus(dir, { fs })
    await bus.createTopic(topic)
    const producer = bus.producer()
    await producer.send(topic, { value: 'a' })
    await producer.send(topic, { value: 'b' })
    const path = logPath(dir, topic, 0)
    const size = statSync(path).size

    diskFull = true
    partialFirst = true
    const error = await rejection(producer.send(topic, { value: 'lost-1'.padEnd(500, '!') }))
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).cause).toMatchObject({ code: 'ENOSPC' })
    expect((error as StorageError).message).toContain('ENOSPC')
    expect(statSync(path).size).toBe(size)
    expect(await rejection(producer.send(topic, { value: 'lost-2' }))).toBeInstanceOf(StorageError)
    expect(statSync(path).size).toBe(size)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(2)

    diskFull = false
    expect((await producer.send(topic, { value: 'c' })).offset).toBe(2)
    expect((await readAll(bus, topic)).map((r) => r.value?.toString())).toEqual(['a', 'b', 'c'])
    await bus.close()

    const bytes = readFileSync(path)
    expect(bytes.includes('lost')).toBe(false)
    const batches = await decodeSegment(path)
    expect(batches.map((b) => b.computedCrc === b.storedCrc)).toEqual([true, true, true])
    expect(batches.flatMap((b) => b.batch.records.map((r) => [r.offset, r.value?.toString()]))).toEqual([
      ['0', 'a'],
      ['1', 'b'],
      ['2', 'c'],
    ])
    const reopened = await fileBus(dir)
    expect((await readAll(reopened, topic)).map((r) => [r.offset, r.value?.toString()])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ])
  })

  it("a failed fdatasync under fsync 'always' rejects the send and fails the log until reopen", async () => {
    const dir = tempDir()
    const topic = uniqueName('eio')
    const tracked = trackedFs()
    let failing = false
    const fs: FileSystem = {
      ...tracked.fs,
      async fdatasync(fd) {
        if (failing && tracked.pathOf(fd).startsWith(partitionDir(dir, topic))) {
          throw systemError('EIO', 'fdatasync', tracked.pathOf(fd))
        }
        return nodeFileSystem.fdatasync(fd)
      },
    }
    const bus = await fileBus(dir, { fs, fsync: 'always' })
    await bus.createTopic(topic)
    const producer = bus.producer()
    expect((await producer.send(topic, { value: 'acked' })).offset).toBe(0)

    failing = true
    const error = await rejection(producer.send(topic, { value: 'unsynced' }))
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).cause).toMatchObject({ code: 'EIO' })
    // The disk works again, but what it holds is unknown: the log accepts nothing more.
    failing = false
    expect(await rejection(producer.send(topic, { value: 'refused-1' }))).toBeInstanceOf(StorageError)
    expect(await rejection(producer.send(topic, { value: 'refused-2' }))).toBeInstanceOf(StorageError)
    const p = bus.topic(topic).partition(0)
    expect(p.logEndOffset).toBe(1)
    expect((await p.read(0)).map((r) => r.value?.toString())).toEqual(['acked'])
    await bus.close()

    const reopened = await fileBus(dir)
    const records = await readAll(reopened, topic)
    expect(records[0]?.value?.toString()).toBe('acked')
    expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i))
    expect(records.map((r) => r.value?.toString())).not.toContain('refused-1')
    const end = reopened.topic(topic).partition(0).logEndOffset
    expect(await sendEach(reopened, topic, ['after reopen'])).toEqual([end])
  })

  it('a read-only directory: Bus.open rejects with a clear StorageError and nothing in it changes', async () => {
    const dir = tempDir()
    await writtenTopic(dir, 3)
    const before = tree(dir)
    const denied = (syscall: string) => (path: string) => {
      throw systemError('EACCES', syscall, path)
    }
    const readOnly: FileSystem = {
      ...nodeFileSystem,
      openSync(path, flags) {
        if (flags !== 'r') throw systemError('EACCES', 'open', path)
        return nodeFileSystem.openSync(path, flags)
      },
      writeFileSync: denied('open'),
      writeSync: () => {
        throw systemError('EACCES', 'write')
      },
      ftruncateSync: () => {
        throw systemError('EACCES', 'ftruncate')
      },
      mkdirSync(path) {
        if (!existsSync(path)) throw systemError('EACCES', 'mkdir', path)
      },
      renameSync: (from) => denied('rename')(from),
      unlinkSync: denied('unlink'),
      rmSync: denied('rm'),
    }

    const error = await rejection(fileBus(dir, { fs: readOnly }))
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).message).toContain(dir)
    expect((error as StorageError).message).toContain('EACCES')
    expect(tree(dir)).toEqual(before)
    // A later open with write access works on the same, intact data.
    const bus = await fileBus(dir)
    expect(bus.listTopics().length).toBe(1)
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
  function fsyncedBetween(events: string[], path: string, after: number, before: number): boolean {
    return events.some((event, i) => i > after && i < before && event === `fsync ${path}`)
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

  it("'never': no fdatasync (nor fsync of segments) before close; close makes the data durable", async () => {
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
    expect(spy.fdatasyncs('')).toBe(0)
    expect(spy.fsyncs(`${topic}-0/${segmentName(segmentBases(dir, topic).at(-1)!)}.log`)).toBeGreaterThan(0)
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

/** What the file storage tests share: directories, buses over them, fault-injecting file systems. */
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, onTestFinished } from 'vitest'
import { FileStorage, type FileStorageOptions, type FileSystem, nodeFileSystem } from '../../../src/file'
import type { Bus, BusOptions, LogRecord } from '../../../src/index'
import { openBus, uniqueName } from '../../support/bus'

// kafkajs' RecordBatch v2 decoder (CommonJS internals): an implementation of Kafka's format written
// independently of logbus, typed as far as these tests use it.
export interface KafkajsDecoder {
  readonly offset: number
}
export interface KafkajsRecord {
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | Buffer[] | null>
}
export interface KafkajsBatch {
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

export const MARKER = join('__logbus', 'clean-shutdown.json')
export const LOCK = 'logbus.lock'
/** Where a record's value starts in a one-record batch without key or headers (61-byte header, then
 * length, attributes, timestamp delta, offset delta, key length and a 2-byte value length). */
export const VALUE_IN_BATCH = 69

// ---------------------------------------------------------------------------------------------------
// Helpers

/** A temporary directory, removed when the test finishes (after the buses it holds have closed). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'logbus-file-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export function fileBus(
  dir: string,
  options: Omit<FileStorageOptions, 'dir'> = {},
  bus: BusOptions = {},
): Promise<Bus> {
  return openBus({ ...bus, storage: new FileStorage({ dir, ...options }) })
}

export function segmentName(base: number): string {
  return String(base).padStart(20, '0')
}

export function partitionDir(dir: string, topic: string, partition = 0): string {
  return join(dir, `${topic}-${partition}`)
}

export function logPath(dir: string, topic: string, base: number, partition = 0): string {
  return join(partitionDir(dir, topic, partition), `${segmentName(base)}.log`)
}

export function indexPath(dir: string, topic: string, base: number, partition = 0): string {
  return join(partitionDir(dir, topic, partition), `${segmentName(base)}.index`)
}

/** Base offsets of a partition's segments, from the `.log` file names, in order. */
export function segmentBases(dir: string, topic: string, partition = 0): number[] {
  return readdirSync(partitionDir(dir, topic, partition))
    .filter((name) => name.endsWith('.log'))
    .map((name) => Number(name.slice(0, 20)))
    .sort((a, b) => a - b)
}

/** Every file under `dir` with a digest of its content: to check that nothing changed. */
export function tree(dir: string): Record<string, string> {
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

export function flipByte(path: string, position: number): void {
  const bytes = readFileSync(path)
  bytes[position] = bytes[position]! ^ 0xff
  writeFileSync(path, bytes)
}

export interface DecodedBatch {
  position: number
  size: number
  magic: number
  storedCrc: number
  computedCrc: number
  batch: KafkajsBatch
}

/** Decodes a whole `.log` file with kafkajs, one RecordBatch after another, with each batch's CRC-32C. */
export async function decodeSegment(path: string): Promise<DecodedBatch[]> {
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

export function value(i: number, size = 200): string {
  return `v${i}`.padEnd(size, '.')
}

/** Sends `values` one awaited send each, so each is its own record batch. Returns their offsets. */
export async function sendEach(bus: Bus, topic: string, values: string[], partition = 0): Promise<number[]> {
  const producer = bus.producer()
  const offsets: number[] = []
  for (const v of values) offsets.push((await producer.send(topic, { value: v, partition })).offset)
  await producer.close()
  return offsets
}

export async function readAll(bus: Bus, topic: string, partition = 0): Promise<LogRecord[]> {
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
export async function valuesAtEveryOffset(bus: Bus, topic: string): Promise<Array<string | undefined>> {
  const p = bus.topic(topic).partition(0)
  const out: Array<string | undefined> = []
  for (let offset = p.logStartOffset; offset < p.logEndOffset; offset++) {
    const records = await p.read(offset, 1)
    expect(records[0]?.offset).toBe(offset)
    out.push(records[0]?.value?.toString())
  }
  return out
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

export function systemError(code: string, syscall: string, path = ''): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated, ${syscall} '${path}'`), { code, syscall, path })
}

/** Node's fs, remembering which path each descriptor was opened on. */
export function trackedFs(): { fs: FileSystem; pathOf: (fd: number) => string } {
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
export async function writtenTopic(
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
export function syncSpy(dir: string): {
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
      async fsync(fd) {
        const path = rel(fd)
        fsyncs.push(path)
        events.push(`fsync ${path}`)
        await nodeFileSystem.fsync(fd)
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

export type FaultOp =
  | 'openSync'
  | 'writeSync'
  | 'readSync'
  | 'fdatasync'
  | 'fsync'
  | 'fsyncSync'
  | 'ftruncateSync'
  | 'writeFileSync'
  | 'mkdirSync'
  | 'renameSync'

interface Fault {
  op: FaultOp
  code: string
  when: (path: string) => boolean
  after: number
}

/**
 * Node's fs with failures on demand, as a full disk (ENOSPC), too many open files (EMFILE), a
 * read-only file system (EROFS) or a failing disk (EIO) make them; it also counts the descriptors
 * left open.
 */
export function faultyFs(): {
  fs: FileSystem
  /** Makes `op` fail with `code` on paths `when` accepts, after `after` calls went through, until cleared. */
  fail(op: FaultOp, code: string, options?: { when?: (path: string) => boolean; after?: number }): void
  clear(): void
  /** Paths of the descriptors opened through this file system and not closed. */
  openPaths(): string[]
  /** How many calls a fault failed. */
  failures(): number
} {
  const paths = new Map<number, string>()
  let faults: Fault[] = []
  let failed = 0
  const check = (op: FaultOp, path: string): void => {
    for (const fault of faults) {
      if (fault.op !== op || !fault.when(path)) continue
      if (fault.after > 0) {
        fault.after--
        continue
      }
      failed++
      throw systemError(fault.code, op.replace('Sync', ''), path)
    }
  }
  const at = (fd: number): string => paths.get(fd) ?? ''
  const fs: FileSystem = {
    ...nodeFileSystem,
    openSync(path, flags) {
      check('openSync', path)
      const fd = nodeFileSystem.openSync(path, flags)
      paths.set(fd, path)
      return fd
    },
    closeSync(fd) {
      paths.delete(fd)
      nodeFileSystem.closeSync(fd)
    },
    writeSync(fd, buffer, offset, length, position) {
      check('writeSync', at(fd))
      return nodeFileSystem.writeSync(fd, buffer, offset, length, position)
    },
    readSync(fd, buffer, offset, length, position) {
      check('readSync', at(fd))
      return nodeFileSystem.readSync(fd, buffer, offset, length, position)
    },
    async fdatasync(fd) {
      check('fdatasync', at(fd))
      return nodeFileSystem.fdatasync(fd)
    },
    async fsync(fd) {
      check('fsync', at(fd))
      return nodeFileSystem.fsync(fd)
    },
    fsyncSync(fd) {
      check('fsyncSync', at(fd))
      nodeFileSystem.fsyncSync(fd)
    },
    ftruncateSync(fd, length) {
      check('ftruncateSync', at(fd))
      nodeFileSystem.ftruncateSync(fd, length)
    },
    writeFileSync(path, data, flags) {
      check('writeFileSync', path)
      nodeFileSystem.writeFileSync(path, data, flags)
    },
    mkdirSync(path) {
      check('mkdirSync', path)
      nodeFileSystem.mkdirSync(path)
    },
    renameSync(from, to) {
      check('renameSync', from)
      nodeFileSystem.renameSync(from, to)
    },
  }
  return {
    fs,
    fail(op, code, { when = () => true, after = 0 } = {}) {
      faults.push({ op, code, when, after })
    },
    clear() {
      faults = []
    },
    openPaths: () => [...paths.values()],
    failures: () => failed,
  }
}

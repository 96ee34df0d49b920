/**
 * The process the crash test kills: `node --import tsx crash-child.ts <dir> <fsync> [<crash spec>]`.
 *
 * Opens a durable bus on `<dir>`, creates the crash topic if missing, then produces forever from
 * several concurrent loops (single sends and arrays, keyed, a per-key sequence number in the value)
 * while a consumer group reads the topic and commits now and then. Every acknowledged record and
 * every commit (before and after it resolves) is written to stdout as one line (see
 * test/support/crash-workload.ts). It never stops on its own: the test SIGKILLs it, or, with a crash
 * spec, it SIGKILLs itself at a chosen point inside the file storage (a segment roll, a torn write).
 * It exits when its stdin closes, so it never outlives the test.
 */
import { writeSync } from 'node:fs'
import { FileStorage, type FileSystem, nodeFileSystem } from '../../../src/file'
import { Bus, type Message } from '../../../src/index'
import {
  type ChildLine,
  CRASH_GROUP,
  CRASH_KEYS_PER_LOOP,
  CRASH_PARTITIONS,
  CRASH_PRODUCER_LOOPS,
  CRASH_SEGMENT_BYTES,
  CRASH_TOPIC,
  type CrashSpec,
  crashKey,
  crashValue,
  formatLine,
  parseCrashSpec,
  parseCrashValue,
  parseFsync,
} from '../../support/crash-workload'

/** The chance that the consumer commits after a record: often enough that commits race with kills. */
const COMMIT_PROBABILITY = 0.3
/** A safety net: never run longer than this, whatever happens to the parent. */
const MAX_LIFETIME_MS = 60_000

const [dirArg, fsyncArg, crashArg] = process.argv.slice(2)
if (dirArg === undefined) throw new Error('usage: crash-child.ts <dir> <fsync> [<crash spec>]')
const dir = dirArg
const fsync = parseFsync(fsyncArg)
const crash = parseCrashSpec(crashArg)

/** Set once the workload runs: crash points count from there, not during open and setup. */
let armed = false

const STDOUT = 1
const PAUSE = new Int32Array(new SharedArrayBuffer(4))

/**
 * Writes the lines to stdout before the child goes on. `process.stdout` is asynchronous on a pipe
 * (POSIX): with the test reading slowly under load, a commit's intent line could still sit in the
 * child's queue when the commit reached the disk and the SIGKILL landed, and the test then saw a
 * committed offset that the child had never announced.
 */
function emit(lines: ChildLine[]): void {
  if (lines.length === 0) return
  const bytes = Buffer.from(lines.map(formatLine).join(''))
  let written = 0
  while (written < bytes.length) {
    try {
      written += writeSync(STDOUT, bytes, written)
    } catch (error) {
      // A non-blocking pipe that is full: wait a millisecond for the test to read it.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
      Atomics.wait(PAUSE, 0, 0, 1)
    }
  }
}

function fail(error: unknown): never {
  process.stderr.write(
    `crash-child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exit(1)
}

function die(): never {
  process.kill(process.pid, 'SIGKILL')
  throw new Error('SIGKILL did not kill the process')
}

function isTopicLog(path: string): boolean {
  return path.endsWith('.log') && path.includes(`/${CRASH_TOPIC}-`)
}

function isOffsetsLog(path: string): boolean {
  return path.endsWith('.log') && path.includes('/__logbus/offsets-0/')
}

/** Node's file operations, with a SIGKILL of this process at the point `spec` names. */
function crashingFileSystem(spec: CrashSpec): FileSystem {
  const paths = new Map<number, string>()
  const freshSegments = new Set<number>()
  let count = 0
  const hit = (): boolean => armed && ++count === spec.ordinal
  return {
    ...nodeFileSystem,
    openSync(path, flags) {
      const fd = nodeFileSystem.openSync(path, flags)
      paths.set(fd, path)
      if (armed && flags === 'w+' && isTopicLog(path)) {
        freshSegments.add(fd)
        if (spec.point === 'open' && hit()) die()
      }
      return fd
    },
    closeSync(fd) {
      paths.delete(fd)
      freshSegments.delete(fd)
      nodeFileSystem.closeSync(fd)
    },
    writeFileSync(path, data, flags) {
      nodeFileSystem.writeFileSync(path, data, flags)
      if (spec.point === 'index' && path.endsWith('.index') && path.includes(`/${CRASH_TOPIC}-`) && hit())
        die()
    },
    writeSync(fd, buffer, offset, length, position) {
      const path = paths.get(fd) ?? ''
      const fresh = freshSegments.delete(fd)
      const torn =
        (spec.point === 'torn-roll' && fresh) ||
        (spec.point === 'torn' && isTopicLog(path)) ||
        (spec.point === 'torn-offsets' && isOffsetsLog(path))
      if (torn && hit()) {
        nodeFileSystem.writeSync(fd, buffer, offset, Math.max(1, length >> 1), position)
        die()
      }
      return nodeFileSystem.writeSync(fd, buffer, offset, length, position)
    },
  }
}

/** The next sequence number of every key: one past the highest already in the log, acknowledged or not. */
async function nextSequences(bus: Bus): Promise<Map<string, number>> {
  const next = new Map<string, number>()
  for (const partition of bus.topic(CRASH_TOPIC).partitions) {
    let offset = partition.logStartOffset
    while (offset < partition.logEndOffset) {
      const records = await partition.read(offset)
      if (records.length === 0) break
      for (const record of records) {
        const parsed = parseCrashValue(record.value?.toString('utf8') ?? '')
        if (parsed === undefined)
          throw new Error(`Unexpected record at ${partition.partition}:${record.offset}`)
        next.set(parsed.key, Math.max(next.get(parsed.key) ?? 0, parsed.seq + 1))
      }
      offset = records.at(-1)!.offset + 1
    }
  }
  return next
}

/** One producer loop: sequential sends of its own keys, so each key's sequence order is its offset order. */
async function produce(bus: Bus, loop: number, next: Map<string, number>): Promise<never> {
  const producer = bus.producer()
  const keys = Array.from({ length: CRASH_KEYS_PER_LOOP }, (_, i) => crashKey(loop, i))
  for (;;) {
    const count = Math.random() < 0.5 ? 1 : 2 + Math.floor(Math.random() * 7)
    const sent: { key: string; seq: number }[] = []
    for (let i = 0; i < count; i++) {
      const key = keys[Math.floor(Math.random() * keys.length)]!
      const seq = next.get(key) ?? 0
      next.set(key, seq + 1)
      sent.push({ key, seq })
    }
    const messages: Message[] = sent.map(({ key, seq }) => ({ key, value: crashValue(key, seq) }))
    const metas =
      count === 1 && Math.random() < 0.7
        ? [await producer.send(CRASH_TOPIC, messages[0]!)]
        : await producer.send(CRASH_TOPIC, messages)
    emit(
      metas.map((meta, i) => ({
        kind: 'ack',
        topic: meta.topic,
        partition: meta.partition,
        offset: meta.offset,
        key: sent[i]!.key,
        seq: sent[i]!.seq,
      })),
    )
  }
}

async function main(): Promise<void> {
  emit([{ kind: 'opening' }])
  const bus =
    crash === undefined
      ? await Bus.open({ dir, fsync })
      : await Bus.open({ storage: new FileStorage({ dir, fsync, fs: crashingFileSystem(crash) }) })
  await bus.createTopic(CRASH_TOPIC, {
    partitions: CRASH_PARTITIONS,
    segmentBytes: CRASH_SEGMENT_BYTES,
    ifNotExists: true,
  })
  const next = await nextSequences(bus)

  const consumer = bus.consumer({
    groupId: CRASH_GROUP,
    topics: [CRASH_TOPIC],
    fromBeginning: true,
    autoCommit: false,
  })
  // The next offset to read of every partition processed so far; a commit writes all of them.
  const processed = new Map<number, number>()
  await consumer.run({
    eachMessage: async (record) => {
      processed.set(record.partition, record.offset + 1)
      if (Math.random() >= COMMIT_PROBABILITY) return
      const offsets = [...processed].map(([partition, offset]) => ({
        topic: record.topic,
        partition,
        offset,
      }))
      emit(offsets.map((o) => ({ kind: 'commit-intent', ...o })))
      try {
        await consumer.commit(offsets)
      } catch (error) {
        fail(error)
      }
      emit(offsets.map((o) => ({ kind: 'commit-ack', ...o })))
    },
  })

  armed = true
  emit([{ kind: 'ready' }])
  await Promise.all(Array.from({ length: CRASH_PRODUCER_LOOPS }, (_, loop) => produce(bus, loop, next)))
}

process.stdin.on('end', () => process.exit(2))
process.stdin.resume()
setTimeout(() => process.exit(3), MAX_LIFETIME_MS).unref()
main().catch(fail)

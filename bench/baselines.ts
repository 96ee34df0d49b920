/**
 * Ceilings and peers, measured in the same run as logbus:
 * - in-process ceiling: an eventemitter3 emit loop handing the same record objects to one listener;
 * - peer in-process queues: mqemitter and fastq doing the same hand-off;
 * - disk ceilings: raw sequential `fs.writeSync` of 64 KiB chunks plus a final fsync, the durable
 *   variant with an fdatasync after every 64 KiB, and the rounds of fsync 'always' with 16 closed-loop
 *   producers (each round's bytes written over 8 files, then 8 fdatasyncs in parallel).
 * Every hand-off counts in the listener, as the logbus figures count in the consumer handler.
 */

import { closeSync, fdatasync, fdatasyncSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { EventEmitter } from 'eventemitter3'
import fastq from 'fastq'
import mqemitter from 'mqemitter'
import { type Figure, makeTempDir, type PartContext, removeDir } from './common'
import { attempt, type CaseSpec, measure } from './harness'
import { TOPIC, workload } from './workload'

interface TopicRecord {
  topic: string
  key: unknown
  value: unknown
}

const RECORDS = 100_000

let records: TopicRecord[] | undefined

/**
 * The typed string topic's messages as records with a topic field (mqemitter routes on it), the same
 * objects for all three peers.
 */
function recordPool(): TopicRecord[] {
  const work = workload('string')
  records ??= Array.from({ length: RECORDS }, (_, i) => {
    const m = work.message(i)
    return { topic: TOPIC, key: m.key, value: m.value }
  })
  return records
}

function timeHandOff(n: number, emitAll: (n: number, pool: TopicRecord[]) => void, seen: () => number) {
  const pool = recordPool()
  const start = performance.now()
  emitAll(n, pool)
  if (seen() !== n) throw new Error(`hand-off delivered ${seen()} of ${n} records synchronously`)
  return { value: n / ((performance.now() - start) / 1000) }
}

export function eventemitter3Rate(n: number): { value: number } {
  const ee = new EventEmitter()
  let count = 0
  ee.on('record', (_record: TopicRecord) => {
    count++
  })
  return timeHandOff(
    n,
    (total, pool) => {
      for (let i = 0; i < total; i++) ee.emit('record', pool[i % pool.length]!)
    },
    () => count,
  )
}

export function mqemitterRate(n: number): { value: number } {
  const mq = mqemitter()
  let count = 0
  mq.on(TOPIC, (_message, done) => {
    count++
    done()
  })
  return timeHandOff(
    n,
    (total, pool) => {
      for (let i = 0; i < total; i++) mq.emit(pool[i % pool.length]!)
    },
    () => count,
  )
}

export function fastqRate(n: number): { value: number } {
  let count = 0
  const queue = fastq<unknown, TopicRecord, void>((_record, done) => {
    count++
    done(null)
  }, 1)
  return timeHandOff(
    n,
    (total, pool) => {
      for (let i = 0; i < total; i++) queue.push(pool[i % pool.length]!)
    },
    () => count,
  )
}

const HAND_OFF_SIZING = { initial: 200_000, min: 100_000, max: 50_000_000, multiple: 1000 }

export function inProcessBaselines(): CaseSpec[] {
  return [
    {
      id: 'baseline.eventemitter3',
      section: 'baselines',
      label: 'eventemitter3: emit loop → 1 listener (in-process ceiling)',
      unit: 'msgs/s',
      better: 'higher',
      sizing: HAND_OFF_SIZING,
      run: async (n) => eventemitter3Rate(n),
    },
    {
      id: 'baseline.mqemitter',
      section: 'baselines',
      label: 'mqemitter: emit → 1 subscriber (peer)',
      unit: 'msgs/s',
      better: 'higher',
      sizing: HAND_OFF_SIZING,
      run: async (n) => mqemitterRate(n),
    },
    {
      id: 'baseline.fastq',
      section: 'baselines',
      label: 'fastq: push → worker, concurrency 1 (peer)',
      unit: 'msgs/s',
      better: 'higher',
      sizing: HAND_OFF_SIZING,
      run: async (n) => fastqRate(n),
    },
  ]
}

export const CHUNK_BYTES = 64 * 1024

/** Raw sequential write of `bytes` in 64 KiB chunks, then one fsync: MB/s (1 MB = 10^6 bytes). */
export function rawSequential(bytes: number): { value: number; detail: Record<string, number> } {
  const dir = makeTempDir('raw')
  const chunk = Buffer.alloc(CHUNK_BYTES, 0x61)
  try {
    const fd = openSync(join(dir, 'raw.log'), 'w')
    try {
      const start = performance.now()
      let written = 0
      while (written < bytes) written += writeSync(fd, chunk, 0, Math.min(CHUNK_BYTES, bytes - written))
      const wrote = performance.now()
      fsyncSync(fd)
      const end = performance.now()
      return {
        value: bytes / 1e6 / ((end - start) / 1000),
        detail: { bytes, fsyncMs: end - wrote },
      }
    } finally {
      closeSync(fd)
    }
  } finally {
    removeDir(dir)
  }
}

/** Raw durable write: fdatasync after every 64 KiB chunk. MB/s, and the median fdatasync time. */
export function rawDurable(bytes: number): { value: number; detail: Record<string, number> } {
  const dir = makeTempDir('raw')
  const chunk = Buffer.alloc(CHUNK_BYTES, 0x61)
  try {
    const fd = openSync(join(dir, 'raw.log'), 'w')
    try {
      const syncs: number[] = []
      const start = performance.now()
      let written = 0
      while (written < bytes) {
        written += writeSync(fd, chunk, 0, Math.min(CHUNK_BYTES, bytes - written))
        const t = performance.now()
        fdatasyncSync(fd)
        syncs.push(performance.now() - t)
      }
      const end = performance.now()
      syncs.sort((a, b) => a - b)
      return {
        value: bytes / 1e6 / ((end - start) / 1000),
        detail: { bytes, fdatasyncMs: syncs[syncs.length >> 1] ?? 0 },
      }
    } finally {
      closeSync(fd)
    }
  } finally {
    removeDir(dir)
  }
}

/** Records of a round of 16 closed-loop producers sending 100 each, and their bytes on disk. */
const ROUND_RECORDS = 1600
const ROUND_FILES = 8
const RECORD_BYTES_ON_DISK = 130

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())))
}

/**
 * What fsync 'always' with 16 closed-loop producers over 8 partitions could do with no CPU work at
 * all: rounds of 1,600 records' bytes written over 8 files (a partition's segment each), then the 8
 * fdatasyncs in parallel on libuv's threads, as logbus's group commit flushes a round. In msgs/s.
 */
export async function rawRounds(records: number): Promise<{ value: number; detail: Record<string, number> }> {
  const dir = makeTempDir('rounds')
  const chunk = Buffer.alloc((ROUND_RECORDS / ROUND_FILES) * RECORD_BYTES_ON_DISK, 0x61)
  const fds = Array.from({ length: ROUND_FILES }, (_, i) => openSync(join(dir, `p${i}.log`), 'w'))
  try {
    const rounds = Math.max(1, Math.round(records / ROUND_RECORDS))
    const start = performance.now()
    for (let r = 0; r < rounds; r++) {
      for (const fd of fds) writeSync(fd, chunk)
      await Promise.all(fds.map(fdatasyncAsync))
    }
    const ms = performance.now() - start
    return {
      value: (rounds * ROUND_RECORDS) / (ms / 1000),
      detail: { roundMs: ms / rounds, bytes: rounds * ROUND_FILES * chunk.length },
    }
  } finally {
    for (const fd of fds) closeSync(fd)
    removeDir(dir)
  }
}

export function diskBaselines(sequentialBytes: number, durableBytes: number): CaseSpec[] {
  return [
    {
      id: 'baseline.disk.sequential',
      section: 'baselines',
      label: `raw writeSync 64 KiB chunks + final fsync (disk ceiling), ${(sequentialBytes / 1e6).toFixed(0)} MB`,
      unit: 'MB/s',
      better: 'higher',
      size: sequentialBytes,
      run: async (bytes) => rawSequential(bytes),
    },
    {
      id: 'baseline.disk.durable',
      section: 'baselines',
      label: `raw writeSync + fdatasync per 64 KiB (durable ceiling), ${(durableBytes / 1e6).toFixed(0)} MB`,
      unit: 'MB/s',
      better: 'higher',
      size: durableBytes,
      run: async (bytes) => rawDurable(bytes),
    },
    {
      id: 'baseline.disk.rounds',
      section: 'baselines',
      label:
        "raw rounds of fsync 'always' with 16 producers: 1,600 × 130 B written over 8 files, then 8 fdatasyncs in parallel (ceiling of that case)",
      unit: 'msgs/s',
      better: 'higher',
      size: Math.round(durableBytes / RECORD_BYTES_ON_DISK),
      run: (records) => rawRounds(records),
    },
  ]
}

/** `--only baselines`: the peers and the disk ceilings on their own (the SQLite peers are in file.ts). */
export async function runBaselines(context: PartContext): Promise<Figure[]> {
  const { options, failures } = context
  const figures: Figure[] = []
  const bytes = options.quick ? 64e6 : 128e6
  for (const spec of [...inProcessBaselines(), ...diskBaselines(bytes, options.quick ? 8e6 : 32e6)])
    await attempt(failures, spec.id, () => measure(spec, options), figures)
  return figures
}

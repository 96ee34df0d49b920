/**
 * The durable-queue peer: a better-sqlite3 queue table, the way an application would keep a local
 * durable queue in SQLite:
 *
 *   CREATE TABLE queue (id INTEGER PRIMARY KEY, topic TEXT, partition INTEGER, key BLOB, value BLOB, ts INTEGER)
 *
 * in WAL mode, fed the same records as the file log (16-byte Buffer keys, 100-byte Buffer values, and
 * the partition logbus's default partitioner gives each key, computed beforehand so it costs SQLite
 * nothing). The peer only inserts: no reader polls the table, so its figures are an upper bound for a
 * SQLite queue, while the logbus figures are end to end (producer → consumer handler).
 *
 * - `normal`: synchronous NORMAL (a commit does not fsync; the WAL is synced at checkpoints), one
 *   producer, a transaction per 100 rows, a setImmediate every 10 transactions as the logbus producer
 *   yields after 10 sends. `close()` — the final checkpoint and its fsync — is counted, as the final
 *   fsync is for logbus's fsync 'never'. Compared with logbus fsync 'never'.
 * - `full`: synchronous FULL (every commit fsyncs the WAL), 16 async producers sharing one connection,
 *   each in a closed loop sending batches of 100 and waiting for each ack, as the 16 logbus producers
 *   do. better-sqlite3 is synchronous, so one commit runs at a time. Two ways to commit:
 *   - `batch`: each producer's batch is its own transaction (the plain way: one fsync per batch);
 *   - `group`: the batches that arrive during one event-loop turn share a transaction (group commit
 *     written by hand: what logbus does inside). Compared with logbus fsync 'always', 16 producers.
 */

import { statSync } from 'node:fs'
import { join } from 'node:path'
import { setImmediate as immediate } from 'node:timers/promises'
import type BetterSqlite3 from 'better-sqlite3'
import { partitionForKey } from 'logbus'
import { makeTempDir, percentiles, type RepSample, removeDir } from './common'
import type { CaseSpec, Sizing } from './harness'
import { BATCH, type BenchMessage, PAYLOAD_BYTES, TOPIC, workload } from './workload'

type Database = BetterSqlite3.Database
type DatabaseConstructor = typeof BetterSqlite3

let driver: Promise<DatabaseConstructor> | undefined

function loadDriver(): Promise<DatabaseConstructor> {
  driver ??= import('better-sqlite3').then((m) => m.default)
  return driver
}

const PARTITIONS = 8
const partitionsOf = new WeakMap<readonly BenchMessage[], Int32Array>()

/** The partition of every message of a pooled batch, as logbus's default partitioner picks it. */
function partitions(batch: readonly BenchMessage[]): Int32Array {
  let out = partitionsOf.get(batch)
  if (out === undefined) {
    out = new Int32Array(batch.length)
    for (let i = 0; i < batch.length; i++) out[i] = partitionForKey(batch[i]!.key as Buffer, PARTITIONS)
    partitionsOf.set(batch, out)
  }
  return out
}

interface Queue {
  db: Database
  /** Inserts batches in one transaction, all with timestamp `ts`. */
  insert(batches: readonly (readonly BenchMessage[])[], ts: number): void
}

async function openQueue(dir: string, synchronous: 'NORMAL' | 'FULL'): Promise<Queue> {
  const Sqlite = await loadDriver()
  const db = new Sqlite(join(dir, 'queue.db'))
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous}`)
  db.exec(
    'CREATE TABLE queue (id INTEGER PRIMARY KEY, topic TEXT, partition INTEGER, key BLOB, value BLOB, ts INTEGER)',
  )
  const row = db.prepare('INSERT INTO queue (topic, partition, key, value, ts) VALUES (?, ?, ?, ?, ?)')
  const insert = db.transaction((batches: readonly (readonly BenchMessage[])[], ts: number) => {
    for (const batch of batches) {
      const parts = partitions(batch)
      for (let i = 0; i < batch.length; i++) {
        const m = batch[i]!
        row.run(TOPIC, parts[i]!, m.key, m.value, ts)
      }
    }
  })
  return { db, insert }
}

function dbBytes(dir: string): number {
  let total = 0
  for (const name of ['queue.db', 'queue.db-wal']) {
    try {
      total += statSync(join(dir, name)).size
    } catch {
      // The WAL is gone after a clean close.
    }
  }
  return total
}

/** One producer, transactions of 100 rows, synchronous NORMAL; close (checkpoint + fsync) counted. */
export async function sqliteNormal(count: number): Promise<RepSample> {
  const dir = makeTempDir('sqlite')
  try {
    const { db, insert } = await openQueue(dir, 'NORMAL')
    const work = workload('raw-buffer')
    const batches = Math.ceil(count / BATCH)
    const start = performance.now()
    for (let b = 0; b < batches; b++) {
      insert([work.batch(b)], Date.now())
      if (b % 10 === 9) await immediate()
    }
    const inserted = performance.now()
    db.close()
    const end = performance.now()
    const total = batches * BATCH
    const seconds = (end - start) / 1000
    const bytes = dbBytes(dir)
    return {
      value: total / seconds,
      detail: {
        diskMBps: bytes / 1e6 / seconds,
        bytesPerRecord: bytes / total,
        closeMs: end - inserted,
        payloadMBps: (total * PAYLOAD_BYTES) / 1e6 / seconds,
      },
    }
  } finally {
    removeDir(dir)
  }
}

/** 16 producers in closed loops over one connection, synchronous FULL; ack latency per batch. */
export async function sqliteFull(
  count: number,
  producers: number,
  commit: 'batch' | 'group',
): Promise<RepSample> {
  const dir = makeTempDir('sqlite')
  try {
    const { db, insert } = await openQueue(dir, 'FULL')
    const work = workload('raw-buffer')
    const perProducer = Math.max(1, Math.ceil(count / producers / BATCH))
    const latencies = new Float64Array(perProducer * producers)
    let n = 0
    let waiting: { batch: readonly BenchMessage[]; done: () => void }[] = []
    const commitTurn = (): void => {
      const turn = waiting
      waiting = []
      insert(
        turn.map((w) => w.batch),
        Date.now(),
      )
      for (const w of turn) w.done()
    }
    const submit = (batch: readonly BenchMessage[]): Promise<void> => {
      if (commit === 'batch') {
        // The request waits for its turn on the connection, then commits alone.
        return immediate().then(() => insert([batch], Date.now()))
      }
      return new Promise<void>((done) => {
        if (waiting.length === 0) setImmediate(commitTurn)
        waiting.push({ batch, done })
      })
    }
    const producer = async (p: number): Promise<void> => {
      for (let i = 0; i < perProducer; i++) {
        const t0 = performance.now()
        await submit(work.batch(p * 7919 + i))
        latencies[n++] = performance.now() - t0
      }
    }
    const start = performance.now()
    await Promise.all(Array.from({ length: producers }, (_, p) => producer(p)))
    const inserted = performance.now()
    const bytes = dbBytes(dir)
    db.close()
    const end = performance.now()
    const total = perProducer * producers * BATCH
    const seconds = (end - start) / 1000
    const p = percentiles(latencies, n)
    return {
      value: total / seconds,
      detail: {
        diskMBps: bytes / 1e6 / ((inserted - start) / 1000),
        closeMs: end - inserted,
        payloadMBps: (total * PAYLOAD_BYTES) / 1e6 / seconds,
        ackP50Ms: p.p50,
        ackP99Ms: p.p99,
        ackP999Ms: p.p999,
      },
    }
  } finally {
    removeDir(dir)
  }
}

export function sqliteCases(sizing: Sizing, durableSizing: Sizing): { normal: CaseSpec; full: CaseSpec[] } {
  const fullCase = (commit: 'batch' | 'group'): CaseSpec => ({
    id: `sqlite.full.p16.${commit}`,
    section: 'file',
    label: `peer: better-sqlite3 queue table, WAL, synchronous FULL, 16 producers awaiting each batch of 100, ${
      commit === 'batch' ? 'a transaction per batch' : 'group commit (a transaction per event-loop turn)'
    }`,
    unit: 'msgs/s',
    better: 'higher',
    sizing: durableSizing,
    run: (n) => sqliteFull(n, 16, commit),
  })
  return {
    normal: {
      id: 'sqlite.normal',
      section: 'file',
      label: 'peer: better-sqlite3 queue table, WAL, synchronous NORMAL, transactions of 100 (inserts only)',
      unit: 'msgs/s',
      better: 'higher',
      sizing,
      run: sqliteNormal,
    },
    full: [fullCase('batch'), fullCase('group')],
  }
}

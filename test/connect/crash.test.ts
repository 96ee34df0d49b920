/**
 * Connect under SIGKILL: a child process (crash-child.ts) runs a standalone worker — file source →
 * topic on a durable file log → file sink and two SQLite sinks — and is killed mid-stream, at a seeded
 * random point, twice; a third run finishes. Then the file sink holds every source line (at-least-once:
 * some may be there twice), the upsert table holds each line exactly once, and the insert table one row
 * per topic record, none twice (exactly-once: the SQLite sink keeps its offsets in its transactions).
 *
 * The kill points are random but seeded: set LOGBUS_CONNECT_CRASH_SEED to replay a failing run.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { SeededRandom } from '../../src/datagen'
import { Bus } from '../../src/index'
import { tempDir } from './support'

const CHILD_SCRIPT = fileURLToPath(new URL('./crash-child.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const LINES = 6000
const SEED = Number(process.env.LOGBUS_CONNECT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))

const live = new Set<ChildProcessWithoutNullStreams>()
afterEach(() => {
  for (const child of live) child.kill('SIGKILL')
  live.clear()
})

/** Runs the child until `until` says stop (given its progress), then kills it or lets it stop cleanly. */
function run(dataDir: string, workDir: string, until: (line: string) => boolean, how: 'kill' | 'stop') {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT, dataDir, workDir], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    live.add(child)
    let stderr = ''
    let buffer = ''
    let stopping = false
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk
      let newline = buffer.indexOf('\n')
      while (newline >= 0 && !stopping) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        if (until(line)) {
          stopping = true
          if (how === 'kill') child.kill('SIGKILL')
          else child.stdin.end()
        }
        newline = buffer.indexOf('\n')
      }
    })
    child.on('close', (code, signal) => {
      live.delete(child)
      if (how === 'kill' ? signal === 'SIGKILL' : code === 0) resolve()
      else reject(new Error(`child ended with code ${code} signal ${signal} (seed ${SEED}):\n${stderr}`))
    })
  })
}

describe(`Connect killed mid-stream (seed ${SEED})`, () => {
  it('loses no line; the SQLite sink applies every record exactly once', { timeout: 120_000 }, async () => {
    const random = new SeededRandom(SEED)
    const dataDir = tempDir()
    const workDir = tempDir()
    const lines = Array.from(
      { length: LINES },
      (_, i) => `line ${String(i).padStart(5, '0')} ${'~'.repeat(i % 61)}`,
    )
    writeFileSync(join(workDir, 'in.txt'), `${lines.join('\n')}\n`)

    // Each sink record counts once per sink (four sinks of the same lines): kill somewhere in the stream.
    for (const fraction of [random.next() * 0.4, 0.4 + random.next() * 0.4]) {
      const killAt = Math.floor(fraction * LINES * 3)
      await run(
        dataDir,
        workDir,
        (line) => line === 'IDLE' || (line.startsWith('P ') && Number(line.slice(2)) >= killAt),
        'kill',
      )
    }
    await run(dataDir, workDir, (line) => line === 'IDLE', 'stop')

    const out = readFileSync(join(workDir, 'out.txt'), 'utf8').split('\n').slice(0, -1)
    expect(new Set(out)).toEqual(new Set(lines)) // every line, at least once
    const db = new Database(join(workDir, 'lines.db'), { readonly: true })
    try {
      expect(db.prepare('SELECT count(*) AS n FROM by_line').get()).toEqual({ n: LINES })
      const byLine = db.prepare('SELECT line FROM by_line ORDER BY line').all() as { line: string }[]
      expect(byLine.map((r) => r.line)).toEqual([...lines].sort())
      const bus = await Bus.open({ dir: dataDir })
      const end = bus.topic('lines').partitions.reduce((sum, p) => sum + p.logEndOffset, 0)
      await bus.close()
      // One row per record of the topic (duplicates the source wrote are records too), none twice.
      expect(db.prepare('SELECT count(*) AS n FROM by_offset').get()).toEqual({ n: end })
      const duplicates = out.length - LINES
      expect(duplicates).toBeGreaterThanOrEqual(0)
    } finally {
      db.close()
    }
  })
})

/**
 * 4. (Scaling, continued) Reopen time of a 1 GiB log, in a fresh process each time, as a restart:
 * after SIGKILL (no clean-shutdown marker: recovery scans the log, CRC-checking the active segment)
 * and after a clean close (the marker and the `.index` let the open skip the scan).
 *
 * One log is built once, by a child that then SIGKILLs itself. Each SIGKILL repetition opens it in a
 * new child that appends one acknowledged batch and SIGKILLs itself again; a final open closes
 * cleanly, and the clean repetitions follow.
 */

import { spawn } from 'node:child_process'
import { closeSync, fsyncSync, openSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  cpuSnapshot,
  type Figure,
  foreignCores,
  freeBytes,
  log,
  makeTempDir,
  type PartContext,
  type RepSample,
  removeDir,
} from './common'
import { figureFrom } from './harness'
import { loadFileStorage, skipAll } from './probe'

const CHILD = fileURLToPath(new URL('./reopen-child.ts', import.meta.url))
const GiB = 1024 ** 3

interface ChildResult {
  mode: string
  openMs?: number
  records?: number
  bytes?: number
  writeSeconds?: number
}

/** Runs the child; resolves with its result line and how it ended. */
function runChild(args: string[]): Promise<{ result: ChildResult; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      out += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = out.split('\n').find((l) => l.startsWith('@@result '))
      if (line === undefined) {
        reject(new Error(`reopen child ${args[0]} ended (code ${code}, signal ${signal}) without a result`))
        return
      }
      resolve({ result: JSON.parse(line.slice('@@result '.length)) as ChildResult, signal })
    })
  })
}

/** Flushes what the killed writer left in the page cache, so background writeback does not skew opens. */
function syncLogFiles(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.log')) continue
    const fd = openSync(join(dir, entry), 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }
}

export async function runReopen(context: PartContext): Promise<Figure[]> {
  const { options, notes } = context
  const { reason } = await loadFileStorage()
  if (reason !== undefined) {
    return skipAll(context, 'reopen', reason, [
      { id: 'reopen.clean', label: 'reopen a 1 GiB log after a clean close' },
      { id: 'reopen.sigkill', label: 'reopen a 1 GiB log after SIGKILL' },
      { id: 'reopen.build', label: 'building that log' },
    ])
  }
  let bytes = options.quick ? 128 * 1024 ** 2 : GiB
  const free = freeBytes()
  if (free < bytes * 1.2 + 256 * 1024 ** 2) {
    const scaled = Math.max(
      64 * 1024 ** 2,
      Math.floor((free - 256 * 1024 ** 2) / 1.2 / 1024 ** 2) * 1024 ** 2,
    )
    notes.push(
      `reopen: only ${(free / GiB).toFixed(2)} GiB free in the temp dir; the log is scaled down from ${(
        bytes / GiB
      ).toFixed(2)} GiB to ${(scaled / GiB).toFixed(2)} GiB`,
    )
    bytes = scaled
  } else if (options.quick) {
    notes.push('reopen: --quick builds a 128 MiB log, not 1 GiB: the targets apply to the full run')
  }
  // Every open is a fresh process (~1 s of start-up each): the quick run does fewer.
  const reps = options.quick ? Math.min(options.reps, 2) : options.reps
  const dir = makeTempDir('reopen')
  try {
    log(`  building a ${(bytes / 1024 ** 2).toFixed(0)} MiB log (1 partition, one segment) …`)
    const built = await runChild(['write', dir, String(bytes)])
    if (built.signal !== 'SIGKILL') throw new Error(`the writer ended with ${built.signal}, not SIGKILL`)
    syncLogFiles(dir)
    const actual = built.result.bytes ?? bytes
    const records = built.result.records ?? 0
    const detail = { bytes: actual, records }
    log(
      `  built ${(actual / 1024 ** 2).toFixed(0)} MiB, ${records.toLocaleString('en-US')} records in ${(
        built.result.writeSeconds ?? 0
      ).toFixed(1)} s`,
    )
    const killed: RepSample[] = []
    for (let r = 0; r <= reps; r++) {
      const last = r === reps
      const before = cpuSnapshot()
      const run = await runChild([last ? 'open-close' : 'open-kill', dir])
      killed.push({
        value: run.result.openMs ?? Number.NaN,
        detail,
        foreignCores: foreignCores(before, cpuSnapshot()),
      })
    }
    const clean: RepSample[] = []
    for (let r = 0; r < reps; r++) {
      const before = cpuSnapshot()
      const run = await runChild(['open-close', dir])
      clean.push({
        value: run.result.openMs ?? Number.NaN,
        detail,
        foreignCores: foreignCores(before, cpuSnapshot()),
      })
    }
    const size = `${(actual / GiB).toFixed(2)} GiB`
    return [
      figureFrom(
        {
          id: 'reopen.clean',
          section: 'reopen',
          label: `reopen a ${size} log after a clean close (Bus.open, fresh process)`,
          unit: 'ms',
          better: 'lower',
          size: actual,
        },
        clean,
      ),
      figureFrom(
        {
          id: 'reopen.sigkill',
          section: 'reopen',
          label: `reopen a ${size} log after SIGKILL (recovery scan, page cache warm)`,
          unit: 'ms',
          better: 'lower',
          size: actual,
        },
        killed,
      ),
      figureFrom(
        {
          id: 'reopen.build',
          section: 'reopen',
          label: 'building that log: 1 producer, send([100]), fsync never, no consumer (1 run)',
          unit: 'MB/s',
          better: 'higher',
          size: actual,
        },
        [{ value: actual / 1e6 / (built.result.writeSeconds ?? Number.NaN) }],
      ),
    ]
  } finally {
    removeDir(dir)
  }
}

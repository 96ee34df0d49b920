/**
 * `npx tsx bench/tools.ts`: throughput of the layers over the core, in memory (median of 3 runs):
 * - datagen: generating records only, and `runDatagen` into a memory topic through the quickstart's
 *   codec (zod checks every value at send);
 * - Connect: a file source tailing a 200,000-line file into a memory topic;
 * - (`npx tsx bench/tools.ts --cli` runs only this part) the `logbus` CLI (the built bin, run as users run it) over a data directory: `produce` of a file of
 *   CLI_LINES 60-byte lines (3,000,000 by default: a 183 MB file, a 208 MB log), `consume --from-beginning`
 *   to /dev/null, and `verify` of that log and of one of at least VERIFY_GIB GiB (default 1: the same
 *   file produced again until the log is that large), each beside what bounds it: a sequential read of
 *   its files from the page cache, one from the disk (`dd iflag=direct`) and CRC-32C alone. Each line
 *   says the wall-clock rate and, where /usr/bin/time exists, the rate per CPU-second of the process (on
 *   a shared machine, the wall clock measures the neighbours as much as the code).
 */
import { spawnSync } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Bus } from 'logbus'
import { ConnectWorker } from 'logbus/connect'
import { datagen, runDatagen } from 'logbus/datagen'
import { builtCli } from '../scripts/cli-build'

const REPS = 3

async function median(name: string, unit: string, run: () => Promise<number>): Promise<void> {
  const rates: number[] = []
  for (let i = 0; i < REPS; i++) rates.push(await run())
  rates.sort((a, b) => a - b)
  console.log(
    `${name}: ${Math.round(rates[1]!).toLocaleString('en')} ${unit}/s  (runs: ${rates.map((r) => Math.round(r)).join(', ')})`,
  )
}

function perSecond(count: number, started: number): number {
  return count / ((performance.now() - started) / 1000)
}

const cliOnly = process.argv.includes('--cli')

for (const quickstart of cliOnly ? [] : (['pageviews', 'orders'] as const)) {
  await median(`datagen() ${quickstart}, generation only`, 'records', async () => {
    const started = performance.now()
    let keys = 0
    for (const { key } of datagen({ quickstart, seed: 1, iterations: 500_000 })) keys += key.length
    return keys > 0 ? perSecond(500_000, started) : 0
  })
  await median(`runDatagen ${quickstart} → memory topic (json codec)`, 'records', async () => {
    const bus = await Bus.open()
    const started = performance.now()
    const { records } = await runDatagen(bus, { quickstart, topic: quickstart, seed: 1, iterations: 300_000 })
    const rate = perSecond(records, started)
    await bus.close()
    return rate
  })
}

const LINES = 200_000
const dir = mkdtempSync(join(tmpdir(), 'logbus-bench-'))
const file = join(dir, 'in.txt')
writeFileSync(file, Array.from({ length: LINES }, (_, i) => `${i} ${'x'.repeat(60)}\n`).join(''))
if (!cliOnly)
  await median('file source → memory topic', 'lines', async () => {
    const bus = await Bus.open({ autoCreateTopics: true })
    const worker = await ConnectWorker.open(bus, { offsetStoragePartitions: 1 })
    const done = new Promise<void>((resolve) => {
      const off = worker.on('records', ({ total }) => {
        if (total >= LINES) {
          off()
          resolve()
        }
      })
    })
    const started = performance.now()
    await worker.createConnector({
      name: 'in',
      config: { 'connector.class': 'FileStreamSource', file, topic: 'lines', 'value.converter': 'string' },
    })
    await done
    const rate = perSecond(LINES, started)
    await worker.close()
    await bus.close()
    return rate
  })
rmSync(dir, { recursive: true, force: true })

const CLI_LINES = Number(process.env.CLI_LINES ?? 3_000_000)
const cliBin = builtCli()
const work = mkdtempSync(join(tmpdir(), 'logbus-bench-cli-'))
const linesFile = join(work, 'lines.txt')
const line = 'x'.repeat(52)
writeFileSync(
  linesFile,
  Array.from({ length: CLI_LINES }, (_, i) => `${String(i).padStart(7, '0')} ${line}\n`).join(''),
)
const timeTool = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined

/** Runs the bin; returns wall seconds and (with /usr/bin/time) CPU seconds of the process. */
function runCli(
  args: string[],
  stdout: 'ignore' | number = 'ignore',
): { wall: number; cpu: number | undefined } {
  const command =
    timeTool === undefined
      ? [process.execPath, cliBin, ...args]
      : [timeTool, '-f', '@@%U %S', process.execPath, cliBin, ...args]
  const started = performance.now()
  const run = spawnSync(command[0]!, command.slice(1), {
    stdio: ['ignore', stdout, 'pipe'],
    encoding: 'utf8',
  })
  const wall = (performance.now() - started) / 1000
  if (run.status !== 0) throw new Error(`logbus ${args.join(' ')} failed: ${run.stderr}`)
  const times = /@@([\d.]+) ([\d.]+)/.exec(run.stderr)
  return { wall, cpu: times === null ? undefined : Number(times[1]) + Number(times[2]) }
}

async function cliMedian(
  name: string,
  unit: string,
  count: number,
  run: () => { wall: number; cpu: number | undefined },
) {
  const runs: { wall: number; cpu: number | undefined }[] = []
  for (let i = 0; i < REPS; i++) runs.push(run())
  const rate = (seconds: number) => Math.round(count / seconds)
  const walls = runs.map((r) => rate(r.wall)).sort((a, b) => a - b)
  const cpus = runs.flatMap((r) => (r.cpu === undefined ? [] : [rate(r.cpu)])).sort((a, b) => a - b)
  console.log(
    `${name}: ${walls[1]!.toLocaleString('en')} ${unit}/s wall (runs: ${walls.join(', ')})` +
      (cpus.length === 0
        ? ''
        : `; ${cpus[1]!.toLocaleString('en')} ${unit}/CPU-s (runs: ${cpus.join(', ')})`),
  )
}

const data = join(work, 'data')
await cliMedian(`logbus produce --file (${CLI_LINES.toLocaleString('en')} lines)`, 'lines', CLI_LINES, () => {
  rmSync(data, { recursive: true, force: true })
  runCli(['topics', 'create', '--dir', data, '--topic', 'lines'])
  return runCli(['produce', '--dir', data, '--topic', 'lines', '--file', linesFile])
})
const devNull = openSync('/dev/null', 'w')
await cliMedian('logbus consume --from-beginning > /dev/null', 'records', CLI_LINES, () =>
  runCli(['consume', '--dir', data, '--topic', 'lines', '--from-beginning'], devNull),
)
closeSync(devNull)

// verify against what bounds it, over the same segment files: a sequential read from the page cache
// (a memory copy: the files were just written or read), a sequential read from the disk (O_DIRECT, past
// the page cache: what a log that is not cached reads at), and CRC-32C alone (the addon verify uses).
const crc32c = loadCrc32c()

function segmentsOf(dataDir: string, topic: string): string[] {
  return readdirSync(join(dataDir, `${topic}-0`))
    .filter((name) => name.endsWith('.log'))
    .map((name) => join(dataDir, `${topic}-0`, name))
}

async function verifyAgainstReads(dataDir: string, segments: string[]): Promise<void> {
  const logBytes = segments.reduce((n, path) => n + statSync(path).size, 0)
  const chunk = Buffer.allocUnsafe(4 << 20)
  const rates = (measure: () => void): number[] => {
    const out: number[] = []
    for (let i = 0; i < REPS; i++) {
      const started = performance.now()
      measure()
      out.push(logBytes / ((performance.now() - started) / 1000))
    }
    return out.sort((a, b) => a - b)
  }
  const eachChunk = (onChunk: (bytes: Buffer) => void) => () => {
    for (const path of segments) {
      const fd = openSync(path, 'r')
      for (
        let n = readSync(fd, chunk, 0, chunk.length, null);
        n > 0;
        n = readSync(fd, chunk, 0, chunk.length, null)
      )
        onChunk(n === chunk.length ? chunk : chunk.subarray(0, n))
      closeSync(fd)
    }
  }
  const show = (name: string, runs: number[] | undefined) =>
    console.log(
      runs === undefined
        ? `${name}: not measured here`
        : `${name} (${mb(logBytes)}): ${mb(runs[1]!)}/s (runs: ${runs.map(mb).join(', ')})`,
    )
  const cached = rates(eachChunk(() => undefined))
  show('sequential read, page cache', cached)
  const direct = directReadRates(segments, logBytes)
  show('sequential read, disk (O_DIRECT)', direct)
  const crcOnly = crc32c === undefined ? undefined : rates(eachChunk((bytes) => crc32c(bytes)))
  show('CRC-32C alone (@node-rs/crc32), page cache', crcOnly)
  const verifyRuns: number[] = []
  await cliMedian(`logbus verify (${mb(logBytes)} log)`, 'MB', logBytes / 1e6, () => {
    const run = runCli(['verify', '--dir', dataDir])
    verifyRuns.push(logBytes / run.wall)
    return run
  })
  const verifyRate = verifyRuns.sort((a, b) => a - b)[1]!
  const pct = (of: number[] | undefined) =>
    of === undefined ? 'n/a' : `${((100 * verifyRate) / of[1]!).toFixed(0)}%`
  console.log(
    `  verify (wall) is ${pct(cached)} of the page-cache read, ${pct(direct)} of the disk read, ${pct(crcOnly)} of CRC-32C alone`,
  )
}

/** `dd iflag=direct` over the files: the disk's sequential read, past the page cache (undefined if refused). */
function directReadRates(segments: string[], logBytes: number): number[] | undefined {
  const out: number[] = []
  for (let i = 0; i < REPS; i++) {
    const started = performance.now()
    for (const path of segments) {
      const dd = spawnSync('dd', [`if=${path}`, 'of=/dev/null', 'bs=4M', 'iflag=direct'], { stdio: 'ignore' })
      if (dd.status !== 0) return undefined
    }
    out.push(logBytes / ((performance.now() - started) / 1000))
  }
  return out.sort((a, b) => a - b)
}

function loadCrc32c(): ((bytes: Uint8Array) => number) | undefined {
  try {
    return (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: (bytes: Uint8Array) => number })
      .crc32c
  } catch {
    return undefined
  }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`
await verifyAgainstReads(data, segmentsOf(data, 'lines'))

// The size: a log of at least VERIFY_GIB GiB (default 1), the same file produced again until it is.
const VERIFY_GIB = Number(process.env.VERIFY_GIB ?? 1)
if (VERIFY_GIB > 0) {
  const big = join(work, 'big')
  runCli(['topics', 'create', '--dir', big, '--topic', 'lines'])
  const target = VERIFY_GIB * 2 ** 30
  const size = () => segmentsOf(big, 'lines').reduce((n, path) => n + statSync(path).size, 0)
  while (size() < target) runCli(['produce', '--dir', big, '--topic', 'lines', '--file', linesFile])
  await verifyAgainstReads(big, segmentsOf(big, 'lines'))
}
rmSync(work, { recursive: true, force: true })

/**
 * `npx tsx bench/tools.ts`: throughput of the layers over the core, in memory (median of 3 runs):
 * - datagen: generating records only, and `runDatagen` into a memory topic through the quickstart's
 *   codec (zod checks every value at send);
 * - Connect: a file source tailing a 200,000-line file into a memory topic;
 * - (`npx tsx bench/tools.ts --cli` runs only this part) the `logbus` CLI (the built bin, run as users run it) over a data directory: `produce` of a file of
 *   CLI_LINES 60-byte lines (3,000,000 by default: a 183 MB file, a 208 MB log), `consume --from-beginning`
 *   to /dev/null, and `verify` of that log against a plain sequential read of its files. Each line says
 *   the wall-clock rate and, where /usr/bin/time exists, the rate per CPU-second of the process (on a
 *   shared machine, the wall clock measures the neighbours as much as the code).
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

// verify against a sequential read of the same segment files (both from the page cache once warm).
const segments = readdirSync(join(data, 'lines-0'))
  .filter((name) => name.endsWith('.log'))
  .map((name) => join(data, 'lines-0', name))
const logBytes = segments.reduce((n, path) => n + statSync(path).size, 0)
const chunk = Buffer.allocUnsafe(4 << 20)
const readRates: number[] = []
for (let i = 0; i < REPS; i++) {
  const started = performance.now()
  for (const path of segments) {
    const fd = openSync(path, 'r')
    while (readSync(fd, chunk, 0, chunk.length, null) > 0);
    closeSync(fd)
  }
  readRates.push(logBytes / ((performance.now() - started) / 1000))
}
readRates.sort((a, b) => a - b)
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`
console.log(
  `sequential read of the log (${mb(logBytes)}): ${mb(readRates[1]!)}/s (runs: ${readRates.map(mb).join(', ')})`,
)
await cliMedian(`logbus verify (${mb(logBytes)} log)`, 'MB', logBytes / 1e6, () =>
  runCli(['verify', '--dir', data]),
)
rmSync(work, { recursive: true, force: true })

/**
 * `npm run bench:startup`: how long the `logbus` bin takes from spawn to ready, against Node's own floor,
 * runs interleaved so that the machine's drift falls on every case alike:
 * - `node -e 0` (spawn to exit) and a bare `net.createServer().listen(0)` script (spawn to its line): the
 *   floor, what any Node server pays before its first line of code;
 * - `logbus --help` (spawn to exit);
 * - `logbus serve --memory --port 0` and `logbus serve --dir <tmp> --port 0` (spawn to the address line,
 *   when the port accepts; then SIGTERM, not timed).
 * The bin is the package's build (scripts/cli-build.ts: the tsup build of dist/, CommonJS as package.json's
 * `bin`); `--against <cli file>` adds the same three cases for another build (an older commit's, say),
 * interleaved with these. `--runs n` (default 20, after 2 warm-ups). Wall times in ms: min, median, p90, max; and each logbus
 * case's median minus the floor's. Not a test: nothing depends on these numbers.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builtCli } from '../scripts/cli-build'

const runsAt = process.argv.indexOf('--runs')
const RUNS = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 20
const WARMUP = 2

const LISTEN = `require('node:net').createServer().listen(0, '127.0.0.1', function () {
  process.stdout.write('listening ' + this.address().port + '\\n')
  process.on('SIGTERM', () => this.close())
})`

interface Case {
  name: string
  args: string[]
  /** Ready at the first line of stdout (then SIGTERM), rather than at exit. */
  untilLine: boolean
}

/** Spawn → exit, or spawn → first stdout line; the child is stopped and reaped before it resolves. */
function timeOnce({ args, untilLine }: Case): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let ready: number | undefined
    child.stdout.on('data', (chunk: Buffer) => {
      if (untilLine && ready === undefined && chunk.includes(10)) {
        ready = performance.now() - started
        child.kill('SIGTERM')
      }
    })
    child.once('error', reject)
    child.once('close', (code, signal) => {
      const elapsed = ready ?? performance.now() - started
      if (code !== 0 && signal === null) reject(new Error(`${args.join(' ')} exited ${code}`))
      else if (untilLine && ready === undefined) reject(new Error(`${args.join(' ')} printed no line`))
      else resolve(elapsed)
    })
  })
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  return { min: sorted[0]!, median: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1]! }
}

const bin = builtCli()
const againstAt = process.argv.indexOf('--against')
const against = againstAt >= 0 ? process.argv[againstAt + 1] : undefined
const dir = mkdtempSync(join(tmpdir(), 'logbus-startup-'))

/** The three logbus cases of one build of the bin; `dataDir` is where its `serve --dir` keeps its log. */
function logbusCases(cli: string, label: string, dataDir: string): Case[] {
  return [
    { name: `${label} --help (→ exit)`, args: [cli, '--help'], untilLine: false },
    {
      name: `${label} serve --memory --port 0 (→ address line)`,
      args: [cli, 'serve', '--memory', '--port', '0'],
      untilLine: true,
    },
    {
      name: `${label} serve --dir <tmp> --port 0 (→ address line)`,
      args: [cli, 'serve', '--dir', dataDir, '--port', '0'],
      untilLine: true,
    },
  ]
}

try {
  const cases: Case[] = [
    { name: 'node -e 0 (floor: spawn → exit)', args: ['-e', '0'], untilLine: false },
    { name: 'bare net.createServer().listen (floor: → its line)', args: ['-e', LISTEN], untilLine: true },
    ...logbusCases(bin, 'logbus', join(dir, 'data')),
    // Another build (`--against <its cli file>`, e.g. an older commit's), interleaved with this one.
    ...(against === undefined ? [] : logbusCases(against, 'against', join(dir, 'against-data'))),
  ]
  const times = cases.map(() => [] as number[])
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const [i, c] of cases.entries()) {
      const ms = await timeOnce(c)
      if (round >= WARMUP) times[i]!.push(ms)
    }
  }
  const fmt = (n: number) => n.toFixed(1).padStart(7)
  console.log(`${RUNS} runs each, interleaved, after ${WARMUP} warm-ups; wall ms`)
  console.log(`${'case'.padEnd(54)}    min  median     p90     max`)
  const medians = times.map((t) => stats(t).median)
  for (const [i, c] of cases.entries()) {
    const { min, median, p90, max } = stats(times[i]!)
    console.log(`${c.name.padEnd(54)}${fmt(min)} ${fmt(median)} ${fmt(p90)} ${fmt(max)}`)
  }
  const [nodeFloor, listenFloor, help, memory, file] = medians as [number, number, number, number, number]
  console.log(`\nlogbus --help = node -e 0 + ${(help - nodeFloor).toFixed(1)} ms`)
  console.log(
    `logbus serve --memory = bare listen + ${(memory - listenFloor).toFixed(1)} ms (target: ready ≤ 150 ms)`,
  )
  console.log(`logbus serve --dir = bare listen + ${(file - listenFloor).toFixed(1)} ms`)
  if (against !== undefined) {
    for (let i = 2; i < 5; i++) {
      const ratio = medians[i]! / medians[i + 3]!
      console.log(`${cases[i]!.name.replace(/ \(.*/, '')}: ${ratio.toFixed(3)} of --against's median`)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

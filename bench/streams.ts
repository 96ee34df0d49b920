/**
 * Benchmarks of `logbus/streams` over memory storage (the targets of the streams issue):
 * - stateless `filter → mapValues → to`: ≥ 2M records/s
 * - `groupByKey().count()`: ≥ 1M records/s
 * - a 1-minute tumbling window count: ≥ 1M records/s
 * - restoring a 1M-key table from its changelog: ≤ 1 s
 *
 * Usage: `tsx bench/streams.ts [--records 1000000] [--reps 3] [--keys 10000] [--only restore]`. The input is written
 * before the clock starts; a figure is the time from `start()` until `caughtUp()` (every input record
 * processed and every output stored), as records per second; "+ commit" also counts the commit that
 * follows (changelogs written, offsets committed). Beside each figure: records per CPU-second of the
 * process (GC threads included), which a busy machine distorts less than the wall clock.
 *
 * The core's own ceilings run in the same process, with the same producer settings: a group
 * consumer's `eachBatch` reading every record from its runs (what a stateful application can at most
 * do), and the same reading doing the stateless case's work by hand (filter, upper-case, a send per
 * 8192 records of a batch, waiting for the producer past 8 MiB buffered, as the application does). Each streams figure
 * is given as a share of its ceiling. Prints the load average with the results: on a shared machine
 * read them as upper bounds of the noise.
 */
import { loadavg } from 'node:os'
import { Bus, MemoryStorage, type Message, string } from '../src/index'
import { streams, TimeWindows } from '../src/streams'

const args = process.argv.slice(2)
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(args[at + 1])
}
const RECORDS = option('records', 1_000_000)
const REPS = option('reps', 3)
const KEYS = option('keys', 10_000)
const SEND_CHUNK = 10_000
/** What the streams runtime waits for the producer past, and so the hand-written pipe does. */
const BACKPRESSURE_BYTES = 8 << 20
/** Records per send of the streams runtime, and so of the hand-written pipe. */
const OUTPUT_CHUNK = 8192

const topics = {
  input: { partitions: 1, value: string() },
  output: { partitions: 1, value: string() },
} as const

type BenchBus = Bus<typeof topics>

/**
 * One measurement: records per second of wall clock and per CPU-second, and with the commit after
 * it; for the restore, wall-clock seconds and CPU-seconds.
 */
interface Sample {
  value: number
  cpu: number
  committed?: number
}

/** Writes `count` records (keys from `keys` distinct, timestamps `step` ms apart from `start`). */
async function fill(bus: BenchBus, count: number, keys: number, start = 0, step = 0): Promise<void> {
  const producer = bus.producer({ batchBytes: 1 << 20, bufferBytes: 256 << 20 })
  for (let i = 0; i < count; i += SEND_CHUNK) {
    const n = Math.min(SEND_CHUNK, count - i)
    const messages = new Array(n)
    for (let j = 0; j < n; j++) {
      const r = i + j
      messages[j] = { key: `key-${r % keys}`, value: `value-${r}`, timestamp: start + r * step }
    }
    await producer.send('input', messages)
  }
  await producer.close()
}

/** Runs `work`, timed by the wall clock and by the process's CPU time. */
async function timed(work: () => Promise<void>): Promise<{ seconds: number; cpuSeconds: number }> {
  const cpu = process.cpuUsage()
  const started = performance.now()
  await work()
  const used = process.cpuUsage(cpu)
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 }
}

async function timeApp(
  build: (app: ReturnType<typeof streams<typeof topics>>) => void,
  step = 0,
): Promise<Sample> {
  const bus = await Bus.open({ topics })
  await fill(bus, RECORDS, KEYS, 0, step)
  const app = streams(bus, { applicationId: 'bench', commitIntervalMs: 1_000 })
  build(app)
  const run = await timed(async () => {
    await app.start()
    await app.caughtUp()
  })
  const commit = await timed(() => app.commit())
  await app.close()
  await bus.close()
  return {
    value: RECORDS / run.seconds,
    cpu: RECORDS / run.cpuSeconds,
    committed: RECORDS / (run.seconds + commit.seconds),
  }
}

async function restoreSeconds(): Promise<Sample> {
  const storage = new MemoryStorage()
  const first = await Bus.open({ storage, topics })
  await fill(first, RECORDS, RECORDS)
  const writer = streams(first, { applicationId: 'restore' })
  writer.stream('input').groupByKey().count({ name: 'table' })
  await writer.start()
  await writer.caughtUp()
  await writer.close()
  await first.close()

  const second = await Bus.open({ storage, topics })
  const reader = streams(second, { applicationId: 'restore' })
  const table = reader.stream('input').groupByKey().count({ name: 'table' })
  let restoring = 0
  let restoringCpu = 0
  let begun = 0
  let begunCpu = process.cpuUsage()
  reader.on('stateChange', ({ to }) => {
    if (to !== 'REBALANCING') return
    begun = performance.now()
    begunCpu = process.cpuUsage()
  })
  reader.on('restored', ({ store, records }) => {
    if (store !== 'table' || records === 0) return
    restoring = (performance.now() - begun) / 1000
    const used = process.cpuUsage(begunCpu)
    restoringCpu = (used.user + used.system) / 1e6
  })
  await reader.start()
  if (table.get('key-0') !== 1) throw new Error('the table was not restored')
  await reader.close()
  await second.close()
  return { value: restoring, cpu: restoringCpu }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/**
 * The core alone: a group consumer whose `eachBatch` reads every record's key and value from its
 * runs; with `pipe`, it also does the stateless case's work and sends the results on as the streams
 * runtime does (sends of 8192 records, waiting for the producer past 8 MiB buffered).
 */
async function ceiling(pipe: boolean): Promise<Sample> {
  const bus = await Bus.open({ topics })
  await fill(bus, RECORDS, KEYS)
  const producer = bus.producer({ lingerMs: 0, batchBytes: 1 << 20 })
  const consumer = bus.consumer({
    groupId: 'ceiling',
    topics: ['input'],
    fromBeginning: true,
    autoCommit: false,
  })
  let checksum = 0
  const run = await timed(async () => {
    await consumer.run({
      eachBatch: ({ runs }) => {
        const out: Message<string, string>[] = []
        for (const run of runs) {
          for (let i = run.from; i < run.to; i++) {
            const key = run.keyAt(i)
            const value = run.valueAt(i)
            if (!pipe) {
              checksum += value.length
              continue
            }
            if (value.length > 0) out.push({ key, value: value.toUpperCase(), timestamp: run.timestampAt(i) })
          }
        }
        if (!pipe) return undefined
        for (let at = 0; at < out.length; at += OUTPUT_CHUNK)
          void producer.send('output', out.length <= OUTPUT_CHUNK ? out : out.slice(at, at + OUTPUT_CHUNK))
        return producer.bufferedBytes > BACKPRESSURE_BYTES ? producer.flush() : undefined
      },
    })
    await consumer.caughtUp()
    await producer.flush()
  })
  if (!pipe && checksum === 0) throw new Error('nothing was read')
  await bus.close()
  return { value: RECORDS / run.seconds, cpu: RECORDS / run.cpuSeconds }
}

/**
 * No logbus: upper-case every input value and keep every result, as the output topic keeps them in
 * memory storage. Kept strings are copied by the young-generation GC once each; this is the most the
 * stateless case could reach on this machine whatever the library around it does.
 */
async function keepingFloor(): Promise<Sample> {
  const values = Array.from({ length: RECORDS }, (_, r) => `value-${r}`)
  const kept: string[] = []
  const run = await timed(async () => {
    for (const value of values) if (value.length > 0) kept.push(value.toUpperCase())
  })
  if (kept.length !== RECORDS) throw new Error('not every value was kept')
  return { value: RECORDS / run.seconds, cpu: RECORDS / run.cpuSeconds }
}

interface Case {
  name: string
  target: string
  unit: 'records/s' | 's'
  /** The ceiling this case is compared with, and another reference it is also compared with. */
  ceiling?: string
  also?: string
  run: () => Promise<Sample>
}

const KEEP = 'no logbus: upper-case each value and keep the results (what the output topic retains)'
const CONSUME = 'core: eachBatch reading every record from its runs'
const PIPE = 'core: eachBatch → filter → upper-case → send, by hand'

const cases: Case[] = [
  { name: KEEP, target: '-', unit: 'records/s', run: keepingFloor },
  { name: CONSUME, target: '-', unit: 'records/s', run: () => ceiling(false) },
  { name: PIPE, target: '-', unit: 'records/s', run: () => ceiling(true) },
  {
    name: 'stateless filter → mapValues → to',
    target: '≥ 2,000,000',
    unit: 'records/s',
    ceiling: PIPE,
    also: KEEP,
    run: () =>
      timeApp((app) => {
        app
          .stream('input')
          .filter((_, value) => value.length > 0)
          .mapValues((value) => value.toUpperCase())
          .to('output')
      }),
  },
  {
    name: `groupByKey().count() (${KEYS} keys)`,
    target: '≥ 1,000,000',
    unit: 'records/s',
    ceiling: CONSUME,
    run: () => timeApp((app) => void app.stream('input').groupByKey().count()),
  },
  {
    name: `1-minute tumbling window count (${KEYS} keys, 1 record/ms)`,
    target: '≥ 1,000,000',
    unit: 'records/s',
    ceiling: CONSUME,
    run: () =>
      timeApp(
        (app) =>
          void app.stream('input').groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count(),
        1,
      ),
  },
  {
    name: `restore of a ${RECORDS}-key table from its changelog`,
    target: '≤ 1 s',
    unit: 's',
    run: restoreSeconds,
  },
]

console.log(`logbus/streams, ${RECORDS} records, ${REPS} repetitions, Node ${process.version}`)
const onlyAt = args.indexOf('--only')
const only = onlyAt === -1 ? '' : String(args[onlyAt + 1])
/** The medians of each case: records per second, and per CPU-second. */
const medians = new Map<string, { value: number; cpu: number }>()
const count = (v: number): string => Math.round(v).toLocaleString('en')
for (const c of cases.filter((c) => c.name.includes(only) || c.name.startsWith('core') || c.name === KEEP)) {
  const samples: Sample[] = []
  for (let i = 0; i < REPS; i++) samples.push(await c.run())
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
  const value = median(samples.map((s) => s.value))
  const cpu = median(samples.map((s) => s.cpu))
  medians.set(c.name, { value, cpu })
  if (c.unit === 's') {
    console.log(
      `${c.name}: median ${value.toFixed(3)} s (${samples.map((s) => s.value.toFixed(3)).join(', ')}), ${cpu.toFixed(3)} CPU-s; target ${c.target}; load ${load}`,
    )
    continue
  }
  const parts = [
    `median ${count(value)} records/s (${samples.map((s) => count(s.value)).join(', ')})`,
    `${count(cpu)} per CPU-s`,
  ]
  const committed = samples.map((s) => s.committed).filter((r) => r !== undefined)
  if (committed.length > 0) parts.push(`+ commit ${count(median(committed))} records/s`)
  const ceiling = c.ceiling === undefined ? undefined : medians.get(c.ceiling)
  if (ceiling !== undefined) {
    const share = (a: number, b: number): string => `${((a / b) * 100).toFixed(0)}%`
    parts.push(`${share(value, ceiling.value)} of its ceiling (${share(cpu, ceiling.cpu)} per CPU-s)`)
  }
  const also = c.also === undefined ? undefined : medians.get(c.also)
  if (also !== undefined) parts.push(`${((value / also.value) * 100).toFixed(0)}% of "${c.also}"`)
  console.log(`${c.name}: ${parts.join(', ')}; target ${c.target}; load ${load}`)
}

/**
 * Benchmarks of `logbus/streams` over memory storage (the targets of the streams issue):
 * - stateless `filter → mapValues → to`: ≥ 2M records/s
 * - `groupByKey().count()`: ≥ 1M records/s
 * - a 1-minute tumbling window count: ≥ 1M records/s
 * - restoring a 1M-key table from its changelog: ≤ 1 s
 *
 * Usage: `tsx bench/streams.ts [--records 1000000] [--reps 3] [--keys 10000] [--only restore]`. The input is written
 * before the clock starts; a figure is the time from `start()` until `caughtUp()` (every input record
 * processed and every output stored), as records per second. Prints the load average with the
 * results: on a shared machine read them as upper bounds of the noise.
 */
import { loadavg } from 'node:os'
import { Bus, MemoryStorage, string } from '../src/index'
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

const topics = {
  input: { partitions: 1, value: string() },
  output: { partitions: 1, value: string() },
} as const

type BenchBus = Bus<typeof topics>

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

async function timeApp(
  build: (app: ReturnType<typeof streams<typeof topics>>) => void,
  step = 0,
): Promise<number> {
  const bus = await Bus.open({ topics })
  await fill(bus, RECORDS, KEYS, 0, step)
  const app = streams(bus, { applicationId: 'bench', commitIntervalMs: 1_000 })
  build(app)
  const started = performance.now()
  await app.start()
  await app.caughtUp()
  const seconds = (performance.now() - started) / 1000
  await app.close()
  await bus.close()
  return RECORDS / seconds
}

async function restoreSeconds(): Promise<number> {
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
  let begun = 0
  reader.on('stateChange', ({ to }) => {
    if (to === 'REBALANCING') begun = performance.now()
  })
  reader.on('restored', ({ store, records }) => {
    if (store === 'table' && records > 0) restoring = performance.now() - begun
  })
  await reader.start()
  if (table.get('key-0') !== 1) throw new Error('the table was not restored')
  await reader.close()
  await second.close()
  return restoring / 1000
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** The core alone, for comparison: a group consumer's eachBatch, with or without sending each record on. */
async function ceiling(passThrough: boolean): Promise<number> {
  const bus = await Bus.open({ topics })
  await fill(bus, RECORDS, KEYS)
  const producer = bus.producer({ lingerMs: 0, batchBytes: 1 << 20 })
  const consumer = bus.consumer({
    groupId: 'ceiling',
    topics: ['input'],
    fromBeginning: true,
    autoCommit: false,
  })
  const started = performance.now()
  await consumer.run({
    eachBatch: ({ records }) => {
      if (!passThrough) return
      const out = new Array(records.length)
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!
        out[i] = { key: r.key, value: r.value, timestamp: r.timestamp }
      }
      void producer.send('output', out)
    },
  })
  await consumer.caughtUp()
  await producer.flush()
  const seconds = (performance.now() - started) / 1000
  await bus.close()
  return RECORDS / seconds
}

const cases: Array<{ name: string; target: string; unit: string; run: () => Promise<number> }> = [
  {
    name: 'core ceiling: group consumer eachBatch, nothing done',
    target: '-',
    unit: 'records/s',
    run: () => ceiling(false),
  },
  {
    name: 'core ceiling: eachBatch, each record sent on (one send per batch)',
    target: '-',
    unit: 'records/s',
    run: () => ceiling(true),
  },
  {
    name: 'stateless filter → mapValues → to',
    target: '≥ 2,000,000',
    unit: 'records/s',
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
    run: () => timeApp((app) => void app.stream('input').groupByKey().count()),
  },
  {
    name: `1-minute tumbling window count (${KEYS} keys, 1 record/ms)`,
    target: '≥ 1,000,000',
    unit: 'records/s',
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
for (const c of cases.filter((c) => c.name.includes(only))) {
  const samples: number[] = []
  for (let i = 0; i < REPS; i++) samples.push(await c.run())
  const shown = (v: number) => (c.unit === 's' ? v.toFixed(3) : Math.round(v).toLocaleString('en'))
  console.log(
    `${c.name}: median ${shown(median(samples))} ${c.unit} (${samples.map(shown).join(', ')}); target ${c.target}; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
}

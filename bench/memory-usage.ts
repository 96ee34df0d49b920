/**
 * 5. Memory. Each part runs in its own fresh process.
 *
 * - `retained`: heap, Buffer (external) memory and RSS per million records retained by memory
 *   storage, from the slope between half and all of the records (fixed costs excluded).
 * - `backlog`: a fast producer and a slow consumer (it sleeps 1 ms every 100 records) over a file
 *   log with fsync 'never'; RSS and heap are sampled while the backlog grows on disk. They should stay
 *   flat: the log, not the heap, holds the backlog.
 */

import type { Producer } from '../src/index'
import {
  BATCH,
  type BenchOptions,
  collectGarbage,
  type Figure,
  logBytes,
  removeDir,
  sleep,
  TOPIC,
} from './common'
import { figureFrom } from './harness'
import { openBus, produce } from './load'

const MB = 1e6

interface Usage {
  heap: number
  buffers: number
  rss: number
}

async function usage(): Promise<Usage> {
  for (let i = 0; i < 3; i++) {
    collectGarbage()
    await sleep(20)
  }
  const m = process.memoryUsage()
  return { heap: m.heapUsed, buffers: m.external + m.arrayBuffers, rss: m.rss }
}

export async function runRetained(options: BenchOptions): Promise<Figure[]> {
  const total = options.quick ? 400_000 : 2_000_000
  const half = total / 2
  const { bus } = await openBus('memory')
  try {
    await bus.createTopic(TOPIC, { partitions: 8 })
    const producer = bus.producer()
    const start = await usage()
    await produce(producer, 'batch', half, 0)
    const mid = await usage()
    await produce(producer, 'batch', half, half)
    const end = await usage()
    const perMillion = (key: keyof Usage): number => ((end[key] - mid[key]) / half) * 1e6
    const detailOf = (key: keyof Usage) => ({
      bytesPerRecord: (end[key] - mid[key]) / half,
      totalMB: (end[key] - start[key]) / MB,
      records: total,
    })
    const note = `slope between ${half.toLocaleString('en-US')} and ${total.toLocaleString('en-US')} retained records, after GC`
    return [
      figureFrom(
        {
          id: 'memusage.retained.heap',
          section: 'memory-usage',
          label: 'memory storage: JS heap per million retained records',
          unit: 'MB',
          better: 'lower',
          size: total,
          note,
        },
        [{ value: perMillion('heap') / MB, detail: detailOf('heap') }],
      ),
      figureFrom(
        {
          id: 'memusage.retained.buffers',
          section: 'memory-usage',
          label: 'memory storage: Buffer memory (external) per million retained records',
          unit: 'MB',
          better: 'lower',
          size: total,
          note,
        },
        [{ value: perMillion('buffers') / MB, detail: detailOf('buffers') }],
      ),
      figureFrom(
        {
          id: 'memusage.retained.rss',
          section: 'memory-usage',
          label: 'memory storage: RSS per million retained records',
          unit: 'MB',
          better: 'lower',
          size: total,
          note,
        },
        [{ value: perMillion('rss') / MB, detail: detailOf('rss') }],
      ),
    ]
  } finally {
    await bus.close()
  }
}

interface Sample {
  t: number
  rss: number
  heap: number
  produced: number
  consumed: number
  disk: number
}

interface Snapshot extends Usage {
  /** Records produced but not yet consumed. */
  behind: number
}

export async function runBacklog(options: BenchOptions, notes: string[]): Promise<Figure[]> {
  const seconds = options.quick ? 3 : 10
  const { bus, dir } = await openBus('never')
  if (dir === undefined) throw new Error('the backlog case needs a file log')
  const samples: Sample[] = []
  let sampler: NodeJS.Timeout | undefined
  let mid: Snapshot | undefined
  let end: Snapshot | undefined
  let bytesPerRecord = 0
  try {
    await bus.createTopic(TOPIC, { partitions: 8 })
    let consumed = 0
    const consumer = bus.consumer({ groupId: 'slow', topics: [TOPIC], fromBeginning: true })
    await consumer.run({
      eachMessage: () => {
        consumed++
        if (consumed % 100 === 0) return sleep(1)
      },
    })
    await bus.group('slow').settled()
    const producer: Producer = bus.producer()
    let produced = 0
    const start = performance.now()
    const sample = (): void => {
      const m = process.memoryUsage()
      samples.push({
        t: (performance.now() - start) / 1000,
        rss: m.rss,
        heap: m.heapUsed,
        produced,
        consumed,
        disk: logBytes(dir),
      })
    }
    // What is still referenced (after full GCs), not what V8 has yet to collect.
    const snapshot = async (): Promise<Snapshot> => {
      const behind = produced - consumed
      return { ...(await usage()), behind }
    }
    sample()
    sampler = setInterval(sample, 250)
    while (performance.now() - start < seconds * 1000) {
      await produce(producer, 'batch', 100 * BATCH, produced)
      produced += 100 * BATCH
      if (mid === undefined && performance.now() - start >= (seconds * 1000) / 2) mid = await snapshot()
    }
    end = await snapshot()
    clearInterval(sampler)
    sample()
    bytesPerRecord = logBytes(dir) / produced
  } finally {
    clearInterval(sampler)
    await bus.close()
    removeDir(dir)
  }
  if (mid === undefined || end === undefined) throw new Error('the backlog run ended early')
  const last = samples.at(-1)!
  const backlogMB = (behind: number): number => (behind * bytesPerRecord) / MB
  const backlogGrowth = backlogMB(end.behind) - backlogMB(mid.behind)
  const rssGrowth = (end.rss - mid.rss) / MB
  const heapGrowth = (end.heap - mid.heap) / MB
  const timeline = samples
    .filter((_, i) => i % 4 === 0 || i === samples.length - 1)
    .map(
      (s) =>
        `${s.t.toFixed(1)}s: backlog ${backlogMB(s.produced - s.consumed).toFixed(0)} MB, RSS ${(s.rss / MB).toFixed(0)} MB, heap ${(s.heap / MB).toFixed(0)} MB`,
    )
  notes.push(
    `memory-usage backlog timeline (file log, fsync never, 8 partitions, samples without GC): ${timeline.join('; ')}`,
  )
  const detail = {
    backlogMB: backlogMB(end.behind),
    backlogRecords: end.behind,
    rssMidMB: mid.rss / MB,
    rssEndMB: end.rss / MB,
    rssPeakMB: Math.max(...samples.map((s) => s.rss)) / MB,
    heapMidMB: mid.heap / MB,
    heapEndMB: end.heap / MB,
    consumedRate: last.consumed / last.t,
    producedRate: last.produced / last.t,
  }
  const half = `second half of a ${seconds} s run`
  return [
    figureFrom(
      {
        id: 'memusage.backlog.backlog',
        section: 'memory-usage',
        label: `slow consumer, file log: backlog growth on disk (${half})`,
        unit: 'MB',
        better: 'higher',
      },
      [{ value: backlogGrowth, detail }],
    ),
    figureFrom(
      {
        id: 'memusage.backlog.heap',
        section: 'memory-usage',
        label: 'slow consumer, file log: live JS heap growth meanwhile (after full GC)',
        unit: 'MB',
        better: 'lower',
      },
      [{ value: heapGrowth, detail }],
    ),
    figureFrom(
      {
        id: 'memusage.backlog.rss',
        section: 'memory-usage',
        label: 'slow consumer, file log: RSS growth meanwhile (after full GC)',
        unit: 'MB',
        better: 'lower',
      },
      [{ value: rssGrowth, detail }],
    ),
    figureFrom(
      {
        id: 'memusage.backlog.rssPer100MB',
        section: 'memory-usage',
        label: 'slow consumer, file log: RSS growth per 100 MB of backlog growth',
        unit: 'MB',
        better: 'lower',
      },
      [{ value: backlogGrowth > 0 ? (rssGrowth / backlogGrowth) * 100 : Number.NaN, detail }],
    ),
  ]
}

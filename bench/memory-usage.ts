/**
 * 5. Memory. Each part runs in its own fresh process (forked with --expose-gc).
 *
 * - `retained`: what memory storage keeps per record beyond the payload. N records with distinct
 *   16-byte keys and 100-byte values (flat strings on the typed string topic, Buffers on the raw one,
 *   made for each record and referenced only by the bus) are sent to a topic of 8 partitions without consumers; after full GCs, the JS heap
 *   plus external memory (Buffers) is read at N/2 and N records, and the slope between the two is the
 *   cost per record (fixed costs excluded). "Beyond payload" subtracts the 116 bytes of key and value;
 *   the same keys and values held in two plain arrays give what V8 itself needs for that payload
 *   (string headers, Buffer objects), reported beside it.
 * - `backlog`: a fast producer and a slow consumer (it sleeps 1 ms every 100 records) over a file
 *   log with fsync 'never'; RSS and heap are sampled while the backlog grows on disk. They should stay
 *   flat: the log, not the heap, holds the backlog.
 */

import type { Producer } from 'logbus'
import { collectGarbage, type Figure, logBytes, type PartContext, removeDir, sleep } from './common'
import { figureFrom } from './harness'
import { openBus, produce } from './load'
import { loadFileStorage, skipAll } from './probe'
import {
  type AnyTopic,
  BATCH,
  type BenchMessage,
  createBenchTopic,
  KEY_BYTES,
  KIND_TEXT,
  PAYLOAD_BYTES,
  VALUE_BYTES,
  workload,
} from './workload'

const MB = 1e6

interface Usage {
  heap: number
  /** Memory outside the JS heap held by JS objects: Buffers' bytes (Node counts arrayBuffers inside it). */
  external: number
  rss: number
}

async function usage(): Promise<Usage> {
  for (let i = 0; i < 3; i++) {
    collectGarbage()
    await sleep(20)
  }
  const m = process.memoryUsage()
  return { heap: m.heapUsed, external: m.external, rss: m.rss }
}

type RetainedKind = 'string' | 'raw-buffer'

/** A key and a value of their own for record `seq`: flat strings, or Buffers. */
function distinctPayload(kind: RetainedKind, seq: number, scratch: Buffer): { key: unknown; value: unknown } {
  const digits = seq.toString().padStart(15, '0')
  scratch.write('K', 0, 'latin1')
  scratch.write(digits, 1, 'latin1')
  const key =
    kind === 'string' ? scratch.toString('latin1', 0, KEY_BYTES) : Buffer.from(scratch.subarray(0, KEY_BYTES))
  for (let i = 0; i < VALUE_BYTES; i++) scratch[i] = 32 + ((i * 7 + seq) % 95)
  scratch.write(digits, 0, 'latin1')
  const value =
    kind === 'string'
      ? scratch.toString('latin1', 0, VALUE_BYTES)
      : Buffer.from(scratch.subarray(0, VALUE_BYTES))
  return { key, value }
}

/** Sends records `from` … `from + count - 1`, each with its own payload, 10 sends of 100 in flight. */
async function fill(
  producer: Producer,
  topic: AnyTopic,
  kind: RetainedKind,
  from: number,
  count: number,
): Promise<void> {
  const scratch = Buffer.allocUnsafe(VALUE_BYTES)
  const pending: Promise<unknown>[] = []
  for (let seq = from; seq < from + count; ) {
    pending.length = 0
    for (let w = 0; w < 10 && seq < from + count; w++) {
      const batch: BenchMessage[] = []
      for (let j = 0; j < BATCH && seq < from + count; j++) batch.push(distinctPayload(kind, seq++, scratch))
      pending.push(producer.send(topic, batch))
    }
    await Promise.all(pending)
  }
}

/** Bytes per record of the same payloads held in two preallocated arrays (the array slots excluded). */
async function heldPayload(kind: RetainedKind, count: number): Promise<number> {
  const keys = new Array<unknown>(count).fill(null)
  const values = new Array<unknown>(count).fill(null)
  const scratch = Buffer.allocUnsafe(VALUE_BYTES)
  const before = await usage()
  for (let seq = 0; seq < count; seq++) {
    const { key, value } = distinctPayload(kind, seq, scratch)
    keys[seq] = key
    values[seq] = value
  }
  const after = await usage()
  const perRecord = (after.heap + after.external - before.heap - before.external) / count
  if (keys.length + values.length !== 2 * count) throw new Error('unreachable')
  return perRecord
}

async function retained(kind: RetainedKind, total: number): Promise<Figure> {
  const half = total / 2
  const { bus } = await openBus('memory')
  let start: Usage
  let mid: Usage
  let end: Usage
  try {
    const topic = await createBenchTopic(bus, kind, 8)
    const producer = bus.producer()
    start = await usage()
    await fill(producer, topic, kind, 0, half)
    mid = await usage()
    await fill(producer, topic, kind, half, half)
    end = await usage()
  } finally {
    await bus.close()
  }
  const per = (key: keyof Usage): number => (end[key] - mid[key]) / half
  const perRecord = per('heap') + per('external')
  const held = await heldPayload(kind, half)
  return figureFrom(
    {
      id: `memusage.retained.${kind}`,
      section: 'memory-usage',
      label: `memory storage, ${KIND_TEXT[kind]}: bytes kept per record beyond the ${PAYLOAD_BYTES}-byte payload`,
      unit: 'B',
      better: 'lower',
      size: total,
      note: `slope between ${half.toLocaleString('en-US')} and ${total.toLocaleString('en-US')} retained records, after GC`,
    },
    [
      {
        value: perRecord - PAYLOAD_BYTES,
        detail: {
          bytesPerRecord: perRecord,
          heapPerRecord: per('heap'),
          externalPerRecord: per('external'),
          rssPerRecord: per('rss'),
          payloadHeldPerRecord: held,
          beyondHeldPayload: perRecord - held,
          totalMB: (end.heap + end.external - start.heap - start.external) / MB,
          records: total,
        },
      },
    ],
  )
}

export async function runRetained(context: PartContext): Promise<Figure[]> {
  const total = context.options.quick ? 400_000 : 2_000_000
  return [await retained('string', total), await retained('raw-buffer', total)]
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

const BACKLOG_IDS = ['backlog', 'heap', 'rss', 'rssPer100MB']

export async function runBacklog(context: PartContext): Promise<Figure[]> {
  const { options, notes } = context
  const { reason } = await loadFileStorage()
  if (reason !== undefined) {
    return skipAll(
      context,
      'memory-usage',
      reason,
      BACKLOG_IDS.map((id) => ({ id: `memusage.backlog.${id}`, label: `slow consumer, file log: ${id}` })),
    )
  }
  const seconds = options.quick ? 3 : 10
  const { bus, dir } = await openBus('never')
  if (dir === undefined) throw new Error('the backlog case needs a file log')
  const samples: Sample[] = []
  let sampler: NodeJS.Timeout | undefined
  let mid: Snapshot | undefined
  let end: Snapshot | undefined
  let bytesPerRecord = 0
  try {
    const topic = await createBenchTopic(bus, 'raw-buffer', 8)
    const work = workload('raw-buffer')
    let consumed = 0
    const consumer = bus.consumer({ groupId: 'slow', topics: [topic], fromBeginning: true })
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
      await produce(producer, topic, work, 'batch', 100 * BATCH, produced)
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

/**
 * 3. End-to-end latency, from the `send` call to the consumer handler (performance.now, carried in the
 * first 8 bytes of the value): unloaded (one record in flight, the process idle between records) and
 * at a fixed rate of 50% of the maximum single-send throughput measured just before, in the same
 * process. p50 / p99 / p99.9 in microseconds.
 */

import { setImmediate as immediate } from 'node:timers/promises'
import { EventEmitter } from 'eventemitter3'
import {
  type BenchOptions,
  cpuSnapshot,
  type Figure,
  foreignCores,
  type GcStats,
  gcMeter,
  keyOf,
  log,
  type Percentiles,
  percentiles,
  type RepSample,
  removeDir,
  settle,
  TOPIC,
  VALUE_BYTES,
  withTimeout,
} from './common'
import { attempt, type CaseSpec, figureFrom, measure } from './harness'
import { openBus, runLoad, type StorageKind } from './load'
import { loadSizing } from './memory'

interface LatencyRig {
  /** Latencies in ms, in delivery order. */
  values: Float64Array
  count(): number
  /** Resolves when `n` records in total have been delivered. */
  until(n: number): Promise<void>
  send(): void
  failure(): unknown
  close(): Promise<void>
}

async function rig(storage: StorageKind, capacity: number): Promise<LatencyRig> {
  const { bus, dir } = await openBus(storage)
  await bus.createTopic(TOPIC, { partitions: 8 })
  const values = new Float64Array(capacity)
  let n = 0
  let target = Number.POSITIVE_INFINITY
  let reached: (() => void) | undefined
  const consumer = bus.consumer({ groupId: 'latency', topics: [TOPIC], fromBeginning: true })
  await consumer.run({
    eachMessage: (record) => {
      const now = performance.now()
      if (n < capacity) values[n] = now - record.value!.readDoubleLE(0)
      n++
      if (n >= target && reached !== undefined) {
        const r = reached
        reached = undefined
        r()
      }
    },
  })
  await bus.group('latency').settled()
  const producer = bus.producer()
  const scratch = Buffer.alloc(VALUE_BYTES, 0x61)
  let sent = 0
  let failed: unknown
  const onError = (error: unknown): void => {
    failed ??= error
  }
  return {
    values,
    count: () => n,
    until(total) {
      target = total
      if (n >= total) return Promise.resolve()
      return new Promise((resolve) => {
        reached = resolve
      })
    },
    send() {
      // The producer copies the value at send (documented), so one scratch buffer serves every record.
      scratch.writeDoubleLE(performance.now(), 0)
      producer.send(TOPIC, { key: keyOf(sent++), value: scratch }).catch(onError)
    },
    failure: () => failed,
    async close() {
      await bus.close()
      if (dir !== undefined) removeDir(dir)
    },
  }
}

/**
 * The latency ceiling: the same records handed to an eventemitter3 listener through a microtask (an
 * asynchronous hand-off, as `send` → consumer is), paced the same way. What it shows beyond a few
 * microseconds is the machine: GC of the pacer, scheduling stalls, other processes.
 */
async function baselineRig(capacity: number): Promise<LatencyRig> {
  const values = new Float64Array(capacity)
  const ee = new EventEmitter()
  let n = 0
  let target = Number.POSITIVE_INFINITY
  let reached: (() => void) | undefined
  ee.on('record', (record: { key: string; value: Buffer }) => {
    const now = performance.now()
    if (n < capacity) values[n] = now - record.value.readDoubleLE(0)
    n++
    if (n >= target && reached !== undefined) {
      const r = reached
      reached = undefined
      r()
    }
  })
  let sent = 0
  return {
    values,
    count: () => n,
    until(total) {
      target = total
      if (n >= total) return Promise.resolve()
      return new Promise((resolve) => {
        reached = resolve
      })
    },
    send() {
      const value = Buffer.allocUnsafe(VALUE_BYTES)
      value.writeDoubleLE(performance.now(), 0)
      const record = { key: keyOf(sent++), value }
      queueMicrotask(() => ee.emit('record', record))
    },
    failure: () => undefined,
    async close() {
      ee.removeAllListeners()
    },
  }
}

type RigKind = StorageKind | 'baseline'

function makeRig(kind: RigKind, capacity: number): Promise<LatencyRig> {
  return kind === 'baseline' ? baselineRig(capacity) : rig(kind, capacity)
}

/** One record in flight at a time; the event loop goes idle (setImmediate) between records. */
async function unloadedRep(storage: RigKind, samples: number): Promise<Percentiles & { gc: GcStats }> {
  const r = await makeRig(storage, samples)
  const gc = gcMeter()
  try {
    for (let i = 0; i < samples; i++) {
      const seen = r.until(i + 1)
      r.send()
      await withTimeout(seen, 10_000, 'an unloaded latency sample')
      if (r.failure() !== undefined) throw r.failure()
      await immediate()
    }
    return { ...percentiles(r.values, samples), gc: gc.stop() }
  } finally {
    await r.close()
  }
}

/** Sends at `rate` records/s for `seconds` (paced on setImmediate ticks, open loop). */
async function loadedRep(
  storage: RigKind,
  rate: number,
  seconds: number,
): Promise<Percentiles & { achieved: number; gc: GcStats }> {
  const total = Math.max(1000, Math.round(rate * seconds))
  const r = await makeRig(storage, total)
  const gc = gcMeter()
  try {
    const all = r.until(total)
    const start = performance.now()
    let sent = 0
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate))
      while (sent < due) {
        r.send()
        sent++
      }
      await immediate()
    }
    await withTimeout(all, 60_000, 'a loaded latency run')
    if (r.failure() !== undefined) throw r.failure()
    const achieved = total / ((performance.now() - start) / 1000)
    return { ...percentiles(r.values, total), achieved, gc: gc.stop() }
  } finally {
    await r.close()
  }
}

const US = 1000

function gcDetail(gc: GcStats): Record<string, number> {
  return { gcCount: gc.count, gcTotalMs: gc.totalMs, gcMaxMs: gc.maxMs }
}

function percentileFigures(
  id: string,
  label: string,
  reps: { p: Percentiles; foreign: number; detail?: Record<string, number> }[],
  size: number,
): Figure[] {
  const make = (key: 'p50' | 'p99' | 'p999', name: string): Figure =>
    figureFrom(
      {
        id: `${id}.${key}`,
        section: 'latency',
        label: `${label}, ${name}`,
        unit: 'µs',
        better: 'lower',
        size,
      },
      reps.map(
        (r): RepSample => ({
          value: r.p[key] * US,
          detail: { maxUs: r.p.max * US, ...r.detail },
          foreignCores: r.foreign,
        }),
      ),
    )
  return [make('p50', 'p50'), make('p99', 'p99'), make('p999', 'p99.9')]
}

async function repeat<T>(reps: number, fn: () => Promise<T>): Promise<{ value: T; foreign: number }[]> {
  await fn() // warm-up, discarded
  const out: { value: T; foreign: number }[] = []
  for (let i = 0; i < reps; i++) {
    await settle()
    const before = cpuSnapshot()
    const value = await fn()
    out.push({ value, foreign: foreignCores(before, cpuSnapshot()) })
  }
  return out
}

function storageText(storage: RigKind): string {
  if (storage === 'baseline') return 'ceiling: eventemitter3 via a microtask'
  return storage === 'memory' ? 'memory' : `file, fsync ${storage}`
}

export async function runLatency(options: BenchOptions, failures: string[]): Promise<Figure[]> {
  const figures: Figure[] = []
  const reps = Math.min(options.reps, 3)
  const scenarios: { storage: RigKind; unloaded: number; loaded: boolean }[] = [
    { storage: 'memory', unloaded: options.quick ? 3000 : 20_000, loaded: true },
    { storage: 'baseline', unloaded: options.quick ? 3000 : 20_000, loaded: true },
    { storage: 'never', unloaded: options.quick ? 3000 : 20_000, loaded: true },
    { storage: 'always', unloaded: options.quick ? 300 : 1000, loaded: false },
  ]
  let memoryRate: number | undefined
  for (const s of scenarios) {
    const name = s.storage === 'memory' || s.storage === 'baseline' ? s.storage : `file.${s.storage}`
    await attempt(
      failures,
      `latency.${name}.unloaded`,
      async () => {
        const runs = await repeat(reps, () => unloadedRep(s.storage, s.unloaded))
        return percentileFigures(
          `latency.${name}.unloaded`,
          `${storageText(s.storage)}, unloaded`,
          runs.map((r) => ({ p: r.value, foreign: r.foreign, detail: gcDetail(r.value.gc) })),
          s.unloaded,
        )
      },
      figures,
    )
    if (!s.loaded) continue
    const storage = s.storage
    let rate: number
    if (storage === 'baseline') {
      // The ceiling runs at logbus's memory rate: the same load, without logbus.
      if (memoryRate === undefined) continue
      rate = memoryRate
    } else {
      const measured = await maxRate(options, failures, figures, storage, name, reps)
      if (measured === undefined) continue
      rate = measured / 2
      if (storage === 'memory') memoryRate = rate
    }
    const seconds = options.quick ? 0.5 : 2
    log(`  latency.${name}.loaded: ${Math.round(rate).toLocaleString('en-US')} msgs/s for ${seconds} s`)
    await attempt(
      failures,
      `latency.${name}.loaded`,
      async () => {
        const runs = await repeat(reps, () => loadedRep(storage, rate, seconds))
        return percentileFigures(
          `latency.${name}.loaded`,
          `${storageText(storage)}, at ${storage === 'baseline' ? "memory's " : ''}50% of max`,
          runs.map((r) => ({
            p: r.value,
            foreign: r.foreign,
            detail: { pacedRate: rate, achievedRate: r.value.achieved, ...gcDetail(r.value.gc) },
          })),
          Math.round(rate * seconds),
        )
      },
      figures,
    )
  }
  return figures
}

/** The maximum single-send throughput, measured here, in this process, just before the loaded run. */
async function maxRate(
  options: BenchOptions,
  failures: string[],
  figures: Figure[],
  storage: StorageKind,
  name: string,
  reps: number,
): Promise<number | undefined> {
  const spec: CaseSpec = {
    id: `latency.${name}.max`,
    section: 'latency',
    label: `${storageText(storage)}: max throughput, send(1) ×1000 in flight, group of 1`,
    unit: 'msgs/s',
    better: 'higher',
    sizing: loadSizing(options),
    reps,
    run: (n) => runLoad({ storage, partitions: 8, groupSize: 1, producers: 1, mode: 'single' }, n),
  }
  let max: Figure | undefined
  await attempt(
    failures,
    spec.id,
    async () => {
      max = await measure(spec, options)
      return max
    },
    figures,
  )
  return max?.median
}

/**
 * 3. End-to-end latency, from the `send` call to the consumer handler (performance.now, carried in the
 * first 8 bytes of the value): unloaded (one record in flight, the process idle between records) and
 * at a fixed rate of 50% of the maximum single-send throughput measured just before, in the same
 * process. p50 / p99 / p99.9 in microseconds.
 */

import { setImmediate as immediate } from 'node:timers/promises'
import type { Bus, Producer } from '../src/index'
import {
  type BenchOptions,
  cpuSnapshot,
  type Figure,
  foreignCores,
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
  bus: Bus
  producer: Producer
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
    bus,
    producer,
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

/** One record in flight at a time; the event loop goes idle (setImmediate) between records. */
async function unloadedRep(storage: StorageKind, samples: number): Promise<Percentiles> {
  const r = await rig(storage, samples)
  try {
    for (let i = 0; i < samples; i++) {
      const seen = r.until(i + 1)
      r.send()
      await withTimeout(seen, 10_000, 'an unloaded latency sample')
      if (r.failure() !== undefined) throw r.failure()
      await immediate()
    }
    return percentiles(r.values, samples)
  } finally {
    await r.close()
  }
}

/** Sends at `rate` records/s for `seconds` (paced on setImmediate ticks, open loop). */
async function loadedRep(
  storage: StorageKind,
  rate: number,
  seconds: number,
): Promise<Percentiles & { achieved: number }> {
  const total = Math.max(1000, Math.round(rate * seconds))
  const r = await rig(storage, total)
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
    return { ...percentiles(r.values, total), achieved }
  } finally {
    await r.close()
  }
}

const US = 1000

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

function storageText(storage: StorageKind): string {
  return storage === 'memory' ? 'memory' : `file, fsync ${storage}`
}

export async function runLatency(options: BenchOptions, failures: string[]): Promise<Figure[]> {
  const figures: Figure[] = []
  const reps = Math.min(options.reps, 3)
  const scenarios: { storage: StorageKind; unloaded: number; loaded: boolean }[] = [
    { storage: 'memory', unloaded: options.quick ? 5000 : 20_000, loaded: true },
    { storage: 'never', unloaded: options.quick ? 5000 : 20_000, loaded: true },
    { storage: 'always', unloaded: options.quick ? 300 : 1000, loaded: false },
  ]
  for (const s of scenarios) {
    const name = s.storage === 'memory' ? 'memory' : `file.${s.storage}`
    await attempt(
      failures,
      `latency.${name}.unloaded`,
      async () => {
        const runs = await repeat(reps, () => unloadedRep(s.storage, s.unloaded))
        return percentileFigures(
          `latency.${name}.unloaded`,
          `${storageText(s.storage)}, unloaded`,
          runs.map((r) => ({ p: r.value, foreign: r.foreign })),
          s.unloaded,
        )
      },
      figures,
    )
    if (!s.loaded) continue
    const maxSpec: CaseSpec = {
      id: `latency.${name}.max`,
      section: 'latency',
      label: `${storageText(s.storage)}: max throughput, send(1) ×1000 in flight, group of 1`,
      unit: 'msgs/s',
      better: 'higher',
      sizing: loadSizing(options),
      reps,
      run: (n) =>
        runLoad({ storage: s.storage, partitions: 8, groupSize: 1, producers: 1, mode: 'single' }, n),
    }
    let max: Figure | undefined
    await attempt(
      failures,
      maxSpec.id,
      async () => {
        max = await measure(maxSpec, options)
        return max
      },
      figures,
    )
    if (max === undefined) continue
    const rate = max.median / 2
    const seconds = options.quick ? 0.7 : 2
    log(`  latency.${name}.loaded: ${Math.round(rate).toLocaleString('en-US')} msgs/s for ${seconds} s`)
    await attempt(
      failures,
      `latency.${name}.loaded`,
      async () => {
        const runs = await repeat(reps, () => loadedRep(s.storage, rate, seconds))
        return percentileFigures(
          `latency.${name}.loaded`,
          `${storageText(s.storage)}, at 50% of max (${Math.round(rate).toLocaleString('en-US')} msgs/s)`,
          runs.map((r) => ({ p: r.value, foreign: r.foreign, detail: { achievedRate: r.value.achieved } })),
          Math.round(rate * seconds),
        )
      },
      figures,
    )
  }
  return figures
}

/**
 * 3. End-to-end latency, from the `send` call to the consumer handler, on the typed `string()` topic of
 * 8 partitions (16-byte keys, 100-byte values), group of 1: unloaded (one record in flight, the process
 * idle between records) and at a fixed rate of 50% of the maximum that the paced driver itself
 * sustains, found just before in the same process (searched down from the maximum single-send
 * throughput with 1,000 sends in flight, which batches far better than sends paced on ticks). p50 / p99 / p99.9 in microseconds; under load also the GC pauses
 * (PerformanceObserver 'gc' entries): the longest, and GC's share of the run's time.
 *
 * Each record's key carries its sequence number (16 characters: "L" and 15 digits), which indexes the
 * send times: the handler reads the clock first, then parses the key with charCodeAt (no allocation).
 */

import { setImmediate as immediate } from 'node:timers/promises'
import { EventEmitter } from 'eventemitter3'
import {
  cpuSnapshot,
  type Figure,
  foreignCores,
  type GcStats,
  gcDetail,
  gcMeter,
  log,
  type PartContext,
  type Percentiles,
  percentiles,
  type RepSample,
  removeDir,
  settle,
  withTimeout,
} from './common'
import { attempt, type CaseSpec, figureFrom, measure } from './harness'
import { openBus, runLoad, type StorageKind } from './load'
import { loadSizing } from './memory'
import { loadFileStorage, skipAll } from './probe'
import { createBenchTopic, workload } from './workload'

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

const SEQ_DIGITS = 15

/** The 16-byte key of record `seq`: "L" and 15 digits. */
function seqKey(seq: number): string {
  return `L${seq.toString().padStart(SEQ_DIGITS, '0')}`
}

function seqOf(key: string): number {
  let seq = 0
  for (let i = 1; i <= SEQ_DIGITS; i++) seq = seq * 10 + key.charCodeAt(i) - 48
  return seq
}

/** Latency bookkeeping shared by the logbus rig and its ceiling. */
function recorder(capacity: number) {
  const values = new Float64Array(capacity)
  const sentAt = new Float64Array(capacity)
  let n = 0
  let target = Number.POSITIVE_INFINITY
  let reached: (() => void) | undefined
  return {
    values,
    sentAt,
    count: () => n,
    delivered(now: number, key: string): void {
      if (n < capacity) values[n] = now - sentAt[seqOf(key)]!
      n++
      if (n >= target && reached !== undefined) {
        const r = reached
        reached = undefined
        r()
      }
    },
    until(total: number): Promise<void> {
      target = total
      if (n >= total) return Promise.resolve()
      return new Promise((resolve) => {
        reached = resolve
      })
    },
  }
}

async function rig(storage: StorageKind, capacity: number): Promise<LatencyRig> {
  const { bus, dir } = await openBus(storage)
  const topic = await createBenchTopic(bus, 'string', 8)
  const r = recorder(capacity)
  const consumer = bus.consumer({ groupId: 'latency', topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: (record) => {
      r.delivered(performance.now(), record.key as string)
    },
  })
  await bus.group('latency').settled()
  const producer = bus.producer()
  const value = workload('string').message(0).value
  let sent = 0
  let failed: unknown
  const onError = (error: unknown): void => {
    failed ??= error
  }
  return {
    values: r.values,
    count: r.count,
    until: r.until,
    send() {
      const seq = sent++ % capacity
      const key = seqKey(seq)
      r.sentAt[seq] = performance.now()
      producer.send(topic, { key, value }).catch(onError)
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
async function baselineRig(capacity: number, retain = false): Promise<LatencyRig> {
  const ee = new EventEmitter()
  const r = recorder(capacity)
  // With `retain`, every record stays reachable until the run ends, as a log's records do.
  const kept: Array<{ key: string; value: string }> = []
  ee.on('record', (record: { key: string; value: string }) => {
    if (retain) kept.push(record)
    r.delivered(performance.now(), record.key)
  })
  const value = workload('string').message(0).value
  let sent = 0
  return {
    values: r.values,
    count: r.count,
    until: r.until,
    send() {
      const seq = sent++ % capacity
      const record = { key: seqKey(seq), value }
      r.sentAt[seq] = performance.now()
      queueMicrotask(() => ee.emit('record', record))
    },
    failure: () => undefined,
    async close() {
      ee.removeAllListeners()
      kept.length = 0
    },
  }
}

/** 'retaining': the ceiling that also keeps every record, which is what a log must do. */
type RigKind = StorageKind | 'baseline' | 'retaining'

function makeRig(kind: RigKind, capacity: number): Promise<LatencyRig> {
  if (kind === 'baseline' || kind === 'retaining') return baselineRig(capacity, kind === 'retaining')
  return rig(kind, capacity)
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
): Promise<Percentiles & { achieved: number; gc: GcStats; durationMs: number }> {
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
    const durationMs = performance.now() - start
    const achieved = total / (durationMs / 1000)
    return { ...percentiles(r.values, total), achieved, gc: gc.stop(), durationMs }
  } finally {
    await r.close()
  }
}

const US = 1000

function gcPauses(gc: GcStats, durationMs?: number): Record<string, number> {
  const detail: Record<string, number> = { gcCount: gc.count, gcTotalMs: gc.totalMs, gcMaxMs: gc.maxMs }
  if (durationMs !== undefined) Object.assign(detail, gcDetail(gc, durationMs), { gcTotalMs: gc.totalMs })
  return detail
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
  if (storage === 'retaining') return 'ceiling: the same, keeping every record (as a log does)'
  return storage === 'memory'
    ? 'memory, typed string() topic'
    : `file, fsync ${storage}, typed string() topic`
}

interface Scenario {
  storage: RigKind
  /** Samples of the unloaded run. */
  unloaded: number
  loaded: boolean
}

export async function runLatency(context: PartContext): Promise<Figure[]> {
  const { options, failures } = context
  const figures: Figure[] = []
  const reps = Math.min(options.reps, 3)
  const samples = options.quick ? 3000 : 20_000
  const scenarios: Scenario[] = [
    { storage: 'memory', unloaded: samples, loaded: true },
    { storage: 'baseline', unloaded: samples, loaded: true },
    { storage: 'retaining', unloaded: 0, loaded: true },
    { storage: 'never', unloaded: samples, loaded: true },
    { storage: 'always', unloaded: options.quick ? 300 : 1000, loaded: false },
  ]
  const { reason: fileReason } = await loadFileStorage()
  let memoryRate: number | undefined
  for (const s of scenarios) {
    const inProcess = s.storage === 'memory' || s.storage === 'baseline' || s.storage === 'retaining'
    const name = inProcess ? s.storage : `file.${s.storage}`
    if (fileReason !== undefined && !inProcess) {
      const ids = [
        `latency.${name}.unloaded`,
        ...(s.loaded ? [`latency.${name}.max`, `latency.${name}.loaded`] : []),
      ]
      skipAll(
        context,
        'latency',
        fileReason,
        ids.map((id) => ({ id, label: `${storageText(s.storage)}: ${id.split('.').at(-1)}` })),
      )
      continue
    }
    if (s.unloaded > 0)
      await attempt(
        failures,
        `latency.${name}.unloaded`,
        async () => {
          const runs = await repeat(reps, () => unloadedRep(s.storage, s.unloaded))
          return percentileFigures(
            `latency.${name}.unloaded`,
            `${storageText(s.storage)}, unloaded`,
            runs.map((r) => ({ p: r.value, foreign: r.foreign, detail: gcPauses(r.value.gc) })),
            s.unloaded,
          )
        },
        figures,
      )
    if (!s.loaded) continue
    const storage = s.storage
    let rate: number
    if (storage === 'baseline' || storage === 'retaining') {
      // The ceilings run at logbus's memory rate: the same load, without logbus.
      if (memoryRate === undefined) continue
      rate = memoryRate
    } else {
      const measured = await maxRate(context, figures, storage, name, reps)
      if (measured === undefined) continue
      // Sends paced on event-loop ticks form smaller batches than 1,000 sends in flight, so the
      // paced driver's own maximum is lower: "50% of max" is half of what it sustains.
      const sustained = await pacedMax(context, figures, storage, name, measured)
      if (sustained === undefined) continue
      rate = sustained / 2
      if (storage === 'memory') memoryRate = rate
    }
    const seconds = options.quick ? 0.5 : 2
    log(`  latency.${name}.loaded: ${Math.round(rate).toLocaleString('en-US')} msgs/s for ${seconds} s`)
    const ceiling = storage === 'baseline' || storage === 'retaining'
    const label = `${storageText(storage)}, at ${ceiling ? "memory's " : ''}50% of the paced max`
    await attempt(
      failures,
      `latency.${name}.loaded`,
      async () => {
        const runs = await repeat(reps, () => loadedRep(storage, rate, seconds))
        const size = Math.round(rate * seconds)
        return [
          ...percentileFigures(
            `latency.${name}.loaded`,
            label,
            runs.map((r) => ({
              p: r.value,
              foreign: r.foreign,
              detail: {
                pacedRate: rate,
                achievedRate: r.value.achieved,
                ...gcPauses(r.value.gc, r.value.durationMs),
              },
            })),
            size,
          ),
          figureFrom(
            {
              id: `latency.${name}.loaded.gcmax`,
              section: 'latency',
              label: `${label}: longest GC pause of the run`,
              unit: 'ms',
              better: 'lower',
              size,
            },
            runs.map((r) => ({
              value: r.value.gc.maxMs,
              detail: gcPauses(r.value.gc, r.value.durationMs),
              foreignCores: r.foreign,
            })),
          ),
        ]
      },
      figures,
    )
  }
  return figures
}

/** A paced run keeps up when its last record arrives within this long of the last send. */
const KEEPS_UP_SLACK_MS = 50
const PROBE_SECONDS = 1

/**
 * The highest rate the paced driver sustains (every record delivered within a few tens of ms of the
 * last send, none left queued), searched downward from the in-flight maximum by factors of 0.8.
 */
async function pacedMax(
  context: PartContext,
  figures: Figure[],
  storage: StorageKind,
  name: string,
  inFlightMax: number,
): Promise<number | undefined> {
  let found: number | undefined
  const tried: Record<string, number> = {}
  await attempt(
    context.failures,
    `latency.${name}.pacedmax`,
    async () => {
      for (let rate = inFlightMax; rate >= inFlightMax / 100; rate *= 0.8) {
        const run = await loadedRep(storage, rate, PROBE_SECONDS)
        const keptUp = run.durationMs <= PROBE_SECONDS * 1000 + KEEPS_UP_SLACK_MS
        tried[`tried${Object.keys(tried).length}`] = Math.round(rate)
        log(
          `  latency.${name}.pacedmax: ${Math.round(rate).toLocaleString('en-US')} msgs/s ${keptUp ? 'sustained' : 'fell behind'}`,
        )
        if (keptUp) {
          found = rate
          break
        }
      }
      if (found === undefined) throw new Error('the paced driver kept up at no rate tried')
      return [
        figureFrom(
          {
            id: `latency.${name}.pacedmax`,
            section: 'latency',
            label: `${storageText(storage)}: max rate the paced driver sustains (send(1) on event-loop ticks)`,
            unit: 'msgs/s',
            better: 'higher',
            size: Math.round(found * PROBE_SECONDS),
          },
          [{ value: found, detail: { inFlightMax, ...tried }, foreignCores: 0 }],
        ),
      ]
    },
    figures,
  )
  return found
}

/** The maximum single-send throughput, measured here, in this process, just before the loaded run. */
async function maxRate(
  context: PartContext,
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
    sizing: loadSizing(context.options.quick),
    reps,
    run: (n) =>
      runLoad({ storage, kind: 'string', partitions: 8, groupSize: 1, producers: 1, mode: 'single' }, n),
  }
  let max: Figure | undefined
  await attempt(
    context.failures,
    spec.id,
    async () => {
      max = await measure(spec, context.options)
      return max
    },
    figures,
  )
  return max?.median
}

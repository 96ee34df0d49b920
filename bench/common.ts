/**
 * What every benchmark module shares: the result types that travel from a child process to the
 * report, statistics, temp directories, GC pauses, and the noise meter (CPU used by other processes
 * while a figure was measured). The workload is in workload.ts.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { type PerformanceEntry, PerformanceObserver, constants as perfConstants } from 'node:perf_hooks'
import { setImmediate as immediate } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** The sections of `npm run bench`, in run order; `--only` takes these names. */
export const SECTION_NAMES = [
  'baselines',
  'memory',
  'file',
  'latency',
  'facade',
  'scaling',
  'reopen',
  'memory-usage',
] as const
export type SectionName = (typeof SECTION_NAMES)[number]

export type Better = 'higher' | 'lower'

/** A target from the benchmark issue, checked against a figure's median. */
export interface Target {
  op: '>=' | '<='
  value: number
  /** How the target reads in the issue, e.g. "≥ 5,000,000 msgs/s". */
  text: string
}

/** One measured quantity: every repetition, and its median and spread. */
export interface Figure {
  id: string
  section: SectionName
  /** Table row heading, e.g. "batched ×100, group of 1". */
  label: string
  unit: string
  better: Better
  samples: number[]
  median: number
  min: number
  max: number
  /** (max - min) / median. */
  spread: number
  /** Medians of the secondary metrics each repetition reported (MB/s, p99, bytes…). */
  detail: Record<string, number>
  /** CPU cores used by other processes while this figure was measured (median over repetitions). */
  foreignCores: number
  /** Records (or samples) per repetition, after calibration. */
  size?: number
  note?: string
}

/**
 * A case that did not run because the code it measures is not there (yet): the file log or the
 * KafkaJS facade failing its probe. The report lists every one with its reason; nothing is skipped
 * silently.
 */
export interface Skip {
  id: string
  section: SectionName
  label: string
  reason: string
}

/** What one child process sends back. */
export interface PartOutput {
  section: SectionName
  part: string
  figures: Figure[]
  notes: string[]
  failures: string[]
  skipped: Skip[]
}

/** What a part gets to run with, and where it reports what is not a figure. */
export interface PartContext {
  options: BenchOptions
  notes: string[]
  failures: string[]
  skipped: Skip[]
}

/** Options every part receives from the orchestrator. */
export interface BenchOptions {
  quick: boolean
  /** Measured repetitions per figure (a warm-up run comes first and is discarded). */
  reps: number
  /** Target duration of one throughput repetition, in seconds (the record count is calibrated to it). */
  repSeconds: number
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

// ---------------------------------------------------------------------------------------------
// Statistics

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The p-quantile (0..1) of an already sorted array, nearest rank. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  return sorted[rank]!
}

export interface Percentiles {
  p50: number
  p99: number
  p999: number
  max: number
  count: number
}

/** Percentiles of the first `count` values of `values` (sorted in place). */
export function percentiles(values: Float64Array, count = values.length): Percentiles {
  const sorted = values.subarray(0, count).sort()
  return {
    p50: quantileSorted(sorted, 0.5),
    p99: quantileSorted(sorted, 0.99),
    p999: quantileSorted(sorted, 0.999),
    max: count > 0 ? sorted[count - 1]! : Number.NaN,
    count,
  }
}

export interface RepSample {
  value: number
  detail?: Record<string, number>
  foreignCores?: number
}

/** Builds a figure from the samples of its repetitions. */
export function makeFigure(
  base: Omit<Figure, 'samples' | 'median' | 'min' | 'max' | 'spread' | 'detail' | 'foreignCores'>,
  reps: readonly RepSample[],
): Figure {
  const samples = reps.map((r) => r.value)
  const med = median(samples)
  const min = Math.min(...samples)
  const max = Math.max(...samples)
  const keys = new Set<string>()
  for (const r of reps) for (const k of Object.keys(r.detail ?? {})) keys.add(k)
  const detail: Record<string, number> = {}
  for (const k of keys) {
    const values = reps.map((r) => r.detail?.[k]).filter((v): v is number => v !== undefined)
    detail[k] = median(values)
  }
  const foreign = reps.map((r) => r.foreignCores).filter((v): v is number => v !== undefined)
  return {
    ...base,
    samples,
    median: med,
    min,
    max,
    spread: med === 0 ? 0 : (max - min) / Math.abs(med),
    detail,
    foreignCores: foreign.length > 0 ? median(foreign) : 0,
  }
}

// ---------------------------------------------------------------------------------------------
// Noise: CPU time of other processes, from /proc/stat (Linux); elsewhere it reads as 0.

interface CpuSnapshot {
  /** Busy seconds of the whole machine (all cores), including steal. */
  busy: number
  /** CPU seconds of this process (all its threads). */
  own: number
  /** CPU seconds of this process's waited-for children. */
  children: number
  wall: number
}

const USER_HZ = 100

function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
    const f = line.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)
    return busy / USER_HZ
  } catch {
    return Number.NaN
  }
}

function childrenSeconds(): number {
  try {
    // utime+stime of waited-for children: fields 16 and 17 of /proc/self/stat (cutime, cstime).
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[13]) + Number(fields[14])) / USER_HZ
  } catch {
    return 0
  }
}

export function cpuSnapshot(): CpuSnapshot {
  const usage = process.cpuUsage()
  return {
    busy: machineBusySeconds(),
    own: (usage.user + usage.system) / 1e6,
    children: childrenSeconds(),
    wall: performance.now() / 1000,
  }
}

/** Average number of cores other processes kept busy between two snapshots. */
export function foreignCores(a: CpuSnapshot, b: CpuSnapshot): number {
  const wall = b.wall - a.wall
  if (!(wall > 0) || Number.isNaN(a.busy)) return 0
  const foreign = b.busy - a.busy - (b.own - a.own) - (b.children - a.children)
  return Math.max(0, foreign / wall)
}

// ---------------------------------------------------------------------------------------------
// GC pauses while a figure runs (PerformanceObserver 'gc' entries: main-thread pause durations).

export interface GcStats {
  count: number
  totalMs: number
  maxMs: number
  /** Pause time by kind: scavenges of the young generation, mark-compacts of the whole heap, and the rest (incremental marking steps, weak callbacks). */
  minorMs: number
  majorMs: number
  otherMs: number
  majorCount: number
}

export function gcMeter(): { stop(): GcStats } {
  const entries: PerformanceEntry[] = []
  const observer = new PerformanceObserver((list) => {
    entries.push(...list.getEntries())
  })
  observer.observe({ entryTypes: ['gc'] })
  return {
    stop() {
      entries.push(...observer.takeRecords())
      observer.disconnect()
      const stats: GcStats = {
        count: entries.length,
        totalMs: 0,
        maxMs: 0,
        minorMs: 0,
        majorMs: 0,
        otherMs: 0,
        majorCount: 0,
      }
      for (const e of entries) {
        stats.totalMs += e.duration
        if (e.duration > stats.maxMs) stats.maxMs = e.duration
        const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind
        if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) stats.minorMs += e.duration
        else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
          stats.majorMs += e.duration
          stats.majorCount++
        } else stats.otherMs += e.duration
      }
      return stats
    },
  }
}

/** GC detail of a run that took `elapsedMs`: share of the time in pauses (all, and mark-compacts), longest pause. */
export function gcDetail(gc: GcStats, elapsedMs: number): Record<string, number> {
  return {
    gcPct: (100 * gc.totalMs) / elapsedMs,
    gcMajorPct: (100 * gc.majorMs) / elapsedMs,
    gcMaxMs: gc.maxMs,
    gcCount: gc.count,
  }
}

// ---------------------------------------------------------------------------------------------
// Process helpers

let gcFn: (() => void) | undefined

/** A full GC, when the process allows it (`--expose-gc`, or flags set at runtime). */
export function collectGarbage(): void {
  if (gcFn === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc
    if (typeof exposed === 'function') gcFn = exposed
    else {
      setFlagsFromString('--expose-gc')
      gcFn = runInNewContext('gc') as () => void
    }
  }
  gcFn()
}

export async function settle(): Promise<void> {
  collectGarbage()
  await immediate()
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function cores(): number {
  return availableParallelism()
}

/** Rejects if `promise` has not settled within `ms` (a hung case must not hang the run). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

// ---------------------------------------------------------------------------------------------
// Temp directories and disk

export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `logbus-bench-${label}-`))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** Bytes of every `.log` segment under `dir` (the partition logs, not the metadata). */
export function logBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.log') || entry.startsWith('__logbus')) continue
    total += statSync(join(dir, entry)).size
  }
  return total
}

export function freeBytes(dir: string = tmpdir()): number {
  const s = statfsSync(dir)
  return s.bavail * s.bsize
}

export function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error)
}

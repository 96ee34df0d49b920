/**
 * Runs one figure: warm-up runs (which also calibrate how many records a repetition needs to last
 * about `repSeconds`), then `reps` measured repetitions, each with a GC before it and the CPU that
 * other processes used during it.
 */

import {
  type BenchOptions,
  cpuSnapshot,
  type Figure,
  foreignCores,
  log,
  makeFigure,
  type RepSample,
  type SectionName,
  settle,
  type Target,
} from './common'

export interface Sizing {
  /** Records of the warm-up run. */
  initial: number
  min: number
  max: number
  /** Round the calibrated count to a multiple of this (a window, a batch). */
  multiple: number
}

export interface CaseSpec {
  id: string
  section: SectionName
  label: string
  unit: string
  better: Better
  /** With sizing, `run(n)` must return a rate per record (records per second). */
  sizing?: Sizing
  /** Fixed size when there is no sizing (samples, records…). */
  size?: number
  reps?: number
  /** Skip the warm-up run (a costly figure whose first run is as good as any). */
  noWarmup?: boolean
  note?: string
  run: (n: number) => Promise<RepSample>
}

type Better = Figure['better']

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}k`
  return String(n)
}

/** Calibrated record count: the warm-up's rate times the repetition time, within bounds. */
export function calibrate(rate: number, seconds: number, sizing: Sizing): number {
  const raw = Number.isFinite(rate) && rate > 0 ? rate * seconds : sizing.initial
  const clamped = Math.min(sizing.max, Math.max(sizing.min, raw))
  return Math.max(sizing.multiple, Math.round(clamped / sizing.multiple) * sizing.multiple)
}

export async function measure(spec: CaseSpec, options: BenchOptions): Promise<Figure> {
  const reps = spec.reps ?? options.reps
  let n = spec.size ?? spec.sizing?.initial ?? 0
  await settle()
  if (spec.noWarmup !== true) {
    const warm = await spec.run(spec.sizing?.initial ?? n)
    if (spec.sizing !== undefined) {
      // The first run is mostly JIT warm-up: calibrate again on a run of about the right length.
      n = calibrate(warm.value, options.repSeconds, spec.sizing)
      await settle()
      n = calibrate((await spec.run(n)).value, options.repSeconds, spec.sizing)
    }
  }
  const samples: RepSample[] = []
  for (let r = 0; r < reps; r++) {
    await settle()
    const before = cpuSnapshot()
    const sample = await spec.run(n)
    const after = cpuSnapshot()
    samples.push({ ...sample, foreignCores: foreignCores(before, after) })
  }
  const figure = makeFigure(
    {
      id: spec.id,
      section: spec.section,
      label: spec.label,
      unit: spec.unit,
      better: spec.better,
      size: n > 0 ? n : undefined,
      note: spec.note,
    },
    samples,
  )
  log(
    `  ${spec.id.padEnd(34)} ${formatValue(figure.median, figure.unit).padStart(14)} ${figure.unit.padEnd(7)} ±${(
      (figure.spread * 100) / 2
    ).toFixed(1)}%${n > 0 ? `  n=${formatCount(n)}` : ''}`,
  )
  return figure
}

/** A figure that did not come from repetitions of `run` (derived, or measured elsewhere). */
export function figureFrom(
  base: {
    id: string
    section: SectionName
    label: string
    unit: string
    better: Better
    size?: number
    note?: string
  },
  samples: RepSample[],
): Figure {
  const figure = makeFigure(base, samples)
  log(
    `  ${base.id.padEnd(34)} ${formatValue(figure.median, figure.unit).padStart(14)} ${figure.unit.padEnd(7)} ±${(
      (figure.spread * 100) / 2
    ).toFixed(1)}%`,
  )
  return figure
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (unit === 'msgs/s') return Math.round(value).toLocaleString('en-US')
  if (unit === '×' || unit === '%') return value.toFixed(2)
  const abs = Math.abs(value)
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US')
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

/** Runs `fn`, turning an exception into a failure line instead of losing the whole part. */
export async function attempt(
  failures: string[],
  what: string,
  fn: () => Promise<Figure | Figure[]>,
  into: Figure[],
): Promise<void> {
  try {
    const result = await fn()
    if (Array.isArray(result)) into.push(...result)
    else into.push(result)
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error)
    failures.push(`${what}: ${text}`)
    log(`  ${what} FAILED: ${error instanceof Error ? (error.stack ?? text) : text}`)
  }
}

export type { Target }

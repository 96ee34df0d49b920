/**
 * Turns the figures of a run into the report: tables per section, ratios against the ceilings and
 * peers measured in the same run, the targets of the issue, and a verdict on noise. Renders as text
 * (stdout), Markdown (`--markdown`, for BENCHMARKS.md) or JSON (`--json`).
 */

import { type Figure, makeFigure, median, type SectionName } from './common'
import { formatValue } from './harness'
import { type Machine, machineLine } from './machine'
import { SECTION_TITLES } from './parts'
import type { ProfileSummary } from './profile'

export interface Ratio {
  name: string
  numerator: string
  denominator: string
  value: number | undefined
  unit: '×' | '%'
}

export interface TargetCheck {
  name: string
  target: string
  measured: number | undefined
  unit: string
  pass: boolean | undefined
  note?: string
}

export interface Noise {
  noisy: boolean
  reasons: string[]
  /** Median over figures of the CPU cores other processes used while each was measured. */
  foreignCoresMedian: number
  foreignCoresMax: number
  /** Figures whose spread ((max - min) / median) is over 10%. */
  spreadOver10pct: string[]
}

export interface Report {
  version: 1
  command: string
  startedAt: string
  durationSeconds: number
  quick: boolean
  reps: number
  sections: SectionName[]
  machine: Machine
  noise: Noise
  figures: Figure[]
  ratios: Ratio[]
  targets: TargetCheck[]
  notes: string[]
  failures: string[]
  profiles?: ProfileSummary[]
}

function byId(figures: readonly Figure[], id: string): Figure | undefined {
  return figures.find((f) => f.id === id)
}

function metric(figures: readonly Figure[], ref: string): number | undefined {
  const [id, key] = ref.split('#') as [string, string | undefined]
  const f = byId(figures, id)
  if (f === undefined) return undefined
  const v = key === undefined ? f.median : f.detail[key]
  return v !== undefined && Number.isFinite(v) ? v : undefined
}

/** A reference is a figure id, or `id#detailKey` for one of its secondary metrics. */
export function computeRatios(figures: readonly Figure[]): Ratio[] {
  const ratio = (name: string, numerator: string, denominator: string, unit: '×' | '%'): Ratio => {
    const a = metric(figures, numerator)
    const b = metric(figures, denominator)
    const value =
      a !== undefined && b !== undefined && b !== 0 ? (unit === '%' ? (100 * a) / b : a / b) : undefined
    return { name, numerator, denominator, value, unit }
  }
  const out: Ratio[] = []
  for (const [mode, text] of [
    ['batch', 'send([100])'],
    ['single', 'send(1)'],
  ] as const) {
    out.push(
      ratio(
        `memory ${text}, group of 1 ÷ eventemitter3 (ceiling)`,
        `memory.${mode}.g1`,
        'baseline.eventemitter3',
        '×',
      ),
      ratio(`memory ${text}, group of 1 ÷ mqemitter`, `memory.${mode}.g1`, 'baseline.mqemitter', '×'),
      ratio(`memory ${text}, group of 1 ÷ fastq`, `memory.${mode}.g1`, 'baseline.fastq', '×'),
    )
  }
  out.push(
    ratio(
      "file 'never' send([100]) disk MB/s ÷ raw sequential write",
      'file.never.batch.g1#diskMBps',
      'baseline.disk.sequential',
      '%',
    ),
    ratio(
      "file 'never' send(1) disk MB/s ÷ raw sequential write",
      'file.never.single.g1#diskMBps',
      'baseline.disk.sequential',
      '%',
    ),
    ratio(
      "file 'always', 16 producers, send([100]) disk MB/s ÷ raw fdatasync per 64 KiB",
      'file.always.batch.p16#diskMBps',
      'baseline.disk.durable',
      '%',
    ),
    ratio(
      "file 'always', 1 producer, send([100]) disk MB/s ÷ raw fdatasync per 64 KiB",
      'file.always.batch.p1#diskMBps',
      'baseline.disk.durable',
      '%',
    ),
    ratio("file 'never' ÷ memory, send([100]), group of 1", 'file.never.batch.g1', 'memory.batch.g1', '×'),
  )
  for (const [p, text] of [
    ['p50', 'p50'],
    ['p99', 'p99'],
  ] as const) {
    out.push(
      ratio(
        `latency ${text}, memory, unloaded ÷ the same via eventemitter3 (lower is better)`,
        `latency.memory.unloaded.${p}`,
        `latency.baseline.unloaded.${p}`,
        '×',
      ),
      ratio(
        `latency ${text}, memory, at 50% load ÷ the same via eventemitter3 (lower is better)`,
        `latency.memory.loaded.${p}`,
        `latency.baseline.loaded.${p}`,
        '×',
      ),
    )
  }
  return out
}

export function checkTargets(
  figures: readonly Figure[],
  ratios: readonly Ratio[],
  quick: boolean,
): TargetCheck[] {
  const check = (
    name: string,
    target: string,
    measured: number | undefined,
    unit: string,
    op: '>=' | '<=',
    value: number,
    note?: string,
  ): TargetCheck => ({
    name,
    target,
    measured,
    unit,
    pass: measured === undefined ? undefined : op === '>=' ? measured >= value : measured <= value,
    note,
  })
  const ratioOf = (numerator: string, denominator: string): number | undefined =>
    ratios.find((r) => r.numerator === numerator && r.denominator === denominator)?.value
  const reopenNote = quick ? 'quick run: 128 MiB log, not 1 GiB' : undefined
  return [
    check(
      'memory, send([100]), group of 1',
      '≥ 5,000,000 msgs/s',
      metric(figures, 'memory.batch.g1'),
      'msgs/s',
      '>=',
      5e6,
    ),
    check(
      'memory, send(1), group of 1',
      '≥ 2,000,000 msgs/s',
      metric(figures, 'memory.single.g1'),
      'msgs/s',
      '>=',
      2e6,
    ),
    check(
      'memory send([100]) ÷ mqemitter',
      '≥ 2×',
      ratioOf('memory.batch.g1', 'baseline.mqemitter'),
      '×',
      '>=',
      2,
    ),
    check(
      'memory send(1) ÷ mqemitter',
      '≥ 2×',
      ratioOf('memory.single.g1', 'baseline.mqemitter'),
      '×',
      '>=',
      2,
    ),
    check(
      "file 'never', send([100]), group of 1",
      '≥ 4,000,000 msgs/s',
      metric(figures, 'file.never.batch.g1'),
      'msgs/s',
      '>=',
      4e6,
    ),
    check(
      "file 'never' disk MB/s ÷ raw sequential write",
      '≥ 35%',
      ratioOf('file.never.batch.g1#diskMBps', 'baseline.disk.sequential'),
      '%',
      '>=',
      35,
    ),
    check(
      "file 'always', 16 producers, send([100])",
      '≥ 1,000,000 msgs/s',
      metric(figures, 'file.always.batch.p16'),
      'msgs/s',
      '>=',
      1e6,
    ),
    check(
      "file 'always', 16 producers: ack latency p99",
      '≤ 2 ms',
      metric(figures, 'file.always.batch.p16#ackP99Ms'),
      'ms',
      '<=',
      2,
    ),
    check(
      'latency, memory, unloaded: p50',
      '≤ 5 µs',
      metric(figures, 'latency.memory.unloaded.p50'),
      'µs',
      '<=',
      5,
    ),
    check(
      'latency, memory, unloaded: p99',
      '≤ 50 µs',
      metric(figures, 'latency.memory.unloaded.p99'),
      'µs',
      '<=',
      50,
    ),
    check(
      'latency, memory, at 50% of max: p99',
      '≤ 1 ms',
      metric(figures, 'latency.memory.loaded.p99'),
      'µs',
      '<=',
      1000,
    ),
    check(
      'reopen 1 GiB after a clean close',
      '≤ 1 s',
      metric(figures, 'reopen.clean'),
      'ms',
      '<=',
      1000,
      reopenNote,
    ),
    check(
      'reopen 1 GiB after SIGKILL',
      '≤ 5 s',
      metric(figures, 'reopen.sigkill'),
      'ms',
      '<=',
      5000,
      reopenNote,
    ),
  ]
}

export function assessNoise(figures: readonly Figure[], machine: Machine): Noise {
  const foreign = figures.map((f) => f.foreignCores).sort((a, b) => a - b)
  const foreignMedian = foreign.length > 0 ? foreign[foreign.length >> 1]! : 0
  const foreignMax = foreign.length > 0 ? foreign[foreign.length - 1]! : 0
  const spread = figures.filter((f) => f.samples.length > 1 && f.spread > 0.1).map((f) => f.id)
  const reasons: string[] = []
  const [load1 = 0] = machine.loadStart
  if (load1 > machine.cores * 0.5) {
    reasons.push(
      `1-minute load average was ${load1.toFixed(2)} on ${machine.cores} cores when the run started`,
    )
  }
  if (foreignMedian > 0.2) {
    reasons.push(
      `other processes kept ${foreignMedian.toFixed(2)} cores busy (median over figures; max ${foreignMax.toFixed(
        2,
      )}) while figures were measured`,
    )
  }
  if (spread.length > figures.length / 4) {
    reasons.push(`${spread.length} of ${figures.length} figures spread more than 10% between repetitions`)
  }
  return {
    noisy: reasons.length > 0,
    reasons,
    foreignCoresMedian: foreignMedian,
    foreignCoresMax: foreignMax,
    spreadOver10pct: spread,
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

function detailText(f: Figure): string {
  const d = f.detail
  const parts: string[] = []
  const num = (v: number, digits = 0): string =>
    v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
  if (d.payloadMBps !== undefined) parts.push(`${num(d.payloadMBps)} MB/s payload`)
  if (d.diskMBps !== undefined) parts.push(`${num(d.diskMBps)} MB/s disk`)
  if (d.bytesPerRecord !== undefined && f.section === 'file') parts.push(`${num(d.bytesPerRecord, 1)} B/rec`)
  if (d.closeMs !== undefined) parts.push(`close ${num(d.closeMs)} ms`)
  if (d.ackP99Ms !== undefined) {
    parts.push(
      `ack p50/p99/p99.9 ${num(d.ackP50Ms ?? Number.NaN, 2)}/${num(d.ackP99Ms, 2)}/${num(d.ackP999Ms ?? Number.NaN, 2)} ms`,
    )
  }
  if (d.maxUs !== undefined) parts.push(`max ${num(d.maxUs)} µs`)
  if (d.pacedRate !== undefined) parts.push(`paced at ${num(d.pacedRate)} msgs/s`)
  else if (d.achievedRate !== undefined) parts.push(`achieved ${num(d.achievedRate)} msgs/s`)
  if (d.gcPct !== undefined) parts.push(`GC ${num(d.gcPct)}% (max pause ${num(d.gcMaxMs ?? 0, 1)} ms)`)
  if (d.gcTotalMs !== undefined) {
    parts.push(`GC ${num(d.gcCount ?? 0)} pauses, ${num(d.gcTotalMs)} ms, max ${num(d.gcMaxMs ?? 0, 1)} ms`)
  }
  if (d.fsyncMs !== undefined) parts.push(`final fsync ${num(d.fsyncMs)} ms`)
  if (d.fdatasyncMs !== undefined) parts.push(`fdatasync ${num(d.fdatasyncMs, 2)} ms`)
  if (d.bytesPerRecord !== undefined && f.section === 'memory-usage')
    parts.push(`${num(d.bytesPerRecord)} B/record`)
  if (d.rssEndMB !== undefined && f.id === 'memusage.backlog.rss') {
    parts.push(
      `RSS ${num(d.rssMidMB ?? 0)} → ${num(d.rssEndMB)} MB (peak ${num(d.rssPeakMB ?? 0)} MB before GC)`,
    )
  }
  if (d.heapEndMB !== undefined && f.id === 'memusage.backlog.heap') {
    parts.push(`heap ${num(d.heapMidMB ?? 0)} → ${num(d.heapEndMB)} MB`)
  }
  if (d.backlogRecords !== undefined && f.id === 'memusage.backlog.backlog') {
    parts.push(
      `${num(d.backlogRecords)} records behind; produced ${num(d.producedRate ?? 0)}/s, consumed ${num(d.consumedRate ?? 0)}/s`,
    )
  }
  if (d.records !== undefined && f.section === 'reopen') parts.push(`${num(d.records)} records`)
  if (f.foreignCores > 0.2) parts.push(`other processes ${f.foreignCores.toFixed(2)} cores`)
  return parts.join(', ')
}

function spreadText(f: Figure): string {
  return f.samples.length > 1 ? `±${((f.spread * 100) / 2).toFixed(1)}%` : '1 run'
}

function rangeText(f: Figure): string {
  return f.samples.length > 1 ? `${formatValue(f.min, f.unit)} … ${formatValue(f.max, f.unit)}` : ''
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n)
}

function textTable(headers: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => pad(c, widths[i]!, rightAligned.has(i)))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

function mdTable(headers: string[], rows: string[][], rightAligned: Set<number>): string {
  const esc = (s: string): string => s.replaceAll('|', '\\|')
  return [
    `| ${headers.map(esc).join(' | ')} |`,
    `|${headers.map((_, i) => (rightAligned.has(i) ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n')
}

function figureRows(figures: readonly Figure[]): string[][] {
  return figures.map((f) => [
    f.label,
    formatValue(f.median, f.unit),
    f.unit,
    spreadText(f),
    rangeText(f),
    detailText(f),
  ])
}

const FIGURE_HEADERS = ['figure', 'median', 'unit', 'spread', 'min … max', 'detail']
const RIGHT = new Set([1, 3, 4])

function ratioRows(ratios: readonly Ratio[]): string[][] {
  return ratios.map((r) => [
    r.name,
    r.value === undefined ? 'n/a' : r.unit === '%' ? `${r.value.toFixed(1)}%` : `${r.value.toFixed(2)}×`,
  ])
}

function targetRows(targets: readonly TargetCheck[]): string[][] {
  return targets.map((t) => [
    t.name,
    t.target,
    t.measured === undefined
      ? 'n/a'
      : `${t.unit === '%' ? t.measured.toFixed(1) : t.unit === '×' ? t.measured.toFixed(2) : formatValue(t.measured, t.unit)} ${t.unit}`,
    t.pass === undefined ? '—' : t.pass ? 'met' : 'MISSED',
    t.note ?? '',
  ])
}

function sectionsOf(report: Report): { title: string; figures: Figure[] }[] {
  const order: SectionName[] = ['baselines', 'memory', 'file', 'latency', 'scaling', 'reopen', 'memory-usage']
  return order
    .map((s) => ({ title: SECTION_TITLES[s], figures: report.figures.filter((f) => f.section === s) }))
    .filter((s) => s.figures.length > 0)
}

function noiseText(report: Report): string {
  const n = report.noise
  const load = `load average ${report.machine.loadStart.map((v) => v.toFixed(2)).join(' ')} at start, ${report.machine.loadEnd
    .map((v) => v.toFixed(2))
    .join(' ')} at end`
  return n.noisy
    ? `NOISY: ${n.reasons.join('; ')} (${load}).`
    : `quiet: other processes used ${n.foreignCoresMedian.toFixed(2)} cores (median) while figures were measured (${load}).`
}

export function renderText(report: Report): string {
  const out: string[] = []
  out.push(
    `logbus benchmarks: ${report.quick ? 'quick run' : 'full run'}, ${report.reps} repetitions per figure after a warm-up`,
  )
  out.push(`command: ${report.command}`)
  out.push(`machine: ${machineLine(report.machine)}`)
  out.push(`values: 100-byte values, 16-byte string keys; MB = 10^6 bytes; spread = ±half the min…max range`)
  out.push(`noise: ${noiseText(report)}`)
  for (const s of sectionsOf(report)) {
    out.push('', `== ${s.title} ==`, textTable(FIGURE_HEADERS, figureRows(s.figures), RIGHT))
  }
  out.push(
    '',
    '== Ratios (same run) ==',
    textTable(['ratio', 'value'], ratioRows(report.ratios), new Set([1])),
  )
  out.push(
    '',
    '== Targets (2-core machine) ==',
    textTable(['target', 'goal', 'measured', 'status', 'note'], targetRows(report.targets), new Set([2])),
  )
  if (report.notes.length > 0) out.push('', '== Notes ==', ...report.notes.map((n) => `- ${n}`))
  if (report.failures.length > 0) out.push('', '== FAILURES ==', ...report.failures.map((f) => `- ${f}`))
  out.push('', `took ${report.durationSeconds.toFixed(0)} s`)
  return out.join('\n')
}

export function renderMarkdown(report: Report): string {
  const out: string[] = []
  out.push(
    `Run: ${report.quick ? 'quick' : 'full'}, ${report.reps} repetitions per figure after a warm-up; took ${report.durationSeconds.toFixed(0)} s.`,
  )
  out.push(
    '',
    `Command: \`${report.command}\``,
    '',
    `Machine: ${machineLine(report.machine)}.`,
    '',
    `Noise: ${noiseText(report)}`,
  )
  for (const s of sectionsOf(report)) {
    out.push('', `#### ${s.title}`, '', mdTable(FIGURE_HEADERS, figureRows(s.figures), RIGHT))
  }
  out.push(
    '',
    '#### Ratios (same run)',
    '',
    mdTable(['ratio', 'value'], ratioRows(report.ratios), new Set([1])),
  )
  out.push(
    '',
    '#### Targets',
    '',
    mdTable(['target', 'goal', 'measured', 'status', 'note'], targetRows(report.targets), new Set([2])),
  )
  if (report.notes.length > 0) out.push('', '#### Notes', '', ...report.notes.map((n) => `- ${n}`))
  if (report.failures.length > 0) out.push('', '#### Failures', '', ...report.failures.map((f) => `- ${f}`))
  return out.join('\n')
}

// ---------------------------------------------------------------------------------------------
// Several runs merged (`--merge a.json b.json …`): every figure's samples pooled across runs.

export function mergeFigures(reports: readonly Report[]): {
  figures: Figure[]
  perRun: Map<string, number[]>
} {
  const ids: string[] = []
  for (const r of reports) for (const f of r.figures) if (!ids.includes(f.id)) ids.push(f.id)
  const perRun = new Map<string, number[]>()
  const figures = ids.map((id) => {
    const runs = reports
      .map((r) => r.figures.find((f) => f.id === id))
      .filter((f): f is Figure => f !== undefined)
    // The latest run's wording (labels may have changed between runs).
    const first = runs.at(-1)!
    perRun.set(
      id,
      runs.map((f) => f.median),
    )
    const detail: Record<string, number> = {}
    for (const key of new Set(runs.flatMap((f) => Object.keys(f.detail)))) {
      detail[key] = median(runs.map((f) => f.detail[key]).filter((v): v is number => v !== undefined))
    }
    const merged = makeFigure(
      {
        id,
        section: first.section,
        label: first.label,
        unit: first.unit,
        better: first.better,
        size: first.size,
        note: first.note,
      },
      runs.flatMap((f) => f.samples.map((value) => ({ value, foreignCores: f.foreignCores }))),
    )
    return { ...merged, detail }
  })
  return { figures, perRun }
}

export function renderMerged(reports: readonly Report[]): string {
  const { figures, perRun } = mergeFigures(reports)
  const ratios = computeRatios(figures)
  const quick = reports.some((r) => r.quick)
  const targets = checkTargets(figures, ratios, quick)
  const out: string[] = []
  out.push(
    `${reports.length} runs merged: every figure's repetitions pooled (median, spread and min … max over all of them); "per run" lists each run's median.`,
  )
  out.push('')
  reports.forEach((r, i) => {
    out.push(
      `- run ${i + 1}: \`${r.command}\` at ${r.startedAt}, ${r.durationSeconds.toFixed(0)} s; noise: ${noiseText(r)}`,
    )
  })
  out.push('', `Machine: ${machineLine(reports[0]!.machine)}.`)
  const order: SectionName[] = ['baselines', 'memory', 'file', 'latency', 'scaling', 'reopen', 'memory-usage']
  const headers = ['figure', 'median', 'unit', 'spread', 'min … max', 'per run', 'detail (median of runs)']
  for (const section of order) {
    const rows = figures
      .filter((f) => f.section === section)
      .map((f) => [
        f.label,
        formatValue(f.median, f.unit),
        f.unit,
        spreadText(f),
        rangeText(f),
        (perRun.get(f.id) ?? []).map((v) => formatValue(v, f.unit)).join(' / '),
        detailText(f),
      ])
    if (rows.length > 0)
      out.push('', `#### ${SECTION_TITLES[section]}`, '', mdTable(headers, rows, new Set([1, 3, 4])))
  }
  out.push(
    '',
    '#### Ratios (medians of the pooled figures)',
    '',
    mdTable(['ratio', 'value'], ratioRows(ratios), new Set([1])),
  )
  out.push(
    '',
    '#### Targets',
    '',
    mdTable(['target', 'goal', 'measured', 'status', 'note'], targetRows(targets), new Set([2])),
  )
  const notes = reports.flatMap((r, i) => r.notes.map((n) => `run ${i + 1}: ${n}`))
  if (notes.length > 0) out.push('', '#### Notes', '', ...notes.map((n) => `- ${n}`))
  const failures = reports.flatMap((r, i) => r.failures.map((n) => `run ${i + 1}: ${n}`))
  if (failures.length > 0) out.push('', '#### Failures', '', ...failures.map((n) => `- ${n}`))
  return out.join('\n')
}

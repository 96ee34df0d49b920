/**
 * Turns the figures of a run into the report: tables per section, ratios against the ceilings and
 * peers measured in the same run, the targets of the issue, and a verdict on noise. Renders as text
 * (stdout), Markdown (`--markdown`, for BENCHMARKS.md) or JSON (`--json`).
 */

import { type Figure, makeFigure, median, SECTION_NAMES, type SectionName, type Skip } from './common'
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
  /** Cases whose code is not on this tree, with the reason (absent in reports from before it existed). */
  skipped?: Skip[]
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

/** `id`, `id#detailKey` (a secondary metric) or `id@max` (the largest repetition). */
function metricOf(figures: readonly Figure[], ref: string): number | undefined {
  if (ref.endsWith('@max')) {
    const f = byId(figures, ref.slice(0, -4))
    return f !== undefined && Number.isFinite(f.max) ? f.max : undefined
  }
  return metric(figures, ref)
}

/** The figure id a reference reads. */
function idOf(ref: string): string {
  return ref.split('#')[0]!.replace(/@max$/, '')
}

type RatioDef = [name: string, numerator: string, denominator: string, unit: '×' | '%']

const MEMORY_HEADLINE = 'memory.string.batch.g1'
const FILE_NEVER = 'file.never.batch.g1'
const FILE_ALWAYS_P16 = 'file.always.batch.p16'

const RATIOS: readonly RatioDef[] = [
  [
    'memory, typed string, send([100]) ÷ eventemitter3 (ceiling)',
    MEMORY_HEADLINE,
    'baseline.eventemitter3',
    '%',
  ],
  ['memory, typed string, send([100]) ÷ mqemitter', MEMORY_HEADLINE, 'baseline.mqemitter', '×'],
  ['memory, typed string, send([100]) ÷ fastq', MEMORY_HEADLINE, 'baseline.fastq', '×'],
  [
    'memory, typed string, send(1) ÷ eventemitter3 (ceiling)',
    'memory.string.single.g1',
    'baseline.eventemitter3',
    '%',
  ],
  ['memory, typed string, send(1) ÷ mqemitter', 'memory.string.single.g1', 'baseline.mqemitter', '×'],
  [
    'memory, raw Buffer keys and values, send([100]) ÷ eventemitter3',
    'memory.raw-buffer.batch.g1',
    'baseline.eventemitter3',
    '%',
  ],
  [
    'memory, raw string keys and values, send([100]) ÷ eventemitter3',
    'memory.raw-string.batch.g1',
    'baseline.eventemitter3',
    '%',
  ],
  [
    'memory, json(schema) ÷ json() (what the schema leaves)',
    'memory.json-schema.batch.g1',
    'memory.json.batch.g1',
    '×',
  ],
  ['memory, typed string ÷ raw Buffer keys and values', MEMORY_HEADLINE, 'memory.raw-buffer.batch.g1', '×'],
  [
    "file 'never', raw Buffer, send([100]): disk MB/s ÷ raw sequential write",
    `${FILE_NEVER}#diskMBps`,
    'baseline.disk.sequential',
    '%',
  ],
  [
    "file 'never', typed string, send([100]): disk MB/s ÷ raw sequential write",
    'file.never.string.batch.g1#diskMBps',
    'baseline.disk.sequential',
    '%',
  ],
  [
    "file 'never', send([100]) ÷ better-sqlite3 NORMAL, transactions of 100",
    FILE_NEVER,
    'sqlite.normal',
    '×',
  ],
  ["file 'never' ÷ memory, raw Buffer, send([100])", FILE_NEVER, 'memory.raw-buffer.batch.g1', '×'],
  [
    "file 'always', 16 producers ÷ better-sqlite3 FULL, a transaction per batch",
    FILE_ALWAYS_P16,
    'sqlite.full.p16.batch',
    '×',
  ],
  [
    "file 'always', 16 producers ÷ better-sqlite3 FULL, group commit",
    FILE_ALWAYS_P16,
    'sqlite.full.p16.group',
    '×',
  ],
  [
    "file 'always', 16 producers ÷ raw rounds of 8 fdatasyncs (the same rounds with no CPU work)",
    FILE_ALWAYS_P16,
    'baseline.disk.rounds',
    '%',
  ],
  [
    "file 'always', 16 producers: disk MB/s ÷ raw fdatasync per 64 KiB",
    `${FILE_ALWAYS_P16}#diskMBps`,
    'baseline.disk.durable',
    '%',
  ],
  [
    'the core ÷ logbus/kafkajs, same records, same process (lower is better)',
    'facade.core.raw-buffer',
    'facade.kafkajs.batch',
    '×',
  ],
  [
    'latency p50, memory, unloaded ÷ eventemitter3 via a microtask (lower is better)',
    'latency.memory.unloaded.p50',
    'latency.baseline.unloaded.p50',
    '×',
  ],
  [
    'latency p99, memory, unloaded ÷ eventemitter3 via a microtask (lower is better)',
    'latency.memory.unloaded.p99',
    'latency.baseline.unloaded.p99',
    '×',
  ],
  [
    'latency p50, memory, at 50% load ÷ eventemitter3 at that rate (lower is better)',
    'latency.memory.loaded.p50',
    'latency.baseline.loaded.p50',
    '×',
  ],
  [
    'latency p99, memory, at 50% load ÷ eventemitter3 at that rate (lower is better)',
    'latency.memory.loaded.p99',
    'latency.baseline.loaded.p99',
    '×',
  ],
  [
    'latency p99, memory, at 50% load ÷ eventemitter3 keeping every record (lower is better)',
    'latency.memory.loaded.p99',
    'latency.retaining.loaded.p99',
    '×',
  ],
]

export function computeRatios(figures: readonly Figure[]): Ratio[] {
  return RATIOS.map(([name, numerator, denominator, unit]) => {
    const a = metricOf(figures, numerator)
    const b = metricOf(figures, denominator)
    const value =
      a !== undefined && b !== undefined && b !== 0 ? (unit === '%' ? (100 * a) / b : a / b) : undefined
    return { name, numerator, denominator, value, unit }
  })
}

/** A target of issue 9: a figure (`ref`) or a ratio (`ratio`: numerator and denominator refs). */
interface TargetDef {
  name: string
  goal: string
  ref?: string
  ratio?: [string, string]
  unit: string
  op: '>=' | '<='
  value: number
  note?: (quick: boolean) => string | undefined
}

const reopenNote = (quick: boolean): string | undefined =>
  quick ? 'quick run: 128 MiB log, not 1 GiB' : undefined

const TARGETS: readonly TargetDef[] = [
  {
    name: 'memory, typed string topic, send([100]) → handler',
    goal: '≥ 5,000,000 msgs/s',
    ref: MEMORY_HEADLINE,
    unit: 'msgs/s',
    op: '>=',
    value: 5e6,
  },
  {
    name: 'the same ÷ eventemitter3 emit',
    goal: '≥ 10%',
    ratio: [MEMORY_HEADLINE, 'baseline.eventemitter3'],
    unit: '%',
    op: '>=',
    value: 10,
  },
  {
    name: 'the same ÷ mqemitter',
    goal: '≥ 2.5×',
    ratio: [MEMORY_HEADLINE, 'baseline.mqemitter'],
    unit: '×',
    op: '>=',
    value: 2.5,
  },
  {
    name: 'memory, raw topic, Buffer keys and values, send([100])',
    goal: '≥ 4,000,000 msgs/s',
    ref: 'memory.raw-buffer.batch.g1',
    unit: 'msgs/s',
    op: '>=',
    value: 4e6,
  },
  {
    name: 'memory, raw topic, string keys and values, send([100])',
    goal: '≥ 2,000,000 msgs/s',
    ref: 'memory.raw-string.batch.g1',
    unit: 'msgs/s',
    op: '>=',
    value: 2e6,
  },
  {
    name: 'memory, typed string topic, send(1) ×1000 in flight',
    goal: '≥ 2,000,000 msgs/s',
    ref: 'memory.string.single.g1',
    unit: 'msgs/s',
    op: '>=',
    value: 2e6,
  },
  {
    name: 'memory, json(schema) topic, small objects',
    goal: '≥ 1,000,000 msgs/s',
    ref: 'memory.json-schema.batch.g1',
    unit: 'msgs/s',
    op: '>=',
    value: 1e6,
  },
  {
    name: 'latency, memory, unloaded: p50',
    goal: '≤ 3 µs',
    ref: 'latency.memory.unloaded.p50',
    unit: 'µs',
    op: '<=',
    value: 3,
  },
  {
    name: 'latency, memory, unloaded: p99',
    goal: '≤ 20 µs',
    ref: 'latency.memory.unloaded.p99',
    unit: 'µs',
    op: '<=',
    value: 20,
  },
  {
    name: 'latency, memory, at 50% of the paced max: p99',
    goal: '≤ 1 ms',
    ref: 'latency.memory.loaded.p99',
    unit: 'µs',
    op: '<=',
    value: 1000,
  },
  {
    name: 'the same: longest GC pause (of all repetitions)',
    goal: '≤ 5 ms',
    ref: 'latency.memory.loaded.gcmax@max',
    unit: 'ms',
    op: '<=',
    value: 5,
  },
  {
    name: 'memory storage: retained per record beyond payload (typed string)',
    goal: '≤ 150 B',
    ref: 'memusage.retained.string',
    unit: 'B',
    op: '<=',
    value: 150,
  },
  {
    name: "file 'never': disk MB/s ÷ raw sequential write + final fsync",
    goal: '≥ 50%',
    ratio: [`${FILE_NEVER}#diskMBps`, 'baseline.disk.sequential'],
    unit: '%',
    op: '>=',
    value: 50,
  },
  {
    name: "file 'never' ÷ better-sqlite3 queue table (WAL, NORMAL, tx of 100)",
    goal: '≥ 3×',
    ratio: [FILE_NEVER, 'sqlite.normal'],
    unit: '×',
    op: '>=',
    value: 3,
  },
  {
    name: "file 'always', 16 producers, send([100])",
    goal: '≥ 1,000,000 msgs/s',
    ref: FILE_ALWAYS_P16,
    unit: 'msgs/s',
    op: '>=',
    value: 1e6,
  },
  {
    name: "file 'always', 16 producers: ack p99",
    goal: '≤ 2 ms',
    ref: `${FILE_ALWAYS_P16}#ackP99Ms`,
    unit: 'ms',
    op: '<=',
    value: 2,
  },
  {
    name: "file 'always', 16 producers ÷ better-sqlite3 FULL (a transaction per batch)",
    goal: '≥ 3×',
    ratio: [FILE_ALWAYS_P16, 'sqlite.full.p16.batch'],
    unit: '×',
    op: '>=',
    value: 3,
  },
  {
    name: 'logbus/kafkajs end to end: the core ÷ the facade',
    goal: '≤ 1.5×',
    ratio: ['facade.core.raw-buffer', 'facade.kafkajs.batch'],
    unit: '×',
    op: '<=',
    value: 1.5,
  },
  {
    name: 'reopen 1 GiB after a clean close',
    goal: '≤ 1 s',
    ref: 'reopen.clean',
    unit: 'ms',
    op: '<=',
    value: 1000,
    note: reopenNote,
  },
  {
    name: 'reopen 1 GiB after SIGKILL',
    goal: '≤ 5 s',
    ref: 'reopen.sigkill',
    unit: 'ms',
    op: '<=',
    value: 5000,
    note: reopenNote,
  },
]

export function checkTargets(
  figures: readonly Figure[],
  ratios: readonly Ratio[],
  quick: boolean,
  skipped: readonly Skip[] = [],
): TargetCheck[] {
  return TARGETS.map((t) => {
    const refs = t.ratio ?? [t.ref!]
    const measured =
      t.ratio === undefined
        ? metricOf(figures, t.ref!)
        : ratios.find((r) => r.numerator === t.ratio![0] && r.denominator === t.ratio![1])?.value
    const skip = skipped.find((k) => refs.some((ref) => idOf(ref) === k.id))
    const note = measured === undefined && skip !== undefined ? `skipped: ${skip.reason}` : t.note?.(quick)
    return {
      name: t.name,
      target: t.goal,
      measured,
      unit: t.unit,
      pass: measured === undefined ? undefined : t.op === '>=' ? measured >= t.value : measured <= t.value,
      note,
    }
  })
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
  if (d.gcPct !== undefined && d.gcTotalMs === undefined) {
    parts.push(
      `GC ${num(d.gcPct)}%${d.gcMajorPct !== undefined ? ` (mark-compact ${num(d.gcMajorPct)}%)` : ''}, max pause ${num(d.gcMaxMs ?? 0, 1)} ms`,
    )
  }
  if (d.gcTotalMs !== undefined) {
    parts.push(
      `GC ${num(d.gcCount ?? 0)} pauses, ${num(d.gcTotalMs)} ms${d.gcPct !== undefined ? ` (${num(d.gcPct, 1)}% of the run)` : ''}, max ${num(d.gcMaxMs ?? 0, 1)} ms`,
    )
  }
  if (d.fsyncMs !== undefined) parts.push(`final fsync ${num(d.fsyncMs)} ms`)
  if (d.fdatasyncMs !== undefined) parts.push(`fdatasync ${num(d.fdatasyncMs, 2)} ms`)
  if (d.bytesPerRecord !== undefined && f.section === 'memory-usage') {
    parts.push(
      `${num(d.bytesPerRecord)} B/record in all (heap ${num(d.heapPerRecord ?? 0)}, external ${num(d.externalPerRecord ?? 0)}; RSS ${num(d.rssPerRecord ?? 0)})`,
    )
  }
  if (d.payloadHeldPerRecord !== undefined) {
    parts.push(
      `the payload alone in plain arrays: ${num(d.payloadHeldPerRecord)} B/record, so ${num(d.beyondHeldPayload ?? 0)} B/record are the bus's`,
    )
  }
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

function skipRows(skipped: readonly Skip[]): string[][] {
  return skipped.map((k) => [k.label, 'skipped', '', '', '', k.reason])
}

function sectionsOf(report: Report): { title: string; rows: string[][] }[] {
  return SECTION_NAMES.map((s) => ({
    title: SECTION_TITLES[s],
    rows: [
      ...figureRows(report.figures.filter((f) => f.section === s)),
      ...skipRows((report.skipped ?? []).filter((k) => k.section === s)),
    ],
  })).filter((s) => s.rows.length > 0)
}

/** One line per reason: which cases it held back. */
function skippedLines(skipped: readonly Skip[]): string[] {
  const byReason = new Map<string, string[]>()
  for (const k of skipped) byReason.set(k.reason, [...(byReason.get(k.reason) ?? []), k.id])
  return [...byReason].map(([reason, ids]) => `- skipped: ${reason} — ${ids.join(', ')}`)
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
  out.push(`records: 100-byte values, 16-byte keys; MB = 10^6 bytes; spread = ±half the min…max range`)
  out.push(`noise: ${noiseText(report)}`)
  for (const s of sectionsOf(report)) {
    out.push('', `== ${s.title} ==`, textTable(FIGURE_HEADERS, s.rows, RIGHT))
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
  const skipped = report.skipped ?? []
  if (skipped.length > 0)
    out.push(
      '',
      '== SKIPPED: the code these cases measure failed its probe (not on this tree yet, or broken) ==',
      ...skippedLines(skipped),
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
    out.push('', `#### ${s.title}`, '', mdTable(FIGURE_HEADERS, s.rows, RIGHT))
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
  const skipped = report.skipped ?? []
  if (skipped.length > 0) out.push('', '#### Skipped', '', ...skippedLines(skipped))
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
  const targets = checkTargets(figures, ratios, quick, reports.at(-1)?.skipped)
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
  const order = SECTION_NAMES
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

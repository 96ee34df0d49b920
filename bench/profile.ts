/**
 * `npm run bench -- --profile`: runs the hot cases (memory: typed string topic batched and single,
 * raw Buffer topic, json(schema) topic; file 'never') in a child, and records a CPU profile (V8's sampling profiler, through the inspector)
 * of a steady-state window only: one bus, the consumer tailing, after a warm-up; the process start,
 * module loading and bus setup are not in it. Then it summarises where the time goes: self time per
 * function and per area (GC, Buffer work, producer, consumer, storage…).
 */

import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { fileURLToPath } from 'node:url'
import {
  type AllocationSummary,
  renderAllocations,
  startAllocationSampling,
  stopAllocationSampling,
} from './allocations'
import { type BenchOptions, gcDetail, gcMeter, removeDir } from './common'
import { type LoadSpec, openBus, produce, startConsumers } from './load'
import { loadFileStorage } from './probe'
import { toSource } from './source-map'
import { BATCH, createBenchTopic, KIND_TEXT, workload } from './workload'

function profiled(spec: Omit<LoadSpec, 'partitions' | 'groupSize' | 'producers'>): {
  label: string
  spec: LoadSpec
} {
  const storage = spec.storage === 'memory' ? 'memory' : `file, fsync '${spec.storage}'`
  const send = spec.mode === 'batch' ? 'send([100]) ×10 in flight' : 'send(1) ×1000 in flight'
  return {
    label: `${storage}, ${KIND_TEXT[spec.kind]}, ${send}, 8 partitions, group of 1`,
    spec: { ...spec, partitions: 8, groupSize: 1, producers: 1 },
  }
}

export const PROFILE_CASES: Record<string, { label: string; spec: LoadSpec }> = {
  'memory.string.batch.g1': profiled({ storage: 'memory', kind: 'string', mode: 'batch' }),
  'memory.string.single.g1': profiled({ storage: 'memory', kind: 'string', mode: 'single' }),
  'memory.raw-buffer.batch.g1': profiled({ storage: 'memory', kind: 'raw-buffer', mode: 'batch' }),
  'memory.json-schema.batch.g1': profiled({ storage: 'memory', kind: 'json-schema', mode: 'batch' }),
  'file.never.batch.g1': profiled({ storage: 'never', kind: 'raw-buffer', mode: 'batch' }),
}

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '')

/** Records per chunk: the producer sends a chunk, then waits until the consumer has seen it. */
const CHUNK = 200 * BATCH

/** What the profiled child reports besides the profile: the rate and GC pauses meanwhile. */
export interface ProfileRun {
  rate: number
  allocations?: AllocationSummary
  gcPct: number
  gcMajorPct: number
  gcMaxMs: number
  gcMajorCount: number
}

/**
 * In the profiled child: one bus, the consumer tailing; a 1 s warm-up, then `seconds` under the
 * profiler (sampling every 200 µs), with the GC pauses meanwhile. Writes the profile to `outFile`;
 * resolves with the rate and GC share meanwhile, or with the reason the case cannot run here.
 */
export async function runProfileLoad(
  caseId: string,
  seconds: number,
  _options: BenchOptions,
  outFile: string,
): Promise<ProfileRun | { skipped: string }> {
  const profiledCase = PROFILE_CASES[caseId]
  if (profiledCase === undefined) throw new Error(`no profile case ${caseId}`)
  const { spec } = profiledCase
  if (spec.storage !== 'memory') {
    const { reason } = await loadFileStorage()
    if (reason !== undefined) return { skipped: reason }
  }
  const { bus, dir } = await openBus(spec.storage)
  const session = new Session()
  try {
    const topic = await createBenchTopic(bus, spec.kind, spec.partitions)
    const group = await startConsumers(bus, topic, spec.groupSize, spec.handler)
    const producer = bus.producer()
    const work = workload(spec.kind)
    let offset = 0
    const runFor = async (ms: number): Promise<{ rate: number; records: number }> => {
      const start = performance.now()
      let records = 0
      while (performance.now() - start < ms) {
        const seen = group.expect(CHUNK)
        await produce(producer, topic, work, spec.mode, CHUNK, offset)
        await seen
        offset += CHUNK
        records += CHUNK
      }
      return { rate: records / ((performance.now() - start) / 1000), records }
    }
    await runFor(1000)
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
    await startAllocationSampling(session)
    await session.post('Profiler.start')
    const meter = gcMeter()
    const start = performance.now()
    const { rate, records } = await runFor(seconds * 1000)
    const pauses = meter.stop()
    const elapsed = performance.now() - start
    const { profile } = await session.post('Profiler.stop')
    const allocations = await stopAllocationSampling(session, records, ROOT)
    writeFileSync(outFile, JSON.stringify(profile))
    const gc = gcDetail(pauses, elapsed)
    return {
      rate,
      allocations,
      gcPct: gc.gcPct!,
      gcMajorPct: gc.gcMajorPct!,
      gcMaxMs: pauses.maxMs,
      gcMajorCount: pauses.majorCount,
    }
  } finally {
    session.disconnect()
    await bus.close()
    if (dir !== undefined) removeDir(dir)
  }
}

// ---------------------------------------------------------------------------------------------
// .cpuprofile analysis

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber?: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTime {
  fn: string
  where: string
  area: string
  ms: number
  /** Percent of the busy (non-idle) time. */
  pct: number
}

export interface ProfileSummary extends ProfileRun {
  caseId: string
  label: string
  busyMs: number
  idleMs: number
  top: SelfTime[]
  /** Total (inclusive) time of logbus functions: the function and everything it called. */
  inclusive: { fn: string; where: string; pct: number }[]
  areas: { area: string; ms: number; pct: number }[]
  file?: string
}

const BUFFER_NATIVES = new Set(['utf8Write', 'copy', 'fill', 'isAnyArrayBuffer', 'byteLengthUtf8', 'compare'])

function where(frame: CallFrame, cwd: string): string {
  let url = frame.url
  if (url === '') return '(native)'
  if (url.startsWith('file://')) url = url.slice(7)
  if (url.startsWith(cwd)) url = url.slice(cwd.length + 1)
  return frame.lineNumber > 0 ? `${url}:${frame.lineNumber + 1}` : url
}

function areaOf(frame: CallFrame): string {
  const { functionName: name, url } = frame
  if (name === '(garbage collector)') return 'GC'
  if (name === '(idle)') return 'idle'
  if (name === '(program)') return 'V8 / native (program)'
  if (url.includes('/src/producer/')) return 'src/producer'
  if (url.includes('/src/consumer/')) return 'src/consumer'
  if (url.includes('/src/storage/file/')) return 'src/storage/file'
  if (url.includes('/src/storage/')) return 'src/storage'
  if (url.includes('/src/bus/')) return 'src/bus'
  if (url.includes('/src/topic/')) return 'src/topic'
  if (url.includes('/src/group/')) return 'src/group'
  if (url.includes('/src/record/')) return 'src/record'
  if (url.includes('/src/util/') || url.includes('/src/events/')) return 'src/util, src/events'
  if (url.includes('/src/')) return 'src (other)'
  if (url.includes('/bench/')) return 'bench driver'
  if (url.includes('node_modules/zod')) return 'zod (schema validation)'
  if (url.includes('node_modules')) return 'node_modules'
  if (url.startsWith('node:buffer') || url.startsWith('node:internal/buffer'))
    return 'Node Buffer (alloc, copy)'
  if (url === '' && BUFFER_NATIVES.has(name)) return 'Node Buffer (alloc, copy)'
  if (url.startsWith('node:internal/fs') || url.startsWith('node:fs') || name === 'writeSync')
    return 'Node fs (syscalls)'
  if (url.startsWith('node:internal/process/task_queues') || name === 'runMicrotasks')
    return 'microtask queue'
  if (url.startsWith('node:')) return 'Node core (other)'
  return 'native (other)'
}

/** Samples taken inside the inspector's own calls (stopping the profiler) are not the workload's. */
function insideInspector(id: number, parent: Map<number, number>, byId: Map<number, ProfileNode>): boolean {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    if (byId.get(at)?.callFrame.url.startsWith('node:inspector')) return true
  }
  return false
}

export function summarise(
  raw: CpuProfile,
  cwd: string,
  topN = 20,
): Omit<ProfileSummary, 'caseId' | 'label' | keyof ProfileRun> {
  const profile = { ...raw, nodes: raw.nodes.map((n) => ({ ...n, callFrame: toSource(n.callFrame) })) }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<string, { frame: CallFrame; us: number }>()
  const inclusive = new Map<string, { frame: CallFrame; us: number }>()
  let idle = 0
  let busy = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)
    if (node === undefined) continue
    const dt = profile.timeDeltas[i] ?? 0
    const frame = node.callFrame
    if (insideInspector(node.id, parent, byId)) continue
    if (frame.functionName === '(idle)') {
      idle += dt
      continue
    }
    busy += dt
    // Inclusive: every distinct logbus function on the sample's stack.
    const onStack = new Set<string>()
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)?.callFrame
      if (f === undefined || !f.url.includes('/src/')) continue
      const k = `${f.functionName}|${f.url}`
      if (onStack.has(k)) continue
      onStack.add(k)
      const entry = inclusive.get(k)
      if (entry === undefined) inclusive.set(k, { frame: f, us: dt })
      else entry.us += dt
    }
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}`
    const entry = self.get(key)
    if (entry === undefined) self.set(key, { frame, us: dt })
    else entry.us += dt
  }
  const areas = new Map<string, number>()
  const rows: SelfTime[] = []
  for (const { frame, us } of self.values()) {
    const area = areaOf(frame)
    areas.set(area, (areas.get(area) ?? 0) + us)
    rows.push({
      fn: frame.functionName || '(anonymous)',
      where: where(frame, cwd),
      area,
      ms: us / 1000,
      pct: busy > 0 ? (100 * us) / busy : 0,
    })
  }
  rows.sort((a, b) => b.ms - a.ms)
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    top: rows.slice(0, topN),
    inclusive: [...inclusive.values()]
      .map(({ frame, us }) => ({
        fn: frame.functionName || '(anonymous)',
        where: where(frame, cwd),
        pct: busy > 0 ? (100 * us) / busy : 0,
      }))
      .sort((a, b) => b.pct - a.pct)
      .slice(0, 15),
    areas: [...areas]
      .map(([area, us]) => ({ area, ms: us / 1000, pct: busy > 0 ? (100 * us) / busy : 0 }))
      .sort((a, b) => b.ms - a.ms),
  }
}

export function renderProfile(s: ProfileSummary): string {
  const lines: string[] = []
  lines.push(`## ${s.caseId}: ${s.label}`)
  lines.push(
    `   ${Math.round(s.rate).toLocaleString('en-US')} msgs/s under the profiler; busy ${(
      s.busyMs / 1000
    ).toFixed(
      2,
    )} s, idle ${(s.idleMs / 1000).toFixed(2)} s${s.file !== undefined ? `; profile: ${s.file}` : ''}`,
    `   GC pauses (PerformanceObserver): ${s.gcPct.toFixed(1)}% of wall time, of which mark-compact ${s.gcMajorPct.toFixed(1)}% (${s.gcMajorCount} of them); longest pause ${s.gcMaxMs.toFixed(1)} ms`,
  )
  if (s.allocations !== undefined) lines.push(...renderAllocations(s.allocations))
  lines.push('   by area (self time, % of busy):')
  for (const a of s.areas.slice(0, 12)) lines.push(`     ${a.pct.toFixed(1).padStart(5)}%  ${a.area}`)
  lines.push('   top functions (self time, % of busy):')
  for (const r of s.top) lines.push(`     ${r.pct.toFixed(1).padStart(5)}%  ${r.fn.padEnd(28)} ${r.where}`)
  lines.push('   logbus functions, inclusive (the function and all it calls, % of busy):')
  for (const r of s.inclusive)
    lines.push(`     ${r.pct.toFixed(1).padStart(5)}%  ${r.fn.padEnd(28)} ${r.where}`)
  return lines.join('\n')
}

export type { CpuProfile }

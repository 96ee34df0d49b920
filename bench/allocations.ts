/**
 * Where the garbage comes from: V8's sampling heap profiler over the profiled window, counting every
 * sampled allocation (also those that young- and old-generation GCs collected since), summed per
 * function and divided by the records delivered meanwhile. Bytes allocated per record do not depend on
 * how busy the machine is, unlike GC pause times; they are what young-generation GC work scales with.
 */

import type { Session } from 'node:inspector/promises'
import { toSource } from './source-map'

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: HeapNode[]
}

export interface AllocationSite {
  fn: string
  where: string
  bytesPerRecord: number
}

export interface AllocationSummary {
  bytesPerRecord: number
  top: AllocationSite[]
}

/** Bytes between samples: small enough for a few thousand samples per second at these rates. */
const SAMPLING_BYTES = 8192

export async function startAllocationSampling(session: Session): Promise<void> {
  await session.post('HeapProfiler.enable')
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: SAMPLING_BYTES,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  })
}

export async function stopAllocationSampling(
  session: Session,
  records: number,
  cwd: string,
  topN = 12,
): Promise<AllocationSummary> {
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: HeapNode } }
  await session.post('HeapProfiler.disable')
  const bySite = new Map<string, { fn: string; where: string; bytes: number }>()
  let total = 0
  const visit = (node: HeapNode): void => {
    if (node.selfSize > 0) {
      const { functionName, url, lineNumber } = toSource(node.callFrame)
      let file = url.startsWith('file://') ? url.slice(7) : url
      if (file.startsWith(cwd)) file = file.slice(cwd.length + 1)
      const where = file === '' ? '(native)' : lineNumber > 0 ? `${file}:${lineNumber + 1}` : file
      const key = `${functionName}|${where}`
      const site = bySite.get(key)
      if (site === undefined)
        bySite.set(key, { fn: functionName || '(anonymous)', where, bytes: node.selfSize })
      else site.bytes += node.selfSize
      total += node.selfSize
    }
    for (const child of node.children) visit(child)
  }
  visit(profile.head)
  const perRecord = (bytes: number): number => (records > 0 ? bytes / records : Number.NaN)
  return {
    bytesPerRecord: perRecord(total),
    top: [...bySite.values()]
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, topN)
      .map((s) => ({ fn: s.fn, where: s.where, bytesPerRecord: perRecord(s.bytes) })),
  }
}

export function renderAllocations(summary: AllocationSummary): string[] {
  const lines = [
    `   allocated: ${summary.bytesPerRecord.toFixed(0)} B per record (sampling heap profiler, collected objects included); by function:`,
  ]
  for (const s of summary.top) {
    lines.push(`     ${s.bytesPerRecord.toFixed(1).padStart(7)} B  ${s.fn.padEnd(28)} ${s.where}`)
  }
  return lines
}

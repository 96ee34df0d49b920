/** What the machine is, for the report: CPU model, cores, RAM, Node, kernel, load, temp disk. */

import { execFileSync } from 'node:child_process'
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os'
import { cores, freeBytes } from './common'

export interface Machine {
  cpuModel: string
  cores: number
  hypervisor: string | undefined
  ramGiB: number
  node: string
  kernel: string
  platform: string
  tmpdir: string
  tmpFreeGiB: number
  /** 1, 5 and 15 minute load averages when the run started and when it ended. */
  loadStart: number[]
  loadEnd: number[]
}

function lscpu(): Record<string, string> {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    const fields: Record<string, string> = {}
    for (const line of out.split('\n')) {
      const i = line.indexOf(':')
      if (i > 0) fields[line.slice(0, i).trim()] = line.slice(i + 1).trim()
    }
    return fields
  } catch {
    return {}
  }
}

export function describeMachine(): Machine {
  const l = lscpu()
  return {
    cpuModel: l['Model name'] ?? cpus()[0]?.model ?? 'unknown',
    cores: cores(),
    hypervisor: l['Hypervisor vendor'],
    ramGiB: totalmem() / 1024 ** 3,
    node: process.version,
    kernel: release(),
    platform: platform(),
    tmpdir: tmpdir(),
    tmpFreeGiB: freeBytes() / 1024 ** 3,
    loadStart: loadavg(),
    loadEnd: [],
  }
}

export function machineLine(m: Machine): string {
  return [
    `${m.cpuModel}${m.hypervisor !== undefined ? ` (${m.hypervisor} guest)` : ''}`,
    `${m.cores} cores`,
    `${m.ramGiB.toFixed(0)} GiB RAM`,
    `Node ${m.node}`,
    `${m.platform} ${m.kernel}`,
    `temp dir ${m.tmpdir} (${m.tmpFreeGiB.toFixed(0)} GiB free)`,
  ].join(', ')
}

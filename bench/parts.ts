/**
 * The registry of what `npm run bench` runs: every section is one or more parts, and every part runs
 * in its own child process (a fresh heap and fresh JIT state, so one figure's garbage or inline caches
 * do not leak into the next section).
 */

import { runBaselines } from './baselines'
import type { BenchOptions, Figure, SectionName } from './common'
import { runFile } from './file'
import { runLatency } from './latency'
import { runMemory } from './memory'
import { runBacklog, runRetained } from './memory-usage'
import { runReopen } from './reopen'
import { runScaling } from './scaling'

export interface PartDef {
  section: SectionName
  part: string
  run(options: BenchOptions, notes: string[], failures: string[]): Promise<Figure[]>
}

export const PARTS: readonly PartDef[] = [
  { section: 'baselines', part: 'main', run: (o) => runBaselines(o) },
  { section: 'memory', part: 'main', run: (o, _n, f) => runMemory(o, f) },
  { section: 'file', part: 'main', run: (o, _n, f) => runFile(o, f) },
  { section: 'latency', part: 'main', run: (o, _n, f) => runLatency(o, f) },
  { section: 'scaling', part: 'main', run: (o, _n, f) => runScaling(o, f) },
  { section: 'reopen', part: 'main', run: (o, n) => runReopen(o, n) },
  { section: 'memory-usage', part: 'retained', run: (o) => runRetained(o) },
  { section: 'memory-usage', part: 'backlog', run: (o, n) => runBacklog(o, n) },
]

/** Sections a plain `npm run bench` runs: the peers and ceilings run inside 'memory' and 'file'. */
export const DEFAULT_SECTIONS: readonly SectionName[] = [
  'memory',
  'file',
  'latency',
  'scaling',
  'reopen',
  'memory-usage',
]

export const SECTION_TITLES: Record<SectionName, string> = {
  baselines: 'Ceilings and peers',
  memory: '1. In-memory throughput (8 partitions, end to end: producer → consumer handler)',
  file: '2. File-log throughput (8 partitions, end to end, close and its final fsync counted)',
  latency: '3. End-to-end latency (send → handler)',
  scaling: '4. Scaling and rebalance',
  reopen: '4b. Reopen of a 1 GiB log (fresh process)',
  'memory-usage': '5. Memory',
}

/**
 * The registry of what `npm run bench` runs: every section is one or more parts, and every part runs
 * in its own child process (a fresh heap and fresh JIT state, so one figure's garbage or inline caches
 * do not leak into the next section).
 */

import { runBaselines } from './baselines'
import type { Figure, PartContext, SectionName } from './common'
import { runFacade } from './facade'
import { runFile } from './file'
import { runLatency } from './latency'
import { runMemory } from './memory'
import { runBacklog, runRetained } from './memory-usage'
import { runReopen } from './reopen'
import { runScaling } from './scaling'

export interface PartDef {
  section: SectionName
  part: string
  run(context: PartContext): Promise<Figure[]>
}

export const PARTS: readonly PartDef[] = [
  { section: 'baselines', part: 'main', run: runBaselines },
  { section: 'memory', part: 'main', run: runMemory },
  { section: 'file', part: 'main', run: runFile },
  { section: 'latency', part: 'main', run: runLatency },
  { section: 'facade', part: 'main', run: runFacade },
  { section: 'scaling', part: 'main', run: runScaling },
  { section: 'reopen', part: 'main', run: runReopen },
  { section: 'memory-usage', part: 'retained', run: runRetained },
  { section: 'memory-usage', part: 'backlog', run: runBacklog },
]

/** Sections a plain `npm run bench` runs: the peers and ceilings run inside 'memory' and 'file'. */
export const DEFAULT_SECTIONS: readonly SectionName[] = [
  'memory',
  'file',
  'latency',
  'facade',
  'scaling',
  'reopen',
  'memory-usage',
]

export const SECTION_TITLES: Record<SectionName, string> = {
  baselines: 'Ceilings and peers',
  memory: '1. In-memory throughput (8 partitions, end to end: producer → consumer handler)',
  file: '2. File-log throughput (8 partitions, end to end, close and its final fsync counted) and its peers',
  latency: '3. End-to-end latency (send → handler)',
  facade: '4. The KafkaJS facade (logbus/kafkajs) end to end, beside the core',
  scaling: '5. Scaling and rebalance',
  reopen: '5b. Reopen of a 1 GiB log (fresh process)',
  'memory-usage': '6. Memory',
}

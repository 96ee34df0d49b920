/**
 * 1. In-memory throughput: 1 producer → topic of 8 partitions → a group of 1 and of 4 members, with
 * `send` of arrays of 100 and of single messages; msgs/s and MB/s end to end (counted in the handler).
 * The in-process peers (eventemitter3, mqemitter, fastq) run in the same process first.
 */

import { inProcessBaselines } from './baselines'
import type { BenchOptions, Figure } from './common'
import { attempt, type CaseSpec, measure, type Sizing } from './harness'
import { type HandlerKind, runLoad, type SendMode } from './load'

export function loadSizing(options: BenchOptions): Sizing {
  return { initial: options.quick ? 20_000 : 50_000, min: 20_000, max: 20_000_000, multiple: 1000 }
}

function memoryCase(
  options: BenchOptions,
  mode: SendMode,
  groupSize: number,
  handler: HandlerKind = 'sync',
): CaseSpec {
  const suffix = handler === 'sync' ? '' : `.${handler}`
  const handlerText = handler === 'sync' ? '' : handler === 'async' ? ', async eachMessage' : ', eachBatch'
  return {
    id: `memory.${mode}.g${groupSize}${suffix}`,
    section: 'memory',
    label: `${mode === 'batch' ? 'send([100])' : 'send(1) ×1000 in flight'}, group of ${groupSize}${handlerText}`,
    unit: 'msgs/s',
    better: 'higher',
    sizing: loadSizing(options),
    run: (n) => runLoad({ storage: 'memory', partitions: 8, groupSize, producers: 1, mode, handler }, n),
  }
}

export async function runMemory(options: BenchOptions, failures: string[]): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const spec of inProcessBaselines())
    await attempt(failures, spec.id, () => measure(spec, options), figures)
  const cases: CaseSpec[] = [
    memoryCase(options, 'batch', 1),
    memoryCase(options, 'single', 1),
    memoryCase(options, 'batch', 4),
    memoryCase(options, 'single', 4),
    memoryCase(options, 'batch', 1, 'async'),
    memoryCase(options, 'batch', 1, 'eachBatch'),
  ]
  for (const spec of cases) await attempt(failures, spec.id, () => measure(spec, options), figures)
  return figures
}

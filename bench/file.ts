/**
 * 2. File-log throughput: the in-memory workload over `FileStorage`, with fsync 'never' (the final
 * fsync at close counted), 'interval' (every 100 ms) and 'always' with 1 and with 16 concurrent
 * producers (group commit, with the ack latency of every send). The disk ceilings run in the same
 * process, on the same number of bytes as the 'never' run wrote.
 */

import { diskBaselines } from './baselines'
import type { BenchOptions, Figure } from './common'
import { attempt, type CaseSpec, measure } from './harness'
import { INTERVAL_MS, runLoad, type SendMode } from './load'
import { loadSizing } from './memory'

type Policy = 'never' | 'interval' | 'always'

function fileCase(
  options: BenchOptions,
  fsync: Policy,
  mode: SendMode,
  groupSize: number,
  producers: number,
): CaseSpec {
  const who = fsync === 'always' ? `p${producers}` : `g${groupSize}`
  const sendText = mode === 'batch' ? 'send([100])' : 'send(1) ×1000 in flight'
  const policyText = fsync === 'interval' ? `interval ${INTERVAL_MS} ms` : fsync
  return {
    id: `file.${fsync}.${mode}.${who}`,
    section: 'file',
    label: `fsync ${policyText}, ${producers} producer${producers > 1 ? 's' : ''}, ${sendText}, group of ${groupSize}`,
    unit: 'msgs/s',
    better: 'higher',
    sizing: loadSizing(options),
    run: (n) =>
      runLoad(
        { storage: fsync, partitions: 8, groupSize, producers, mode, ackLatency: fsync === 'always' },
        n,
      ),
  }
}

export async function runFile(options: BenchOptions, failures: string[]): Promise<Figure[]> {
  const figures: Figure[] = []
  const first = fileCase(options, 'never', 'batch', 1, 1)
  await attempt(failures, first.id, () => measure(first, options), figures)
  const never = figures.find((f) => f.id === first.id)
  const bytesPerRecord = never?.detail.bytesPerRecord ?? 132
  // The disk ceiling writes as many bytes as logbus wrote in one repetition of the 'never' case.
  const sameBytes = Math.max(16e6, Math.round((never?.size ?? 1e6) * bytesPerRecord))
  const durableBytes = Math.min(sameBytes, options.quick ? 8e6 : 32e6)
  const [sequential, durable] = diskBaselines(sameBytes, durableBytes)
  await attempt(failures, sequential!.id, () => measure(sequential!, options), figures)

  const cases: CaseSpec[] = [
    fileCase(options, 'never', 'single', 1, 1),
    fileCase(options, 'never', 'batch', 4, 1),
    fileCase(options, 'never', 'single', 4, 1),
    fileCase(options, 'interval', 'batch', 1, 1),
    fileCase(options, 'interval', 'single', 1, 1),
    fileCase(options, 'always', 'batch', 1, 1),
    fileCase(options, 'always', 'single', 1, 1),
    fileCase(options, 'always', 'batch', 1, 16),
    fileCase(options, 'always', 'single', 1, 16),
  ]
  for (const spec of cases) await attempt(failures, spec.id, () => measure(spec, options), figures)
  await attempt(failures, durable!.id, () => measure(durable!, options), figures)
  return figures
}

/**
 * 2. File-log throughput: the in-memory workload over `FileStorage`, with fsync 'never' (the final
 * fsync at close counted), 'interval' (every 100 ms) and 'always' with 1 and with 16 concurrent
 * producers, each awaiting its sends one by one (group commit, with the ack latency of every send). The disk ceilings run in the same
 * process, on the same number of bytes as the 'never' run wrote.
 */

import { diskBaselines } from './baselines'
import type { BenchOptions, Figure } from './common'
import { attempt, type CaseSpec, measure } from './harness'
import { defaultWindow, INTERVAL_MS, runLoad, type SendMode } from './load'
import { loadSizing } from './memory'

type Policy = 'never' | 'interval' | 'always'

/**
 * A file case. With 'never' and 'interval', a producer keeps 1,000 records in flight, as in memory.
 * With 'always', each producer is a closed loop (it awaits every send before the next, `window` 1)
 * unless `window` says otherwise: concurrency then comes from the number of producers, and what their
 * appends share is the fsync (group commit).
 */
function fileCase(
  options: BenchOptions,
  fsync: Policy,
  mode: SendMode,
  groupSize: number,
  producers: number,
  window?: number,
): CaseSpec {
  const closedLoop = fsync === 'always' && window === undefined
  const sends = window ?? (closedLoop ? 1 : defaultWindow(mode))
  const who = fsync === 'always' ? `p${producers}${closedLoop ? '' : `.w${sends}`}` : `g${groupSize}`
  const what = mode === 'batch' ? 'send([100])' : 'send(1)'
  const inFlight = closedLoop ? ', awaited one by one' : ` ×${sends} in flight`
  const policyText = fsync === 'interval' ? `interval ${INTERVAL_MS} ms` : fsync
  const sizing = loadSizing(options)
  return {
    id: `file.${fsync}.${mode}.${who}`,
    section: 'file',
    label: `fsync ${policyText}, ${producers} producer${producers > 1 ? 's' : ''}, ${what}${inFlight}, group of ${groupSize}`,
    unit: 'msgs/s',
    better: 'higher',
    sizing:
      fsync === 'always'
        ? { ...sizing, initial: 2000, min: options.quick ? 400 : 1000, multiple: 100 }
        : sizing,
    run: (n) =>
      runLoad(
        {
          storage: fsync,
          partitions: 8,
          groupSize,
          producers,
          mode,
          ackLatency: fsync === 'always',
          window: sends,
        },
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
    fileCase(options, 'always', 'batch', 1, 1, 10),
  ]
  for (const spec of cases) await attempt(failures, spec.id, () => measure(spec, options), figures)
  await attempt(failures, durable!.id, () => measure(durable!, options), figures)
  return figures
}

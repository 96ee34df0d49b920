/**
 * 2. File-log throughput: the in-memory workload over `FileStorage` (`logbus/file`), on a raw topic
 * with Buffer keys and values (a typed string topic once, for comparison), 8 partitions, end to end. fsync
 * 'never' (the final fsync at close counted), 'interval' (every 100 ms), and 'always' with 1 and with
 * 16 concurrent producers, each awaiting its sends one by one (group commit; the ack latency of every
 * send recorded).
 *
 * Ceilings and peers in the same process: raw sequential writes of as many bytes as the 'never' run
 * wrote, plus a final fsync; raw fdatasync per 64 KiB; and a better-sqlite3 queue table with
 * synchronous NORMAL and FULL (sqlite.ts). The peers and ceilings run even when the file log fails its
 * probe (then every logbus case is listed as skipped, with the reason).
 */

import { diskBaselines } from './baselines'
import type { Figure, PartContext } from './common'
import { attempt, type CaseSpec, measure } from './harness'
import { defaultWindow, INTERVAL_MS, runLoad, type SendMode } from './load'
import { loadSizing } from './memory'
import { loadFileStorage, skipAll } from './probe'
import { sqliteCases } from './sqlite'
import { KIND_TEXT, type ValueKind } from './workload'

type Policy = 'never' | 'interval' | 'always'

/**
 * A file case. With 'never' and 'interval', a producer keeps 1,000 records in flight, as in memory.
 * With 'always', each producer is a closed loop (it awaits every send before the next, `window` 1)
 * unless `window` says otherwise: concurrency then comes from the number of producers, and what their
 * appends share is the fsync (group commit).
 */
function fileCase(
  quick: boolean,
  fsync: Policy,
  mode: SendMode,
  producers: number,
  options: { window?: number; kind?: ValueKind } = {},
): CaseSpec {
  const kind = options.kind ?? 'raw-buffer'
  const closedLoop = fsync === 'always' && options.window === undefined
  const sends = options.window ?? (closedLoop ? 1 : defaultWindow(mode))
  const who = fsync === 'always' ? `p${producers}${closedLoop ? '' : `.w${sends}`}` : 'g1'
  const what = mode === 'batch' ? 'send([100])' : 'send(1)'
  const inFlight = closedLoop ? ', awaited one by one' : ` ×${sends} in flight`
  const policyText = fsync === 'interval' ? `interval ${INTERVAL_MS} ms` : fsync
  const sizing = loadSizing(quick)
  return {
    id: `file.${fsync}.${kind === 'raw-buffer' ? '' : `${kind}.`}${mode}.${who}`,
    section: 'file',
    label: `fsync ${policyText}, ${KIND_TEXT[kind]}, ${producers} producer${producers > 1 ? 's' : ''}, ${what}${inFlight}, group of 1`,
    unit: 'msgs/s',
    better: 'higher',
    sizing: fsync === 'always' ? durableSizing(quick) : sizing,
    run: (n) =>
      runLoad(
        {
          storage: fsync,
          kind,
          partitions: 8,
          groupSize: 1,
          producers,
          mode,
          ackLatency: fsync === 'always',
          window: sends,
        },
        n,
      ),
  }
}

function durableSizing(quick: boolean) {
  return { ...loadSizing(quick), initial: 2000, min: quick ? 400 : 1000, multiple: 100 }
}

/** Bytes a raw write writes when the 'never' case did not run: about what its median run would. */
const FALLBACK_BYTES = 64e6

export async function runFile(context: PartContext): Promise<Figure[]> {
  const { options, failures } = context
  const quick = options.quick
  const figures: Figure[] = []
  const { reason } = await loadFileStorage()
  const run = async (spec: CaseSpec): Promise<void> => {
    if (reason !== undefined) skipAll(context, 'file', reason, [spec])
    else await attempt(failures, spec.id, () => measure(spec, options), figures)
  }
  const never = fileCase(quick, 'never', 'batch', 1)
  await run(never)
  const measured = figures.find((f) => f.id === never.id)
  // The disk ceiling writes as many bytes as logbus wrote in one repetition of the 'never' case.
  const sameBytes =
    measured?.size !== undefined && measured.detail.bytesPerRecord !== undefined
      ? Math.max(16e6, Math.round(measured.size * measured.detail.bytesPerRecord))
      : FALLBACK_BYTES
  const [sequential, durable, rounds] = diskBaselines(sameBytes, Math.min(sameBytes, quick ? 8e6 : 32e6))
  await attempt(failures, sequential!.id, () => measure(sequential!, options), figures)
  const sqlite = sqliteCases(loadSizing(quick), durableSizing(quick))
  await attempt(failures, sqlite.normal.id, () => measure(sqlite.normal, options), figures)

  for (const spec of [
    fileCase(quick, 'never', 'single', 1),
    fileCase(quick, 'never', 'batch', 1, { kind: 'string' }),
    fileCase(quick, 'interval', 'batch', 1),
    fileCase(quick, 'always', 'batch', 1),
    fileCase(quick, 'always', 'batch', 16),
    fileCase(quick, 'always', 'single', 16),
    fileCase(quick, 'always', 'batch', 1, { window: 10 }),
  ])
    await run(spec)
  for (const spec of sqlite.full) await attempt(failures, spec.id, () => measure(spec, options), figures)
  await attempt(failures, durable!.id, () => measure(durable!, options), figures)
  await attempt(failures, rounds!.id, () => measure(rounds!, options), figures)
  return figures
}

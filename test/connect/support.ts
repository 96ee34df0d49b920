import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { type ConnectEvents, ConnectWorker, type ConnectWorkerOptions } from '../../src/connect'
import type { Bus, TopicDeclarations } from '../../src/index'
import { waitUntil } from '../support/bus'

/** A directory removed when the test finishes. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'logbus-connect-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A worker closed when the test finishes (before its bus: registered after the bus's cleanup runs first). */
export async function openWorker<D extends TopicDeclarations>(
  bus: Bus<D>,
  options: ConnectWorkerOptions = {},
): Promise<Watched> {
  const worker = await ConnectWorker.open(bus, { logger: () => undefined, ...options })
  onTestFinished(() => worker.close())
  return watch(worker)
}

/** A worker and what it reported: totals per connector, errors, task states. */
export interface Watched {
  worker: ConnectWorker
  totals: Map<string, number>
  errors: ConnectEvents['recordError'][]
  states: ConnectEvents['taskState'][]
  /** Waits until a connector's tasks together handled at least `count` records. */
  until(connector: string, count: number, timeoutMs?: number): Promise<void>
}

export function watch(worker: ConnectWorker): Watched {
  const perTask = new Map<string, number>()
  const totals = new Map<string, number>()
  const errors: ConnectEvents['recordError'][] = []
  const states: ConnectEvents['taskState'][] = []
  worker.on('records', ({ connector, task, total }) => {
    perTask.set(`${connector}/${task}`, total)
    let sum = 0
    for (const [key, n] of perTask) if (key.startsWith(`${connector}/`)) sum += n
    totals.set(connector, sum)
  })
  worker.on('recordError', (e) => errors.push(e))
  worker.on('taskState', (e) => states.push(e))
  return {
    worker,
    totals,
    errors,
    states,
    until: (connector, count, timeoutMs = 10_000) =>
      waitUntil(() => (totals.get(connector) ?? 0) >= count, {
        timeoutMs,
        message: `${count} records through ${connector}`,
      }),
  }
}

/** Every record value of a raw topic's partitions, as text, in partition then offset order. */
export async function topicLines(bus: Bus, topic: string): Promise<string[]> {
  const out: string[] = []
  for (const partition of bus.topic(topic).partitions) {
    let offset = partition.logStartOffset
    while (offset < partition.logEndOffset) {
      const records = await partition.read(offset)
      for (const r of records) out.push(r.value?.toString('utf8') ?? 'null')
      offset = records.at(-1)!.offset + 1
    }
  }
  return out
}

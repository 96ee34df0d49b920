/**
 * The child process of the reopen benchmark (bench/reopen.ts). Each run is a fresh process, as a
 * restart is. Modes:
 *
 * - `write <dir> <bytes>`: builds a log of `bytes` in one partition (fsync 'never'), then SIGKILLs itself;
 * - `open-kill <dir>`: times `Bus.open` (recovery after the last SIGKILL), appends one batch
 *   (acknowledged, fsync 'always'), then SIGKILLs itself, so the next open must recover again;
 * - `open-close <dir>`: times `Bus.open`, then closes cleanly (the clean-shutdown marker is written).
 *
 * The result is one stdout line: `@@result {json}`, written synchronously before any kill.
 */

import { statSync, writeSync } from 'node:fs'
import { Bus, type Message } from 'logbus'
import { FileStorage } from 'logbus/file'
import { workload } from './workload'

/** The raw-topic workload, typed as what a send by name to a raw topic takes. */
function rawWorkload(): { batch(b: number): readonly Message[] } {
  const work = workload('raw-buffer')
  return { batch: (b) => work.batch(b) as readonly Message[] }
}

const REOPEN_TOPIC = 'reopen'
/** The largest segment size a topic accepts: the whole benchmark log stays in one (active) segment. */
const REOPEN_SEGMENT_BYTES = 0x7fffffff

interface ReopenResult {
  mode: string
  openMs?: number
  records?: number
  bytes?: number
  writeSeconds?: number
}

function report(result: ReopenResult): void {
  writeSync(1, `@@result ${JSON.stringify(result)}\n`)
}

function die(): never {
  process.kill(process.pid, 'SIGKILL')
  throw new Error('still alive after SIGKILL')
}

async function write(dir: string, bytes: number): Promise<void> {
  const bus = await Bus.open({ storage: new FileStorage({ dir, fsync: 'never' }) })
  await bus.createTopic(REOPEN_TOPIC, { partitions: 1, segmentBytes: REOPEN_SEGMENT_BYTES })
  const producer = bus.producer()
  const work = rawWorkload()
  const segment = `${dir}/${REOPEN_TOPIC}-0/${'0'.repeat(20)}.log`
  const start = performance.now()
  let b = 0
  let size = 0
  const pending: Promise<unknown>[] = []
  while (size < bytes) {
    pending.length = 0
    // 100 sends of 100 per round (~1.3 MB), then a look at the file size.
    for (let w = 0; w < 100; w++) pending.push(producer.send(REOPEN_TOPIC, work.batch(b++)))
    await Promise.all(pending)
    size = statSync(segment).size
  }
  const records = bus.topic(REOPEN_TOPIC).partition(0).logEndOffset
  report({ mode: 'write', records, bytes: size, writeSeconds: (performance.now() - start) / 1000 })
  die()
}

async function open(dir: string, then: 'kill' | 'close'): Promise<void> {
  const start = performance.now()
  const bus = await Bus.open({ storage: new FileStorage({ dir }) })
  const openMs = performance.now() - start
  const partition = bus.topic(REOPEN_TOPIC).partition(0)
  report({ mode: `open-${then}`, openMs, records: partition.logEndOffset - partition.logStartOffset })
  const work = rawWorkload()
  if (then === 'close') {
    await bus.close()
    return
  }
  await bus.producer().send(REOPEN_TOPIC, work.batch(0))
  die()
}

const [mode, dir, bytes] = process.argv.slice(2)
if (dir === undefined) throw new Error('usage: reopen-child.ts write|open-kill|open-close <dir> [bytes]')
if (mode === 'write') await write(dir, Number(bytes))
else if (mode === 'open-kill') await open(dir, 'kill')
else if (mode === 'open-close') await open(dir, 'close')
else throw new Error(`unknown mode ${String(mode)}`)

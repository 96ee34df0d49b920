/**
 * A durable local queue that survives a restart: a "desktop app" enqueues jobs into a file log, is
 * shut down with jobs still pending, and on the next start a worker group resumes exactly after the
 * last job it committed. Run it with `npx tsx examples/durable-queue.ts` (it uses a temp directory).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Bus, json } from 'logbus'
import { z } from 'zod'

const Job = z.object({ photo: z.number(), size: z.enum(['small', 'large']) })
const dir = mkdtempSync(join(tmpdir(), 'logbus-durable-'))
/** Codecs are not stored on disk: every run declares the topic's types again. */
const topics = { jobs: { partitions: 2, value: json(Job) } }

async function firstRun(): Promise<void> {
  const bus = await Bus.open({ dir, fsync: 'always', topics }) // every acknowledged job is on disk
  const producer = bus.producer()
  for (let i = 1; i <= 10; i++)
    await producer.send('jobs', { key: `job-${i}`, value: { photo: i, size: 'small' } })
  console.log('run 1: enqueued 10 jobs')

  let done = 0
  let stop: () => void = () => {}
  const fourDone = new Promise<void>((resolve) => {
    stop = resolve
  })
  const worker = bus.consumer({ groupId: 'workers', topics: ['jobs'], fromBeginning: true })
  await worker.run({
    eachMessage: async (record) => {
      done++
      console.log(`run 1: ${record.key} done`)
      if (done === 4) {
        worker.pause([{ topic: 'jobs' }]) // the user quits the app: nothing more is taken
        stop()
      }
    },
  })
  await fourDone
  await worker.close() // commits what was processed
  console.log('run 1: app closes with jobs pending')
  await bus.close()
}

async function secondRun(): Promise<void> {
  const bus = await Bus.open({ dir, topics })
  const lag = await bus.group('workers').lag()
  console.log(
    `run 2: reopened ${bus.listTopics().join()}; pending jobs: ${lag.reduce((n, p) => n + p.lag, 0)}`,
  )
  const pending = lag.reduce((n, p) => n + p.lag, 0)
  let done = 0
  let finish: () => void = () => {}
  const allDone = new Promise<void>((resolve) => {
    finish = resolve
  })
  const worker = bus.consumer({ groupId: 'workers', topics: ['jobs'], fromBeginning: true })
  await worker.run({
    eachMessage: async (record) => {
      console.log(`run 2: ${record.key} done (photo ${record.value.photo})`)
      if (++done === pending) finish()
    },
  })
  await allDone
  await worker.close()
  console.log(`run 2: every job done once; files: ${readdirSync(join(dir, 'jobs-0')).join(', ')}`)
  await bus.close()
}

try {
  await firstRun()
  await secondRun()
} finally {
  rmSync(dir, { recursive: true, force: true })
}

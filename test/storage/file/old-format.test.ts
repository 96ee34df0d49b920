import { cpSync, readFileSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { FileStorage, type LogDamage } from '../../../src/file'
import { Bus, type TopicConfig } from '../../../src/index'
import { MARKER, tempDir } from './support'

/** Written by logbus before the batch-centric core (see fixtures/v1/README.md). */
const FIXTURE = fileURLToPath(new URL('./fixtures/v1/', import.meta.url))

interface Expected {
  topics: { name: string; config: unknown }[]
  partitions: { topic: string; partition: number; logStartOffset: number; logEndOffset: number }[]
  groups: Record<string, { topic: string; partition: number; offset: number }[]>
  records: unknown[]
}

const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as Expected

/** Everything a reader of the directory sees, in the fixture's terms. */
async function readBack(bus: Bus): Promise<Expected> {
  const records: unknown[] = []
  for (const topic of bus.listTopics()) {
    for (const p of bus.topic(topic).partitions) {
      let offset = p.logStartOffset
      while (offset < p.logEndOffset) {
        const batch = await p.read(offset)
        for (const r of batch) {
          const headers: Record<string, string | string[]> = {}
          for (const [k, v] of Object.entries(r.headers)) {
            headers[k] = Array.isArray(v) ? v.map((b) => b.toString('hex')) : (v as Buffer).toString('hex')
          }
          records.push({
            topic: r.topic,
            partition: r.partition,
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.key?.toString('hex') ?? null,
            value: r.value?.toString('hex') ?? null,
            headers,
          })
        }
        offset = batch.at(-1)!.offset + 1
      }
    }
  }
  const partitions = bus.listTopics().flatMap((topic) =>
    bus.topic(topic).partitions.map((p) => ({
      topic,
      partition: p.partition,
      logStartOffset: p.logStartOffset,
      logEndOffset: p.logEndOffset,
    })),
  )
  const groups = {
    billing: [0, 1].map((partition) => ({
      topic: 'orders',
      partition,
      offset: bus.group('billing').committedOffset('orders', partition)!,
    })),
  }
  const topics = bus.listTopics().map((name) => ({ name, config: bus.topic(name).config }))
  return { topics, partitions, groups, records }
}

describe('a data directory written before the batch-centric core', () => {
  for (const clean of [true, false]) {
    it(`opens unchanged and reads back exactly what was written (${clean ? 'clean marker' : 'full recovery scan'})`, async () => {
      const dir = tempDir()
      cpSync(join(FIXTURE, 'data'), dir, { recursive: true })
      if (!clean) unlinkSync(join(dir, MARKER))
      const damages: LogDamage[] = []
      const bus = await Bus.open({ storage: new FileStorage({ dir, onDamage: (d) => damages.push(d) }) })
      try {
        const back = await readBack(bus)
        // Topics stored before compaction existed get Kafka's compaction defaults, and their policy.
        const topics = (back.topics as Array<{ name: string; config: TopicConfig }>).map(
          ({ name, config }) => {
            const { deleteRetentionMs, minCleanableDirtyRatio, minCompactionLagMs, ...stored } = config
            expect([deleteRetentionMs, minCleanableDirtyRatio, minCompactionLagMs]).toEqual([
              86_400_000, 0.5, 0,
            ])
            return { name, config: stored }
          },
        )
        expect({ ...back, topics }).toEqual(expected)
        expect(damages).toEqual([])
        // It goes on from where the old code stopped.
        const meta = await bus.producer().send('orders', { value: 'new', partition: 1 })
        expect(meta.offset).toBe(
          expected.partitions.find((p) => p.topic === 'orders' && p.partition === 1)!.logEndOffset,
        )
      } finally {
        await bus.close()
      }
    })
  }
})

/**
 * Capability probes: does the code a part measures exist and work on this tree? The file log and the
 * KafkaJS facade are loaded lazily (dynamic imports), so that a part that does not need them runs even
 * where they do not load. A part whose probe fails records every one of its cases as skipped, with
 * the probe's reason, in the report — never silently; everything that does not depend on the missing
 * code (ceilings, peers) still runs.
 */

import type * as FileModule from '../src/file'
import { Bus } from '../src/index'
import type * as FacadeModule from '../src/kafkajs/index'
import {
  type Figure,
  log,
  makeTempDir,
  type PartContext,
  removeDir,
  type SectionName,
  withTimeout,
} from './common'
import type { CaseSpec } from './harness'

export type FileApi = typeof FileModule
export type FacadeApi = typeof FacadeModule

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return text.split('\n', 1)[0]!.slice(0, 240)
}

let fileProbe: Promise<{ api?: FileApi; reason?: string }> | undefined

/**
 * `logbus/file`, once it has passed a probe: a bus over a fresh directory with fsync 'never', one
 * batch of 3 records to a raw topic, read back from the log, then the same directory reopened and
 * read again (the decode path).
 */
export function loadFileStorage(): Promise<{ api?: FileApi; reason?: string }> {
  fileProbe ??= (async () => {
    let api: FileApi
    try {
      api = await import('../src/file')
    } catch (error) {
      return { reason: `logbus/file does not load: ${reasonOf(error)}` }
    }
    const dir = makeTempDir('probe')
    try {
      const values = ['a', 'bb', 'ccc']
      const check = async (bus: Bus, when: string): Promise<void> => {
        const records = await bus.topic('probe').partition(0).read(0)
        const got = records.map((r) => r.value?.toString('utf8'))
        if (JSON.stringify(got) !== JSON.stringify(values))
          throw new Error(`${when}, the log reads back ${JSON.stringify(got)}`)
      }
      const bus = await Bus.open({ storage: new api.FileStorage({ dir, fsync: 'never' }) })
      try {
        await bus.createTopic('probe', { partitions: 1 })
        await bus.producer().send(
          'probe',
          values.map((value) => ({ key: 'k', value })),
        )
        await check(bus, 'after a send')
      } finally {
        await bus.close()
      }
      const reopened = await Bus.open({ storage: new api.FileStorage({ dir, fsync: 'never' }) })
      try {
        await check(reopened, 'after a reopen')
      } finally {
        await reopened.close()
      }
      return { api }
    } catch (error) {
      return { reason: `the file log fails a probe (send 3 records, read back, reopen): ${reasonOf(error)}` }
    } finally {
      removeDir(dir)
    }
  })()
  return fileProbe
}

let facadeProbe: Promise<{ api?: FacadeApi; reason?: string }> | undefined

/** `logbus/kafkajs`, once it has passed a probe: 10 messages from a KafkaJS producer to a group member. */
export function loadFacade(): Promise<{ api?: FacadeApi; reason?: string }> {
  facadeProbe ??= (async () => {
    let api: FacadeApi
    try {
      api = await import('../src/kafkajs/index')
    } catch (error) {
      return { reason: `logbus/kafkajs does not load: ${reasonOf(error)}` }
    }
    try {
      const kafka = new api.Kafka({ clientId: 'probe', brokers: ['probe:9092'] })
      const admin = kafka.admin()
      const producer = kafka.producer()
      const consumer = kafka.consumer({ groupId: 'probe' })
      try {
        await admin.connect()
        await admin.createTopics({ topics: [{ topic: 'probe', numPartitions: 2 }] })
        await Promise.all([producer.connect(), consumer.connect()])
        await consumer.subscribe({ topics: ['probe'], fromBeginning: true })
        let seen = 0
        let done!: () => void
        const all = new Promise<void>((resolve) => {
          done = resolve
        })
        await consumer.run({
          eachMessage: async () => {
            if (++seen === 10) done()
          },
        })
        await producer.send({
          topic: 'probe',
          messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
        })
        await withTimeout(all, 10_000, 'the facade probe')
      } finally {
        await consumer.disconnect()
        await producer.disconnect()
        await admin.disconnect()
        await api.resetClusters()
      }
      return { api }
    } catch (error) {
      return {
        reason: `the KafkaJS facade fails a probe (10 messages, producer → group member): ${reasonOf(error)}`,
      }
    }
  })()
  return facadeProbe
}

/** Records `specs` (and any extra ids) as skipped for `reason`, loudly. */
export function skipAll(
  context: PartContext,
  section: SectionName,
  reason: string,
  specs: readonly Pick<CaseSpec, 'id' | 'label'>[],
): Figure[] {
  for (const spec of specs) {
    context.skipped.push({ id: spec.id, section, label: spec.label, reason })
    log(`  ${spec.id.padEnd(34)} skipped: ${reason}`)
  }
  return []
}

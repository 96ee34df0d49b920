/**
 * Capability probes: does the code a part measures exist and work on this tree? The file log and the
 * KafkaJS facade are loaded lazily (dynamic imports), so that a part that does not need them runs even
 * where they do not load. A part whose probe fails records every one of its cases as skipped, with
 * the probe's reason, in the report — never silently; everything that does not depend on the missing
 * code (ceilings, peers) still runs.
 */

import { fileURLToPath } from 'node:url'
import { Bus } from 'logbus'
import type * as FileModule from 'logbus/file'
import type * as FacadeModule from 'logbus/kafkajs'
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
import { TOPIC } from './workload'

export type FileApi = typeof FileModule
export type FacadeApi = typeof FacadeModule

/** The repository's directory, cut out of reasons so that a report names no path of this machine. */
const ROOT = fileURLToPath(new URL('..', import.meta.url))

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return text.split('\n', 1)[0]!.replaceAll(ROOT, '').slice(0, 240)
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
      api = await import('logbus/file')
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

/**
 * A fresh in-process cluster of the facade (`brokers` names it) with one topic of `partitions` and one
 * group member counting messages in an async `eachMessage`: once the member has joined, `drive` gets
 * the producer; resolves with the milliseconds from then until the member has seen `total` messages.
 */
export async function timeFacadeGroup(
  api: FacadeApi,
  brokers: string,
  partitions: number,
  total: number,
  drive: (producer: ReturnType<FacadeModule.Kafka['producer']>) => Promise<void>,
): Promise<number> {
  // Quiet, as KafkaJS code in production usually is: the facade logs like KafkaJS otherwise.
  const kafka = new api.Kafka({ clientId: 'bench', brokers: [brokers], logLevel: api.logLevel.NOTHING })
  const admin = kafka.admin()
  const producer = kafka.producer({ createPartitioner: api.Partitioners.DefaultPartitioner })
  const consumer = kafka.consumer({ groupId: 'bench' })
  try {
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: partitions }] })
    await Promise.all([producer.connect(), consumer.connect()])
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
    const joined = new Promise<void>((resolve) => {
      const stop = consumer.on(consumer.events.GROUP_JOIN, () => {
        stop()
        resolve()
      })
    })
    let seen = 0
    let done!: () => void
    const all = new Promise<void>((resolve) => {
      done = resolve
    })
    await consumer.run({
      eachMessage: async () => {
        if (++seen === total) done()
      },
    })
    await withTimeout(joined, 30_000, 'the facade consumer joining')
    const start = performance.now()
    await drive(producer)
    await withTimeout(all, 180_000, `the facade consumer receiving ${total} messages`)
    return performance.now() - start
  } finally {
    await consumer.disconnect()
    await producer.disconnect()
    await admin.disconnect()
    await api.resetClusters()
  }
}

let facadeProbe: Promise<{ api?: FacadeApi; reason?: string }> | undefined

/** `logbus/kafkajs`, once it has passed a probe: 10 messages from a KafkaJS producer to a group member. */
export function loadFacade(): Promise<{ api?: FacadeApi; reason?: string }> {
  facadeProbe ??= (async () => {
    let api: FacadeApi
    try {
      api = await import('logbus/kafkajs')
    } catch (error) {
      return { reason: `logbus/kafkajs does not load: ${reasonOf(error)}` }
    }
    try {
      await withTimeout(
        timeFacadeGroup(api, 'probe:9092', 2, 10, async (producer) => {
          await producer.send({
            topic: TOPIC,
            messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
          })
        }),
        20_000,
        'the facade probe',
      )
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

/**
 * 6. The `logbus/kafkajs` facade end to end, as KafkaJS code uses it: `producer.send({ topic, messages })`
 * with 100 messages (16-byte string keys, 100-byte Buffer values) → a group member's `eachMessage`, a
 * topic of 8 partitions made by `admin.createTopics`, 10 sends in flight then a setImmediate (the
 * same driver as the core cases). Beside it, in the same process just before, the core's own
 * figure for the same records: a raw topic with Buffer values, `send([100])` → `eachMessage`. The
 * target: the facade within 1.5× of the core.
 *
 * Every repetition is a fresh in-process cluster (a new broker list), reset afterwards.
 */

import { setImmediate as immediate } from 'node:timers/promises'
import { type Figure, type PartContext, type RepSample, withTimeout } from './common'
import { attempt, type CaseSpec, measure } from './harness'
import { loadSizing, memoryCase } from './memory'
import { type FacadeApi, loadFacade, skipAll } from './probe'
import { BATCH, PAYLOAD_BYTES, TOPIC, WINDOW_RECORDS, workload } from './workload'

let cluster = 0

async function facadeRep(api: FacadeApi, count: number): Promise<RepSample> {
  const kafka = new api.Kafka({ clientId: 'bench', brokers: [`bench-${++cluster}:9092`] })
  const admin = kafka.admin()
  const producer = kafka.producer()
  const consumer = kafka.consumer({ groupId: 'bench' })
  try {
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 8 }] })
    await Promise.all([producer.connect(), consumer.connect()])
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
    const joined = new Promise<void>((resolve) => {
      const stop = consumer.on(consumer.events.GROUP_JOIN, () => {
        stop()
        resolve()
      })
    })
    const total = Math.ceil(count / BATCH) * BATCH
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
    const work = workload('raw-buffer')
    const window = WINDOW_RECORDS / BATCH
    const pending: Promise<unknown>[] = []
    const start = performance.now()
    let b = 0
    while (b * BATCH < total) {
      pending.length = 0
      for (let w = 0; w < window && b * BATCH < total; w++) {
        pending.push(
          producer.send({ topic: TOPIC, messages: work.batch(b++) as { key: string; value: Buffer }[] }),
        )
      }
      await Promise.all(pending)
      await immediate()
    }
    await withTimeout(all, 180_000, 'a facade run')
    const seconds = (performance.now() - start) / 1000
    return { value: total / seconds, detail: { payloadMBps: (total * PAYLOAD_BYTES) / 1e6 / seconds } }
  } finally {
    await consumer.disconnect()
    await producer.disconnect()
    await admin.disconnect()
    await api.resetClusters()
  }
}

function facadeCase(api: FacadeApi | undefined, quick: boolean): CaseSpec {
  return {
    id: 'facade.kafkajs.batch',
    section: 'facade',
    label:
      'logbus/kafkajs: producer.send({ messages: 100 }) ×10 in flight → consumer eachMessage, 8 partitions, Buffer values',
    unit: 'msgs/s',
    better: 'higher',
    sizing: loadSizing(quick),
    run: (n) => {
      if (api === undefined) throw new Error('the facade did not load')
      return facadeRep(api, n)
    },
  }
}

export async function runFacade(context: PartContext): Promise<Figure[]> {
  const { options, failures } = context
  const figures: Figure[] = []
  const core = {
    ...memoryCase(options.quick, 'raw-buffer', 'batch'),
    id: 'facade.core.raw-buffer',
    section: 'facade' as const,
    label:
      'the core, same records and driver: raw topic, Buffer values, send([100]) → eachMessage, group of 1',
  }
  await attempt(failures, core.id, () => measure(core, options), figures)
  const { api, reason } = await loadFacade()
  const facade = facadeCase(api, options.quick)
  if (reason !== undefined) return [...figures, ...skipAll(context, 'facade', reason, [facade])]
  await attempt(failures, facade.id, () => measure(facade, options), figures)
  return figures
}

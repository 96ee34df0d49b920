/**
 * 6. The `logbus/kafkajs` facade end to end, as KafkaJS code uses it: `producer.send({ topic, messages })`
 * with 100 messages (16-byte Buffer keys, 100-byte Buffer values) → a group member's `eachMessage`, a
 * topic of 8 partitions made by `admin.createTopics`, 10 sends in flight then a setImmediate (the
 * same driver as the core cases). Beside it, in the same process just before, the core's own
 * figure for the same records: a raw topic with Buffer keys and values, `send([100])` → `eachMessage`. The
 * target: the facade within 1.5× of the core.
 *
 * Every repetition is a fresh in-process cluster (a new broker list), reset afterwards.
 */

import { setImmediate as immediate } from 'node:timers/promises'
import type { Figure, PartContext, RepSample } from './common'
import { attempt, type CaseSpec, measure } from './harness'
import { loadSizing, memoryCase } from './memory'
import { type FacadeApi, loadFacade, skipAll, timeFacadeGroup } from './probe'
import { BATCH, PAYLOAD_BYTES, TOPIC, WINDOW_RECORDS, workload } from './workload'

let cluster = 0

async function facadeRep(api: FacadeApi, count: number): Promise<RepSample> {
  const total = Math.ceil(count / BATCH) * BATCH
  const work = workload('raw-buffer')
  const window = WINDOW_RECORDS / BATCH
  const ms = await timeFacadeGroup(api, `bench-${++cluster}:9092`, 8, total, async (producer) => {
    const pending: Promise<unknown>[] = []
    let b = 0
    while (b * BATCH < total) {
      pending.length = 0
      for (let w = 0; w < window && b * BATCH < total; w++) {
        const messages = work.batch(b++) as { key: Buffer; value: Buffer }[]
        pending.push(producer.send({ topic: TOPIC, messages }))
      }
      await Promise.all(pending)
      await immediate()
    }
  })
  const seconds = ms / 1000
  return { value: total / seconds, detail: { payloadMBps: (total * PAYLOAD_BYTES) / 1e6 / seconds } }
}

function facadeCase(api: FacadeApi | undefined, quick: boolean): CaseSpec {
  return {
    id: 'facade.kafkajs.batch',
    section: 'facade',
    label:
      'logbus/kafkajs: producer.send({ messages: 100 }) ×10 in flight → consumer eachMessage, 8 partitions, Buffer keys and values',
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
      'the core, same records and driver: raw topic, Buffer keys and values, send([100]) → eachMessage, group of 1',
  }
  await attempt(failures, core.id, () => measure(core, options), figures)
  const { api, reason } = await loadFacade()
  const facade = facadeCase(api, options.quick)
  if (reason !== undefined) return [...figures, ...skipAll(context, 'facade', reason, [facade])]
  await attempt(failures, facade.id, () => measure(facade, options), figures)
  return figures
}

import { describe, expect, it } from 'vitest'
import type { EachMessagePayload } from '../../src/kafkajs/index'
import { testKafka, uniqueName, waitUntil } from './harness'

describe('a compacted topic through the facade', () => {
  it('is created with cleanup.policy=compact, refuses keyless messages, and is consumed across its gaps', async () => {
    const client = testKafka()
    const admin = client.admin()
    const topic = uniqueName('compacted')
    await admin.createTopics({
      topics: [
        {
          topic,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: '1024' },
          ],
        },
      ],
    })
    const producer = client.producer()
    await producer.connect()
    await expect(producer.send({ topic, messages: [{ value: 'no key' }] })).rejects.toThrow(/key/)
    for (let i = 0; i < 60; i++) {
      await producer.send({ topic, messages: [{ key: `k${i % 4}`, value: `v${i}-${'x'.repeat(30)}` }] })
    }
    const bus = await client.kafka.bus()
    const [result] = await bus.compact(topic)
    expect(result!.removedRecords).toBeGreaterThan(0)
    const kept = (await bus.topic(topic).partition(0).read(0)).map((r) => [
      String(r.offset),
      r.value?.toString(),
    ])

    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    const seen: EachMessagePayload[] = []
    await consumer.run({ eachMessage: async (payload) => void seen.push(payload) })
    await waitUntil(() => seen.length === kept.length)
    expect(seen.map(({ message }) => [message.offset, message.value?.toString()])).toEqual(kept)
  })
})

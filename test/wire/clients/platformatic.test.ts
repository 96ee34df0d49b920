import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { uniqueName } from '../../support/bus'
import { serve } from '../support'

// @platformatic/kafka speaks the newest protocol versions (flexible encodings, tagged fields, topic
// ids in Fetch v13+): an unmodified client from npm against bus.listen().

describe('@platformatic/kafka over the wire', () => {
  it('creates topics, produces and consumes in a group with flexible versions and topic ids', async () => {
    const { bus, broker } = await serve()
    const bootstrapBrokers = [broker]
    const topic = uniqueName('flex')
    const groupId = uniqueName('g')
    const admin = new Admin({ clientId: 'admin', bootstrapBrokers })
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 })
    expect(await admin.listTopics()).toContain(topic)
    expect(bus.topic(topic).partitionCount).toBe(3)

    const producer = new Producer({ clientId: 'producer', bootstrapBrokers, serializers: stringSerializers })
    await producer.send({
      messages: Array.from({ length: 9 }, (_, i) => ({
        topic,
        key: `k${i}`,
        value: `v${i}`,
        headers: { h: 'x' },
      })),
    })
    await producer.close()
    await bus.producer().send(topic, { key: 'in', value: 'in process' })

    const consumer = new Consumer({
      groupId,
      clientId: 'consumer',
      bootstrapBrokers,
      deserializers: stringDeserializers,
      maxWaitTime: 100,
    })
    const stream = await consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: false,
    })
    const seen: string[] = []
    for await (const message of stream) {
      seen.push(message.value)
      await message.commit()
      if (seen.length === 10) break
    }
    await consumer.close(true)
    await admin.close()
    expect(seen.sort()).toEqual([...Array.from({ length: 9 }, (_, i) => `v${i}`), 'in process'].sort())
    const group = bus.group(groupId)
    const committed = [0, 1, 2].map((p) => group.committedOffset(topic, p) ?? 0)
    expect(committed.reduce((a, b) => a + b, 0)).toBe(10)
  })
})

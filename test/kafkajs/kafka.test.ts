import { describe, expect, it } from 'vitest'
import { Bus } from '../../src/index'
import { Kafka, KafkaJSNonRetriableError, logLevel } from '../../src/kafkajs/index'
import { testKafka, uniqueName, waitUntil } from './harness'

describe('Kafka', () => {
  it('gives each instance its own bus by default: clients of one instance share it', async () => {
    const one = testKafka()
    const other = testKafka()
    const topic = uniqueName()
    const producer = one.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'x' }] })
    expect(await one.kafka.admin().listTopics()).toContain(topic)
    expect(await other.kafka.admin().listTopics()).not.toContain(topic)
    expect(await one.kafka.bus()).toBe(await one.kafka.bus())
  })

  it('shares a bus given in logbus.bus, between instances and with logbus’s own API', async () => {
    const bus = await Bus.open()
    try {
      const a = testKafka({ logbus: { bus } })
      const b = testKafka({ logbus: { bus } })
      expect(await a.kafka.bus()).toBe(bus)
      const topic = uniqueName()
      const consumer = b.consumer({ groupId: uniqueName('g') })
      await consumer.subscribe({ topic, fromBeginning: true })
      const seen: string[] = []
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) })
      const producer = a.producer()
      await producer.connect()
      await producer.send({ topic, messages: [{ value: 'from a' }] })
      await bus.producer().send(topic, { value: 'from logbus' })
      await waitUntil(() => seen.length === 2)
      expect(seen).toEqual(['from a', 'from logbus'])
      const [record] = await bus.topic(topic).partition(0).read(0)
      expect(record?.value?.toString()).toBe('from a')
      await consumer.disconnect()
      await producer.disconnect()
    } finally {
      await bus.close()
    }
  })

  it('rejects an invalid numPartitions, and accepts KafkaJS options it has no use for', () => {
    expect(() => new Kafka({ brokers: [], logbus: { numPartitions: 0 } })).toThrow(KafkaJSNonRetriableError)
    const kafka = new Kafka({
      brokers: async () => ['a:9092', 'b:9092'],
      ssl: true,
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
      connectionTimeout: 10,
      requestTimeout: 10,
      logLevel: logLevel.NOTHING,
    })
    expect(kafka.logger()).toBeDefined()
  })
})

import { describe, expect, it } from 'vitest'
import { Bus, json, string } from '../../src/index'
import {
  busOf,
  Kafka,
  KafkaJSNonRetriableError,
  type KafkaMessage,
  logLevel,
  resetClusters,
} from '../../src/kafkajs/index'
import { testKafka, uniqueName, waitUntil } from './harness'

describe('Kafka', () => {
  it('gives clients that name the same brokers, in any order, one cluster; other brokers another', async () => {
    const one = testKafka({ brokers: ['b:9092', 'a:9092'] })
    const same = testKafka({ brokers: async () => ['a:9092', 'b:9092', 'a:9092'] })
    const other = testKafka({ brokers: ['c:9092'] })
    const topic = uniqueName()
    const producer = one.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'x' }] })
    expect(await same.kafka.admin().listTopics()).toContain(topic)
    expect(await other.kafka.admin().listTopics()).not.toContain(topic)
    expect(await one.kafka.bus()).toBe(await same.kafka.bus())
    expect(await busOf(same.kafka)).toBe(await one.kafka.bus())
  })

  it('keeps a cluster while its clients come and go, until resetClusters()', async () => {
    const brokers = [`${uniqueName('host')}:9092`]
    const topic = uniqueName()
    const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'kept' }] })
    await producer.disconnect()
    // A later client, as a test's reader after the code under test disconnected its producer.
    const reader = new Kafka({ brokers, logLevel: logLevel.NOTHING })
    const bus = await reader.bus()
    expect(bus.listTopics()).toContain(topic)
    await resetClusters()
    const fresh = await reader.bus()
    expect(fresh).not.toBe(bus)
    expect(fresh.listTopics()).toEqual([])
    expect(() => bus.producer()).toThrow(/closed/i)
    await resetClusters()
  })

  it('busOf() refuses what is not a logbus/kafkajs client', async () => {
    await expect(busOf({})).rejects.toThrow(/is kafkajs swapped for logbus\/kafkajs/)
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

  it('sends and receives bytes on a bus whose topics are typed, as a KafkaJS client of that cluster would', async () => {
    const bus = await Bus.open({ topics: { orders: { value: json(), key: string() } } })
    try {
      // A bus typed by its declarations is not a plain Bus to TypeScript (Bus<D> is invariant in D).
      const client = testKafka({ logbus: { bus: bus as unknown as Bus } })
      const consumer = client.consumer({ groupId: uniqueName('g') })
      await consumer.subscribe({ topic: 'orders', fromBeginning: true })
      const seen: KafkaMessage[] = []
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) })
      await bus.producer().send('orders', { key: 'o-1', value: { total: 1 } })
      const producer = client.producer()
      await producer.connect()
      await producer.send({ topic: 'orders', messages: [{ key: 'o-2', value: '{"total":2}' }] })
      await waitUntil(() => seen.length === 2)
      expect(seen.map((m) => [m.key, m.value])).toEqual([
        [Buffer.from('o-1'), Buffer.from('{"total":1}')],
        [Buffer.from('o-2'), Buffer.from('{"total":2}')],
      ])
      // The topic's own readers get its types, whoever wrote the record.
      const records = await bus.topic('orders').partition(0).read(0)
      expect(records.map((r) => [r.key, r.value])).toEqual([
        ['o-1', { total: 1 }],
        ['o-2', { total: 2 }],
      ])
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

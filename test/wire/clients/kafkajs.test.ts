import { CompressionTypes, type EachMessagePayload, type KafkaMessage } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { murmur2 } from '../../../src/index'
import { uniqueName, waitUntil } from '../../support/bus'
import { kafkajsClient, serve } from '../support'

// Unmodified KafkaJS over TCP against bus.listen(): the behaviours the logbus/kafkajs facade's tests
// check in process, here through the wire protocol, with the bus's in-process side looking on.

const WAIT = { timeoutMs: 15_000 }

function javaPartition(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key)) & 0x7fffffff) % partitions
}

describe('kafkajs over the wire', () => {
  it('produces with the default partitioner where Kafka puts each key, for in-process consumers to read', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('orders')
    await bus.createTopic(topic, { partitions: 4 })
    const producer = kafkajsClient(broker).producer()
    await producer.connect()
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`)
    const results = await producer.send({
      topic,
      messages: keys.map((key) => ({ key, value: `v-${key}`, headers: { h: 'x' } })),
    })
    await producer.disconnect()
    expect(results.every((r) => r.errorCode === 0)).toBe(true)
    for (const key of keys) {
      const partition = bus.topic(topic).partition(javaPartition(key, 4))
      const records = await partition.read(partition.logStartOffset)
      const found = records.find((r) => r.key?.toString() === key)
      expect(found?.value?.toString()).toBe(`v-${key}`)
      expect(found?.headers.h?.toString()).toBe('x')
    }
  })

  it('consumes from the beginning what in-process producers sent, and commits where the bus sees it', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('events')
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    await bus.producer().send(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `in-process ${i}` })),
    )
    const consumer = kafkajsClient(broker).consumer({ groupId, maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const seen: string[] = []
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) })
    await waitUntil(() => seen.length === 10, WAIT)
    await consumer.disconnect()
    expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `in-process ${i}`).sort())
    const group = bus.group(groupId)
    const committed = [0, 1].map((p) => group.committedOffset(topic, p) ?? 0)
    expect(committed.reduce((a, b) => a + b, 0)).toBe(10)
  })

  it('shares a group between consumers that rebalance as members join and leave, each record once', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('jobs')
    const groupId = uniqueName('workers')
    await bus.createTopic(topic, { partitions: 4 })
    const client = kafkajsClient(broker)
    const seen = new Map<string, string>()
    const member = async (name: string) => {
      const consumer = client.consumer({
        groupId,
        maxWaitTimeInMs: 100,
        sessionTimeout: 6000,
        heartbeatInterval: 100,
      })
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ message }: EachMessagePayload) =>
          void seen.set(message.value!.toString(), name),
      })
      return consumer
    }
    const a = await member('a')
    const producer = bus.producer()
    await producer.send(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `first ${i}` })),
    )
    await waitUntil(() => seen.size === 20, WAIT)
    const b = await member('b')
    await waitUntil(
      () => bus.group(groupId).describe().members.length === 2 && bus.group(groupId).state === 'Stable',
      WAIT,
    )
    const assigned = bus
      .group(groupId)
      .describe()
      .members.map((m) => m.assignment.length)
    expect(assigned.sort()).toEqual([2, 2])
    await producer.send(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `second ${i}` })),
    )
    await waitUntil(() => seen.size === 40, WAIT)
    expect(new Set([...seen].filter(([v]) => v.startsWith('second')).map(([, who]) => who))).toEqual(
      new Set(['a', 'b']),
    )
    await a.disconnect()
    await waitUntil(
      () => bus.group(groupId).describe().members.length === 1 && bus.group(groupId).state === 'Stable',
      WAIT,
    )
    expect(bus.group(groupId).describe().members[0]!.assignment).toHaveLength(4)
    await producer.send(
      topic,
      Array.from({ length: 8 }, (_, i) => ({ key: `k${i}`, value: `third ${i}` })),
    )
    await waitUntil(() => seen.size === 48, WAIT)
    expect(new Set([...seen].filter(([v]) => v.startsWith('third')).map(([, who]) => who))).toEqual(
      new Set(['b']),
    )
    await b.disconnect()
    await producer.close()
  })

  it('runs the admin API: topics, partitions, configs, records, offsets and groups', async () => {
    const { bus, broker } = await serve()
    const admin = kafkajsClient(broker).admin()
    await admin.connect()
    const topic = uniqueName('admin')
    expect(
      await admin.createTopics({
        topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '60000' }] }],
      }),
    ).toBe(true)
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(false)
    expect(await admin.listTopics()).toContain(topic)
    expect(bus.topic(topic).config.retentionMs).toBe(60_000)
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(topics[0]!.partitions).toHaveLength(3)

    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: topic, configEntries: [{ name: 'retention.ms', value: '120000' }] }],
    })
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic }],
    })
    const entries = described.resources[0]!.configEntries
    expect(entries.find((e) => e.configName === 'retention.ms')?.configValue).toBe('120000')
    await expect(
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: topic, configEntries: [{ name: 'no.such', value: '1' }] }],
      }),
    ).rejects.toThrow()

    await bus.producer().send(
      topic,
      Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `r${i}` })),
    )
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] })
    const offsets = await admin.fetchTopicOffsets(topic)
    expect(offsets.find((o) => o.partition === 0)).toMatchObject({ low: '3', high: '5' })

    const groupId = uniqueName('g')
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '4' }] })
    expect(bus.group(groupId).committedOffset(topic, 0)).toBe(4)
    const fetched = await admin.fetchOffsets({ groupId, topics: [topic] })
    expect(fetched[0]!.partitions.find((p) => p.partition === 0)?.offset).toBe('4')
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain(groupId)
    const { groups } = await admin.describeGroups([groupId])
    expect(groups[0]).toMatchObject({ groupId, state: 'Empty', members: [] })
    await admin.deleteGroups([groupId])
    expect(bus.listGroups()).not.toContain(groupId)

    const cluster = await admin.describeCluster()
    expect(cluster.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: Number(broker.split(':')[1]) }])
    await admin.deleteTopics({ topics: [topic] })
    expect(bus.listTopics()).not.toContain(topic)
    await admin.disconnect()
  })

  it('commits and aborts transactions: read_committed consumers see the committed records and offsets only', async () => {
    const { bus, broker } = await serve()
    const [input, output] = [uniqueName('in'), uniqueName('out')]
    await bus.createTopic(input)
    await bus.createTopic(output)
    const client = kafkajsClient(broker)
    const producer = client.producer({
      transactionalId: uniqueName('tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    })
    await producer.connect()
    const aborted = await producer.transaction()
    await aborted.send({ topic: output, messages: [{ value: 'aborted' }] })
    await aborted.abort()
    const committed = await producer.transaction()
    await committed.send({ topic: output, messages: [{ value: 'committed' }] })
    const groupId = uniqueName('etl')
    await committed.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '7' }] }],
    })
    await committed.commit()
    await producer.disconnect()
    expect(bus.group(groupId).committedOffset(input, 0)).toBe(7)

    const consumer = client.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic: output, fromBeginning: true })
    const seen: KafkaMessage[] = []
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) })
    await waitUntil(() => seen.length >= 1, WAIT)
    const reader = bus.consumer({
      groupId: uniqueName('check'),
      topics: [output],
      fromBeginning: true,
      isolation: 'read_committed',
    })
    const inProcess: string[] = []
    await reader.run({ eachMessage: async (record) => void inProcess.push(String(record.value)) })
    await reader.caughtUp()
    await consumer.disconnect()
    expect(seen.map((m) => m.value!.toString())).toEqual(['committed'])
    expect(inProcess).toEqual(['committed'])
  })

  it('sends idempotently and compressed (gzip), stored as received and read back in process', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('gz')
    await bus.createTopic(topic)
    const producer = kafkajsClient(broker).producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    for (let round = 0; round < 3; round++) {
      await producer.send({
        topic,
        compression: CompressionTypes.GZIP,
        messages: Array.from({ length: 50 }, (_, i) => ({
          key: `k${i}`,
          value: `round ${round} value ${i}`.repeat(5),
        })),
      })
    }
    await producer.disconnect()
    const partition = bus.topic(topic).partition(0)
    expect(partition.logEndOffset).toBe(150)
    const [batch] = await partition.readBatches(0)
    expect(batch!.producerId).toBeGreaterThanOrEqual(0)
    const records = await partition.read(0, 10 * 1024 * 1024)
    expect(records.map((r) => String(r.value))).toEqual(
      [0, 1, 2].flatMap((round) =>
        Array.from({ length: 50 }, (_, i) => `round ${round} value ${i}`.repeat(5)),
      ),
    )
  })
})

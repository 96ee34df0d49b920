import { createRequire } from 'node:module'
import { Partitioners as KafkaJSPartitioners } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import {
  CompressionCodecs,
  CompressionTypes,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  Partitioners,
  type PartitionMetadata,
} from '../../src/kafkajs/index'
import { testKafka, topicWith, uniqueName, waitUntil } from './harness'

// KafkaJS's own record encoder: what its producer hands a compression codec, the known answer.
const require = createRequire(import.meta.url)
const encodeKafkaJSRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: {
  offsetDelta: number
  timestampDelta: number
  key: Buffer | null
  value: Buffer | null
  headers?: Record<string, Buffer | Buffer[]>
}) => { buffer: Buffer }

const metadata = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }))

describe('producer', () => {
  it('sends and resolves to one entry per partition written, as KafkaJS', async () => {
    const { kafka, producer: newProducer } = testKafka()
    const topic = uniqueName('orders')
    const admin = kafka.admin()
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })
    const producer = newProducer()
    await producer.connect()
    const result = await producer.send({
      topic,
      messages: [
        { value: 'a', partition: 2 },
        { value: 'b', partition: 0 },
        { value: 'c', partition: 2 },
      ],
    })
    // KafkaJS's produce response: per topic-partition, partitions in ascending order, offsets as strings.
    expect(result).toEqual([
      {
        topicName: topic,
        partition: 0,
        errorCode: 0,
        baseOffset: '0',
        logAppendTime: '-1',
        logStartOffset: '0',
      },
      {
        topicName: topic,
        partition: 2,
        errorCode: 0,
        baseOffset: '0',
        logAppendTime: '-1',
        logStartOffset: '0',
      },
    ])
    const again = await producer.send({ topic, messages: [{ value: 'd', partition: 2 }] })
    expect(again).toEqual([expect.objectContaining({ partition: 2, baseOffset: '2' })])
  })

  it('resolves to [] with acks: 0 and still writes', async () => {
    const { kafka, producer: newProducer } = testKafka()
    const topic = uniqueName()
    const producer = newProducer()
    await producer.connect()
    expect(await producer.send({ topic, acks: 0, messages: [{ value: 'x' }] })).toEqual([])
    const offsets = await kafka.admin().fetchTopicOffsets(topic)
    expect(offsets).toEqual([{ partition: 0, offset: '1', high: '1', low: '0' }])
  })

  it('creates an unknown topic with the broker default partition count (allowAutoTopicCreation defaults to true)', async () => {
    const { kafka, producer: newProducer } = testKafka({ logbus: { numPartitions: 4 } })
    const topic = uniqueName()
    const producer = newProducer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'x' }] })
    const { topics } = await kafka.admin().fetchTopicMetadata({ topics: [topic] })
    expect(topics[0]?.partitions).toHaveLength(4)
  })

  it('fails on an unknown topic with allowAutoTopicCreation: false after its retries, as KafkaJS', async () => {
    const { producer: newProducer } = testKafka()
    const producer = newProducer({
      allowAutoTopicCreation: false,
      retry: { retries: 1, initialRetryTime: 1 },
    })
    await producer.connect()
    const error = await producer
      .send({ topic: uniqueName(), messages: [{ value: 'x' }] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
    expect((error as KafkaJSNumberOfRetriesExceeded).cause).toMatchObject({
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      code: 3,
      retriable: true,
    })
  })

  it('requires connect() and rejects sends after disconnect(), as KafkaJS', async () => {
    const { producer: newProducer } = testKafka()
    const producer = newProducer()
    const topic = uniqueName()
    await expect(producer.send({ topic, messages: [{ value: 'x' }] })).rejects.toThrow(KafkaJSError)
    await expect(producer.send({ topic, messages: [{ value: 'x' }] })).rejects.toThrow(
      'The producer is disconnected',
    )
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'x' }] })
    await producer.disconnect()
    await expect(producer.send({ topic, messages: [{ value: 'x' }] })).rejects.toThrow(
      'The producer is disconnected',
    )
  })

  it("validates arguments with KafkaJS's errors", async () => {
    const { producer: newProducer } = testKafka()
    const producer = newProducer()
    await producer.connect()
    await expect(producer.send({ topic: '', messages: [] })).rejects.toThrow(
      new KafkaJSNonRetriableError('Invalid topic'),
    )
    await expect(producer.send({ topic: uniqueName(), messages: [{ key: 'k' } as never] })).rejects.toThrow(
      /Invalid message without value/,
    )
    const idempotent = newProducer({ idempotent: true })
    await idempotent.connect()
    expect(idempotent.isIdempotent()).toBe(true)
    await expect(
      idempotent.send({ topic: uniqueName(), acks: 1, messages: [{ value: 'x' }] }),
    ).rejects.toThrow(/idempotent producer/)
  })

  it('rejects a message larger than the topic accepts with MESSAGE_TOO_LARGE, writing nothing of the send', async () => {
    const { kafka, producer: newProducer } = testKafka()
    const topic = uniqueName()
    await kafka
      .admin()
      .createTopics({ topics: [{ topic, configEntries: [{ name: 'max.message.bytes', value: '100' }] }] })
    const producer = newProducer()
    await producer.connect()
    const error = await producer
      .send({ topic, messages: [{ value: 'small' }, { value: 'x'.repeat(200) }] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJSProtocolError)
    expect(error).toMatchObject({ type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false })
    expect(await kafka.admin().fetchTopicOffsets(topic)).toEqual([
      { partition: 0, offset: '0', high: '0', low: '0' },
    ])
  })

  it('sendBatch writes to several topics and merges entries of the same topic', async () => {
    const { producer: newProducer } = testKafka()
    const [a, b] = [uniqueName('a'), uniqueName('b')]
    const producer = newProducer()
    await producer.connect()
    const result = await producer.sendBatch({
      topicMessages: [
        { topic: a, messages: [{ value: '1' }] },
        { topic: b, messages: [{ value: '2' }] },
        { topic: a, messages: [{ value: '3' }] },
      ],
    })
    expect(result.map((r) => [r.topicName, r.partition, r.baseOffset])).toEqual([
      [a, 0, '0'],
      [b, 0, '0'],
    ])
  })

  it('requires the codec of the compression asked for, as KafkaJS (GZIP is built in)', async () => {
    const { producer: newProducer } = testKafka()
    const producer = newProducer()
    await producer.connect()
    const topic = uniqueName()
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: [{ value: 'x' }] })
    await expect(
      producer.send({ topic, compression: CompressionTypes.Snappy, messages: [{ value: 'x' }] }),
    ).rejects.toThrow(KafkaJSNotImplemented)
  })

  // KafkaJS's registration: CompressionCodecs[type] = () => codec (protocol/message/compression). The
  // codec compresses each partition's records (protocol/recordBatch/v0 compressRecords) and
  // decompresses them where they are read (recordBatch/v0/decoder decodeRecords).
  it('runs a registered codec: compress over the records’ bytes, decompress over what it made', async () => {
    const client = testKafka()
    const producer = client.producer()
    await producer.connect()
    const topic = await topicWith(client, 2, [])
    const compressed: Buffer[] = []
    const decompressed: Buffer[] = []
    const original = CompressionCodecs[CompressionTypes.ZSTD]
    // A toy codec, reversible: reverses the bytes.
    CompressionCodecs[CompressionTypes.ZSTD] = () => ({
      compress: async (encoder) => {
        compressed.push(encoder.buffer)
        return Buffer.from(encoder.buffer).reverse()
      },
      decompress: async (buffer) => {
        decompressed.push(buffer)
        return Buffer.from(buffer).reverse()
      },
    })
    try {
      await producer.send({
        topic,
        compression: CompressionTypes.ZSTD,
        messages: [
          { value: 'to 0', partition: 0 },
          { key: 'k', value: 'to 1', partition: 1, timestamp: '1000', headers: { h: ['a', 'b'] } },
          { value: 'to 1 again', partition: 1, timestamp: '995' },
        ],
      })
      // One batch per partition, each the Kafka encoding of its records, byte for byte as KafkaJS's.
      expect(compressed).toHaveLength(2)
      expect(compressed[1]).toEqual(
        Buffer.concat([
          encodeKafkaJSRecord({
            offsetDelta: 0,
            timestampDelta: 0,
            key: Buffer.from('k'),
            value: Buffer.from('to 1'),
            headers: { h: [Buffer.from('a'), Buffer.from('b')] },
          }).buffer,
          encodeKafkaJSRecord({
            offsetDelta: 1,
            timestampDelta: -5,
            key: null,
            value: Buffer.from('to 1 again'),
          }).buffer,
        ]),
      )
      expect(decompressed.map((b) => Buffer.from(b).reverse())).toEqual(compressed)
      const consumer = client.consumer({ groupId: uniqueName('g') })
      await consumer.subscribe({ topic, fromBeginning: true })
      const seen: string[] = []
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) })
      await waitUntil(() => seen.length === 3)
      expect(seen.sort()).toEqual(['to 0', 'to 1', 'to 1 again'])

      // A codec that does not give back what it was given would corrupt the batch for its readers.
      CompressionCodecs[CompressionTypes.ZSTD] = () => ({
        compress: async (encoder) => encoder.buffer,
        decompress: async () => Buffer.from('garbage'),
      })
      await expect(
        producer.send({
          topic,
          compression: CompressionTypes.ZSTD,
          messages: [{ value: 'x', partition: 0 }],
        }),
      ).rejects.toThrow(/decompress did not give back/)
    } finally {
      CompressionCodecs[CompressionTypes.ZSTD] = original
    }
  })

  it('emits CONNECT and DISCONNECT and rejects unknown event names', async () => {
    const { producer: newProducer } = testKafka()
    const producer = newProducer()
    const seen: string[] = []
    producer.on(producer.events.CONNECT, (e) => void seen.push(e.type))
    const off = producer.on(producer.events.DISCONNECT, (e) => void seen.push(e.type))
    expect(() => producer.on('producer.nope' as never, () => {})).toThrow(
      /Event name should be one of producer.events.CONNECT/,
    )
    await producer.connect()
    await producer.disconnect()
    off()
    await producer.connect()
    await producer.disconnect()
    expect(seen).toEqual(['producer.connect', 'producer.disconnect', 'producer.connect'])
  })
})

describe('partitioners', () => {
  const keys = Array.from({ length: 500 }, (_, i) =>
    i % 3 === 0 ? `key-${i}` : `${i * 7919}-ü-${'x'.repeat(i % 13)}`,
  )

  it.each([
    ['DefaultPartitioner', Partitioners.DefaultPartitioner, KafkaJSPartitioners.DefaultPartitioner],
    [
      'JavaCompatiblePartitioner',
      Partitioners.JavaCompatiblePartitioner,
      KafkaJSPartitioners.JavaCompatiblePartitioner,
    ],
    ['LegacyPartitioner', Partitioners.LegacyPartitioner, KafkaJSPartitioners.LegacyPartitioner],
  ])('%s puts every key on the partition KafkaJS puts it on', (_name, ours, theirs) => {
    const mine = ours()
    const kafkajs = theirs()
    for (const count of [1, 3, 7, 12, 100]) {
      const partitionMetadata = metadata(count)
      const messages = keys.flatMap((key) => [
        { key, value: null },
        { key: Buffer.from(key), value: null },
      ])
      const expected = messages.map((message) => kafkajs({ topic: 't', partitionMetadata, message }))
      expect(messages.map((message) => mine({ topic: 't', partitionMetadata, message }))).toEqual(expected)
    }
  })

  it('honours an explicit partition and round-robins keyless messages per topic', () => {
    const partition = Partitioners.DefaultPartitioner()
    const partitionMetadata = metadata(3)
    expect(
      partition({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 2 } }),
    ).toBe(2)
    const spread = Array.from({ length: 6 }, () =>
      partition({ topic: 't', partitionMetadata, message: { value: 'v' } }),
    )
    expect(spread).toEqual([0, 1, 2, 0, 1, 2])
    expect(partition({ topic: 'other', partitionMetadata, message: { value: 'v' } })).toBe(0)
  })

  it('a producer puts keyed messages where KafkaJS would', async () => {
    const { kafka, producer: newProducer } = testKafka()
    const topic = uniqueName()
    await kafka.admin().createTopics({ topics: [{ topic, numPartitions: 6 }] })
    const producer = newProducer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    const kafkajs = KafkaJSPartitioners.DefaultPartitioner()
    for (const key of ['alice', 'bob', 'carol', 'dave', 'eve']) {
      const [entry] = await producer.send({ topic, messages: [{ key, value: key }] })
      expect(entry?.partition).toBe(
        kafkajs({ topic, partitionMetadata: metadata(6), message: { key, value: key } }),
      )
    }
  })
})

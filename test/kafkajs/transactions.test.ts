import { describe, expect, it } from 'vitest'
import { KafkaJSNonRetriableError, KafkaJSProtocolError, type KafkaMessage } from '../../src/kafkajs/index'
import { testKafka, uniqueName, values, waitUntil } from './harness'

describe('transactions', () => {
  // KafkaJS's consumers read_committed by default (src/index.js: readUncommitted = false).
  it('makes a transaction visible at commit, all at once, to read_committed consumers (the default)', async () => {
    const client = testKafka()
    const [a, b] = [uniqueName('a'), uniqueName('b')]
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topics: [a, b], fromBeginning: true })
    const seen: KafkaMessage[] = []
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) })

    const producer = client.producer({
      transactionalId: uniqueName('tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    })
    await producer.connect()
    const tx = await producer.transaction()
    expect(tx.isActive()).toBe(true)
    const sent = await tx.send({ topic: a, messages: [{ value: 'a1' }, { value: 'a2' }] })
    expect(sent).toEqual([
      expect.objectContaining({ topicName: a, partition: 0, errorCode: 0, baseOffset: '-1' }),
    ])
    await tx.sendBatch({ topicMessages: [{ topic: b, messages: [{ value: 'b1' }] }] })
    // Nothing of an open transaction is in the log.
    expect((await client.kafka.admin().fetchTopicOffsets(a))[0]?.high).toBe('0')
    await tx.commit()
    expect(tx.isActive()).toBe(false)
    await waitUntil(() => seen.length === 3)
    expect(values(seen).sort()).toEqual(['a1', 'a2', 'b1'])
  })

  it('never writes anything of an aborted transaction, for any isolation level', async () => {
    const client = testKafka()
    const topic = uniqueName()
    const committed = client.consumer({ groupId: uniqueName('g') })
    const uncommitted = client.consumer({ groupId: uniqueName('g'), readUncommitted: true })
    const seen: string[] = []
    for (const consumer of [committed, uncommitted]) {
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) })
    }
    const producer = client.producer({ transactionalId: uniqueName('tx') })
    await producer.connect()
    const aborted = await producer.transaction()
    await aborted.send({ topic, messages: [{ value: 'aborted' }] })
    await aborted.abort()
    const kept = await producer.transaction()
    await kept.send({ topic, messages: [{ value: 'kept' }] })
    await kept.commit()
    await waitUntil(() => seen.length === 2)
    expect(seen).toEqual(['kept', 'kept'])
    expect((await client.kafka.admin().fetchTopicOffsets(topic))[0]?.high).toBe('1')
  })

  it('commits the offsets given to sendOffsets with the transaction (consume-transform-produce)', async () => {
    const client = testKafka()
    const input = uniqueName('in')
    const output = uniqueName('out')
    const groupId = uniqueName('g')
    const admin = client.kafka.admin()
    await admin.createTopics({ topics: [{ topic: input, numPartitions: 2 }, { topic: output }] })
    const producer = client.producer({
      transactionalId: uniqueName('tx'),
      maxInFlightRequests: 1,
      idempotent: true,
    })
    await producer.connect()
    const consumer = client.consumer({ groupId })
    await consumer.subscribe({ topic: input, fromBeginning: true })
    let processed = 0
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const tx = await producer.transaction()
        try {
          await tx.send({ topic: output, messages: [{ value: `seen ${message.value}` }] })
          await tx.sendOffsets({
            consumerGroupId: groupId,
            topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }],
          })
          await tx.commit()
        } catch (error) {
          await tx.abort()
          throw error
        }
        processed++
      },
    })
    const input1 = client.producer()
    await input1.connect()
    await input1.send({
      topic: input,
      messages: [
        { value: 'x', partition: 0 },
        { value: 'y', partition: 1 },
        { value: 'z', partition: 1 },
      ],
    })
    await waitUntil(() => processed === 3)
    const offsets = await admin.fetchOffsets({ groupId, topics: [input] })
    expect(offsets[0]?.partitions).toEqual([
      { partition: 0, offset: '1', metadata: null },
      { partition: 1, offset: '2', metadata: null },
    ])
    expect((await admin.fetchTopicOffsets(output))[0]?.high).toBe('3')
  })

  it('commits sendOffsets directly for a group without members', async () => {
    const client = testKafka()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    const producer = client.producer({ transactionalId: uniqueName('tx') })
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] })
    const tx = await producer.transaction()
    await tx.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }],
    })
    expect(await client.kafka.admin().fetchOffsets({ groupId, topics: [topic] })).toEqual([
      { topic, partitions: [{ partition: 0, offset: '-1', metadata: null }] },
    ])
    await tx.commit()
    expect(
      (await client.kafka.admin().fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset,
    ).toBe('2')
  })

  // producer/index.js transaction(): transactionalId required, one ongoing transaction, transactionGuard.
  it("follows KafkaJS's rules: a transactionalId is required, one transaction at a time, none after it ended", async () => {
    const client = testKafka()
    const plain = client.producer()
    await plain.connect()
    await expect(plain.transaction()).rejects.toThrow(
      'Must provide transactional id for transactional producer',
    )
    const producer = client.producer({ transactionalId: uniqueName('tx') })
    await producer.connect()
    const tx = await producer.transaction()
    await expect(producer.transaction()).rejects.toThrow(/There is already an ongoing transaction/)
    await tx.abort()
    await expect(tx.send({ topic: uniqueName(), messages: [{ value: 'x' }] })).rejects.toThrow(
      new KafkaJSNonRetriableError('Cannot continue to use transaction once ended'),
    )
    await expect(tx.commit()).rejects.toThrow('Cannot continue to use transaction once ended')
    const next = await producer.transaction()
    await expect(next.send({ topic: uniqueName(), acks: 1, messages: [{ value: 'x' }] })).rejects.toThrow(
      /invalidates the idempotent producer/,
    )
    await next.abort()
  })

  // Kafka's InitProducerId bumps the epoch; KafkaJS surfaces the broker's INVALID_PRODUCER_EPOCH (47).
  it('fences the older producer when a newer one starts a transaction with the same transactionalId', async () => {
    const client = testKafka()
    const transactionalId = uniqueName('tx')
    const topic = uniqueName()
    const zombie = client.producer({ transactionalId })
    await zombie.connect()
    const old = await zombie.transaction()
    await old.send({ topic, messages: [{ value: 'zombie' }] })

    const fresh = client.producer({ transactionalId })
    await fresh.connect()
    const tx = await fresh.transaction()
    await tx.send({ topic, messages: [{ value: 'fresh' }] })
    await tx.commit()

    const error = await old.commit().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJSProtocolError)
    expect(error).toMatchObject({ type: 'INVALID_PRODUCER_EPOCH', code: 47 })
    expect((await client.kafka.admin().fetchTopicOffsets(topic))[0]?.high).toBe('1')
  })

  it('aborts a transaction open longer than transactionTimeout', async () => {
    const client = testKafka()
    const producer = client.producer({ transactionalId: uniqueName('tx'), transactionTimeout: 1 })
    await producer.connect()
    const started = Date.now()
    const tx = await producer.transaction()
    // The condition under test is time itself: wait until the transaction is older than its timeout.
    await waitUntil(() => Date.now() > started + 2)
    await expect(tx.send({ topic: uniqueName(), messages: [{ value: 'x' }] })).rejects.toMatchObject({
      type: 'INVALID_PRODUCER_EPOCH',
    })
    expect(tx.isActive()).toBe(false)
  })
})

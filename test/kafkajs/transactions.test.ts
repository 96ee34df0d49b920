import { describe, expect, it } from 'vitest'
import { Bus } from '../../src/index'
import {
  type Batch,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  type KafkaMessage,
} from '../../src/kafkajs/index'
import { FakeClock } from '../support/fake-clock'
import { testKafka, topicWith, uniqueName, values, waitUntil } from './harness'

/** Each partition's high watermark: records and, as in Kafka, one offset per transaction marker. */
async function highs(client: ReturnType<typeof testKafka>, topic: string): Promise<string[]> {
  return (await client.kafka.admin().fetchTopicOffsets(topic)).map((p) => p.high)
}

describe('transactions', () => {
  // KafkaJS's consumers read_committed by default (src/index.js: readUncommitted = false).
  it('writes at send, and shows the records to read_committed consumers (the default) at commit, all at once', async () => {
    const client = testKafka()
    const [a, b] = [uniqueName('a'), uniqueName('b')]
    const committed = client.consumer({ groupId: uniqueName('g') })
    const uncommitted = client.consumer({ groupId: uniqueName('g'), readUncommitted: true })
    const seen: KafkaMessage[] = []
    const witnessed: KafkaMessage[] = []
    await committed.subscribe({ topics: [a, b], fromBeginning: true })
    await committed.run({ eachMessage: async ({ message }) => void seen.push(message) })
    await uncommitted.subscribe({ topics: [a, b], fromBeginning: true })
    await uncommitted.run({ eachMessage: async ({ message }) => void witnessed.push(message) })

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
      expect.objectContaining({ topicName: a, partition: 0, errorCode: 0, baseOffset: '0' }),
    ])
    await tx.sendBatch({ topicMessages: [{ topic: b, messages: [{ value: 'b1' }] }] })
    // Written, as Kafka writes them: read_uncommitted consumers see them, read_committed ones do not.
    expect(await highs(client, a)).toEqual(['2'])
    await waitUntil(() => witnessed.length === 3)
    expect(seen).toEqual([])
    await tx.commit()
    expect(tx.isActive()).toBe(false)
    await waitUntil(() => seen.length === 3)
    expect(values(seen).sort()).toEqual(['a1', 'a2', 'b1'])
    // The commit marker takes an offset of each partition the transaction wrote to.
    expect(await highs(client, a)).toEqual(['3'])
    expect(await highs(client, b)).toEqual(['2'])
  })

  it('never shows an aborted transaction to read_committed consumers; readUncommitted ones see it, as in Kafka', async () => {
    const client = testKafka()
    const topic = uniqueName()
    const committed = client.consumer({ groupId: uniqueName('g') })
    const uncommitted = client.consumer({ groupId: uniqueName('g'), readUncommitted: true })
    const seen = new Map<object, string[]>([
      [committed, []],
      [uncommitted, []],
    ])
    for (const consumer of [committed, uncommitted]) {
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ message }) => void seen.get(consumer)!.push(values([message])[0]!),
      })
    }
    const producer = client.producer({ transactionalId: uniqueName('tx') })
    await producer.connect()
    const aborted = await producer.transaction()
    await aborted.send({ topic, messages: [{ value: 'aborted' }] })
    await aborted.abort()
    const kept = await producer.transaction()
    await kept.send({ topic, messages: [{ value: 'kept' }] })
    await kept.commit()
    await waitUntil(() => seen.get(committed)!.length === 1 && seen.get(uncommitted)!.length === 2)
    expect(seen.get(committed)).toEqual(['kept'])
    expect(seen.get(uncommitted)).toEqual(['aborted', 'kept'])
    // aborted, its abort marker, kept, its commit marker.
    expect(await highs(client, topic)).toEqual(['4'])
  })

  it('reports the high watermark in a read_committed batch, past an open transaction, as KafkaJS does', async () => {
    const client = testKafka()
    const topic = uniqueName()
    const plain = client.producer()
    await plain.connect()
    await plain.send({ topic, messages: [{ value: 'before' }] })
    const producer = client.producer({ transactionalId: uniqueName('tx') })
    await producer.connect()
    const tx = await producer.transaction()
    await tx.send({ topic, messages: [{ value: 'open' }] })
    const batches: Batch[] = []
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachBatch: async ({ batch }) => void batches.push(batch) })
    await waitUntil(() => batches.length === 1)
    expect(values(batches[0]!.messages)).toEqual(['before'])
    expect(batches[0]!.highWatermark).toBe('2')
    expect(batches[0]!.offsetLag()).toBe('1')
    await tx.abort()
  })

  it('starts a read_committed consumer at the latest offset, or a seek to -1, at the last stable offset', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [{ value: 'old' }])
    const producer = client.producer({ transactionalId: uniqueName('tx') })
    await producer.connect()
    const tx = await producer.transaction()
    await tx.send({ topic, messages: [{ value: 'in-tx' }] })
    const latest = client.consumer({ groupId: uniqueName('g') })
    const seeking = client.consumer({ groupId: uniqueName('g') })
    const seen = new Map<object, string[]>([
      [latest, []],
      [seeking, []],
    ])
    await latest.subscribe({ topic })
    await seeking.subscribe({ topic, fromBeginning: true })
    for (const consumer of [latest, seeking]) {
      void consumer.run({
        eachMessage: async ({ message }) => void seen.get(consumer)!.push(values([message])[0]!),
      })
    }
    seeking.seek({ topic, partition: 0, offset: '-1' })
    await Promise.all(
      [latest, seeking].map((c) => new Promise((joined) => c.on(c.events.GROUP_JOIN, joined))),
    )
    await tx.commit()
    await waitUntil(() => seen.get(latest)!.length === 1 && seen.get(seeking)!.length === 1)
    expect([...seen.values()]).toEqual([['in-tx'], ['in-tx']])
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
    // Three transactions of one record and one commit marker each.
    expect(await highs(client, output)).toEqual(['6'])
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
    expect(old.isActive()).toBe(false)
    await expect(zombie.transaction()).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' })
    // The newer producer's first transaction aborted what the zombie left open.
    const seen: KafkaMessage[] = []
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) })
    await waitUntil(() => seen.length === 1)
    expect(values(seen)).toEqual(['fresh'])
    expect(seen[0]?.offset).toBe('2')
  })

  it('aborts a transaction open longer than transactionTimeout, on the bus clock, and fences its producer', async () => {
    const clock = new FakeClock()
    const bus = await Bus.open({ clock })
    try {
      const client = testKafka({ logbus: { bus } })
      const topic = uniqueName()
      const producer = client.producer({ transactionalId: uniqueName('tx'), transactionTimeout: 1_000 })
      await producer.connect()
      const tx = await producer.transaction()
      await tx.send({ topic, messages: [{ value: 'late' }] })
      await clock.advance(999)
      expect(tx.isActive()).toBe(true)
      await clock.advance(1)
      await expect(tx.send({ topic, messages: [{ value: 'x' }] })).rejects.toMatchObject({
        type: 'INVALID_PRODUCER_EPOCH',
      })
      expect(tx.isActive()).toBe(false)
      // The bus aborted it: its record, then the abort marker.
      expect(await highs(client, topic)).toEqual(['2'])
    } finally {
      await bus.close()
    }
  })
})

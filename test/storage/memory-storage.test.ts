import { describe, expect, it } from 'vitest'
import { Bus, LockedError, LogbusError, MemoryStorage } from '../../src/index'
import { openBus, uniqueName, waitUntil } from '../support/bus'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

describe('MemoryStorage across buses', () => {
  it('a second Bus on the same storage sees the topics, records and committed offsets of the first', async () => {
    const storage = new MemoryStorage()
    const first = await Bus.open({ storage })
    const orders = uniqueName('orders')
    const audit = uniqueName('audit')
    const groupId = uniqueName('billing')
    await first.createTopic(orders, { partitions: 2, maxMessageBytes: 4096, retentionMs: null })
    await first.createTopic(audit)
    const producer = first.producer()
    await producer.send(orders, [
      { key: 'k0', value: 'a', partition: 0, headers: { h: ['1', '2'] }, timestamp: 111 },
      { value: 'b', partition: 0, timestamp: 222 },
      { value: 'c', partition: 1, timestamp: 333 },
    ])
    await producer.send(orders, { value: null, partition: 0, timestamp: 444 })

    const consumer = first.consumer({ groupId, topics: [orders], fromBeginning: true, autoCommit: false })
    let seen = 0
    await consumer.run({
      eachMessage: async () => {
        seen++
      },
    })
    await waitUntil(() => seen === 4, { message: 'the consumer to read every record' })
    await consumer.commit([
      { topic: orders, partition: 0, offset: 2 },
      { topic: orders, partition: 1, offset: 1 },
    ])
    await consumer.close()
    const firstConfig = first.topic(orders).config
    await first.close()

    const second = await openBus({ storage })
    expect(second.listTopics()).toEqual([audit, orders].sort())
    const topic = second.topic(orders)
    expect(topic.config).toEqual(firstConfig)
    expect(topic.config).toMatchObject({ partitions: 2, maxMessageBytes: 4096, retentionMs: null })
    expect(topic.partitions.map((p) => [p.logStartOffset, p.logEndOffset])).toEqual([
      [0, 3],
      [0, 1],
    ])

    const p0 = await topic.partition(0).read(0)
    expect(
      p0.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp]),
    ).toEqual([
      [0, 'k0', 'a', 111],
      [1, null, 'b', 222],
      [2, null, null, 444],
    ])
    expect(p0[0]?.headers).toEqual({ h: [Buffer.from('1'), Buffer.from('2')] })
    expect((await topic.partition(1).read(0)).map((r) => r.value?.toString())).toEqual(['c'])
    expect(await topic.partition(0).offsetForTimestamp(300)).toBe(2)

    const group = second.group(groupId)
    expect(group.committedOffset(orders, 0)).toBe(2)
    expect(group.committedOffset(orders, 1)).toBe(1)
    expect(second.listGroups()).toEqual([groupId])

    // Offsets go on from where the first bus stopped.
    const meta = await second.producer().send(orders, { value: 'd', partition: 0 })
    expect(meta.offset).toBe(3)
  })

  it('keeps grown partition counts and forgets deleted topics', async () => {
    const storage = new MemoryStorage()
    const first = await Bus.open({ storage })
    const grown = uniqueName('grown')
    const gone = uniqueName('gone')
    await first.createTopic(grown, { partitions: 1 })
    await first.createTopic(gone)
    await first.producer().send(gone, { value: 'x' })
    await first.createPartitions(grown, 4)
    await first.deleteTopic(gone)
    await first.close()

    const second = await openBus({ storage })
    expect(second.listTopics()).toEqual([grown])
    expect(second.topic(grown).partitionCount).toBe(4)
    expect(second.topic(grown).config.partitions).toBe(4)
    // A topic created again under the deleted name starts empty.
    const again = await second.createTopic(gone)
    expect(again.partition(0).logEndOffset).toBe(0)
  })

  it('is open to one Bus at a time: a second open fails with LockedError', async () => {
    const storage = new MemoryStorage()
    const first = await openBus({ storage })
    const error = await rejection(Bus.open({ storage }))
    expect(error).toBeInstanceOf(LockedError)
    expect(error).toBeInstanceOf(LogbusError)
    expect((error as LockedError).code).toBe('LOCKED')
    expect((error as LockedError).retriable).toBe(false)

    // The failed open did not disturb the first bus.
    const topic = uniqueName('still-works')
    await first.createTopic(topic)
    expect(await first.producer().send(topic, { value: 'x' })).toMatchObject({ offset: 0 })

    await first.close()
    const second = await openBus({ storage })
    expect(second.listTopics()).toEqual([topic])
  })

  it('two opens started at the same time: exactly one wins', async () => {
    const storage = new MemoryStorage()
    const results = await Promise.allSettled([Bus.open({ storage }), Bus.open({ storage })])
    const opened = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    try {
      expect(opened).toHaveLength(1)
      expect(failed).toHaveLength(1)
      expect(failed[0]).toBeInstanceOf(LockedError)
    } finally {
      await Promise.all(opened.map((bus) => bus.close()))
    }
  })

  it('separate MemoryStorage instances share nothing', async () => {
    const a = await openBus({ storage: new MemoryStorage() })
    const b = await openBus({ storage: new MemoryStorage() })
    const name = uniqueName('separate')
    await a.createTopic(name)
    expect(b.listTopics()).toEqual([])
    await b.createTopic(name)
    await a.producer().send(name, { value: 'only in a' })
    expect(b.topic(name).partition(0).logEndOffset).toBe(0)
  })
})

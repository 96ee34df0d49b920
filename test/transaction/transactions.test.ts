import { describe, expect, it } from 'vitest'
import {
  Bus,
  InvalidTransactionStateError,
  type LogRecord,
  MemoryStorage,
  ProducerFencedError,
  RecordTooLargeError,
} from '../../src/index'
import { openBus, uniqueName } from '../support/bus'
import { FakeClock } from '../support/fake-clock'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

/** Every record a fresh consumer of `isolation` gets from the beginning, as values. */
async function consumeAll(
  bus: Bus,
  topic: string,
  isolation: 'read_committed' | 'read_uncommitted',
): Promise<string[]> {
  const seen: LogRecord[] = []
  const consumer = bus.consumer({ topics: [topic], fromBeginning: true, isolation })
  await consumer.run({ eachMessage: (record) => void seen.push(record) })
  await consumer.caughtUp()
  await consumer.close()
  return seen.map((r) => r.value!.toString())
}

describe('transactions', () => {
  it('read_committed sees a transaction once it commits; read_uncommitted as it is written; neither sees markers', async () => {
    const bus = await openBus()
    const topic = uniqueName('out')
    await bus.createTopic(topic)
    const producer = bus.producer({ transactionalId: uniqueName('tx') })
    const tx = await producer.transaction()
    await tx.send(topic, [{ value: 'a' }, { value: 'b' }])
    expect(await consumeAll(bus, topic, 'read_uncommitted')).toEqual(['a', 'b'])
    expect(await consumeAll(bus, topic, 'read_committed')).toEqual([])
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(2)
    await tx.commit()
    // The commit marker takes an offset of its own, as in Kafka.
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(3)
    expect(await consumeAll(bus, topic, 'read_committed')).toEqual(['a', 'b'])
    expect(await consumeAll(bus, topic, 'read_uncommitted')).toEqual(['a', 'b'])
  })

  it('an aborted transaction is never seen by read_committed, and its consumers move past it', async () => {
    const bus = await openBus()
    const topic = uniqueName('out')
    await bus.createTopic(topic)
    const plain = bus.producer()
    await plain.send(topic, { value: 'before' })
    const producer = bus.producer({ transactionalId: uniqueName('tx') })
    const tx = await producer.transaction()
    await tx.send(topic, [{ value: 'x' }, { value: 'y' }])
    await tx.abort()
    await plain.send(topic, { value: 'after' })
    expect(await consumeAll(bus, topic, 'read_committed')).toEqual(['before', 'after'])
    expect(await consumeAll(bus, topic, 'read_uncommitted')).toEqual(['before', 'x', 'y', 'after'])
    const groupId = uniqueName('g')
    const member = bus.consumer({
      groupId,
      topics: [topic],
      fromBeginning: true,
      isolation: 'read_committed',
    })
    await member.run({ eachMessage: () => {} })
    await member.caughtUp()
    await member.commit()
    expect(bus.group(groupId).committedOffset(topic, 0)).toBe(5)
  })

  it('read_committed stops at the last stable offset: nothing past an open transaction, even non-transactional', async () => {
    const bus = await openBus()
    const topic = uniqueName('out')
    await bus.createTopic(topic)
    const tx = await bus.producer({ transactionalId: uniqueName('tx') }).transaction()
    await tx.send(topic, { value: 'in-tx' })
    await bus.producer().send(topic, { value: 'plain' })
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(2)
    expect(await consumeAll(bus, topic, 'read_committed')).toEqual([])
    await tx.commit()
    expect(await consumeAll(bus, topic, 'read_committed')).toEqual(['in-tx', 'plain'])
  })

  it('a read_committed consumer starting at the latest offset starts at the last stable offset, as Kafka', async () => {
    const bus = await openBus()
    const topic = uniqueName('out')
    await bus.createTopic(topic)
    await bus.producer().send(topic, { value: 'old' })
    const tx = await bus.producer({ transactionalId: uniqueName('tx') }).transaction()
    await tx.send(topic, { value: 'in-tx' })
    const partition = bus.topic(topic).partition(0)
    expect([partition.lastStableOffset, partition.logEndOffset]).toEqual([1, 2])
    const seen = new Map<string, string[]>()
    const consumers = (['read_committed', 'read_uncommitted'] as const).map((isolation) => {
      seen.set(isolation, [])
      const consumer = bus.consumer({ topics: [topic], isolation })
      return consumer
        .run({ eachMessage: (r) => void seen.get(isolation)!.push(r.value!.toString()) })
        .then(() => consumer)
    })
    const [committed, uncommitted] = await Promise.all(consumers)
    await tx.commit()
    expect(partition.lastStableOffset).toBe(3)
    await Promise.all([committed!.caughtUp(), uncommitted!.caughtUp()])
    // Kafka's ListOffsets(latest) gives a read_committed consumer the last stable offset, and a
    // read_uncommitted one the high watermark: only the first gets the transaction open at its start.
    expect(seen.get('read_committed')).toEqual(['in-tx'])
    expect(seen.get('read_uncommitted')).toEqual([])
  })

  it("sendOffsets commits a group's offsets with the transaction, and not when it aborts", async () => {
    const bus = await openBus()
    const input = uniqueName('in')
    const output = uniqueName('out')
    await bus.createTopic(input)
    await bus.createTopic(output)
    const groupId = uniqueName('g')
    const producer = bus.producer({ transactionalId: uniqueName('tx') })
    const aborted = await producer.transaction()
    await aborted.send(output, { value: 'x' })
    await aborted.sendOffsets({ groupId, offsets: [{ topic: input, partition: 0, offset: 7 }] })
    await aborted.abort()
    expect(bus.group(groupId).committedOffset(input, 0)).toBeUndefined()
    const committed = await producer.transaction()
    await committed.send(output, { value: 'y' })
    await committed.sendOffsets({ groupId, offsets: [{ topic: input, partition: 0, offset: 9 }] })
    await committed.commit()
    expect(bus.group(groupId).committedOffset(input, 0)).toBe(9)
  })

  it('a newer producer with the same transactionalId fences the older one and aborts what it left open', async () => {
    const bus = await openBus()
    const topic = uniqueName('out')
    await bus.createTopic(topic)
    const transactionalId = uniqueName('tx')
    const old = bus.producer({ transactionalId })
    const oldTx = await old.transaction()
    await oldTx.send(topic, { value: 'zombie' })
    const fresh = bus.producer({ transactionalId })
    const tx = await fresh.transaction()
    expect(await rejection(oldTx.send(topic, { value: 'late' }))).toBeInstanceOf(ProducerFencedError)
    expect(await rejection(oldTx.commit())).toBeInstanceOf(ProducerFencedError)
    expect(await rejection(old.transaction())).toBeInstanceOf(ProducerFencedError)
    await tx.send(topic, { value: 'fresh' })
    await tx.commit()
    expect(await consumeAll(bus, topic, 'read_committed')).toEqual(['fresh'])
  })

  it('a transaction open past transactionTimeoutMs is aborted and its producer fenced', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const topic = uniqueName('out')
    await bus.createTopic(topic)
    const producer = bus.producer({ transactionalId: uniqueName('tx'), transactionTimeoutMs: 1_000 })
    const tx = await producer.transaction()
    await tx.send(topic, { value: 'slow' })
    await clock.advance(1_000)
    expect(await consumeAll(bus, topic, 'read_committed')).toEqual([])
    // The abort marker unblocked read_committed readers of what comes next.
    await bus.producer().send(topic, { value: 'next' })
    expect(await consumeAll(bus, topic, 'read_committed')).toEqual(['next'])
    const error = await rejection(tx.commit())
    expect(error).toBeInstanceOf(ProducerFencedError)
    expect((error as Error).message).toMatch(/timed out/)
  })

  it('states: plain sends on a transactional producer, transactions on a plain one, two at a time, sends after the end', async () => {
    const bus = await openBus()
    const topic = uniqueName('out')
    await bus.createTopic(topic)
    const producer = bus.producer({ transactionalId: uniqueName('tx') })
    expect(await rejection(producer.send(topic, { value: 'x' }))).toBeInstanceOf(InvalidTransactionStateError)
    expect(await rejection(bus.producer().transaction())).toBeInstanceOf(InvalidTransactionStateError)
    const tx = await producer.transaction()
    expect(await rejection(producer.transaction())).toBeInstanceOf(InvalidTransactionStateError)
    await tx.commit()
    expect(tx.isActive()).toBe(false)
    expect(await rejection(tx.send(topic, { value: 'x' }))).toBeInstanceOf(InvalidTransactionStateError)
    expect(await rejection(tx.commit())).toBeInstanceOf(InvalidTransactionStateError)
    const next = await producer.transaction()
    await next.abort()
  })

  it('a send that fails in a transaction makes commit abort it and reject with that failure, as Kafka does', async () => {
    const bus = await openBus()
    const topic = uniqueName('out')
    await bus.createTopic(topic, { maxMessageBytes: 100 })
    const tx = await bus.producer({ transactionalId: uniqueName('tx') }).transaction()
    await tx.send(topic, { value: 'ok' })
    await expect(tx.send(topic, { value: 'x'.repeat(200) })).rejects.toBeInstanceOf(RecordTooLargeError)
    // Kafka's producer moves the transaction to an abortable error state on any failed send.
    expect(await rejection(tx.commit())).toBeInstanceOf(RecordTooLargeError)
    expect(tx.isActive()).toBe(false)
    expect(await consumeAll(bus, topic, 'read_committed')).toEqual([])
    expect(await consumeAll(bus, topic, 'read_uncommitted')).toEqual(['ok'])
  })

  it('a bus reopened on the same storage aborts the transactions its predecessor left open', async () => {
    const storage = new MemoryStorage()
    const topic = uniqueName('out')
    const first = await Bus.open({ storage })
    await first.createTopic(topic)
    const tx = await first.producer({ transactionalId: 'etl' }).transaction()
    await tx.send(topic, { value: 'lost' })
    await first.close()
    const second = await openBus({ storage })
    await second.producer().send(topic, { value: 'after' })
    expect(await consumeAll(second, topic, 'read_committed')).toEqual(['after'])
    expect(second.listTopics()).toEqual([topic])
    // Epochs go on: a new producer of the id gets a newer one, and its transactions commit.
    const again = await second.producer({ transactionalId: 'etl' }).transaction()
    await again.send(topic, { value: 'kept' })
    await again.commit()
    expect(await consumeAll(second, topic, 'read_committed')).toEqual(['after', 'kept'])
  })

  it('consume, transform and produce exactly once: outputs and input offsets commit together', async () => {
    const bus = await openBus()
    const input = uniqueName('in')
    const output = uniqueName('out')
    await bus.createTopic(input, { partitions: 2 })
    await bus.createTopic(output)
    await bus.producer().send(
      input,
      [1, 2, 3, 4, 5, 6].map((n) => ({ key: `k${n}`, value: String(n) })),
    )
    const groupId = uniqueName('g')
    const producer = bus.producer({ transactionalId: uniqueName('tx') })
    const consumer = bus.consumer({
      groupId,
      topics: [input],
      fromBeginning: true,
      autoCommit: false,
      isolation: 'read_committed',
    })
    await consumer.run({
      eachBatch: async ({ records, topic, partition }) => {
        const tx = await producer.transaction()
        await tx.send(
          output,
          records.map((r) => ({ value: String(Number(r.value!.toString()) * 10) })),
        )
        await tx.sendOffsets({ groupId, offsets: [{ topic, partition, offset: records.at(-1)!.offset + 1 }] })
        await tx.commit()
      },
    })
    await consumer.caughtUp()
    await consumer.close()
    expect((await consumeAll(bus, output, 'read_committed')).sort()).toEqual([
      '10',
      '20',
      '30',
      '40',
      '50',
      '60',
    ])
    const committed = bus.group(groupId).committedOffsets()
    expect(committed.reduce((n, o) => n + o.offset, 0)).toBe(6)
  })
})

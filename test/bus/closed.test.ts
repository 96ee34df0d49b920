import { describe, expect, it } from 'vitest'
import { Bus, ClosedError, type LogbusError } from '../../src/index'
import { uniqueName } from '../support/bus'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

function expectClosed(error: unknown): void {
  expect(error).toBeInstanceOf(ClosedError)
  expect((error as LogbusError).code).toBe('CLOSED')
  expect((error as LogbusError).retriable).toBe(false)
}

describe('every call on a closed bus, producer or consumer gives ClosedError (not retriable)', () => {
  it('the bus and what was taken from it before it closed', async () => {
    const bus = await Bus.open()
    const topic = uniqueName()
    const orders = await bus.createTopic(topic, { partitions: 2 })
    const partition = orders.partition(0)
    const producer = bus.producer()
    await producer.send(topic, { value: 'x' })
    const groupId = uniqueName('g')
    const consumer = bus.consumer({ groupId, topics: [topic], fromBeginning: true })
    await consumer.run({ eachMessage: () => {} })
    await consumer.caughtUp()
    const group = bus.group(groupId)
    await bus.close()

    expectClosed(await rejection(partition.read(0)))
    expectClosed(thrown(() => partition.logEndOffset))
    expectClosed(await rejection(partition.offsetForTimestamp(0)))
    expectClosed(thrown(() => bus.listTopics()))
    expectClosed(thrown(() => bus.topic(topic)))
    expectClosed(thrown(() => bus.group(groupId)))
    expectClosed(thrown(() => bus.listGroups()))
    expectClosed(thrown(() => bus.producer()))
    expectClosed(thrown(() => bus.consumer({ groupId, topics: [topic] })))
    expectClosed(await rejection(bus.createTopic(uniqueName())))
    expectClosed(await rejection(bus.deleteTopic(topic)))
    expectClosed(await rejection(bus.applyRetention()))
    expectClosed(await rejection(group.lag()))
    expectClosed(thrown(() => group.describe()))
    expectClosed(await rejection(group.resetOffsets({ to: 'earliest' })))
    expectClosed(await rejection(producer.send(topic, { value: 'y' })))
    expectClosed(await rejection(consumer.commit()))
    expectClosed(thrown(() => consumer.seek({ topic, partition: 0, offset: 0 })))
    expectClosed(thrown(() => consumer.pause([{ topic }])))
    expectClosed(thrown(() => consumer.assignment()))
    expectClosed(await rejection(consumer.caughtUp()))
    // Closing again is fine, and so is disposing.
    await bus.close()
    await bus[Symbol.asyncDispose]()
  })

  it('a producer or consumer closed on its own', async () => {
    const bus = await Bus.open()
    try {
      const topic = uniqueName()
      await bus.createTopic(topic)
      const producer = bus.producer()
      await producer.close()
      expectClosed(await rejection(producer.send(topic, { value: 'x' })))
      expectClosed(await rejection(producer.sendBatch([{ topic, messages: [{ value: 'x' }] }])))
      const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic] })
      await consumer.close()
      expectClosed(await rejection(consumer.run({ eachMessage: () => {} })))
      expectClosed(thrown(() => consumer[Symbol.asyncIterator]()))
      await consumer.close()
    } finally {
      await bus.close()
    }
  })
})

import { describe, expect, it, vi } from 'vitest'
import { bytesTopic } from '../../../src/http/rest/embedded-data'
import { TurnBatcher } from '../../../src/http/rest/turn-batcher'
import { openBus } from '../../support/bus'

describe('TurnBatcher', () => {
  it('sends what one turn gathers for a topic as one send, and gives each caller its own metadata', async () => {
    const bus = await openBus()
    await bus.createTopic('orders', { partitions: 2 })
    const producer = bus.producer()
    const sends = vi.spyOn(producer, 'send')
    const batcher = new TurnBatcher(producer)
    const topic = bytesTopic(bus, 'orders', 'v3')
    const value = (text: string) => Buffer.from(text)
    const [a, b] = await Promise.all([
      batcher.send(topic, [{ partition: 0, key: null, value: value('a') }]),
      batcher.send(topic, [
        { partition: 1, key: null, value: value('b1') },
        { partition: 1, key: null, value: value('b2') },
      ]),
    ])
    expect(sends).toHaveBeenCalledTimes(1)
    expect(a.map((m) => [m.partition, m.offset])).toEqual([[0, 0]])
    expect(b.map((m) => [m.partition, m.offset])).toEqual([
      [1, 0],
      [1, 1],
    ])
  })

  it("sends each caller's records on their own when the gathered send fails, failing only the bad ones", async () => {
    const bus = await openBus()
    // A compacted topic refuses records without a key.
    await bus.createTopic('users', { cleanupPolicy: 'compact' })
    const batcher = new TurnBatcher(bus.producer())
    const topic = bytesTopic(bus, 'users', 'v3')
    const [good, bad] = await Promise.allSettled([
      batcher.send(topic, [{ key: Buffer.from('u1'), value: Buffer.from('v') }]),
      batcher.send(topic, [{ key: null, value: Buffer.from('no key') }]),
    ])
    expect(good).toMatchObject({ status: 'fulfilled', value: [{ offset: 0 }] })
    expect(bad.status).toBe('rejected')
    expect(bus.topic('users').partition(0).logEndOffset).toBe(1)
  })
})

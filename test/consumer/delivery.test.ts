import { describe, expect, it } from 'vitest'
import { openBus, uniqueName, waitUntil } from '../support/bus'

// Handlers that return a promise for some records and not for others: the consumer waits for each
// promise before the next record, in one loop (a long run of asynchronous handlers does not nest).

describe('eachMessage with handlers that are sometimes asynchronous', () => {
  it('delivers every record once and in order across batches and turns given back to the event loop', async () => {
    const bus = await openBus()
    const topic = uniqueName('mixed-async')
    await bus.createTopic(topic)
    const total = 5000
    const producer = bus.producer()
    for (let at = 0; at < total; at += 500) {
      await producer.send(
        topic,
        Array.from({ length: 500 }, (_, i) => ({ value: String(at + i) })),
      )
    }
    const seen: number[] = []
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
    await consumer.run({
      eachMessage: (record) => {
        const n = Number(String(record.value))
        if (n % 3 !== 0) {
          seen.push(n)
          return undefined
        }
        return Promise.resolve().then(() => void seen.push(n))
      },
    })
    await waitUntil(() => seen.length >= total)
    await consumer.caughtUp()
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i))
    await consumer.close()
  })

  it('retries a record whose asynchronous handler rejected, then goes on after it, nothing lost or repeated', async () => {
    const bus = await openBus()
    const topic = uniqueName('async-failure')
    await bus.createTopic(topic)
    await bus.producer().send(
      topic,
      Array.from({ length: 300 }, (_, i) => ({ value: String(i) })),
    )
    const seen: number[] = []
    let failed = false
    const consumer = bus.consumer({
      groupId: uniqueName('g'),
      topics: [topic],
      fromBeginning: true,
      retry: { retries: 2, initialRetryTimeMs: 1 },
    })
    await consumer.run({
      eachMessage: async (record) => {
        const n = Number(String(record.value))
        if (n === 150 && !failed) {
          failed = true
          throw new Error('once')
        }
        seen.push(n)
      },
    })
    await waitUntil(() => seen.length >= 300)
    await consumer.caughtUp()
    expect(failed).toBe(true)
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i))
    await consumer.close()
  })
})

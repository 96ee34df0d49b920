import { describe, expect, it } from 'vitest'
import { type ConsumerEvents, HandlerError, InvalidStateError, json } from '../../src/index'
import { openBus, uniqueName } from '../support/bus'
import { FakeClock } from '../support/fake-clock'

/** A topic with a poison record at offset 1 of partition 0, between two good ones. */
async function poisoned() {
  const clock = new FakeClock()
  const bus = await openBus({ clock })
  const topic = uniqueName('orders')
  await bus.createTopic(topic, { partitions: 2 })
  await bus.producer().send(topic, [
    { value: 'ok-0', partition: 0 },
    { value: 'poison', partition: 0 },
    { value: 'ok-2', partition: 0 },
    { value: 'other', partition: 1 },
  ])
  return { bus, clock, topic }
}

const handled = (seen: string[]) => (record: { value: Buffer | null }) => {
  const value = record.value!.toString()
  if (value === 'poison') throw new Error('cannot handle poison')
  seen.push(value)
}

describe('a record whose handler keeps failing (a poison message)', () => {
  it('by default the partition pauses at it after the retries: no spinning, other partitions flow, nothing lost', async () => {
    const { bus, clock, topic } = await poisoned()
    const groupId = uniqueName('g')
    const consumer = bus.consumer({
      groupId,
      topics: [topic],
      fromBeginning: true,
      retry: { retries: 2, initialRetryTimeMs: 100 },
    })
    const failures: ConsumerEvents['failure'][] = []
    const retries: number[] = []
    consumer.on('failure', (event) => void failures.push(event))
    consumer.on('retry', ({ attempt }) => void retries.push(attempt))
    const seen: string[] = []
    await consumer.run({ eachMessage: handled(seen) })
    await clock.advance(100)
    await clock.advance(200)
    await consumer.idle()
    expect(retries).toEqual([1, 2])
    expect(seen.sort()).toEqual(['ok-0', 'other'])
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ topic, partition: 0, offset: 1, action: 'paused' })
    expect(failures[0]?.error).toBeInstanceOf(HandlerError)
    expect(consumer.paused()).toEqual([{ topic, partition: 0 }])
    // The group does not churn: one generation, no crash.
    expect(bus.group(groupId).generation).toBe(1)
    // resume() tries it again; a seek past it skips it.
    consumer.seek({ topic, partition: 0, offset: 2 })
    consumer.resume([{ topic, partition: 0 }])
    await consumer.caughtUp()
    expect(seen.sort()).toEqual(['ok-0', 'ok-2', 'other'])
  })

  it("'skip' counts it as processed and goes on", async () => {
    const { bus, topic } = await poisoned()
    const consumer = bus.consumer({
      groupId: uniqueName('g'),
      topics: [topic],
      fromBeginning: true,
      retry: { retries: 0 },
      onFailure: 'skip',
    })
    const actions: string[] = []
    consumer.on('failure', ({ action, offset }) => void actions.push(`${action}@${offset}`))
    const seen: string[] = []
    await consumer.run({ eachMessage: handled(seen) })
    await consumer.caughtUp()
    await consumer.commit()
    expect(seen.sort()).toEqual(['ok-0', 'ok-2', 'other'])
    expect(actions).toEqual(['skipped@1'])
    expect(bus.group(consumer.groupId!).committedOffset(topic, 0)).toBe(3)
  })

  it('a dead-letter topic gets the record with where it came from and the error, and the group commits past it', async () => {
    const { bus, topic } = await poisoned()
    const dlt = await bus.createTopic(`${topic}.dlt`)
    const groupId = uniqueName('g')
    const consumer = bus.consumer({
      groupId,
      topics: [topic],
      fromBeginning: true,
      retry: { retries: 0 },
      onFailure: { deadLetter: dlt.name },
    })
    const seen: string[] = []
    await consumer.run({ eachMessage: handled(seen) })
    await consumer.caughtUp()
    expect(seen.sort()).toEqual(['ok-0', 'ok-2', 'other'])
    const [dead] = await dlt.partition(0).read(0)
    expect(dead?.value?.toString()).toBe('poison')
    const header = (name: string) => dead?.headers[`logbus.dlt.${name}`]?.toString()
    expect(header('original-topic')).toBe(topic)
    expect(header('original-partition')).toBe('0')
    expect(header('original-offset')).toBe('1')
    expect(header('original-consumer-group')).toBe(groupId)
    expect(header('exception-message')).toBe('cannot handle poison')
    expect(header('exception-class')).toBe('Error')
    expect(bus.group(groupId).committedOffset(topic, 0)).toBeGreaterThanOrEqual(2)
  })

  it('a typed value goes to a raw dead-letter topic as the bytes its codec makes', async () => {
    const bus = await openBus()
    const orders = await bus.createTopic(uniqueName('orders'), { value: json() })
    const dlt = await bus.createTopic(uniqueName('orders-dlt'))
    await bus.producer().send(orders, { key: 'o-1', value: { total: -1 } })
    const consumer = bus.consumer({
      topics: [orders],
      fromBeginning: true,
      retry: { retries: 0 },
      onFailure: { deadLetter: dlt.name },
    })
    await consumer.run({
      eachMessage: () => {
        throw new Error('negative total')
      },
    })
    await consumer.caughtUp()
    const [dead] = await dlt.partition(0).read(0)
    expect(dead?.value?.toString()).toBe('{"total":-1}')
    expect(dead?.key?.toString()).toBe('o-1')
  })

  it("'crash' stops the member (KafkaJS's behaviour), and a missing dead-letter topic crashes it with a clear error", async () => {
    const { bus, topic } = await poisoned()
    const crashes: Error[] = []
    const consumer = bus.consumer({
      groupId: uniqueName('g'),
      topics: [topic],
      fromBeginning: true,
      retry: { retries: 0 },
      onFailure: { deadLetter: 'nowhere' },
      restartOnFailure: false,
    })
    consumer.on('crash', ({ error }) => void crashes.push(error))
    await consumer.run({ eachMessage: handled([]) })
    await expect(consumer.caughtUp()).rejects.toBeInstanceOf(HandlerError)
    expect(crashes[0]?.message).toMatch(/dead-letter topic "nowhere"/)
  })

  it('a record its view cannot decode goes straight to the policy, without retries', async () => {
    const bus = await openBus()
    const name = uniqueName('raw')
    await bus.createTopic(name)
    await bus.producer().send(name, [{ value: '{"a":1}' }, { value: 'not json' }, { value: '{"a":3}' }])
    const consumer = bus.consumer({
      topics: [bus.topic(name, { value: json() })],
      fromBeginning: true,
      onFailure: 'skip',
    })
    const retries: number[] = []
    const failures: number[] = []
    consumer.on('retry', ({ offset }) => void retries.push(offset))
    consumer.on('failure', ({ offset }) => void failures.push(offset))
    const seen: unknown[] = []
    await consumer.run({ eachMessage: (record) => void seen.push(record.value) })
    await consumer.caughtUp()
    expect(seen).toEqual([{ a: 1 }, { a: 3 }])
    expect(retries).toEqual([])
    expect(failures).toEqual([1])
  })
})

describe('closing', () => {
  it('close() from inside its own handler rejects with a clear error instead of hanging', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    const consumer = bus.consumer({ topics: [topic], fromBeginning: true })
    let failure: unknown
    await consumer.run({
      eachMessage: async () => {
        failure = await consumer.close().catch((error: unknown) => error)
      },
    })
    await bus.producer().send(topic, { value: 'x' })
    await consumer.caughtUp()
    expect(failure).toBeInstanceOf(InvalidStateError)
    expect((failure as Error).message).toMatch(/inside its own handler/)
    await consumer.close()
  })

  it('leaving a for-await loop commits what the loop body finished; the record it broke on comes again', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    await bus.producer().send(
      topic,
      [0, 1, 2, 3, 4].map((i) => ({ value: String(i) })),
    )
    const groupId = uniqueName('g')
    for await (const record of bus.consumer({ groupId, topics: [topic], fromBeginning: true })) {
      if (record.offset === 3) break
    }
    expect(bus.group(groupId).committedOffset(topic, 0)).toBe(3)
  })
})

describe('topic auto-creation (Kafka auto.create.topics.enable)', () => {
  it('off by default: a send to a missing topic fails', async () => {
    const bus = await openBus()
    await expect(bus.producer().send(uniqueName('typo'), { value: 'x' })).rejects.toThrow(/Unknown topic/)
  })

  it('on: a send or a subscription creates the topic with the configured partition count', async () => {
    const bus = await openBus({ autoCreateTopics: { partitions: 3 } })
    const sent = uniqueName('auto')
    const meta = await bus.producer().send(sent, { key: 'k', value: 'x' })
    expect(bus.topic(sent).partitionCount).toBe(3)
    expect(meta.offset).toBe(0)
    const subscribed = uniqueName('auto')
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [subscribed] })
    await consumer.run({ eachMessage: () => {} })
    await consumer.joined()
    expect(bus.listTopics()).toContain(subscribed)
    expect(consumer.assignment()).toHaveLength(3)
    await expect(bus.producer().send('bad name!', { value: 'x' })).rejects.toThrow(/Invalid topic/i)
  })
})

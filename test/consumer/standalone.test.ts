import { describe, expect, it } from 'vitest'
import { InvalidStateError, type LogRecord, string, UnknownMemberError } from '../../src/index'
import { openBus, uniqueName } from '../support/bus'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

describe('consumers without a group', () => {
  it('a fan-out subscription: every listener gets every record of every partition, no groupId invented', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic, { partitions: 3 })
    const seen: string[][] = [[], []]
    const listeners = seen.map((list) => {
      const consumer = bus.consumer({ topics: [topic] })
      return { consumer, list }
    })
    for (const { consumer, list } of listeners) {
      await consumer.run({ eachMessage: (record) => void list.push(record.value!.toString()) })
      expect(consumer.groupId).toBeUndefined()
      expect(consumer.assignment().map((tp) => tp.partition)).toEqual([0, 1, 2])
    }
    await bus.producer().send(topic, [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
      { key: 'c', value: '3' },
    ])
    for (const { consumer } of listeners) await consumer.caughtUp()
    for (const list of seen) expect(list.sort()).toEqual(['1', '2', '3'])
    expect(bus.listGroups()).toEqual([])
  })

  it('starts at the end by default (a listener hears what happens from now on), or from the beginning', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    await bus.producer().send(topic, { value: 'old' })
    const late: string[] = []
    const all: string[] = []
    await bus.consumer({ topics: [topic] }).run({ eachMessage: (r) => void late.push(r.value!.toString()) })
    const replay = bus.consumer({ topics: [topic], fromBeginning: true })
    await replay.run({ eachMessage: (r) => void all.push(r.value!.toString()) })
    await bus.producer().send(topic, { value: 'new' })
    await replay.caughtUp()
    expect(all).toEqual(['old', 'new'])
    expect(late).toEqual(['new'])
  })

  it('follows new partitions and topics that match a RegExp', async () => {
    const bus = await openBus()
    const prefix = uniqueName('fan')
    await bus.createTopic(`${prefix}.a`)
    const consumer = bus.consumer({
      topics: new RegExp(`^${prefix.replace(/[-.]/g, '\\$&')}\\.`),
      fromBeginning: true,
    })
    const seen: string[] = []
    await consumer.run({ eachMessage: (r) => void seen.push(`${r.topic}/${r.partition}`) })
    await bus.createPartitions(`${prefix}.a`, 2)
    await bus.createTopic(`${prefix}.b`)
    await consumer.joined()
    expect(consumer.assignment()).toEqual([
      { topic: `${prefix}.a`, partition: 0 },
      { topic: `${prefix}.a`, partition: 1 },
      { topic: `${prefix}.b`, partition: 0 },
    ])
    await bus.producer().send(`${prefix}.b`, { value: 'x' })
    await bus.producer().send(`${prefix}.a`, { value: 'y', partition: 1 })
    await consumer.caughtUp()
    expect(seen.sort()).toEqual([`${prefix}.a/1`, `${prefix}.b/0`])
    await bus.deleteTopic(`${prefix}.b`)
    await consumer.joined()
    expect(consumer.assignment().map((tp) => tp.topic)).toEqual([`${prefix}.a`, `${prefix}.a`])
  })

  it("assign(): exactly the partitions given, each from its own position, typed by the topic's view", async () => {
    const bus = await openBus()
    const logs = await bus.createTopic(uniqueName('logs'), { partitions: 2, value: string() })
    await bus.producer().send(
      logs,
      [0, 1, 2, 3].map((i) => ({ value: `p0-${i}`, partition: 0 })),
    )
    await bus.producer().send(
      logs,
      [0, 1].map((i) => ({ value: `p1-${i}`, partition: 1 })),
    )
    const consumer = bus.consumer({ assign: [{ topic: logs, partition: 0, offset: 2 }] })
    const seen: LogRecord<unknown, unknown>[] = []
    await consumer.run({ eachMessage: (record) => void seen.push(record) })
    await consumer.caughtUp()
    expect(consumer.assignment()).toEqual([{ topic: logs.name, partition: 0 }])
    expect(seen.map((r) => r.value)).toEqual(['p0-2', 'p0-3'])
  })

  it('commit() without a groupId says there is no group; with one, an assign() consumer commits while the group is empty', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }])
    const loner = bus.consumer({ assign: [{ topic, partition: 0, offset: 0 }] })
    await loner.run({ eachMessage: () => {} })
    await loner.caughtUp()
    expect(await rejection(loner.commit())).toBeInstanceOf(InvalidStateError)
    await loner.close()

    const groupId = uniqueName('g')
    const manual = bus.consumer({ groupId, assign: [{ topic, partition: 0 }], fromBeginning: true })
    await manual.run({ eachMessage: () => {} })
    await manual.caughtUp()
    await manual.commit()
    expect(bus.group(groupId).committedOffset(topic, 0)).toBe(2)
    // Kafka refuses a standalone commit to a group that has members.
    const member = bus.consumer({ groupId, topics: [topic] })
    await member.run({ eachMessage: () => {} })
    await member.joined()
    expect(await rejection(manual.commit([{ topic, partition: 0, offset: 1 }]))).toBeInstanceOf(
      UnknownMemberError,
    )
    await member.close()
    await manual.close()
    // The next assign() consumer of the group starts where it committed.
    await bus.producer().send(topic, { value: 'c' })
    const resumed: string[] = []
    const next = bus.consumer({ groupId, assign: [{ topic, partition: 0 }] })
    await next.run({ eachMessage: (r) => void resumed.push(r.value!.toString()) })
    await next.caughtUp()
    expect(resumed).toEqual(['c'])
  })

  it('rejects options that mix or miss topics and assign', async () => {
    const bus = await openBus()
    expect(() => bus.consumer({ groupId: 'g' })).toThrow(/topics or assign/)
    expect(() => bus.consumer({ topics: ['a'], assign: [{ topic: 'a', partition: 0 }] })).toThrow(
      /topics or assign/,
    )
    expect(() => bus.consumer({ topics: ['a'], instanceId: 'x' })).toThrow(/groupId/)
  })
})

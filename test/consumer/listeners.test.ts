import { describe, expect, it } from 'vitest'
import type { ConsumerEvents, LogRecord, TopicPartition } from '../../src/index'
import { openBus, uniqueName, waitUntil } from '../support/bus'
import { at, gate, tps, turns } from '../support/helpers'

describe('onAssign', () => {
  it('is called with the new partitions before they are fetched, and a seek there is honoured', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic, { partitions: 2 })
    await bus.producer().send(
      topic,
      [0, 1].flatMap((partition) => [0, 1, 2, 3].map((i) => ({ value: String(i), partition }))),
    )
    const calls: TopicPartition[][] = []
    const consumer = bus.consumer({
      groupId: uniqueName('g'),
      topics: [topic],
      fromBeginning: true,
      onAssign: (partitions) => {
        calls.push(partitions)
        consumer.seek({ topic, partition: 1, offset: 3 })
      },
    })
    const seen: LogRecord[] = []
    await consumer.run({ eachMessage: (r) => void seen.push(r) })
    await consumer.caughtUp({ timeoutMs: 5_000 })
    expect(calls).toEqual([tps(topic, 0, 1)])
    expect(at(seen.filter((r) => r.partition === 1))).toEqual(['1@3'])
    expect(at(seen.filter((r) => r.partition === 0))).toEqual(['0@0', '0@1', '0@2', '0@3'])
  })

  it('holds fetching (and run()) until an async onAssign resolves', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }])
    const assigning = gate()
    let called = false
    const consumer = bus.consumer({
      groupId: uniqueName('g'),
      topics: [topic],
      fromBeginning: true,
      onAssign: async () => {
        called = true
        await assigning.promise
      },
    })
    const seen: LogRecord[] = []
    let running = false
    const run = consumer.run({ eachMessage: (r) => void seen.push(r) }).then(() => {
      running = true
    })
    await waitUntil(() => called, { message: 'onAssign' })
    await turns()
    expect(seen).toEqual([])
    expect(running).toBe(false)
    assigning.open()
    await run
    await consumer.caughtUp({ timeoutMs: 5_000 })
    expect(at(seen)).toEqual(['0@0', '0@1'])
  })

  it('crashes the member with the error an onAssign throws', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    const failure = new Error('cannot prepare')
    const consumer = bus.consumer({
      groupId: uniqueName('g'),
      topics: [topic],
      restartOnFailure: false,
      onAssign: () => {
        throw failure
      },
    })
    const crash = consumer.waitFor('crash')
    await consumer.run({ eachMessage: () => undefined })
    const { error, restart } = await crash
    expect(error).toBe(failure)
    expect(restart).toBe(false)
  })
})

describe('onRevoke', () => {
  it('runs after the handler in flight returned and its offsets were committed, before the partition moves', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const group = bus.group(groupId)
    const log: string[] = []
    const stuck = gate()
    const revoking = gate()
    let inFlight = false
    const first = bus.consumer({
      groupId,
      topics: [topic],
      fromBeginning: true,
      clientId: 'b-first',
      autoCommitIntervalMs: 3_600_000,
      onRevoke: async (partitions) => {
        log.push(`first.onRevoke ${partitions.map((tp) => tp.partition).join(',')}`)
        log.push(`committed ${group.committedOffset(topic, 0)},${group.committedOffset(topic, 1)}`)
        await revoking.promise
        log.push('first.onRevoke done')
      },
    })
    await first.run({
      eachMessage: async (r) => {
        if (r.value?.toString() === 'slow') {
          inFlight = true
          log.push('handler start')
          await stuck.promise
          log.push('handler end')
          inFlight = false
        }
      },
    })
    await bus.producer().send(topic, [
      { value: 'x', partition: 0 },
      { value: 'x', partition: 1 },
      { value: 'slow', partition: 1 },
    ])
    await waitUntil(() => inFlight, { message: 'the handler in flight' })

    // 'a-second' sorts first, so range moves partition 0 to it.
    const second = bus.consumer({
      groupId,
      topics: [topic],
      fromBeginning: true,
      clientId: 'a-second',
      onAssign: (partitions) => {
        log.push(`second.onAssign ${partitions.map((tp) => tp.partition).join(',')}`)
      },
    })
    const seenBySecond: LogRecord[] = []
    const joining = second.run({ eachMessage: (r) => void seenBySecond.push(r) })
    await waitUntil(() => group.describe().state === 'PreparingRebalance', { message: 'the rebalance' })
    await turns()
    expect(log).toEqual(['handler start'])

    stuck.open()
    await waitUntil(() => log.length === 4, { message: 'onRevoke' })
    expect(log).toEqual(['handler start', 'handler end', 'first.onRevoke 0,1', 'committed 1,2'])
    // An async onRevoke holds the hand-over.
    await turns()
    expect(second.assignment()).toEqual([])

    revoking.open()
    await joining
    await group.settled()
    expect(log.slice(4)).toEqual(['first.onRevoke done', 'second.onAssign 0'])
    expect(second.assignment()).toEqual(tps(topic, 0))
    // Partition 0 was committed before it moved: nothing is delivered twice.
    await bus.producer().send(topic, { value: 'y', partition: 0 })
    await second.caughtUp({ timeoutMs: 5_000 })
    expect(at(seenBySecond)).toEqual(['0@1'])
  })

  it('crashes the member with the error an onRevoke throws, and the group still rebalances', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const failure = new Error('cannot flush')
    const first = bus.consumer({
      groupId,
      topics: [topic],
      restartOnFailure: false,
      onRevoke: () => {
        throw failure
      },
    })
    const crash = first.waitFor('crash')
    await first.run({ eachMessage: () => undefined })
    const second = bus.consumer({ groupId, topics: [topic] })
    await second.run({ eachMessage: () => undefined })
    const { error } = await crash
    expect(error).toBe(failure)
    await bus.group(groupId).settled()
    expect(second.assignment()).toEqual(tps(topic, 0, 1))
  })

  it('is called with every partition when the consumer closes, as Kafka does on close()', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic, { partitions: 2 })
    const calls: TopicPartition[][] = []
    const consumer = bus.consumer({
      groupId: uniqueName('g'),
      topics: [topic],
      onRevoke: (partitions) => void calls.push(partitions),
    })
    const revokedEvents: TopicPartition[][] = []
    consumer.on('partitionsRevoked', ({ partitions }) => revokedEvents.push(partitions))
    await consumer.run({ eachMessage: () => undefined })
    await consumer.close()
    expect(calls).toEqual([tps(topic, 0, 1)])
    expect(revokedEvents).toEqual([tps(topic, 0, 1)])
  })
})

describe('rebalance events', () => {
  it('report each generation with the assignment: groupJoin, partitionsAssigned, partitionsRevoked', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 3 })
    const group = bus.group(groupId)
    const first = bus.consumer({ groupId, topics: [topic], clientId: 'a' })
    const events: string[] = []
    const joins: ConsumerEvents['groupJoin'][] = []
    first.on('groupJoin', (e) => {
      joins.push(e)
      events.push(`join ${e.generation}`)
    })
    first.on('partitionsAssigned', (e) =>
      events.push(`assigned ${e.generation} ${e.partitions.map((tp) => tp.partition).join(',')}`),
    )
    first.on('partitionsRevoked', (e) =>
      events.push(`revoked ${e.generation} ${e.partitions.map((tp) => tp.partition).join(',')}`),
    )
    await first.run({ eachMessage: () => undefined })
    expect(joins).toEqual([
      { groupId, memberId: first.memberId, generation: group.generation, assignment: tps(topic, 0, 1, 2) },
    ])

    const second = bus.consumer({ groupId, topics: [topic], clientId: 'b' })
    await second.run({ eachMessage: () => undefined })
    await group.settled()
    const g = group.generation
    expect(events).toEqual([
      `assigned ${g - 1} 0,1,2`,
      `join ${g - 1}`,
      `revoked ${g - 1} 0,1,2`,
      `assigned ${g} 0,1`,
      `join ${g}`,
    ])
    expect(joins.at(-1)).toEqual({
      groupId,
      memberId: first.memberId,
      generation: g,
      assignment: tps(topic, 0, 1),
    })
    expect(first.assignment()).toEqual(tps(topic, 0, 1))
  })

  it('lets a group listener see every rebalance with its generation and full assignment', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const group = bus.group(groupId)
    const rebalances: { generation: number; owners: string[] }[] = []
    group.on('rebalance', ({ generation, assignment, protocol }) => {
      expect(protocol).toBe('range')
      rebalances.push({
        generation,
        owners: Object.values(assignment)
          .flat()
          .map((tp) => `${tp.partition}`)
          .sort(),
      })
    })
    const a = bus.consumer({ groupId, topics: [topic] })
    await a.run({ eachMessage: () => undefined })
    const b = bus.consumer({ groupId, topics: [topic] })
    await b.run({ eachMessage: () => undefined })
    await group.settled()
    await b.close()
    await group.settled()
    expect(rebalances).toEqual([
      { generation: 1, owners: ['0', '1'] },
      { generation: 2, owners: ['0', '1'] },
      { generation: 3, owners: ['0', '1'] },
    ])
  })
})

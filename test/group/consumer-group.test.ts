import { describe, expect, it } from 'vitest'
import {
  type Assignor,
  type Consumer,
  type LogRecord,
  MemoryStorage,
  roundRobinAssignor,
} from '../../src/index'
import type { CommittedOffset } from '../../src/storage/storage'
import { deferred } from '../../src/util/deferred'
import { openBus, uniqueName, waitUntil } from '../support/bus'

/** Memory storage whose offset writes wait while `held` is pending (a slow disk). */
class HeldOffsetsStorage extends MemoryStorage {
  held: Promise<void> | undefined
  saving = 0
  override async saveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void> {
    this.saving++
    await this.held
    return super.saveOffsets(groupId, offsets)
  }
}

const sortTps = (tps: { topic: string; partition: number }[]) =>
  [...tps].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)

describe('ConsumerGroup', () => {
  it('shares the partitions among members, one owner each, and rebalances when one leaves', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 6 })
    const members: Consumer[] = []
    for (let i = 0; i < 3; i++) {
      const consumer = bus.consumer({ groupId, topics: [topic] })
      await consumer.run({ eachMessage: () => undefined })
      members.push(consumer)
    }
    const group = bus.group(groupId)
    await group.settled()
    expect(group.describe()).toMatchObject({ state: 'Stable', protocol: 'range', generation: 3 })
    const owned = members.flatMap((m) => m.assignment())
    expect(sortTps(owned)).toEqual([0, 1, 2, 3, 4, 5].map((partition) => ({ topic, partition })))
    expect(members.map((m) => m.assignment().length)).toEqual([2, 2, 2])

    const rebalance = group.waitFor('rebalance')
    await members[1]!.close()
    const { generation, assignment } = await rebalance
    expect(generation).toBe(4)
    expect(Object.keys(assignment)).toHaveLength(2)
    expect(members[0]!.assignment().length + members[2]!.assignment().length).toBe(6)
  })

  it('range-assigns with Kafka order: members sorted by id', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 3 })
    const a = bus.consumer({ groupId, topics: [topic], clientId: 'a' })
    const b = bus.consumer({ groupId, topics: [topic], clientId: 'b' })
    await Promise.all([a.run({ eachMessage: () => undefined }), b.run({ eachMessage: () => undefined })])
    await bus.group(groupId).settled()
    // clientId prefixes the member id, so 'a-…' sorts before 'b-…' and gets the extra partition.
    expect(a.assignment().map((tp) => tp.partition)).toEqual([0, 1])
    expect(b.assignment().map((tp) => tp.partition)).toEqual([2])
  })

  it('uses the assignor the members ask for, by name or as a function', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic, { partitions: 4 })
    const rr = uniqueName('g')
    const c1 = bus.consumer({ groupId: rr, topics: [topic], assignor: 'roundrobin' })
    await c1.run({ eachMessage: () => undefined })
    expect(bus.group(rr).describe().protocol).toBe('roundrobin')

    const allToFirst: Assignor = ({ members, partitions }) => {
      const all = Object.entries(partitions).flatMap(([t, n]) =>
        Array.from({ length: n }, (_, partition) => ({ topic: t, partition })),
      )
      return Object.fromEntries(members.map((m, i) => [m.memberId, i === 0 ? all : []]))
    }
    const custom = uniqueName('g')
    const x = bus.consumer({ groupId: custom, topics: [topic], assignor: allToFirst })
    const y = bus.consumer({ groupId: custom, topics: [topic], assignor: allToFirst })
    await x.run({ eachMessage: () => undefined })
    await y.run({ eachMessage: () => undefined })
    await bus.group(custom).settled()
    expect(x.assignment().length + y.assignment().length).toBe(4)
    expect(bus.group(custom).describe().protocol).toBe('allToFirst')
    expect(roundRobinAssignor.protocol).toBe('roundrobin')
  })

  it('rejects an invalid assignment from a user assignor and assigns nothing', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const twice: Assignor = ({ members }) =>
      Object.fromEntries(members.map((m) => [m.memberId, [{ topic, partition: 0 }]]))
    const errors: Error[] = []
    bus.group(groupId).on('error', ({ error }) => errors.push(error))
    const a = bus.consumer({ groupId, topics: [topic], assignor: twice })
    const b = bus.consumer({ groupId, topics: [topic], assignor: twice })
    await Promise.all([a.run({ eachMessage: () => undefined }), b.run({ eachMessage: () => undefined })])
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/twice/))
    expect([...a.assignment(), ...b.assignment()]).toEqual([])
  })

  it('picks up new topics matching a RegExp subscription and new partitions', async () => {
    const bus = await openBus()
    const prefix = uniqueName('rx')
    const groupId = uniqueName('g')
    await bus.createTopic(`${prefix}.a`)
    await bus.createTopic(uniqueName('other'))
    const consumer = bus.consumer({ groupId, topics: new RegExp(`^${prefix.replace(/[-.]/g, '\\$&')}\\.`) })
    const seen: LogRecord[] = []
    await consumer.run({ eachMessage: (r) => void seen.push(r) })
    expect(consumer.assignment()).toEqual([{ topic: `${prefix}.a`, partition: 0 }])

    const group = bus.group(groupId)
    const rebalanced = group.waitFor('rebalance')
    await bus.createTopic(`${prefix}.b`, { partitions: 2 })
    await rebalanced
    expect(consumer.assignment().map((tp) => tp.topic)).toEqual([`${prefix}.a`, `${prefix}.b`, `${prefix}.b`])

    const grown = group.waitFor('rebalance')
    await bus.createPartitions(`${prefix}.a`, 2)
    await grown
    expect(consumer.assignment()).toHaveLength(4)
    await bus.producer().send(`${prefix}.b`, { value: 'x', partition: 1 })
    await waitUntil(() => seen.length === 1)
  })

  it('assigns topics named like Object.prototype properties, and rebalances when they grow', async () => {
    // Both are legal Kafka topic names; a plain object keyed by topic silently dropped `__proto__`.
    const bus = await openBus()
    await bus.createTopic('__proto__', { partitions: 2 })
    await bus.createTopic('constructor')
    const groupId = uniqueName('g')
    const consumer = bus.consumer({ groupId, topics: ['__proto__', 'constructor'] })
    await consumer.run({ eachMessage: () => undefined })
    const group = bus.group(groupId)
    await group.settled()
    expect(sortTps(consumer.assignment())).toEqual([
      { topic: '__proto__', partition: 0 },
      { topic: '__proto__', partition: 1 },
      { topic: 'constructor', partition: 0 },
    ])

    const grown = group.waitFor('rebalance')
    await bus.createPartitions('__proto__', 3)
    await grown
    expect(consumer.assignment().filter((tp) => tp.topic === '__proto__')).toHaveLength(3)
  })

  it('drops a deleted topic from assignments and from committed offsets', async () => {
    const bus = await openBus()
    const keep = uniqueName()
    const gone = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(keep)
    await bus.createTopic(gone)
    const consumer = bus.consumer({ groupId, topics: [keep, gone], fromBeginning: true })
    const seen: LogRecord[] = []
    await consumer.run({ eachMessage: (r) => void seen.push(r) })
    await bus.producer().send(gone, { value: 'x' })
    await waitUntil(() => seen.length === 1)
    await consumer.commit()
    expect(bus.group(groupId).committedOffset(gone, 0)).toBe(1)
    const rebalanced = bus.group(groupId).waitFor('rebalance')
    await bus.deleteTopic(gone)
    await rebalanced
    expect(consumer.assignment()).toEqual([{ topic: keep, partition: 0 }])
    expect(bus.group(groupId).committedOffset(gone, 0)).toBeUndefined()
  })

  it('does not bring back, after a restart, the offsets of a deleted topic whose commit was being written', async () => {
    const storage = new HeldOffsetsStorage()
    const bus = await openBus({ storage })
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic)
    await bus.producer().send(topic, { value: 'x' })
    const consumer = bus.consumer({ groupId, topics: [topic], fromBeginning: true, autoCommit: false })
    let seen = 0
    await consumer.run({ eachMessage: () => void seen++ })
    await waitUntil(() => seen === 1)
    const release = deferred()
    storage.held = release.promise
    const committed = consumer.commit()
    await waitUntil(() => storage.saving === 1)
    // The write lands only once the deletion is under way: when the group starts rebalancing away from
    // the topic, which the bus sets off before it deletes the topic from storage.
    bus.group(groupId).once('stateChange', () => release.resolve())
    await Promise.all([committed, bus.deleteTopic(topic)])
    await bus.close()

    const reopened = await openBus({ storage })
    expect(reopened.group(groupId).committedOffsets()).toEqual([])
    expect(reopened.listGroups()).not.toContain(groupId)
  })

  it('hands a partition over only after its previous owner committed (eager protocol)', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic)
    const producer = bus.producer()
    await producer.send(
      topic,
      Array.from({ length: 50 }, (_, i) => ({ value: String(i) })),
    )
    const first = bus.consumer({ groupId, topics: [topic], fromBeginning: true })
    const processedByFirst: number[] = []
    let release: (() => void) | undefined
    await first.run({
      eachMessage: async (r) => {
        processedByFirst.push(r.offset)
        if (r.offset === 9) await new Promise<void>((resolve) => (release = resolve))
      },
    })
    await waitUntil(() => release !== undefined)
    const second = bus.consumer({ groupId, topics: [topic], fromBeginning: true, clientId: 'a-first' })
    const processedBySecond: number[] = []
    const joining = second.run({ eachMessage: (r) => void processedBySecond.push(r.offset) })
    // The rebalance waits for the record in flight on the first member.
    await waitUntil(() => bus.group(groupId).describe().state === 'PreparingRebalance')
    expect(processedBySecond).toEqual([])
    release!()
    await joining
    await bus.group(groupId).settled()
    const owner = first.assignment().length === 1 ? 'first' : 'second'
    expect(bus.group(groupId).committedOffset(topic, 0)).toBe(10)
    if (owner === 'second') {
      await waitUntil(() => processedBySecond.length === 40)
      expect(processedBySecond[0]).toBe(10)
    }
    expect(processedByFirst.slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('describes states and reports lag', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const group = bus.group(groupId)
    expect(group.describe()).toMatchObject({ groupId, state: 'Dead', members: [], protocol: '' })
    expect(bus.listGroups()).not.toContain(groupId)
    await bus.producer().send(topic, [
      { value: 'a', partition: 0 },
      { value: 'b', partition: 0 },
      { value: 'c', partition: 1 },
    ])
    const consumer = bus.consumer({ groupId, topics: [topic], autoCommit: false, fromBeginning: true })
    await consumer.run({ eachMessage: () => undefined })
    expect(group.describe()).toMatchObject({ state: 'Stable', generation: 1 })
    expect(group.describe().members[0]).toMatchObject({ memberId: consumer.memberId, clientId: 'logbus' })
    expect(bus.listGroups()).toContain(groupId)
    await consumer.commit([{ topic, partition: 0, offset: 1 }])
    expect(await group.lag()).toEqual([
      { topic, partition: 0, committedOffset: 1, logEndOffset: 2, lag: 1 },
      { topic, partition: 1, committedOffset: null, logEndOffset: 1, lag: 1 },
    ])
    await consumer.close()
    await group.settled()
    expect(group.describe().state).toBe('Empty')
  })

  it('emits state changes through a rebalance', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic)
    const states: string[] = []
    bus.group(groupId).on('stateChange', ({ state }) => states.push(state))
    await bus.consumer({ groupId, topics: [topic] }).run({ eachMessage: () => undefined })
    expect(states).toEqual(['PreparingRebalance', 'CompletingRebalance', 'Stable'])
  })
})

describe('a group named __proto__', () => {
  it('keeps its committed offsets across a restart on the same memory storage', async () => {
    const { Bus, MemoryStorage } = await import('../../src/index')
    const storage = new MemoryStorage()
    const first = await Bus.open({ storage })
    await first.createTopic('t')
    await first.group('__proto__').setOffsets([{ topic: 't', partition: 0, offset: 0 }])
    await first.close()
    const second = await Bus.open({ storage })
    try {
      expect(second.group('__proto__').committedOffset('t', 0)).toBe(0)
      expect(second.listGroups()).toEqual(['__proto__'])
    } finally {
      await second.close()
    }
  })
})

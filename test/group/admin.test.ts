import { describe, expect, it } from 'vitest'
import {
  Bus,
  GroupNotEmptyError,
  GroupNotFoundError,
  type GroupState,
  type LogRecord,
  MemoryStorage,
  OffsetOutOfRangeError,
  UnknownTopicError,
} from '../../src/index'
import { openBus, uniqueName, waitUntil } from '../support/bus'
import { FakeClock } from '../support/fake-clock'
import { at } from '../support/helpers'

/** A topic with `perPartition` records on each partition, timestamps 1000, 2000, … (per partition). */
async function filledTopic(bus: Bus, partitions: number, perPartition: number): Promise<string> {
  const topic = uniqueName()
  await bus.createTopic(topic, { partitions })
  const messages = Array.from({ length: partitions }, (_, partition) =>
    Array.from({ length: perPartition }, (_, i) => ({
      value: `${partition}-${i}`,
      partition,
      timestamp: (i + 1) * 1000,
    })),
  ).flat()
  await bus.producer().send(topic, messages)
  return topic
}

describe('group state (describe)', () => {
  it('reports Kafka’s states through a join (Dead, PreparingRebalance, CompletingRebalance, Stable) and the members', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 3 })
    const group = bus.group(groupId)
    expect(group.describe()).toEqual({ groupId, state: 'Dead', generation: 0, protocol: '', members: [] })

    const states: GroupState[] = []
    group.on('stateChange', ({ state }) => states.push(state))
    const a = bus.consumer({ groupId, topics: [topic], clientId: 'first', assignor: 'roundrobin' })
    await a.run({ eachMessage: () => undefined })
    expect(states).toEqual(['PreparingRebalance', 'CompletingRebalance', 'Stable'])
    expect(group.describe()).toEqual({
      groupId,
      state: 'Stable',
      generation: 1,
      protocol: 'roundrobin',
      members: [
        {
          memberId: a.memberId,
          instanceId: undefined,
          clientId: 'first',
          assignment: [0, 1, 2].map((partition) => ({ topic, partition })),
        },
      ],
    })

    const b = bus.consumer({
      groupId,
      topics: [topic],
      clientId: 'second',
      instanceId: 'b-1',
      assignor: 'roundrobin',
    })
    await b.run({ eachMessage: () => undefined })
    await group.settled()
    const described = group.describe()
    expect(described).toMatchObject({ state: 'Stable', generation: 2, protocol: 'roundrobin' })
    expect(described.members.map((m) => [m.clientId, m.instanceId]).sort()).toEqual([
      ['first', undefined],
      ['second', 'b-1'],
    ])
    expect(described.members.flatMap((m) => m.assignment)).toHaveLength(3)
    // describe() hands out copies.
    described.members[0]!.assignment.length = 0
    expect(group.describe().members.flatMap((m) => m.assignment)).toHaveLength(3)

    await a.close()
    await group.settled()
    expect(group.describe()).toMatchObject({ state: 'Stable', generation: 3 })
    expect(group.describe().members.map((m) => [m.instanceId, m.assignment.length])).toEqual([['b-1', 3]])
  })

  it('is Empty (with its offsets) once every member left, and Dead once deleted', async () => {
    const bus = await openBus()
    const topic = await filledTopic(bus, 2, 2)
    const groupId = uniqueName('g')
    const group = bus.group(groupId)
    const consumer = bus.consumer({ groupId, topics: [topic], fromBeginning: true })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.caughtUp({ timeoutMs: 5_000 })
    await consumer.close()
    await group.settled()
    expect(group.describe()).toMatchObject({ state: 'Empty', protocol: '', members: [] })
    expect(group.committedOffsets()).toEqual([
      { topic, partition: 0, offset: 2 },
      { topic, partition: 1, offset: 2 },
    ])
    expect(bus.listGroups()).toContain(groupId)

    await group.delete()
    expect(group.describe().state).toBe('Dead')
    expect(group.committedOffsets()).toEqual([])
    expect(bus.listGroups()).not.toContain(groupId)
  })

  it('reports the lag of every partition: committed, log end and the difference', async () => {
    const bus = await openBus()
    const topic = await filledTopic(bus, 3, 4)
    const groupId = uniqueName('g')
    const group = bus.group(groupId)
    expect(await group.lag()).toEqual([])
    const consumer = bus.consumer({ groupId, topics: [topic], fromBeginning: true, autoCommit: false })
    await consumer.run({ eachMessage: () => undefined })
    // Subscribed but never committed: lag counts from the log start.
    expect(await group.lag()).toEqual(
      [0, 1, 2].map((partition) => ({
        topic,
        partition,
        committedOffset: null,
        logEndOffset: 4,
        lag: 4,
      })),
    )
    await consumer.commit([
      { topic, partition: 0, offset: 4 },
      { topic, partition: 1, offset: 1 },
    ])
    await bus.producer().send(topic, { value: 'more', partition: 0 })
    expect(await group.lag()).toEqual([
      { topic, partition: 0, committedOffset: 4, logEndOffset: 5, lag: 1 },
      { topic, partition: 1, committedOffset: 1, logEndOffset: 4, lag: 3 },
      { topic, partition: 2, committedOffset: null, logEndOffset: 4, lag: 4 },
    ])
    // Without members, the topics it has offsets for still count.
    await consumer.close()
    await group.settled()
    expect((await group.lag()).map((p) => [p.partition, p.lag])).toEqual([
      [0, 1],
      [1, 3],
      [2, 4],
    ])
  })
})

describe('listing and deleting groups', () => {
  it('lists groups with members or offsets, sorted, and not the ones it only heard of', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    const prefix = uniqueName('list')
    const [withMembers, withOffsets, neverUsed] = [`${prefix}-b`, `${prefix}-a`, `${prefix}-c`]
    await bus.consumer({ groupId: withMembers, topics: [topic] }).run({ eachMessage: () => undefined })
    await bus.group(withOffsets).setOffsets([{ topic, partition: 0, offset: 0 }])
    bus.group(neverUsed).describe()
    const listed = bus.listGroups()
    expect(listed.filter((id) => id.startsWith(prefix))).toEqual([withOffsets, withMembers])
    expect([...listed].sort()).toEqual(listed)
  })

  it('refuses to delete a group with members, or one that does not exist', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    const groupId = uniqueName('g')
    const consumer = bus.consumer({ groupId, topics: [topic] })
    await consumer.run({ eachMessage: () => undefined })
    await expect(bus.group(groupId).delete()).rejects.toBeInstanceOf(GroupNotEmptyError)
    await expect(bus.group(groupId).delete()).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' })
    expect(bus.group(groupId).describe().members).toHaveLength(1)

    const missing = uniqueName('g')
    const error = await bus
      .group(missing)
      .delete()
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(error).toBeInstanceOf(GroupNotFoundError)
    expect(error).toMatchObject({ code: 'GROUP_ID_NOT_FOUND', groupId: missing })
  })

  it('forgets a deleted group’s offsets for good: a new member starts per autoOffsetReset', async () => {
    const storage = new MemoryStorage()
    const first = await Bus.open({ storage })
    const topic = await filledTopic(first, 1, 3)
    const groupId = uniqueName('g')
    const consumer = first.consumer({ groupId, topics: [topic], fromBeginning: true })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.caughtUp({ timeoutMs: 5_000 })
    await consumer.close()
    await first.group(groupId).settled()
    expect(first.group(groupId).committedOffset(topic, 0)).toBe(3)
    await first.group(groupId).delete()
    await first.close()

    const bus = await openBus({ storage })
    expect(bus.listGroups()).not.toContain(groupId)
    expect(bus.group(groupId).describe().state).toBe('Dead')
    const again = bus.consumer({ groupId, topics: [topic], fromBeginning: true })
    const seen: LogRecord[] = []
    await again.run({ eachMessage: (r) => void seen.push(r) })
    await again.caughtUp({ timeoutMs: 5_000 })
    expect(at(seen)).toEqual(['0@0', '0@1', '0@2'])
  })
})

describe('resetting offsets', () => {
  async function emptyGroupWithOffsets() {
    const bus = await openBus()
    const topic = await filledTopic(bus, 2, 5)
    const groupId = uniqueName('g')
    const group = bus.group(groupId)
    await group.setOffsets([
      { topic, partition: 0, offset: 2 },
      { topic, partition: 1, offset: 3 },
    ])
    return { bus, topic, groupId, group }
  }

  it('moves to earliest, latest, a timestamp, an offset (clamped), or shifts by N (clamped)', async () => {
    const { topic, group } = await emptyGroupWithOffsets()
    const both = (o0: number, o1: number) => [
      { topic, partition: 0, offset: o0 },
      { topic, partition: 1, offset: o1 },
    ]
    expect(await group.resetOffsets({ to: 'earliest' })).toEqual(both(0, 0))
    expect(group.committedOffsets()).toEqual(both(0, 0))
    expect(await group.resetOffsets({ to: 'latest' })).toEqual(both(5, 5))
    expect(group.committedOffsets()).toEqual(both(5, 5))
    // Timestamps are 1000 … 5000: the first record at or after 2500 is offset 2; past the end, the log end.
    expect(await group.resetOffsets({ to: { timestamp: 2_500 } })).toEqual(both(2, 2))
    expect(await group.resetOffsets({ to: { timestamp: 99_000 } })).toEqual(both(5, 5))
    expect(await group.resetOffsets({ to: { offset: 3 } })).toEqual(both(3, 3))
    expect(await group.resetOffsets({ to: { offset: 40 } })).toEqual(both(5, 5))
    expect(await group.resetOffsets({ to: { shiftBy: -2 } })).toEqual(both(3, 3))
    expect(await group.resetOffsets({ to: { shiftBy: -10 } })).toEqual(both(0, 0))
    expect(await group.resetOffsets({ to: { shiftBy: 4 } })).toEqual(both(4, 4))
    expect(await group.resetOffsets({ to: { shiftBy: 4 } })).toEqual(both(5, 5))
    expect(group.committedOffsets()).toEqual(both(5, 5))
  })

  it('with dryRun, says where it would move the offsets and changes nothing', async () => {
    const { topic, group } = await emptyGroupWithOffsets()
    expect(await group.resetOffsets({ to: 'latest', dryRun: true })).toEqual([
      { topic, partition: 0, offset: 5 },
      { topic, partition: 1, offset: 5 },
    ])
    expect(group.committedOffsets()).toEqual([
      { topic, partition: 0, offset: 2 },
      { topic, partition: 1, offset: 3 },
    ])
  })

  it('limits a reset to the topics given, and shifts only partitions that have an offset', async () => {
    const { bus, topic, group } = await emptyGroupWithOffsets()
    const other = await filledTopic(bus, 2, 3)
    expect(await group.resetOffsets({ to: 'earliest', topics: [other] })).toEqual([
      { topic: other, partition: 0, offset: 0 },
      { topic: other, partition: 1, offset: 0 },
    ])
    expect(group.committedOffset(topic, 0)).toBe(2)
    await group.setOffsets([{ topic: other, partition: 0, offset: 3 }])
    const third = await filledTopic(bus, 1, 3)
    await group.setOffsets([{ topic: third, partition: 0, offset: 1 }])
    expect(await group.resetOffsets({ to: { shiftBy: 1 }, topics: [third, topic] })).toEqual([
      { topic: third, partition: 0, offset: 2 },
      { topic, partition: 0, offset: 3 },
      { topic, partition: 1, offset: 4 },
    ])
    await expect(
      group.resetOffsets({ to: 'earliest', topics: [uniqueName('absent')] }),
    ).rejects.toBeInstanceOf(UnknownTopicError)
  })

  it('is what the next member resumes from', async () => {
    const { bus, topic, groupId, group } = await emptyGroupWithOffsets()
    await group.resetOffsets({ to: { shiftBy: 2 } })
    const consumer = bus.consumer({ groupId, topics: [topic] })
    const seen: LogRecord[] = []
    await consumer.run({ eachMessage: (r) => void seen.push(r) })
    await consumer.caughtUp({ timeoutMs: 5_000 })
    // 2 + 2 on partition 0; 3 + 2 is the log end on partition 1, so nothing there.
    expect(await group.lag()).toEqual([
      { topic, partition: 0, committedOffset: 4, logEndOffset: 5, lag: 1 },
      { topic, partition: 1, committedOffset: 5, logEndOffset: 5, lag: 0 },
    ])
    expect(at(seen)).toEqual(['0@4'])
  })

  it('refuses to reset or set offsets while the group has members, as Kafka requires', async () => {
    const { bus, topic, groupId, group } = await emptyGroupWithOffsets()
    const consumer = bus.consumer({ groupId, topics: [topic] })
    await consumer.run({ eachMessage: () => undefined })
    await expect(group.resetOffsets({ to: 'earliest' })).rejects.toBeInstanceOf(GroupNotEmptyError)
    await expect(group.setOffsets([{ topic, partition: 0, offset: 0 }])).rejects.toBeInstanceOf(
      GroupNotEmptyError,
    )
    expect(group.committedOffset(topic, 0)).toBe(2)
    await consumer.close()
    await group.settled()
    expect(await group.resetOffsets({ to: 'earliest' })).toHaveLength(2)
  })

  it('counts a departed static member as a member until its session times out', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const topic = await filledTopic(bus, 1, 3)
    const groupId = uniqueName('g')
    const group = bus.group(groupId)
    const consumer = bus.consumer({
      groupId,
      topics: [topic],
      instanceId: 'worker',
      sessionTimeoutMs: 5_000,
      heartbeatIntervalMs: 1_000,
    })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.close()
    await group.settled()
    await expect(group.resetOffsets({ to: 'earliest', topics: [topic] })).rejects.toBeInstanceOf(
      GroupNotEmptyError,
    )
    await clock.advance(5_000)
    await group.settled()
    expect(await group.resetOffsets({ to: 'earliest', topics: [topic] })).toEqual([
      { topic, partition: 0, offset: 0 },
    ])
  })

  it('validates setOffsets: known partitions, non-negative offsets', async () => {
    const { topic, group } = await emptyGroupWithOffsets()
    await expect(group.setOffsets([{ topic, partition: 7, offset: 0 }])).rejects.toBeInstanceOf(
      UnknownTopicError,
    )
    await expect(group.setOffsets([{ topic, partition: 0, offset: -1 }])).rejects.toThrow(/offset/)
    expect(group.committedOffset(topic, 0)).toBe(2)
  })

  it('persists a reset: a new bus on the same storage resumes from it', async () => {
    const storage = new MemoryStorage()
    const first = await Bus.open({ storage })
    const topic = await filledTopic(first, 1, 4)
    const groupId = uniqueName('g')
    await first.group(groupId).setOffsets([{ topic, partition: 0, offset: 1 }])
    await first.group(groupId).resetOffsets({ to: { shiftBy: 2 } })
    await first.close()
    const bus = await openBus({ storage })
    expect(bus.group(groupId).committedOffsets()).toEqual([{ topic, partition: 0, offset: 3 }])
  })
})

describe("autoOffsetReset: 'none'", () => {
  it('consumes from a valid committed offset', async () => {
    const bus = await openBus()
    const topic = await filledTopic(bus, 1, 3)
    const groupId = uniqueName('g')
    await bus.group(groupId).setOffsets([{ topic, partition: 0, offset: 1 }])
    const consumer = bus.consumer({
      groupId,
      topics: [topic],
      autoOffsetReset: 'none',
      restartOnFailure: false,
    })
    const crashes: Error[] = []
    consumer.on('crash', ({ error }) => crashes.push(error))
    const seen: LogRecord[] = []
    await consumer.run({ eachMessage: (r) => void seen.push(r) })
    await consumer.caughtUp({ timeoutMs: 5_000 })
    expect(at(seen)).toEqual(['0@1', '0@2'])
    expect(crashes).toEqual([])
  })

  it('crashes with OffsetOutOfRangeError naming the partition when there is no committed offset', async () => {
    const bus = await openBus()
    const topic = await filledTopic(bus, 2, 1)
    const groupId = uniqueName('g')
    await bus.group(groupId).setOffsets([{ topic, partition: 0, offset: 0 }])
    const consumer = bus.consumer({
      groupId,
      topics: [topic],
      autoOffsetReset: 'none',
      restartOnFailure: false,
    })
    const crash = consumer.waitFor('crash')
    const seen: LogRecord[] = []
    await consumer.run({ eachMessage: (r) => void seen.push(r) })
    const { error, restart } = await crash
    expect(error).toBeInstanceOf(OffsetOutOfRangeError)
    expect(error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', topic, partition: 1 })
    expect(error.message).toContain(`${topic}-1`)
    expect(restart).toBe(false)
    await bus.group(groupId).settled()
    expect(bus.group(groupId).describe().members).toEqual([])
  })

  it('crashes when the committed offset is past the log end, where other policies reset', async () => {
    const bus = await openBus()
    const topic = await filledTopic(bus, 1, 3)
    const groupId = uniqueName('g')
    await bus.group(groupId).setOffsets([{ topic, partition: 0, offset: 100 }])
    const strict = bus.consumer({
      groupId,
      topics: [topic],
      autoOffsetReset: 'none',
      restartOnFailure: false,
    })
    const crash = strict.waitFor('crash')
    await strict.run({ eachMessage: () => undefined })
    const { error } = await crash
    expect(error).toBeInstanceOf(OffsetOutOfRangeError)
    expect(error).toMatchObject({ topic, partition: 0, offset: 100 })
    await strict.close()
    await bus.group(groupId).settled()

    const lenient = bus.consumer({ groupId, topics: [topic], autoOffsetReset: 'earliest' })
    const seen: LogRecord[] = []
    await lenient.run({ eachMessage: (r) => void seen.push(r) })
    await waitUntil(() => seen.length === 3, { message: 'a reset to the earliest offset' })
    expect(at(seen)).toEqual(['0@0', '0@1', '0@2'])
  })

  it('crashes on a seek past the log end', async () => {
    const bus = await openBus()
    const topic = await filledTopic(bus, 1, 2)
    const groupId = uniqueName('g')
    await bus.group(groupId).setOffsets([{ topic, partition: 0, offset: 0 }])
    const consumer = bus.consumer({
      groupId,
      topics: [topic],
      autoOffsetReset: 'none',
      restartOnFailure: false,
    })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.caughtUp({ timeoutMs: 5_000 })
    const crash = consumer.waitFor('crash')
    consumer.seek({ topic, partition: 0, offset: 50 })
    expect((await crash).error).toBeInstanceOf(OffsetOutOfRangeError)
  })
})

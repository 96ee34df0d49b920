import { describe, expect, it } from 'vitest'
import {
  type Assignment,
  type AssignorInput,
  InconsistentGroupProtocolError,
  rangeAssignor,
  type TopicPartition,
} from '../../src/index'
import { openBus, uniqueName, waitUntil } from '../support/bus'

interface Seen {
  assigned: Array<{ generation: number; partitions: TopicPartition[] }>
  revoked: TopicPartition[][]
  removed: string[]
}

function recorder(): Seen {
  return { assigned: [], revoked: [], removed: [] }
}

describe('ConsumerGroup.addMember (members outside the process)', () => {
  it('leads the group with its own assign, and an in-process consumer gets what it computed', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic, { partitions: 4 })
    const groupId = uniqueName('g')
    const seen = recorder()
    const inputs: AssignorInput[] = []
    const external = bus.group(groupId).addMember({
      clientId: 'remote',
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
      protocols: [
        {
          name: 'range',
          topics: [topic],
          userData: Buffer.from('hello'),
          assign: async (input) => {
            inputs.push(input)
            // Everything to the external member: its choice, not the range assignor's.
            const all = [0, 1, 2, 3].map((partition) => ({ topic, partition }))
            return Object.fromEntries(
              input.members.map((m, i) => [m.memberId, i === 0 ? all : []]),
            ) as Assignment
          },
        },
      ],
      revoke: async (partitions) => void seen.revoked.push(partitions),
      assign: (partitions, generation) => void seen.assigned.push({ generation, partitions }),
      removed: (reason) => void seen.removed.push(reason.code),
    })
    await external.joined
    expect(seen.assigned.at(-1)!.partitions).toHaveLength(4)

    const consumer = bus.consumer({ groupId, topics: [topic], assignor: rangeAssignor })
    await consumer.run({ eachMessage: async () => {} })
    await bus.group(groupId).settled()
    expect(seen.revoked.at(-1)).toHaveLength(4)
    expect(inputs.at(-1)!.members.map((m) => m.memberId)[0]).toBe(external.memberId)
    expect(Buffer.from(inputs.at(-1)!.members[0]!.userData!).toString()).toBe('hello')
    expect(consumer.assignment()).toEqual([])
    const generation = bus.group(groupId).generation
    expect(seen.assigned.at(-1)).toEqual({
      generation,
      partitions: [0, 1, 2, 3].map((partition) => ({ topic, partition })),
    })
    external.heartbeat()
    await external.commit(generation, [{ topic, partition: 0, offset: 0 }])
    expect(bus.group(groupId).committedOffset(topic, 0)).toBe(0)
    await consumer.close()
    external.leave()
    await bus.group(groupId).settled()
    expect(bus.group(groupId).describe().members).toEqual([])
  })

  it('follows an in-process leader, and is refused with a protocol nobody shares', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic, { partitions: 2 })
    const groupId = uniqueName('g')
    const consumer = bus.consumer({ groupId, topics: [topic], assignor: rangeAssignor })
    await consumer.run({ eachMessage: async () => {} })
    const seen = recorder()
    const member = (name: string) =>
      bus.group(groupId).addMember({
        clientId: 'remote',
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: 30_000,
        protocols: [{ name, topics: [topic], assign: async (input) => rangeAssignor(input) }],
        revoke: async (partitions) => void seen.revoked.push(partitions),
        assign: (partitions, generation) => void seen.assigned.push({ generation, partitions }),
        removed: (reason) => void seen.removed.push(reason.code),
      })
    expect(() => member('RoundRobinAssigner')).toThrow(InconsistentGroupProtocolError)
    const external = member('range')
    await external.joined
    await bus.group(groupId).settled()
    expect(seen.assigned.at(-1)!.partitions).toHaveLength(1)
    expect(consumer.assignment()).toHaveLength(1)
    await consumer.close()
    await waitUntil(() => seen.assigned.at(-1)!.partitions.length === 2)
    external.leave()
  })

  it('is removed when its session runs out', async () => {
    const { FakeClock } = await import('../support/fake-clock')
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const topic = uniqueName()
    await bus.createTopic(topic)
    const seen = recorder()
    const external = bus.group(uniqueName('g')).addMember({
      clientId: 'remote',
      sessionTimeoutMs: 1_000,
      rebalanceTimeoutMs: 1_000,
      protocols: [{ name: 'range', topics: [topic], assign: async (input) => rangeAssignor(input) }],
      revoke: async () => {},
      assign: () => {},
      removed: (reason) => void seen.removed.push(reason.code),
    })
    await external.joined
    await clock.advance(1_001)
    expect(seen.removed).toEqual(['UNKNOWN_MEMBER_ID'])
    expect(() => external.heartbeat()).toThrow(/not in group/)
  })
})

import { describe, expect, it } from 'vitest'
import {
  type Assignor,
  type AssignorInput,
  assignorProtocol,
  InconsistentGroupProtocolError,
  rangeAssignor,
  TimeoutError,
} from '../../src/index'
import { openBus, uniqueName, waitUntil } from '../support/bus'
import { FakeClock } from '../support/fake-clock'
import { turns } from '../support/helpers'

const eachMessage = (): undefined => undefined

/** Everything to the member whose user data says "big", as the example in Assignor's TSDoc. */
function bigFirst(says: string, calls: AssignorInput[] = []): Assignor {
  return Object.assign(
    async (input: AssignorInput) => {
      calls.push(input)
      await turns(3)
      const big =
        input.members.find((m) => new TextDecoder().decode(m.userData) === 'big') ?? input.members[0]!
      const all = Object.entries(input.partitions).flatMap(([topic, n]) =>
        Array.from({ length: n }, (_, partition) => ({ topic, partition })),
      )
      return Object.fromEntries(input.members.map((m) => [m.memberId, m === big ? all : []]))
    },
    { protocol: 'big-first', subscriptionUserData: () => new TextEncoder().encode(says) },
  )
}

function leastLoaded(): Record<string, never> {
  return {}
}

describe('asynchronous assignors with user data', () => {
  it('waits for the leader’s assignor, which sees every member’s own user data', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 3 })
    const leaderCalls: AssignorInput[] = []
    const small = bus.consumer({ groupId, topics: [topic], assignor: bigFirst('small', leaderCalls) })
    await small.run({ eachMessage })
    const big = bus.consumer({ groupId, topics: [topic], assignor: bigFirst('big') })
    await big.run({ eachMessage })
    await bus.group(groupId).settled()

    expect(big.assignment()).toHaveLength(3)
    expect(small.assignment()).toEqual([])
    // The first member leads: its assignor ran every time, with each member's user data, leader first.
    const last = leaderCalls.at(-1)!
    expect(last.members.map((m) => [m.memberId, new TextDecoder().decode(m.userData)])).toEqual([
      [small.memberId, 'small'],
      [big.memberId, 'big'],
    ])
    expect(bus.group(groupId).describe().protocol).toBe('big-first')
  })

  it('gives up on an assignor that does not answer within the leader’s rebalance timeout', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    let asked = false
    const never: Assignor = Object.assign(
      () => {
        asked = true
        return new Promise<never>(() => undefined)
      },
      { protocol: 'never' },
    )
    const errors: Error[] = []
    bus.group(groupId).on('error', ({ error }) => errors.push(error))
    const consumer = bus.consumer({ groupId, topics: [topic], assignor: never, rebalanceTimeoutMs: 10_000 })
    let joined = false
    const running = consumer.run({ eachMessage }).then(() => {
      joined = true
    })
    await waitUntil(() => asked)
    await clock.advance(9_999)
    expect(joined).toBe(false)
    await clock.advance(1)
    await running
    expect(errors).toEqual([expect.any(TimeoutError)])
    expect(errors[0]!.message).toMatch(/"never" did not return within 10000 ms/)
    expect(consumer.assignment()).toEqual([])
  })

  it('reports an assignor that rejects and assigns nothing', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const failing: Assignor = Object.assign(async () => Promise.reject(new Error('no assignment today')), {
      protocol: 'failing',
    })
    const errors: string[] = []
    bus.group(groupId).on('error', ({ error }) => errors.push(error.message))
    const consumer = bus.consumer({ groupId, topics: [topic], assignor: failing })
    await consumer.run({ eachMessage })
    expect(errors).toEqual(['no assignment today'])
    expect(consumer.assignment()).toEqual([])
  })
})

describe('protocol selection (several assignors per member)', () => {
  it('names built-in and custom assignors by their protocol', () => {
    expect(assignorProtocol(rangeAssignor)).toBe('range')
    expect(assignorProtocol(leastLoaded)).toBe('leastLoaded')
  })

  it('runs the protocol most members prefer among those all of them support', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 4 })
    const a = bus.consumer({ groupId, topics: [topic], assignor: ['roundrobin', 'range'] })
    const b = bus.consumer({ groupId, topics: [topic], assignor: ['range', 'roundrobin'] })
    const c = bus.consumer({ groupId, topics: [topic], assignor: ['range', 'roundrobin'] })
    for (const consumer of [a, b, c]) await consumer.run({ eachMessage })
    await bus.group(groupId).settled()
    expect(bus.group(groupId).describe().protocol).toBe('range')
    // range: members sorted by id, the first ones get the extra partitions.
    const owned = [a, b, c].map((m) => m.assignment().length).sort()
    expect(owned).toEqual([1, 1, 2])
  })

  it('breaks a tie with the leader’s preference', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const leader = bus.consumer({ groupId, topics: [topic], assignor: ['roundrobin', 'range'] })
    const other = bus.consumer({ groupId, topics: [topic], assignor: ['range', 'roundrobin'] })
    await leader.run({ eachMessage })
    await other.run({ eachMessage })
    await bus.group(groupId).settled()
    expect(bus.group(groupId).describe().protocol).toBe('roundrobin')
  })

  it('lets a group move to another assignor member by member, as Kafka’s rolling upgrade', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const group = bus.group(groupId)
    const old = bus.consumer({ groupId, topics: [topic], assignor: 'range' })
    await old.run({ eachMessage })
    const upgraded = bus.consumer({ groupId, topics: [topic], assignor: ['cooperative-sticky', 'range'] })
    await upgraded.run({ eachMessage })
    await group.settled()
    expect(group.describe().protocol).toBe('range')

    const rebalanced = group.waitFor('rebalance')
    await old.close()
    expect((await rebalanced).protocol).toBe('cooperative-sticky')
    expect(upgraded.assignment()).toHaveLength(2)
  })

  it('refuses a member that shares no protocol with every member (INCONSISTENT_GROUP_PROTOCOL)', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const a = bus.consumer({ groupId, topics: [topic], assignor: ['range', 'roundrobin'] })
    const b = bus.consumer({ groupId, topics: [topic], assignor: ['roundrobin'] })
    await a.run({ eachMessage })
    await b.run({ eachMessage })
    // 'range' is a's, but not every member's: the group can only run 'roundrobin' now.
    const c = bus.consumer({ groupId, topics: [topic], assignor: 'range' })
    const error = await c.run({ eachMessage }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(InconsistentGroupProtocolError)
    expect((error as Error).message).toMatch(/"roundrobin".*"range"/)
    await bus.group(groupId).settled()
    expect(bus.group(groupId).describe().members).toHaveLength(2)
  })
})

import { describe, expect, it } from 'vitest'
import type { GroupMember } from '../../src/group/member'
import {
  type Bus,
  IllegalGenerationError,
  InvalidConfigError,
  type LogbusError,
  type LogRecord,
  rangeAssignor,
  type TopicPartition,
  UnknownMemberError,
} from '../../src/index'
import { openBus, uniqueName, waitUntil } from '../support/bus'
import { FakeClock } from '../support/fake-clock'
import { type Gate, gate, tps } from '../support/helpers'

/**
 * A member made by hand, as a process that joined and was then forgotten would look to the
 * coordinator: it never heartbeats on its own. It records what the coordinator asks of it.
 */
interface Ghost {
  readonly member: GroupMember
  readonly assigned: { assignment: TopicPartition[]; generation: number }[]
  readonly revoked: TopicPartition[][]
  readonly expelled: LogbusError[]
}

function ghost(
  memberId: string,
  topic: string,
  {
    sessionTimeoutMs,
    rebalanceTimeoutMs = 300_000,
    revoke,
  }: {
    sessionTimeoutMs: number
    rebalanceTimeoutMs?: number
    revoke?: (partitions: TopicPartition[]) => Promise<void>
  },
): Ghost {
  const assigned: Ghost['assigned'] = []
  const revoked: TopicPartition[][] = []
  const expelled: LogbusError[] = []
  const member: GroupMember = {
    memberId,
    instanceId: undefined,
    clientId: 'ghost',
    assignors: [rangeAssignor],
    rebalanceTimeoutMs,
    sessionTimeoutMs,
    subscribedTopics: (existing) => existing.filter((name) => name === topic),
    revoke: (partitions) => {
      revoked.push(partitions)
      return revoke === undefined ? Promise.resolve() : revoke(partitions)
    },
    assign: (assignment, generation) => {
      assigned.push({ assignment, generation })
      return Promise.resolve()
    },
    expel: (reason) => {
      expelled.push(reason)
      return Promise.resolve()
    },
  }
  return { member, assigned, revoked, expelled }
}

interface Removal {
  memberId: string
  reason: LogbusError
}

async function fakeClockBus(): Promise<{ clock: FakeClock; bus: Bus; topic: string; groupId: string }> {
  const clock = new FakeClock()
  const bus = await openBus({ clock })
  const topic = uniqueName()
  const groupId = uniqueName('g')
  await bus.createTopic(topic, { partitions: 2 })
  return { clock, bus, topic, groupId }
}

describe('liveness: session timeout (a member that stopped heartbeating)', () => {
  it('removes a forgotten member after sessionTimeoutMs and gives its partitions to the live member', async () => {
    const { clock, bus, topic, groupId } = await fakeClockBus()
    const group = bus.group(groupId)
    // 'live-…' sorts after 'a-ghost', so range gives the ghost partition 0.
    const live = bus.consumer({
      groupId,
      topics: [topic],
      fromBeginning: true,
      clientId: 'live',
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
    })
    const seen: LogRecord[] = []
    await live.run({ eachMessage: (r) => void seen.push(r) })
    const g = ghost('a-ghost', topic, { sessionTimeoutMs: 5_000 })
    await group.join(g.member)
    await group.settled()
    expect(g.assigned.at(-1)?.assignment).toEqual(tps(topic, 0))
    expect(live.assignment()).toEqual(tps(topic, 1))
    const ghostGeneration = g.assigned.at(-1)!.generation
    const liveId = live.memberId
    const removed: Removal[] = []
    group.on('memberRemoved', ({ memberId, reason }) => removed.push({ memberId, reason }))

    await clock.advance(4_999)
    expect(removed).toEqual([])
    expect(group.describe().members).toHaveLength(2)

    await clock.advance(1)
    expect(removed).toEqual([{ memberId: 'a-ghost', reason: expect.any(UnknownMemberError) }])
    expect(g.expelled).toEqual([expect.any(UnknownMemberError)])
    await group.settled()
    expect(live.assignment()).toEqual(tps(topic, 0, 1))
    expect(group.describe().members.map((m) => m.memberId)).toEqual([liveId])
    // Nobody waited for the dead member to give anything up.
    expect(g.revoked).toEqual([])

    // Its late commit and heartbeat are refused, as Kafka refuses an unknown member.
    const committed = group.committedOffset(topic, 0)
    await expect(
      group.commit('a-ghost', ghostGeneration, [{ topic, partition: 0, offset: 1 }]),
    ).rejects.toBeInstanceOf(UnknownMemberError)
    expect(() => group.heartbeat('a-ghost')).toThrow(UnknownMemberError)
    expect(group.committedOffset(topic, 0)).toBe(committed)

    // The live member consumes the partition it took over.
    await bus.producer().send(topic, { value: 'x', partition: 0 })
    await live.caughtUp({ timeoutMs: 5_000 })
    expect(seen.map((r) => r.partition)).toEqual([0])

    // The live member heartbeats by itself: it stays, however long the clock runs.
    await clock.advance(60_000)
    expect(removed).toHaveLength(1)
    expect(live.memberId).toBe(liveId)
    expect(group.describe().members.map((m) => m.memberId)).toEqual([liveId])
  })

  it('keeps a member that heartbeats, and removes it sessionTimeoutMs after its last heartbeat', async () => {
    const { clock, bus, topic, groupId } = await fakeClockBus()
    const group = bus.group(groupId)
    const g = ghost('ghost', topic, { sessionTimeoutMs: 5_000 })
    await group.join(g.member)
    const removed: Removal[] = []
    group.on('memberRemoved', ({ memberId, reason }) => removed.push({ memberId, reason }))
    for (let i = 0; i < 5; i++) {
      await clock.advance(4_000)
      group.heartbeat('ghost')
    }
    expect(removed).toEqual([])
    expect(group.describe().members.map((m) => m.memberId)).toEqual(['ghost'])
    await clock.advance(4_999)
    expect(removed).toEqual([])
    await clock.advance(1)
    expect(removed.map((r) => r.memberId)).toEqual(['ghost'])
    await group.settled()
    // Without members nor offsets, Kafka forgets the group: Empty, then Dead.
    expect(group.describe().members).toEqual([])
    expect(['Empty', 'Dead']).toContain(group.describe().state)
  })

  it('removes a member that does not finish revoking within its rebalance timeout', async () => {
    const { clock, bus, topic, groupId } = await fakeClockBus()
    const group = bus.group(groupId)
    const never = new Promise<void>(() => undefined)
    const g = ghost('a-ghost', topic, {
      sessionTimeoutMs: 60_000,
      rebalanceTimeoutMs: 2_000,
      revoke: () => never,
    })
    await group.join(g.member)
    expect(g.assigned.at(-1)?.assignment).toEqual(tps(topic, 0, 1))
    const removed: Removal[] = []
    group.on('memberRemoved', ({ memberId, reason }) => removed.push({ memberId, reason }))

    const live = bus.consumer({ groupId, topics: [topic], clientId: 'live' })
    let joined = false
    const joining = live.run({ eachMessage: () => undefined }).then(() => {
      joined = true
    })
    await waitUntil(() => g.revoked.length === 1, { message: 'the ghost asked to revoke' })
    expect(g.revoked[0]).toEqual(tps(topic, 0, 1))
    await clock.advance(1_999)
    expect(joined).toBe(false)
    expect(group.describe().state).toBe('PreparingRebalance')
    expect(removed).toEqual([])

    await clock.advance(1)
    await joining
    await group.settled()
    expect(removed).toEqual([{ memberId: 'a-ghost', reason: expect.any(UnknownMemberError) }])
    expect(g.expelled).toHaveLength(1)
    expect(live.assignment()).toEqual(tps(topic, 0, 1))
    expect(group.describe().members.map((m) => m.memberId)).toEqual([live.memberId])
  })

  it('requires heartbeatIntervalMs below sessionTimeoutMs', async () => {
    const bus = await openBus()
    expect(() =>
      bus.consumer({ groupId: 'g', topics: ['t'], sessionTimeoutMs: 1_000, heartbeatIntervalMs: 1_000 }),
    ).toThrow(InvalidConfigError)
    expect(() =>
      bus.consumer({ groupId: 'g', topics: ['t'], sessionTimeoutMs: 1_000, heartbeatIntervalMs: 1_000 }),
    ).toThrow(/consumer\.heartbeatIntervalMs/)
  })
})

describe('liveness: max.poll.interval.ms (a handler that does not return)', () => {
  const MAX_POLL_MS = 1_000

  /**
   * Two members, one partition each; `a` gets stuck on the first record of partition 0 and, once
   * released, tries to commit past it.
   */
  async function stuckMember() {
    const { clock, bus, topic, groupId } = await fakeClockBus()
    const group = bus.group(groupId)
    const common = {
      groupId,
      topics: [topic],
      fromBeginning: true,
      autoCommit: false,
      maxPollIntervalMs: MAX_POLL_MS,
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 1_000,
    }
    const stuck = gate()
    const late: { error: unknown; attempted: boolean } = { error: undefined, attempted: false }
    let inFlight = false
    let blocked = false
    const a = bus.consumer({ ...common, clientId: 'a' })
    const seenByA: LogRecord[] = []
    await a.run({
      eachMessage: async (r) => {
        seenByA.push(r)
        // Only the first delivery of 0@0 gets stuck; a redelivery after the rejoin goes through.
        if (blocked || r.partition !== 0 || r.offset !== 0) return
        blocked = true
        inFlight = true
        await stuck.promise
        inFlight = false
        try {
          await a.commit([{ topic, partition: 0, offset: 1 }])
        } catch (error) {
          late.error = error
        }
        late.attempted = true
      },
    })
    const b = bus.consumer({ ...common, clientId: 'b' })
    const seenByB: LogRecord[] = []
    await b.run({ eachMessage: (r) => void seenByB.push(r) })
    await group.settled()
    expect(a.assignment()).toEqual(tps(topic, 0))
    expect(b.assignment()).toEqual(tps(topic, 1))
    const oldId = a.memberId
    const generation = group.generation
    const removedFromA: Removal[] = []
    a.on('removed', ({ memberId, reason }) => removedFromA.push({ memberId, reason }))
    const removedFromGroup: Removal[] = []
    group.on('memberRemoved', ({ memberId, reason }) => removedFromGroup.push({ memberId, reason }))

    await bus.producer().send(topic, { value: 'slow', partition: 0 })
    await waitUntil(() => inFlight, { message: 'the handler of a in flight' })
    return {
      clock,
      bus,
      topic,
      group,
      a,
      b,
      seenByA,
      seenByB,
      stuck,
      late,
      oldId,
      generation,
      removedFromA,
      removedFromGroup,
      isInFlight: () => inFlight,
    }
  }

  it('removes the member, moves its partitions, refuses its late commit, and lets it rejoin', async () => {
    const s = await stuckMember()
    await s.clock.advance(MAX_POLL_MS - 1)
    expect(s.removedFromA).toEqual([])
    expect(s.removedFromGroup).toEqual([])

    // The watchdog ticks every half interval: by 1.5 × maxPollIntervalMs the stuck delivery has
    // been seen for a whole interval.
    await s.clock.advance(MAX_POLL_MS / 2 + 1)
    expect(s.removedFromA).toEqual([{ memberId: s.oldId, reason: expect.any(UnknownMemberError) }])
    expect(s.removedFromGroup).toEqual([{ memberId: s.oldId, reason: expect.any(UnknownMemberError) }])
    await s.group.settled()
    // Its partition moved while its handler is still stuck; the other member redelivers the record.
    expect(s.isInFlight()).toBe(true)
    expect(s.a.assignment()).toEqual([])
    expect(s.b.assignment()).toEqual(tps(s.topic, 0, 1))
    expect(s.group.describe().members.map((m) => m.memberId)).toEqual([s.b.memberId])
    await s.b.caughtUp({ timeoutMs: 5_000 })
    expect(s.seenByB.map((r) => `${r.partition}@${r.offset}`)).toEqual(['0@0'])
    // The coordinator refuses the removed member id.
    await expect(
      s.group.commit(s.oldId, s.generation, [{ topic: s.topic, partition: 0, offset: 1 }]),
    ).rejects.toBeInstanceOf(UnknownMemberError)

    const rejoined = s.a.waitFor('groupJoin')
    s.stuck.open()
    await waitUntil(() => s.late.attempted, { message: 'the late commit' })
    expect(s.late.error).toBeInstanceOf(Error)
    expect(s.group.committedOffset(s.topic, 0)).toBeUndefined()

    const { memberId } = await rejoined
    await s.group.settled()
    expect(memberId).not.toBe(s.oldId)
    expect(s.a.memberId).toBe(memberId)
    expect(s.a.assignment()).toEqual(tps(s.topic, 0))
    expect(s.b.assignment()).toEqual(tps(s.topic, 1))
    expect(s.group.generation).toBeGreaterThan(s.generation)
  })

  it('rejects the late commit with Kafka’s error for it (unknown member or stale generation)', async () => {
    const s = await stuckMember()
    await s.clock.advance(MAX_POLL_MS * 2)
    expect(s.removedFromA).toHaveLength(1)
    s.stuck.open()
    await waitUntil(() => s.late.attempted, { message: 'the late commit' })
    const error = s.late.error
    expect(
      error instanceof UnknownMemberError || error instanceof IllegalGenerationError,
      String(error),
    ).toBe(true)
  })

  it('does not mistake many short deliveries for one stuck handler', async () => {
    const { clock, bus, topic, groupId } = await fakeClockBus()
    const consumer = bus.consumer({
      groupId,
      topics: [topic],
      fromBeginning: true,
      maxPollIntervalMs: MAX_POLL_MS,
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 1_000,
    })
    const gates: Gate[] = []
    await consumer.run({
      eachMessage: async () => {
        const g = gate()
        gates.push(g)
        await g.promise
      },
    })
    const removed: Removal[] = []
    consumer.on('removed', ({ memberId, reason }) => removed.push({ memberId, reason }))
    const memberId = consumer.memberId
    await bus.producer().send(
      topic,
      Array.from({ length: 12 }, () => ({ value: 'x', partition: 0 })),
    )
    // Each delivery takes 0.4 × maxPollIntervalMs: always in a handler, never stuck in one.
    for (let i = 0; i < 12; i++) {
      await waitUntil(() => gates.length === i + 1, { message: `delivery ${i}` })
      await clock.advance(MAX_POLL_MS * 0.4)
      gates[i]!.open()
    }
    await consumer.idle({ timeoutMs: 5_000 })
    expect(removed).toEqual([])
    expect(consumer.memberId).toBe(memberId)
  })
})

import { describe, expect, it } from 'vitest'
import {
  type Bus,
  type ConsumerOptions,
  FencedInstanceIdError,
  type LogbusError,
  type LogRecord,
  type TopicPartition,
  UnknownMemberError,
} from '../../src/index'
import { openBus, uniqueName, waitUntil } from '../support/bus'
import { FakeClock } from '../support/fake-clock'
import { at, gate, tps } from '../support/helpers'

const SESSION_MS = 10_000

interface Setup {
  clock: FakeClock
  bus: Bus
  topic: string
  groupId: string
  options(instanceId: string, extra?: Partial<ConsumerOptions>): ConsumerOptions
}

async function setup(partitions = 4): Promise<Setup> {
  const clock = new FakeClock()
  const bus = await openBus({ clock })
  const topic = uniqueName()
  const groupId = uniqueName('g')
  await bus.createTopic(topic, { partitions })
  return {
    clock,
    bus,
    topic,
    groupId,
    options: (instanceId, extra = {}) => ({
      groupId,
      topics: [topic],
      fromBeginning: true,
      instanceId,
      sessionTimeoutMs: SESSION_MS,
      heartbeatIntervalMs: 1_000,
      ...extra,
    }),
  }
}

describe('static membership (KIP-345)', () => {
  it('gives a static member that closes and returns within the session its partitions back, without a rebalance', async () => {
    const { clock, bus, topic, groupId, options } = await setup()
    const group = bus.group(groupId)
    const first = bus.consumer(options('worker-1'))
    const other = bus.consumer(options('worker-2'))
    const seenByFirst: LogRecord[] = []
    const seenByOther: LogRecord[] = []
    await first.run({ eachMessage: (r) => void seenByFirst.push(r) })
    await other.run({ eachMessage: (r) => void seenByOther.push(r) })
    await group.settled()
    // Static members are ordered by instance id: worker-1 first.
    expect(first.assignment()).toEqual(tps(topic, 0, 1))
    expect(other.assignment()).toEqual(tps(topic, 2, 3))
    const producer = bus.producer()
    await producer.send(
      topic,
      [0, 1, 2, 3].map((partition) => ({ value: 'before', partition })),
    )
    await first.caughtUp({ timeoutMs: 5_000 })
    await other.caughtUp({ timeoutMs: 5_000 })

    const generation = group.generation
    const rebalances: number[] = []
    group.on('rebalance', ({ generation }) => rebalances.push(generation))
    const revokedFromOther: TopicPartition[][] = []
    other.on('partitionsRevoked', ({ partitions }) => revokedFromOther.push(partitions))
    const oldMemberId = first.memberId
    await first.close()
    await group.settled()

    // It departed but stays listed with its partitions, which nobody else consumes meanwhile.
    expect(group.describe()).toMatchObject({ state: 'Stable', generation })
    expect(group.describe().members).toContainEqual({
      memberId: oldMemberId,
      instanceId: 'worker-1',
      clientId: 'logbus',
      assignment: tps(topic, 0, 1),
    })
    await producer.send(topic, [
      { value: 'away', partition: 0 },
      { value: 'away', partition: 2 },
    ])
    await other.caughtUp({ timeoutMs: 5_000 })
    expect(at(seenByOther).sort()).toEqual(['2@0', '2@1', '3@0'])

    await clock.advance(SESSION_MS - 1_000)
    const back = bus.consumer(options('worker-1'))
    const seenByBack: LogRecord[] = []
    await back.run({ eachMessage: (r) => void seenByBack.push(r) })
    expect(back.memberId).not.toBe(oldMemberId)
    expect(back.assignment()).toEqual(tps(topic, 0, 1))
    expect(group.generation).toBe(generation)
    expect(rebalances).toEqual([])
    expect(revokedFromOther).toEqual([])
    // It resumes where its previous incarnation committed on close: only what arrived meanwhile.
    await back.caughtUp({ timeoutMs: 5_000 })
    expect(at(seenByBack)).toEqual(['0@1'])

    // The old session timer is gone: time passing changes nothing while both heartbeat.
    await clock.advance(3 * SESSION_MS)
    expect(rebalances).toEqual([])
    expect(
      group
        .describe()
        .members.map((m) => m.memberId)
        .sort(),
    ).toEqual([back.memberId, other.memberId].sort())
  })

  it('removes a static member that stays away past sessionTimeoutMs and hands its partitions over', async () => {
    const { clock, bus, topic, groupId, options } = await setup()
    const group = bus.group(groupId)
    const first = bus.consumer(options('worker-1'))
    const other = bus.consumer(options('worker-2'))
    await first.run({ eachMessage: () => undefined })
    const seenByOther: LogRecord[] = []
    await other.run({ eachMessage: (r) => void seenByOther.push(r) })
    await group.settled()
    const producer = bus.producer()
    await producer.send(
      topic,
      [0, 1].map((partition) => ({ value: 'before', partition })),
    )
    await first.caughtUp({ timeoutMs: 5_000 })
    const generation = group.generation
    const removed: { memberId: string; reason: LogbusError }[] = []
    group.on('memberRemoved', ({ memberId, reason }) => removed.push({ memberId, reason }))
    const oldMemberId = first.memberId

    // Its session timer was last armed when it joined (the clock has not moved since).
    await first.close()
    await producer.send(
      topic,
      [0, 1].map((partition) => ({ value: 'away', partition })),
    )
    await clock.advance(SESSION_MS - 1)
    expect(removed).toEqual([])
    expect(group.generation).toBe(generation)
    expect(other.assignment()).toEqual(tps(topic, 2, 3))

    await clock.advance(1)
    expect(removed).toEqual([{ memberId: oldMemberId, reason: expect.any(UnknownMemberError) }])
    await group.settled()
    expect(group.generation).toBeGreaterThan(generation)
    expect(other.assignment()).toEqual(tps(topic, 0, 1, 2, 3))
    expect(group.describe().members.map((m) => m.memberId)).toEqual([other.memberId])
    // The survivor starts where the departed member committed.
    await other.caughtUp({ timeoutMs: 5_000 })
    expect(at(seenByOther).sort()).toEqual(['0@1', '1@1'])

    // Coming back late is an ordinary join: a rebalance, and the partitions its instance id sorts to.
    const afterExpiry = group.generation
    const late = bus.consumer(options('worker-1'))
    await late.run({ eachMessage: () => undefined })
    await group.settled()
    expect(group.generation).toBeGreaterThan(afterExpiry)
    expect(late.assignment()).toEqual(tps(topic, 0, 1))
    expect(other.assignment()).toEqual(tps(topic, 2, 3))
  })

  it('fences the older of two live members with the same instance id, with FencedInstanceIdError', async () => {
    const { clock, bus, topic, groupId, options } = await setup(2)
    const group = bus.group(groupId)
    const older = bus.consumer(options('worker'))
    await older.run({ eachMessage: () => undefined })
    const olderId = older.memberId
    const generation = group.generation
    const removedFromGroup = group.waitFor('memberRemoved')
    const removed = older.waitFor('removed')
    const crash = older.waitFor('crash')
    const rebalances: number[] = []
    group.on('rebalance', ({ generation }) => rebalances.push(generation))

    const newer = bus.consumer(options('worker'))
    const seenByNewer: LogRecord[] = []
    await newer.run({ eachMessage: (r) => void seenByNewer.push(r) })

    const { error, restart } = await crash
    expect(error).toBeInstanceOf(FencedInstanceIdError)
    expect(error).toMatchObject({ code: 'FENCED_INSTANCE_ID' })
    expect(error.message).toContain('"worker"')
    expect(error.message).toContain(groupId)
    expect(restart).toBe(false)
    expect((await removed).reason).toBeInstanceOf(FencedInstanceIdError)
    expect(await removedFromGroup).toMatchObject({ groupId, memberId: olderId })
    expect((await removedFromGroup).reason).toBeInstanceOf(FencedInstanceIdError)

    // The newcomer takes the partitions over as they are: no rebalance.
    expect(older.assignment()).toEqual([])
    expect(newer.assignment()).toEqual(tps(topic, 0, 1))
    expect(group.generation).toBe(generation)
    expect(rebalances).toEqual([])
    expect(group.describe().members).toEqual([
      { memberId: newer.memberId, instanceId: 'worker', clientId: 'logbus', assignment: tps(topic, 0, 1) },
    ])

    // Fencing is final: the older member does not rejoin, whatever the clock does.
    await clock.advance(60_000)
    await group.settled()
    expect(group.describe().members.map((m) => m.memberId)).toEqual([newer.memberId])
    await bus.producer().send(
      topic,
      [0, 1].map((partition) => ({ value: 'x', partition })),
    )
    await newer.caughtUp({ timeoutMs: 5_000 })
    expect(at(seenByNewer).sort()).toEqual(['0@0', '1@0'])
  })

  it('hands a fenced member’s partitions over only once its handler in flight returned', async () => {
    const { bus, topic, groupId, options } = await setup(1)
    const group = bus.group(groupId)
    const stuck = gate()
    let olderInFlight = false
    const older = bus.consumer(options('worker', { autoCommitIntervalMs: 3_600_000 }))
    await older.run({
      eachMessage: async (r) => {
        if (r.offset === 1) {
          olderInFlight = true
          await stuck.promise
          olderInFlight = false
        }
      },
    })
    await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }])
    await waitUntil(() => olderInFlight, { message: 'the older member in its handler' })
    const removed = older.waitFor('removed')

    const newer = bus.consumer(options('worker'))
    const seenByNewer: LogRecord[] = []
    let newerJoined = false
    const joining = newer.run({ eachMessage: (r) => void seenByNewer.push(r) }).then(() => {
      newerJoined = true
    })
    await removed
    // Fenced, but its handler still runs: the partition must not be consumed twice at once.
    expect(newerJoined).toBe(false)
    expect(newer.assignment()).toEqual([])
    expect(olderInFlight).toBe(true)

    stuck.open()
    await joining
    expect(olderInFlight).toBe(false)
    expect(newer.assignment()).toEqual(tps(topic, 0))
    // Nothing was committed by the fenced member, so the newcomer starts over (at-least-once).
    await newer.caughtUp({ timeoutMs: 5_000 })
    expect(at(seenByNewer)).toEqual(['0@0', '0@1'])
    await group.settled()
    expect(group.describe().members.map((m) => m.memberId)).toEqual([newer.memberId])
  })

  it('takes the partitions from a fenced member stuck in its handler after maxPollIntervalMs', async () => {
    const { clock, bus, topic, groupId, options } = await setup(1)
    const stuck = gate()
    let olderInFlight = false
    const older = bus.consumer(options('worker', { maxPollIntervalMs: 2_000 }))
    await older.run({
      eachMessage: async () => {
        olderInFlight = true
        await stuck.promise
        olderInFlight = false
      },
    })
    await bus.producer().send(topic, { value: 'a' })
    await waitUntil(() => olderInFlight, { message: 'the older member in its handler' })
    const fenced = older.waitFor('removed')
    const newer = bus.consumer(options('worker', { maxPollIntervalMs: 2_000 }))
    let newerJoined = false
    const joining = newer.run({ eachMessage: () => undefined }).then(() => {
      newerJoined = true
    })
    // The hand-over waits for the older member's handler up to its rebalance timeout (maxPollIntervalMs).
    expect((await fenced).reason).toBeInstanceOf(FencedInstanceIdError)
    await clock.advance(1_999)
    expect(newerJoined).toBe(false)
    expect(newer.assignment()).toEqual([])
    await clock.advance(1)
    await joining
    expect(newer.assignment()).toEqual(tps(topic, 0))
    expect(
      bus
        .group(groupId)
        .describe()
        .members.map((m) => m.memberId),
    ).toEqual([newer.memberId])
    stuck.open()
  })

  it('rejects a commit from the fenced member with FencedInstanceIdError', async () => {
    const { bus, topic, groupId, options } = await setup(1)
    const older = bus.consumer(options('worker', { autoCommit: false }))
    await older.run({ eachMessage: () => undefined })
    const crash = older.waitFor('crash')
    const newer = bus.consumer(options('worker', { autoCommit: false }))
    await newer.run({ eachMessage: () => undefined })
    await crash
    await expect(older.commit([{ topic, partition: 0, offset: 0 }])).rejects.toBeInstanceOf(
      FencedInstanceIdError,
    )
    expect(bus.group(groupId).committedOffset(topic, 0)).toBeUndefined()
  })

  it('brings a crashed static member back to its partitions without a rebalance', async () => {
    const { clock, bus, topic, groupId, options } = await setup()
    const group = bus.group(groupId)
    const crashy = bus.consumer(
      options('worker-1', {
        retry: { retries: 0, initialRetryTimeMs: 100 },
        onFailure: 'crash',
        restartOnFailure: true,
      }),
    )
    const other = bus.consumer(options('worker-2'))
    const seen: LogRecord[] = []
    let failures = 1
    await crashy.run({
      eachMessage: (r) => {
        seen.push(r)
        if (r.value?.toString() === 'bad' && failures-- > 0) throw new Error('injected')
      },
    })
    await other.run({ eachMessage: () => undefined })
    await group.settled()
    expect(crashy.assignment()).toEqual(tps(topic, 0, 1))
    const generation = group.generation
    const rebalances: number[] = []
    group.on('rebalance', ({ generation }) => rebalances.push(generation))
    const revokedFromOther: TopicPartition[][] = []
    other.on('partitionsRevoked', ({ partitions }) => revokedFromOther.push(partitions))
    const crash = crashy.waitFor('crash')
    const oldMemberId = crashy.memberId

    await bus.producer().send(topic, [
      { value: 'ok', partition: 0 },
      { value: 'bad', partition: 0 },
    ])
    const { restart } = await crash
    expect(restart).toBe(true)
    await group.settled()
    expect(group.describe().members.find((m) => m.instanceId === 'worker-1')?.assignment).toEqual(
      tps(topic, 0, 1),
    )
    await clock.advance(100)
    await crashy.joined({ timeoutMs: 5_000 })
    expect(crashy.memberId).not.toBe(oldMemberId)
    // One entry per instance id: the restarted incarnation replaced the departed one.
    expect(group.describe().members.map((m) => [m.instanceId, m.memberId])).toEqual([
      ['worker-1', crashy.memberId],
      ['worker-2', other.memberId],
    ])
    expect(crashy.assignment()).toEqual(tps(topic, 0, 1))
    await crashy.caughtUp({ timeoutMs: 5_000 })
    expect(seen.map((r) => r.value?.toString())).toEqual(['ok', 'bad', 'bad'])
    expect(group.generation).toBe(generation)
    expect(rebalances).toEqual([])
    expect(revokedFromOther).toEqual([])
  })
})

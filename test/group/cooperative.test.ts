import { describe, expect, it } from 'vitest'
import {
  type Assignment,
  type AssignorInput,
  cooperativeStickyAssignor,
  InconsistentGroupProtocolError,
  type LogRecord,
  type TopicPartition,
} from '../../src/index'
import { openBus, uniqueName, waitUntil } from '../support/bus'
import { at, gate, tps } from '../support/helpers'

/** Resolves to true once the group settles; lets a test fail with a message instead of hanging. */
function flagWhenSettled(settled: Promise<void>): { done: boolean } {
  const flag = { done: false }
  void settled.then(() => {
    flag.done = true
  })
  return flag
}

describe('cooperative-sticky protocol (KIP-429)', () => {
  it('keeps consuming the partitions a member keeps while another member joins', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 4 })
    const revoking = gate()
    const revokeCalls: TopicPartition[][] = []
    const a = bus.consumer({
      groupId,
      topics: [topic],
      fromBeginning: true,
      assignor: 'cooperative-sticky',
      onRevoke: async (partitions) => {
        revokeCalls.push(partitions)
        await revoking.promise
      },
    })
    const seenByA: LogRecord[] = []
    await a.run({ eachMessage: (r) => void seenByA.push(r) })
    expect(a.assignment()).toEqual(tps(topic, 0, 1, 2, 3))

    const b = bus.consumer({ groupId, topics: [topic], fromBeginning: true, assignor: 'cooperative-sticky' })
    const seenByB: LogRecord[] = []
    void b.run({ eachMessage: (r) => void seenByB.push(r) })

    // A gives up only what moves, and its onRevoke holds the rebalance open.
    await waitUntil(() => revokeCalls.length === 1, { message: 'onRevoke of the first member' })
    expect(revokeCalls[0]).toEqual(tps(topic, 2, 3))
    const group = bus.group(groupId)
    expect(group.describe().state).toBe('PreparingRebalance')
    expect(b.assignment()).toEqual([])

    // Mid-rebalance, A still consumes the partitions it keeps; the moving one waits for its new owner.
    const producer = bus.producer()
    await producer.send(topic, [
      { value: 'kept-0', partition: 0 },
      { value: 'kept-1', partition: 1 },
      { value: 'moving-2', partition: 2 },
    ])
    await waitUntil(() => seenByA.length === 2, { message: 'A consuming partitions 0 and 1 mid-rebalance' })
    expect(at(seenByA).sort()).toEqual(['0@0', '1@0'])
    expect(group.describe().state).toBe('PreparingRebalance')
    expect(b.assignment()).toEqual([])

    revoking.open()
    await group.settled()
    expect(a.assignment()).toEqual(tps(topic, 0, 1))
    expect(b.assignment()).toEqual(tps(topic, 2, 3))
    await b.caughtUp({ timeoutMs: 5_000 })
    expect(at(seenByB)).toEqual(['2@0'])
    expect(at(seenByA).sort()).toEqual(['0@0', '1@0'])
    expect(revokeCalls).toHaveLength(1)
  })

  it('revokes only the partitions that move, commits them, and hands them over in a second round', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 4 })
    const producer = bus.producer()
    const group = bus.group(groupId)
    // An hour-long auto-commit interval: the only commits are the ones made on revoke.
    const options = {
      groupId,
      topics: [topic],
      fromBeginning: true,
      assignor: 'cooperative-sticky' as const,
      autoCommitIntervalMs: 3_600_000,
    }
    const a = bus.consumer(options)
    const seenByA: LogRecord[] = []
    await a.run({ eachMessage: (r) => void seenByA.push(r) })
    await producer.send(
      topic,
      [0, 1, 2, 3].flatMap((partition) => [0, 1, 2].map((i) => ({ value: `${partition}-${i}`, partition }))),
    )
    await a.caughtUp({ timeoutMs: 5_000 })
    expect(seenByA).toHaveLength(12)
    expect(group.committedOffsets()).toEqual([])

    const generation = group.generation
    const rounds: { generation: number; assignment: Assignment }[] = []
    group.on('rebalance', ({ generation, assignment }) => rounds.push({ generation, assignment }))
    const revokedFromA: TopicPartition[][] = []
    a.on('partitionsRevoked', ({ partitions }) => revokedFromA.push(partitions))
    const committedWhenAssigned: (number | undefined)[] = []
    const b = bus.consumer({
      ...options,
      onAssign: (partitions) => {
        for (const tp of partitions) committedWhenAssigned.push(group.committedOffset(tp.topic, tp.partition))
      },
    })
    const seenByB: LogRecord[] = []
    await b.run({ eachMessage: (r) => void seenByB.push(r) })
    await group.settled()

    expect(group.describe().protocol).toBe('cooperative-sticky')
    // Round one: the newcomer gets nothing yet, A keeps 0 and 1. Round two: 2 and 3 reach B.
    expect(rounds).toEqual([
      { generation: generation + 1, assignment: { [a.memberId]: tps(topic, 0, 1), [b.memberId]: [] } },
      {
        generation: generation + 2,
        assignment: { [a.memberId]: tps(topic, 0, 1), [b.memberId]: tps(topic, 2, 3) },
      },
    ])
    expect(revokedFromA).toEqual([tps(topic, 2, 3)])
    // A committed 2 and 3 before they moved, so B starts exactly where A stopped.
    expect(committedWhenAssigned).toEqual([3, 3])
    expect(group.committedOffsets()).toEqual([
      { topic, partition: 2, offset: 3 },
      { topic, partition: 3, offset: 3 },
    ])
    await producer.send(
      topic,
      [0, 1, 2, 3].map((partition) => ({ value: 'next', partition })),
    )
    await a.caughtUp({ timeoutMs: 5_000 })
    await b.caughtUp({ timeoutMs: 5_000 })
    expect(at(seenByB).sort()).toEqual(['2@3', '3@3'])
    // A never lost 0 and 1: nothing of theirs was delivered twice.
    const ofA = at(seenByA.filter((r) => r.partition < 2))
    expect(new Set(ofA).size).toBe(ofA.length)
    expect(ofA).toHaveLength(8)
  })

  it('takes nothing from the others when a member leaves: one round, no revocation, even mid-handler', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 4 })
    const group = bus.group(groupId)
    const options = { groupId, topics: [topic], fromBeginning: true, assignor: 'cooperative-sticky' as const }
    const stuck = gate()
    const a = bus.consumer(options)
    const seenByA: LogRecord[] = []
    let inFlight = false
    await a.run({
      eachMessage: async (r) => {
        seenByA.push(r)
        if (r.value?.toString() === 'slow') {
          inFlight = true
          await stuck.promise
          inFlight = false
        }
      },
    })
    const b = bus.consumer(options)
    await b.run({ eachMessage: () => undefined })
    await group.settled()
    expect(a.assignment()).toEqual(tps(topic, 0, 1))
    expect(b.assignment()).toEqual(tps(topic, 2, 3))

    await bus.producer().send(topic, { value: 'slow', partition: 0 })
    await waitUntil(() => inFlight, { message: 'the handler of A in flight' })
    const revokedFromA: TopicPartition[][] = []
    a.on('partitionsRevoked', ({ partitions }) => revokedFromA.push(partitions))
    const assignedToA: TopicPartition[][] = []
    a.on('partitionsAssigned', ({ partitions }) => assignedToA.push(partitions))
    const generations: number[] = []
    group.on('rebalance', ({ generation }) => generations.push(generation))
    const generation = group.generation

    await b.close()
    // Eager would wait for A's handler before anything moves; cooperative does not need to.
    const settled = flagWhenSettled(group.settled())
    await waitUntil(() => settled.done, { message: 'the group to settle while A is mid-handler' })
    expect(inFlight).toBe(true)
    expect(a.assignment()).toEqual(tps(topic, 0, 1, 2, 3))
    expect(assignedToA).toEqual([tps(topic, 2, 3)])
    expect(revokedFromA).toEqual([])
    expect(generations).toEqual([generation + 1])

    stuck.open()
    await bus.producer().send(topic, { value: 'after', partition: 0 })
    await a.caughtUp({ timeoutMs: 5_000 })
    expect(at(seenByA)).toEqual(['0@0', '0@1'])
  })

  it("reports in each member's groupJoin the assignment the group published for that generation", async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 4 })
    const group = bus.group(groupId)
    const options = { groupId, topics: [topic], assignor: 'cooperative-sticky' as const }
    const a = bus.consumer(options)
    await a.run({ eachMessage: () => undefined })
    const published = new Map<number, Assignment>()
    group.on('rebalance', ({ generation, assignment }) => published.set(generation, assignment))
    const joinsOfA: { generation: number; assignment: TopicPartition[] }[] = []
    a.on('groupJoin', ({ generation, assignment }) => joinsOfA.push({ generation, assignment }))
    const b = bus.consumer(options)
    await b.run({ eachMessage: () => undefined })
    await group.settled()
    expect(joinsOfA.map((j) => j.generation)).toEqual([...published.keys()])
    // In round one, A's assignment is what it keeps (0 and 1): 2 and 3 are being revoked, as after
    // Kafka's first SyncGroup.
    for (const { generation, assignment } of joinsOfA) {
      expect(assignment, `generation ${generation}`).toEqual(published.get(generation)?.[a.memberId])
    }
  })

  it.each(['range', 'roundrobin'] as const)(
    'keeps the eager protocol for %s: everything is revoked first',
    async (assignor) => {
      const bus = await openBus()
      const topic = uniqueName()
      const groupId = uniqueName('g')
      await bus.createTopic(topic, { partitions: 4 })
      const group = bus.group(groupId)
      const a = bus.consumer({ groupId, topics: [topic], assignor })
      await a.run({ eachMessage: () => undefined })
      const revokedFromA: TopicPartition[][] = []
      a.on('partitionsRevoked', ({ partitions }) => revokedFromA.push(partitions))
      const generations: number[] = []
      group.on('rebalance', ({ generation }) => generations.push(generation))
      const generation = group.generation
      const b = bus.consumer({ groupId, topics: [topic], assignor })
      await b.run({ eachMessage: () => undefined })
      await group.settled()
      expect(revokedFromA).toEqual([tps(topic, 0, 1, 2, 3)])
      expect(generations).toEqual([generation + 1])
      expect(group.describe().protocol).toBe(assignor)
      expect(a.assignment().length + b.assignment().length).toBe(4)
    },
  )

  it('refuses a member whose assignor is not the one the group uses', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const a = bus.consumer({ groupId, topics: [topic], assignor: 'cooperative-sticky' })
    await a.run({ eachMessage: () => undefined })
    const eager = bus.consumer({ groupId, topics: [topic], assignor: 'range' })
    const error = await eager.run({ eachMessage: () => undefined }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(InconsistentGroupProtocolError)
    expect(error).toMatchObject({ code: 'INCONSISTENT_GROUP_PROTOCOL' })
    await bus.group(groupId).settled()
    expect(
      bus
        .group(groupId)
        .describe()
        .members.map((m) => m.memberId),
    ).toEqual([a.memberId])
    expect(a.assignment()).toEqual(tps(topic, 0, 1))
  })

  it('is exported as a pure function: balance first, then the partitions members owned', () => {
    const owned = tps('t', 0, 1, 2, 3, 4)
    const input: AssignorInput = {
      members: [
        { memberId: 'a', topics: ['t'], owned },
        { memberId: 'b', topics: ['t'], owned: [] },
        { memberId: 'c', topics: ['t'], owned: [] },
      ],
      partitions: { t: 5 },
    }
    const snapshot = structuredClone(input)
    const first = cooperativeStickyAssignor(input)
    expect(input).toEqual(snapshot)
    expect(cooperativeStickyAssignor(structuredClone(input))).toEqual(first)
    expect(cooperativeStickyAssignor.protocol).toBe('cooperative-sticky')
    expect(cooperativeStickyAssignor.rebalance).toBe('cooperative')

    const sizes = Object.values(first).map((list) => list.length)
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
    const all = Object.values(first)
      .flat()
      .map((tp) => tp.partition)
      .sort()
    expect(all).toEqual([0, 1, 2, 3, 4])
    // a keeps as many of its own as balance allows (two), and gives the rest away.
    expect(first.a).toHaveLength(2)
    for (const tp of first.a ?? []) expect(owned).toContainEqual(tp)
  })
})

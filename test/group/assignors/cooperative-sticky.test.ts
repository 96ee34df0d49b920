import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Assignment, AssignorInput, AssignorMember } from '../../../src/group/assignor'
import { cooperativeStickyAssignor as assign } from '../../../src/group/assignors/cooperative-sticky'
import type { TopicPartition } from '../../../src/record/log-record'
import { cases, expectValid, parseTp, render } from './support'

/** A member owning `owned`, given as `topic-partition` names. */
function member(
  memberId: string,
  topics: string[],
  owned: string[] = [],
  instanceId?: string,
): AssignorMember {
  return { memberId, instanceId, topics, owned: owned.map(parseTp) }
}

/** The members again, each now owning what `assignment` gave it: the next generation's input. */
function nextGeneration(members: AssignorMember[], assignment: Assignment): AssignorMember[] {
  return members.map((m) => ({ ...m, owned: assignment[m.memberId] ?? [] }))
}

function sizes(assignment: Assignment): number[] {
  return Object.values(assignment).map((tps) => tps.length)
}

function isFullyBalanced(assignment: Assignment): boolean {
  const all = sizes(assignment)
  return all.length === 0 || Math.max(...all) - Math.min(...all) <= 1
}

/**
 * Kafka's `verifyValidityAndBalance`: valid, and no partition could move to a member subscribed to its
 * topic that has at least two fewer partitions than its current owner.
 */
function expectValidAndBalanced(input: AssignorInput, assignment: Assignment): void {
  expectValid(input, assignment)
  for (const owner of input.members) {
    const mine = assignment[owner.memberId]!
    for (const other of input.members) {
      if (assignment[other.memberId]!.length + 2 > mine.length) continue
      const movable = mine.filter((tp) => other.topics.includes(tp.topic))
      expect(movable, `${owner.memberId} could give to ${other.memberId}`).toEqual([])
    }
  }
}

/** For each partition, in order, which member indices may hold it. */
function candidatesOf(input: AssignorInput): number[][] {
  const result: number[][] = []
  for (const [topic, count] of Object.entries(input.partitions)) {
    const subscribers = input.members.flatMap((m, i) => (m.topics.includes(topic) ? [i] : []))
    if (subscribers.length > 0) for (let p = 0; p < count; p++) result.push(subscribers)
  }
  return result
}

/** The least sum of squared member loads over every valid assignment, by exhaustive search. */
function bestSumOfSquares(input: AssignorInput): number {
  const candidates = candidatesOf(input)
  const load = new Array<number>(input.members.length).fill(0)
  let best = Number.POSITIVE_INFINITY
  const search = (i: number, sum: number): void => {
    if (sum >= best) return
    if (i === candidates.length) {
      best = sum
      return
    }
    for (const m of candidates[i]!) {
      const added = 2 * load[m]! + 1
      load[m]!++
      search(i + 1, sum + added)
      load[m]!--
    }
  }
  search(0, 0)
  return best
}

const TOPICS = ['t0', 't1', 't2']
const tpArb = fc.record({
  topic: fc.constantFrom(...TOPICS, 'ghost'),
  partition: fc.integer({ min: -1, max: 6 }),
})
const memberSpecArb = fc.uniqueArray(
  fc.record({
    id: fc.stringMatching(/^[a-z]{1,3}$/),
    isStatic: fc.boolean(),
    topics: fc.subarray([...TOPICS, 'ghost']),
    owned: fc.array(tpArb, { maxLength: 6 }),
  }),
  { selector: (m) => m.id, maxLength: 6 },
)
const countsArb = fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: TOPICS.length })

function toInput(
  counts: number[],
  members: { id: string; isStatic: boolean; topics: string[]; owned: TopicPartition[] }[],
): AssignorInput {
  return {
    partitions: Object.fromEntries(counts.map((count, i) => [`t${i}`, count])),
    members: members.map((m) => ({
      memberId: m.id,
      instanceId: m.isStatic ? `i-${[...m.id].reverse().join('')}` : undefined,
      topics: m.topics,
      owned: m.owned,
    })),
  }
}

/**
 * Small random groups: up to 3 topics (some empty), up to 6 members with random subscriptions, some
 * static; owned partitions are random too, so they include conflicts, unsubscribed topics, a topic
 * that does not exist and partition numbers out of range.
 */
const groupArb = fc.tuple(countsArb, memberSpecArb).map(([counts, members]) => toInput(counts, members))

/** As {@link groupArb}, but every member subscribes to the same topics. */
const sharedGroupArb = fc
  .tuple(countsArb, memberSpecArb, fc.subarray([...TOPICS, 'ghost']))
  .map(([counts, members, topics]) =>
    toInput(
      counts,
      members.map((m) => ({ ...m, topics })),
    ),
  )

describe('cooperativeStickyAssignor', () => {
  it('is Kafka\'s cooperative "cooperative-sticky" protocol', () => {
    expect(assign.protocol).toBe('cooperative-sticky')
    expect(assign.rebalance).toBe('cooperative')
  })

  it('matches every cooperative-sticky case of the Kafka fixtures (none today)', () => {
    for (const c of cases.filter((c) => c.assignor === 'cooperative-sticky')) {
      const input: AssignorInput = {
        partitions: c.partitions,
        members: c.members.map((m) => ({ ...m, owned: (m.owned ?? []).map(parseTp) })),
      }
      const assignment = assign(input)
      expect(render(assignment), c.name).toEqual(c.expected)
      expectValidAndBalanced(input, assignment)
    }
  })

  describe('ported from Kafka AbstractStickyAssignorTest', () => {
    it('gives a consumer with no topics an empty list', () => {
      const input = { members: [member('consumer', [])], partitions: {} }
      expect(assign(input)).toEqual({ consumer: [] })
    })

    it('gives a consumer of a nonexistent topic an empty list', () => {
      const input = { members: [member('consumer', ['topic'])], partitions: {} }
      expect(assign(input)).toEqual({ consumer: [] })
    })

    it('gives one consumer every partition of its topic', () => {
      const assignment = assign({ members: [member('consumer', ['topic'])], partitions: { topic: 3 } })
      expect(render(assignment)).toEqual({ consumer: ['topic-0', 'topic-1', 'topic-2'] })
    })

    it('only assigns partitions of subscribed topics, whatever the member owned before', () => {
      const assignment = assign({
        members: [member('consumer', ['topic'], ['topic-0', 'topic-1', 'other-0', 'other-1'])],
        partitions: { topic: 2, other: 2 },
      })
      expect(render(assignment)).toEqual({ consumer: ['topic-0', 'topic-1'] })
    })

    it('gives one consumer all partitions of multiple topics', () => {
      const assignment = assign({
        members: [member('consumer', ['topic1', 'topic2'])],
        partitions: { topic1: 1, topic2: 2 },
      })
      expect(render(assignment)).toEqual({ consumer: ['topic1-0', 'topic2-0', 'topic2-1'] })
    })

    it('balances two consumers over one partition', () => {
      const input = {
        members: [member('consumer1', ['topic']), member('consumer2', ['topic'])],
        partitions: { topic: 1 },
      }
      const assignment = assign(input)
      expectValidAndBalanced(input, assignment)
      expect(render(assignment)).toEqual({ consumer1: ['topic-0'], consumer2: [] })
    })

    it('splits two partitions between two consumers', () => {
      const assignment = assign({
        members: [member('consumer1', ['topic']), member('consumer2', ['topic'])],
        partitions: { topic: 2 },
      })
      expect(render(assignment)).toEqual({ consumer1: ['topic-0'], consumer2: ['topic-1'] })
    })

    it('balances mixed subscriptions as Kafka does', () => {
      const input = {
        members: [
          member('consumer1', ['topic1']),
          member('consumer2', ['topic1', 'topic2']),
          member('consumer3', ['topic1']),
        ],
        partitions: { topic1: 3, topic2: 2 },
      }
      const assignment = assign(input)
      expect(render(assignment)).toEqual({
        consumer1: ['topic1-0', 'topic1-2'],
        consumer2: ['topic2-0', 'topic2-1'],
        consumer3: ['topic1-1'],
      })
      expectValidAndBalanced(input, assignment)
    })

    it('deals two topics round-robin to two new consumers', () => {
      const assignment = assign({
        members: [member('consumer1', ['topic1', 'topic2']), member('consumer2', ['topic1', 'topic2'])],
        partitions: { topic1: 3, topic2: 3 },
      })
      expect(render(assignment)).toEqual({
        consumer1: ['topic1-0', 'topic1-2', 'topic2-1'],
        consumer2: ['topic1-1', 'topic2-0', 'topic2-2'],
      })
    })

    it('tops a consumer owning minQuota up to maxQuota', () => {
      const topics = ['topic1', 'topic2']
      const assignment = assign({
        members: [
          member('consumer1', topics, ['topic1-0', 'topic2-1']),
          member('consumer2', topics, ['topic1-1', 'topic2-2']),
        ],
        partitions: { topic1: 2, topic2: 3 },
      })
      expect(render(assignment)).toEqual({
        consumer1: ['topic1-0', 'topic2-0', 'topic2-1'],
        consumer2: ['topic1-1', 'topic2-2'],
      })
    })

    it('lets only as many consumers keep maxQuota as the partitions allow', () => {
      // Kafka's test expects consumer2 to keep two: its HashMap happened to visit consumer2 first. Here
      // members are visited in member order, so consumer1 keeps two; either way one partition moves.
      const topics = ['topic1', 'topic2']
      const assignment = assign({
        members: [
          member('consumer1', topics, ['topic1-0', 'topic2-0']),
          member('consumer2', topics, ['topic1-1', 'topic2-1']),
          member('consumer3', topics),
        ],
        partitions: { topic1: 2, topic2: 2 },
      })
      expect(render(assignment)).toEqual({
        consumer1: ['topic1-0', 'topic2-0'],
        consumer2: ['topic1-1'],
        consumer3: ['topic2-1'],
      })
    })

    it('fills consumers that are all under minQuota', () => {
      const topics = ['topic1', 'topic2']
      const assignment = assign({
        members: [
          member('consumer1', topics, ['topic1-0']),
          member('consumer2', topics, ['topic1-1']),
          member('consumer3', topics),
        ],
        partitions: { topic1: 2, topic2: 3 },
      })
      expect(render(assignment)).toEqual({
        consumer1: ['topic1-0', 'topic2-1'],
        consumer2: ['topic1-1', 'topic2-2'],
        consumer3: ['topic2-0'],
      })
    })

    it('considers consumers at their expected quota filled', () => {
      const assignment = assign({
        members: [
          member('consumer1', ['topic'], ['topic-0', 'topic-1']),
          member('consumer2', ['topic'], ['topic-2']),
          member('consumer3', ['topic']),
        ],
        partitions: { topic: 4 },
      })
      expect(render(assignment)).toEqual({
        consumer1: ['topic-0', 'topic-1'],
        consumer2: ['topic-2'],
        consumer3: ['topic-3'],
      })
    })

    it('moves only what it must when a consumer joins and then leaves', () => {
      const partitions = { topic: 3 }
      let members = [member('consumer1', ['topic'])]
      let assignment = assign({ members, partitions })
      expect(render(assignment)).toEqual({ consumer1: ['topic-0', 'topic-1', 'topic-2'] })

      members = [...nextGeneration(members, assignment), member('consumer2', ['topic'])]
      assignment = assign({ members, partitions })
      expect(render(assignment)).toEqual({ consumer1: ['topic-0', 'topic-1'], consumer2: ['topic-2'] })

      members = nextGeneration(members, assignment).filter((m) => m.memberId !== 'consumer1')
      assignment = assign({ members, partitions })
      expect(render(assignment)).toEqual({ consumer2: ['topic-0', 'topic-1', 'topic-2'] })
    })

    it('moves only what it must when two consumers join and then the first two leave', () => {
      const topics = ['topic1', 'topic2']
      const partitions = { topic1: 3, topic2: 4 }
      let members = [member('consumer1', topics), member('consumer2', topics)]
      let assignment = assign({ members, partitions })
      expect(render(assignment)).toEqual({
        consumer1: ['topic1-0', 'topic1-2', 'topic2-1', 'topic2-3'],
        consumer2: ['topic1-1', 'topic2-0', 'topic2-2'],
      })

      members = [
        ...nextGeneration(members, assignment),
        member('consumer3', topics),
        member('consumer4', topics),
      ]
      assignment = assign({ members, partitions })
      expect(render(assignment)).toEqual({
        consumer1: ['topic1-0', 'topic1-2'],
        consumer2: ['topic1-1', 'topic2-0'],
        consumer3: ['topic2-1', 'topic2-3'],
        consumer4: ['topic2-2'],
      })

      members = nextGeneration(members, assignment).filter(
        (m) => m.memberId === 'consumer3' || m.memberId === 'consumer4',
      )
      assignment = assign({ members, partitions })
      expect(render(assignment)).toEqual({
        consumer3: ['topic1-0', 'topic2-0', 'topic2-1', 'topic2-3'],
        consumer4: ['topic1-1', 'topic1-2', 'topic2-2'],
      })
    })

    it('balances the scenario round-robin handles poorly', () => {
      const all = ['topic1', 'topic2', 'topic3', 'topic4', 'topic5']
      const some = ['topic1', 'topic3', 'topic5']
      const input = {
        members: [
          member('consumer1', all),
          member('consumer2', some),
          member('consumer3', some),
          member('consumer4', all),
        ],
        partitions: { topic1: 2, topic2: 1, topic3: 2, topic4: 1, topic5: 2 },
      }
      const assignment = assign(input)
      expectValidAndBalanced(input, assignment)
      expect(isFullyBalanced(assignment)).toBe(true)
    })

    it('keeps partitions when a topic is added and when one is removed', () => {
      let partitions: Record<string, number> = { topic: 3 }
      let members = [member('consumer1', ['topic']), member('consumer2', ['topic'])]
      const first = assign({ members, partitions })
      expect(sizes(first).sort()).toEqual([1, 2])

      partitions = { topic: 3, topic2: 3 }
      members = nextGeneration(members, first).map((m) => ({ ...m, topics: ['topic', 'topic2'] }))
      const second = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, second)
      expect(sizes(second)).toEqual([3, 3])
      expect(second.consumer1).toEqual(expect.arrayContaining(first.consumer1!))
      expect(second.consumer2).toEqual(expect.arrayContaining(first.consumer2!))

      partitions = { topic2: 3 }
      members = nextGeneration(members, second).map((m) => ({ ...m, topics: ['topic2'] }))
      const third = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, third)
      expect(sizes(third).sort()).toEqual([1, 2])
      expect(second.consumer1).toEqual(expect.arrayContaining(third.consumer1!))
      expect(second.consumer2).toEqual(expect.arrayContaining(third.consumer2!))
    })

    it('stays balanced after one of many consumers with nested subscriptions leaves', () => {
      const name = (prefix: string, i: number): string => `${prefix}${String(i).padStart(2, '0')}`
      const partitions = Object.fromEntries(Array.from({ length: 19 }, (_, i) => [name('t', i + 1), i + 1]))
      let members = Array.from({ length: 19 }, (_, i) =>
        member(
          name('c', i + 1),
          Array.from({ length: i + 1 }, (_, j) => name('t', j + 1)),
        ),
      )
      const assignment = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, assignment)

      members = nextGeneration(members, assignment).filter((m) => m.memberId !== 'c10')
      const next = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, next)
    })

    it('stays valid and balanced when a consumer joins a group sharing one topic', () => {
      const partitions = { topic: 20 }
      let members = Array.from({ length: 9 }, (_, i) => member(`c${i + 1}`, ['topic']))
      const assignment = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, assignment)

      members = [...nextGeneration(members, assignment), member('c10', ['topic'])]
      const next = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, next)
      expect(isFullyBalanced(next)).toBe(true)
      expect(next.c10).toHaveLength(2)
    })

    it('stays valid and balanced when a consumer leaves a group with the same subscriptions', () => {
      const topics = Array.from({ length: 14 }, (_, i) => `t${i + 1}`)
      const partitions = Object.fromEntries(topics.map((t, i) => [t, i + 1]))
      let members = Array.from({ length: 8 }, (_, i) => member(`c${i + 1}`, topics))
      const assignment = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, assignment)

      members = nextGeneration(members, assignment).filter((m) => m.memberId !== 'c5')
      const next = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, next)
      for (const m of members) expect(next[m.memberId]).toEqual(expect.arrayContaining(m.owned))
    })

    it('moves owned partitions along a chain where a single move cannot balance', () => {
      // Kafka's testMoveExistingAssignments: consumer1 can only take from consumer2, and consumer2 only
      // from consumer3. Kafka's one-move rebalancing stops at 1/2/3; following the chain reaches 2/2/2.
      const input = {
        members: [
          member('consumer1', ['topic1', 'topic2'], ['topic1-0']),
          member('consumer2', ['topic1', 'topic2', 'topic3', 'topic4'], ['topic2-0', 'topic3-0']),
          member(
            'consumer3',
            ['topic2', 'topic3', 'topic4', 'topic5', 'topic6'],
            ['topic4-0', 'topic5-0', 'topic6-0'],
          ),
        ],
        partitions: { topic1: 1, topic2: 1, topic3: 1, topic4: 1, topic5: 1, topic6: 1 },
      }
      const assignment = assign(input)
      expectValidAndBalanced(input, assignment)
      expect(render(assignment)).toEqual({
        consumer1: ['topic1-0', 'topic2-0'],
        consumer2: ['topic3-0', 'topic4-0'],
        consumer3: ['topic5-0', 'topic6-0'],
      })
    })

    it("keeps each remaining consumer's partition when one of four consumers of three partitions leaves", () => {
      const partitions = { topic1: 3 }
      let members = ['consumer1', 'consumer2', 'consumer3', 'consumer4'].map((id) => member(id, ['topic1']))
      const assignment = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, assignment)
      for (const tps of Object.values(assignment)) expect(tps.length).toBeLessThanOrEqual(1)

      members = nextGeneration(members, assignment).filter((m) => m.memberId !== 'consumer1')
      const next = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, next)
      for (const m of members) {
        expect(next[m.memberId]).toHaveLength(1)
        expect(next[m.memberId]).toEqual(expect.arrayContaining(m.owned))
      }
    })

    it('ignores subscribed topics that do not exist', () => {
      const assignment = assign({
        members: [member('consumer', ['topic1', 'topic2', 'topic3'])],
        partitions: { topic1: 1, topic3: 100 },
      })
      expect(assignment.consumer).toHaveLength(101)
    })

    it('returns an empty list when the only subscribed topic was deleted', () => {
      const assignment = assign({
        members: [member('consumer', ['topic'], ['topic-0', 'topic-1', 'topic-2'])],
        partitions: {},
      })
      expect(assignment).toEqual({ consumer: [] })
    })

    it('reassigns a partition claimed by two consumers instead of trusting either claim', () => {
      const input = {
        members: [
          member('consumer1', ['topic'], ['topic-0', 'topic-1']),
          member('consumer2', ['topic'], ['topic-0', 'topic-2']),
          member('consumer3', ['topic']),
        ],
        partitions: { topic: 3 },
      }
      expect(render(assign(input))).toEqual({
        consumer1: ['topic-1'],
        consumer2: ['topic-2'],
        consumer3: ['topic-0'],
      })
    })

    it('gives the same result as Kafka for unequal subscriptions without owned partitions', () => {
      // The non-rack-aware expectation of Kafka's testRackAwareAssignmentWithNonEqualSubscription.
      const all = ['t1', 't2', 't3']
      const assignment = assign({
        members: [member('c1', all), member('c2', all), member('c3', ['t1', 't3'])],
        partitions: { t1: 6, t2: 7, t3: 2 },
      })
      expect(render(assignment)).toEqual({
        c1: ['t1-5', 't2-0', 't2-2', 't2-4', 't2-6'],
        c2: ['t1-3', 't2-1', 't2-3', 't2-5', 't3-0'],
        c3: ['t1-0', 't1-1', 't1-2', 't1-4', 't3-1'],
      })
    })

    it('handles a thousand partitions over a hundred members quickly, even from a lopsided start', () => {
      const topics = Array.from({ length: 50 }, (_, i) => `topic-${i}`)
      const partitions = Object.fromEntries(topics.map((t) => [t, 20]))
      const everything = topics.flatMap((topic) =>
        Array.from({ length: 20 }, (_, partition) => ({ topic, partition })),
      )
      // One member with a different subscription forces the general algorithm.
      let members = Array.from({ length: 100 }, (_, i) =>
        member(`member-${i}`, i === 99 ? topics.slice(0, 1) : topics),
      )
      const started = performance.now()
      const first = assign({ members, partitions })
      members = nextGeneration(members, first).slice(1)
      const second = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, second)
      // A member that owned everything meets 98 newcomers.
      members = members.map((m, i) => ({ ...m, owned: i === 0 ? everything : [] }))
      const third = assign({ members, partitions })
      expectValidAndBalanced({ members, partitions }, third)
      expect(performance.now() - started).toBeLessThan(3_000)
    })
  })

  describe('properties', () => {
    it('assigns every subscribed partition exactly once, to a subscriber, listing every member', () => {
      fc.assert(
        fc.property(groupArb, (input) => expectValidAndBalanced(input, assign(input))),
        { numRuns: 200 },
      )
    })

    it('balances members that share one subscription to within one partition', () => {
      fc.assert(
        fc.property(sharedGroupArb, (input) => {
          const assignment = assign(input)
          expectValid(input, assignment)
          expect(isFullyBalanced(assignment)).toBe(true)
        }),
        { numRuns: 200 },
      )
    })

    it('is as balanced as any valid assignment when subscriptions differ', () => {
      // Each partition starts with a random previous owner (or none), subscribed or not: skewed starting
      // points are where single moves fall short and chains of moves are needed.
      const tinyArb = fc
        .tuple(
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
          fc.array(fc.subarray(['t0', 't1', 't2', 't3'], { minLength: 1 }), { minLength: 2, maxLength: 4 }),
          fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
        )
        .filter(([counts]) => counts.reduce((a, b) => a + b, 0) <= 7)
        .map(([counts, subscriptions, choices]) => {
          const owned = subscriptions.map((): TopicPartition[] => [])
          let k = 0
          counts.forEach((count, t) => {
            for (let partition = 0; partition < count; partition++) {
              owned[choices[k++]! % (subscriptions.length + 1)]?.push({ topic: `t${t}`, partition })
            }
          })
          return toInput(
            counts,
            subscriptions.map((topics, i) => ({ id: `m${i}`, isStatic: false, topics, owned: owned[i]! })),
          )
        })
      const sumOfSquares = (assignment: Assignment): number =>
        sizes(assignment).reduce((s, n) => s + n * n, 0)
      fc.assert(
        fc.property(tinyArb, (input) => {
          expect(sumOfSquares(assign(input))).toBe(bestSumOfSquares(input))
        }),
        { numRuns: 500 },
      )
    })

    it('changes nothing when every member already owns its assignment', () => {
      fc.assert(
        fc.property(groupArb, (input) => {
          const assignment = assign(input)
          expect(assign({ ...input, members: nextGeneration(input.members, assignment) })).toEqual(assignment)
        }),
        { numRuns: 200 },
      )
    })

    it('when a member joins a balanced group, the others only give partitions up, to it', () => {
      fc.assert(
        fc.property(sharedGroupArb, fc.boolean(), (input, isStatic) => {
          const before = assign(input)
          const topics = input.members[0]?.topics ?? ['t0']
          const newcomer: AssignorMember = {
            memberId: 'newcomer',
            instanceId: isStatic ? 'i-newcomer' : undefined,
            topics,
            owned: [],
          }
          const members = [...nextGeneration(input.members, before), newcomer]
          const after = assign({ ...input, members })
          expectValid({ ...input, members }, after)
          expect(isFullyBalanced(after)).toBe(true)
          for (const m of input.members)
            expect(before[m.memberId]).toEqual(expect.arrayContaining(after[m.memberId]!))
        }),
        { numRuns: 200 },
      )
    })

    it('when a member leaves a balanced group, the others keep everything they had', () => {
      fc.assert(
        fc.property(
          sharedGroupArb.filter((input) => input.members.length >= 2),
          fc.nat(),
          (input, pick) => {
            const before = assign(input)
            const leaving = input.members[pick % input.members.length]!.memberId
            const members = nextGeneration(input.members, before).filter((m) => m.memberId !== leaving)
            const after = assign({ ...input, members })
            expectValid({ ...input, members }, after)
            expect(isFullyBalanced(after)).toBe(true)
            for (const m of members)
              expect(after[m.memberId]).toEqual(expect.arrayContaining(before[m.memberId]!))
          },
        ),
        { numRuns: 200 },
      )
    })

    it('does not depend on the order of members or of owned partitions', () => {
      fc.assert(
        fc.property(
          groupArb.chain((input) =>
            fc.tuple(
              fc.constant(input),
              fc.shuffledSubarray(input.members, { minLength: input.members.length }),
              fc.boolean(),
            ),
          ),
          ([input, shuffled, reverseOwned]) => {
            const members = shuffled.map((m) => ({
              ...m,
              owned: reverseOwned ? [...m.owned].reverse() : m.owned,
            }))
            expect(assign({ ...input, members })).toEqual(assign(input))
          },
        ),
        { numRuns: 150 },
      )
    })
  })
})

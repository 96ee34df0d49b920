import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AssignorInput, AssignorMember } from '../../../src/group/assignor'
import { roundRobinAssignor } from '../../../src/group/assignors/round-robin'
import { cases, expectValid, parseTp, render } from './support'

function member(memberId: string, topics: string[], instanceId?: string): AssignorMember {
  return { memberId, instanceId, topics, owned: [] }
}

const TOPICS = ['t0', 't1', 't2', 't3']

const memberSpecArb = fc.uniqueArray(
  fc.record({
    id: fc.stringMatching(/^[a-z]{1,3}$/),
    isStatic: fc.boolean(),
    topics: fc.subarray([...TOPICS, 'ghost']),
  }),
  { selector: (m) => m.id, maxLength: 6 },
)
const countsArb = fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: TOPICS.length })

function toInput(
  counts: number[],
  members: { id: string; isStatic: boolean; topics: string[] }[],
): AssignorInput {
  return {
    partitions: Object.fromEntries(counts.map((count, i) => [`t${i}`, count])),
    members: members.map((m) =>
      member(m.id, m.topics, m.isStatic ? `i-${[...m.id].reverse().join('')}` : undefined),
    ),
  }
}

/** Small random groups: up to 4 topics (some empty), up to 6 members, some static, some subscribed to a ghost. */
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

describe('roundRobinAssignor', () => {
  it('is Kafka\'s eager "roundrobin" protocol', () => {
    expect(roundRobinAssignor.protocol).toBe('roundrobin')
    expect(roundRobinAssignor.rebalance).toBe('eager')
  })

  describe('Kafka known answers (fixtures)', () => {
    const mine = cases.filter((c) => c.assignor === 'roundrobin')

    it('has fixture cases', () => {
      expect(mine.length).toBeGreaterThan(0)
    })

    for (const c of mine) {
      it(c.name, () => {
        const input: AssignorInput = {
          partitions: c.partitions,
          members: c.members.map((m) => ({ ...m, owned: (m.owned ?? []).map(parseTp) })),
        }
        const assignment = roundRobinAssignor(input)
        expect(render(assignment)).toEqual(c.expected)
        expectValid(input, assignment)
      })
    }
  })

  describe('ported from Kafka RoundRobinAssignorTest', () => {
    it('gives a consumer with no topics an empty list', () => {
      expect(roundRobinAssignor({ members: [member('consumer1', [])], partitions: {} })).toEqual({
        consumer1: [],
      })
    })

    it('gives a consumer of a nonexistent topic an empty list', () => {
      expect(roundRobinAssignor({ members: [member('consumer1', ['topic1'])], partitions: {} })).toEqual({
        consumer1: [],
      })
    })

    it('gives one consumer every partition of its topic', () => {
      const assignment = roundRobinAssignor({
        members: [member('consumer1', ['topic1'])],
        partitions: { topic1: 3 },
      })
      expect(render(assignment)).toEqual({ consumer1: ['topic1-0', 'topic1-1', 'topic1-2'] })
    })

    it('only assigns partitions of subscribed topics', () => {
      const assignment = roundRobinAssignor({
        members: [member('consumer1', ['topic1'])],
        partitions: { topic1: 3, other: 3 },
      })
      expect(render(assignment)).toEqual({ consumer1: ['topic1-0', 'topic1-1', 'topic1-2'] })
    })

    it('gives one consumer all partitions of multiple topics', () => {
      const assignment = roundRobinAssignor({
        members: [member('consumer1', ['topic1', 'topic2'])],
        partitions: { topic1: 1, topic2: 2 },
      })
      expect(render(assignment)).toEqual({ consumer1: ['topic1-0', 'topic2-0', 'topic2-1'] })
    })

    it('leaves the second of two consumers empty with one partition', () => {
      const assignment = roundRobinAssignor({
        members: [member('consumer1', ['topic1']), member('consumer2', ['topic1'])],
        partitions: { topic1: 1 },
      })
      expect(render(assignment)).toEqual({ consumer1: ['topic1-0'], consumer2: [] })
    })

    it('splits two partitions between two consumers', () => {
      const assignment = roundRobinAssignor({
        members: [member('consumer1', ['topic1']), member('consumer2', ['topic1'])],
        partitions: { topic1: 2 },
      })
      expect(render(assignment)).toEqual({ consumer1: ['topic1-0'], consumer2: ['topic1-1'] })
    })

    it('skips members not subscribed to a topic, continuing the circle', () => {
      const assignment = roundRobinAssignor({
        members: [
          member('consumer1', ['topic1']),
          member('consumer2', ['topic1', 'topic2']),
          member('consumer3', ['topic1']),
        ],
        partitions: { topic1: 3, topic2: 2 },
      })
      expect(render(assignment)).toEqual({
        consumer1: ['topic1-0'],
        consumer2: ['topic1-1', 'topic2-0', 'topic2-1'],
        consumer3: ['topic1-2'],
      })
    })

    it('orders static members by instance id, not member id', () => {
      const assignment = roundRobinAssignor({
        members: [
          member('consumer-a', ['topic1', 'topic2'], 'instance2'),
          member('consumer-b', ['topic1', 'topic2'], 'instance1'),
        ],
        partitions: { topic1: 3, topic2: 3 },
      })
      expect(render(assignment)).toEqual({
        'consumer-b': ['topic1-0', 'topic1-2', 'topic2-1'],
        'consumer-a': ['topic1-1', 'topic2-0', 'topic2-2'],
      })
    })

    it('puts a static member before a dynamic one whatever their member ids', () => {
      const assignment = roundRobinAssignor({
        members: [
          member('consumer-a', ['topic1', 'topic2']),
          member('consumer-b', ['topic1', 'topic2'], 'instance1'),
        ],
        partitions: { topic1: 3, topic2: 3 },
      })
      expect(render(assignment)).toEqual({
        'consumer-b': ['topic1-0', 'topic1-2', 'topic2-1'],
        'consumer-a': ['topic1-1', 'topic2-0', 'topic2-2'],
      })
    })

    it("keeps static members' partitions when a dynamic member is replaced", () => {
      const topics = ['topic1', 'topic2']
      const partitions = { topic1: 3, topic2: 3 }
      const statics = [
        member('consumer1', topics, 'instance1'),
        member('consumer2', topics, 'instance2'),
        member('consumer3', topics, 'instance3'),
      ]
      const expected = {
        consumer1: ['topic1-0', 'topic2-1'],
        consumer2: ['topic1-1', 'topic2-2'],
        consumer3: ['topic1-2'],
      }
      expect(
        render(roundRobinAssignor({ members: [...statics, member('consumer4', topics)], partitions })),
      ).toEqual({
        ...expected,
        consumer4: ['topic2-0'],
      })
      expect(
        render(roundRobinAssignor({ members: [...statics, member('consumer5', topics)], partitions })),
      ).toEqual({
        ...expected,
        consumer5: ['topic2-0'],
      })
    })

    it("keeps static members' partitions when their member ids change", () => {
      const topics = ['topic1', 'topic2']
      const partitions = { topic1: 3, topic2: 3 }
      const before = roundRobinAssignor({
        members: [
          member('consumer1', topics, 'instance1'),
          member('consumer2', topics, 'instance2'),
          member('consumer3', topics, 'instance3'),
        ],
        partitions,
      })
      const after = roundRobinAssignor({
        members: [
          member('consumer6', topics, 'instance1'),
          member('consumer5', topics, 'instance2'),
          member('consumer4', topics, 'instance3'),
        ],
        partitions,
      })
      expect(after.consumer6).toEqual(before.consumer1)
      expect(after.consumer5).toEqual(before.consumer2)
      expect(after.consumer4).toEqual(before.consumer3)
    })

    it('leaves the last consumers empty when there are more consumers than partitions', () => {
      const assignment = roundRobinAssignor({
        members: ['c1', 'c2', 'c3', 'c4'].map((id) => member(id, ['t'])),
        partitions: { t: 2 },
      })
      expect(render(assignment)).toEqual({ c1: ['t-0'], c2: ['t-1'], c3: [], c4: [] })
    })
  })

  it('ignores owned partitions (eager protocol)', () => {
    const assignment = roundRobinAssignor({
      members: [
        { memberId: 'a', topics: ['t'], owned: [{ topic: 't', partition: 1 }] },
        { memberId: 'b', topics: ['t'], owned: [{ topic: 't', partition: 0 }] },
      ],
      partitions: { t: 2 },
    })
    expect(render(assignment)).toEqual({ a: ['t-0'], b: ['t-1'] })
  })

  describe('properties', () => {
    it('assigns every subscribed partition exactly once, to a subscriber, listing every member', () => {
      fc.assert(
        fc.property(groupArb, (input) => expectValid(input, roundRobinAssignor(input))),
        { numRuns: 200 },
      )
    })

    it('balances members that share one subscription to within one partition', () => {
      fc.assert(
        fc.property(sharedGroupArb, (input) => {
          const sizes = Object.values(roundRobinAssignor(input)).map((tps) => tps.length)
          if (sizes.length > 0) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
        }),
        { numRuns: 200 },
      )
    })

    it('does not depend on the order members are listed in', () => {
      fc.assert(
        fc.property(
          groupArb.chain((input) =>
            fc.tuple(
              fc.constant(input),
              fc.shuffledSubarray(input.members, { minLength: input.members.length }),
            ),
          ),
          ([input, shuffled]) => {
            expect(roundRobinAssignor({ ...input, members: shuffled })).toEqual(roundRobinAssignor(input))
          },
        ),
        { numRuns: 100 },
      )
    })
  })
})

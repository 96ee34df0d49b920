import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidConfigError } from '../../../src/errors'
import type { AssignorInput, AssignorMember } from '../../../src/group/assignor'
import { assignorByName, cooperativeStickyAssignor, roundRobinAssignor } from '../../../src/group/assignors'
import { rangeAssignor } from '../../../src/group/assignors/range'
import { sortMembers } from '../../../src/group/assignors/sort-members'
import { cases, expectValid, parseTp, render } from './support'

function member(memberId: string, topics: string[], instanceId?: string): AssignorMember {
  return { memberId, instanceId, topics, owned: [] }
}

const TOPICS = ['t0', 't1', 't2', 't3']

/** Small random groups: up to 4 topics (some empty), up to 6 members, some static, some subscribed to a ghost. */
const groupArb: fc.Arbitrary<AssignorInput> = fc
  .record({
    counts: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: TOPICS.length }),
    members: fc.uniqueArray(
      fc.record({
        id: fc.stringMatching(/^[a-z]{1,3}$/),
        isStatic: fc.boolean(),
        topics: fc.subarray([...TOPICS, 'ghost']),
      }),
      { selector: (m) => m.id, maxLength: 6 },
    ),
  })
  .map(({ counts, members }) => ({
    partitions: Object.fromEntries(counts.map((count, i) => [`t${i}`, count])),
    members: members.map((m) =>
      member(m.id, m.topics, m.isStatic ? `i-${[...m.id].reverse().join('')}` : undefined),
    ),
  }))

describe('rangeAssignor', () => {
  it('is Kafka\'s eager "range" protocol', () => {
    expect(rangeAssignor.protocol).toBe('range')
    expect(rangeAssignor.rebalance).toBe('eager')
  })

  describe('Kafka known answers (fixtures)', () => {
    const mine = cases.filter((c) => c.assignor === 'range')

    it('has fixture cases', () => {
      expect(mine.length).toBeGreaterThan(0)
    })

    for (const c of mine) {
      it(c.name, () => {
        const input: AssignorInput = {
          partitions: c.partitions,
          members: c.members.map((m) => ({ ...m, owned: (m.owned ?? []).map(parseTp) })),
        }
        const assignment = rangeAssignor(input)
        expect(render(assignment)).toEqual(c.expected)
        expectValid(input, assignment)
      })
    }
  })

  describe('ported from Kafka RangeAssignorTest', () => {
    it('gives a consumer with no topics an empty list', () => {
      expect(rangeAssignor({ members: [member('consumer1', [])], partitions: {} })).toEqual({ consumer1: [] })
    })

    it('gives a consumer of a nonexistent topic an empty list', () => {
      expect(rangeAssignor({ members: [member('consumer1', ['topic1'])], partitions: {} })).toEqual({
        consumer1: [],
      })
    })

    it('gives one consumer every partition of its topic', () => {
      const assignment = rangeAssignor({
        members: [member('consumer1', ['topic1'])],
        partitions: { topic1: 3 },
      })
      expect(render(assignment)).toEqual({ consumer1: ['topic1-0', 'topic1-1', 'topic1-2'] })
    })

    it('only assigns partitions of subscribed topics', () => {
      const assignment = rangeAssignor({
        members: [member('consumer1', ['topic1'])],
        partitions: { topic1: 3, other: 3 },
      })
      expect(render(assignment)).toEqual({ consumer1: ['topic1-0', 'topic1-1', 'topic1-2'] })
    })

    it('gives one consumer all partitions of multiple topics', () => {
      const assignment = rangeAssignor({
        members: [member('consumer1', ['topic1', 'topic2'])],
        partitions: { topic1: 1, topic2: 2 },
      })
      expect(render(assignment)).toEqual({ consumer1: ['topic1-0', 'topic2-0', 'topic2-1'] })
    })

    it('leaves the second of two consumers empty with one partition', () => {
      const assignment = rangeAssignor({
        members: [member('consumer1', ['topic1']), member('consumer2', ['topic1'])],
        partitions: { topic1: 1 },
      })
      expect(render(assignment)).toEqual({ consumer1: ['topic1-0'], consumer2: [] })
    })

    it('splits two partitions between two consumers', () => {
      const assignment = rangeAssignor({
        members: [member('consumer1', ['topic1']), member('consumer2', ['topic1'])],
        partitions: { topic1: 2 },
      })
      expect(render(assignment)).toEqual({ consumer1: ['topic1-0'], consumer2: ['topic1-1'] })
    })

    it("assigns per topic among only that topic's subscribers", () => {
      const assignment = rangeAssignor({
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
      const assignment = rangeAssignor({
        members: [
          member('consumer-a', ['topic1', 'topic2'], 'instance2'),
          member('consumer-b', ['topic1', 'topic2'], 'instance1'),
        ],
        partitions: { topic1: 3, topic2: 3 },
      })
      expect(render(assignment)).toEqual({
        'consumer-b': ['topic1-0', 'topic1-1', 'topic2-0', 'topic2-1'],
        'consumer-a': ['topic1-2', 'topic2-2'],
      })
    })

    it('puts a static member before a dynamic one whatever their member ids', () => {
      const assignment = rangeAssignor({
        members: [
          member('consumer-a', ['topic1', 'topic2']),
          member('consumer-b', ['topic1', 'topic2'], 'instance1'),
        ],
        partitions: { topic1: 3, topic2: 3 },
      })
      expect(render(assignment)).toEqual({
        'consumer-b': ['topic1-0', 'topic1-1', 'topic2-0', 'topic2-1'],
        'consumer-a': ['topic1-2', 'topic2-2'],
      })
    })

    it("keeps static members' ranges when a dynamic member is replaced", () => {
      const topics = ['topic1', 'topic2']
      const partitions = { topic1: 5, topic2: 4 }
      const statics = [
        member('consumer1', topics, 'instance1'),
        member('consumer2', topics, 'instance2'),
        member('consumer3', topics, 'instance3'),
      ]
      const expected = {
        consumer1: ['topic1-0', 'topic1-1', 'topic2-0'],
        consumer2: ['topic1-2', 'topic2-1'],
        consumer3: ['topic1-3', 'topic2-2'],
      }
      expect(
        render(rangeAssignor({ members: [...statics, member('consumer4', topics)], partitions })),
      ).toEqual({
        ...expected,
        consumer4: ['topic1-4', 'topic2-3'],
      })
      expect(
        render(rangeAssignor({ members: [...statics, member('consumer5', topics)], partitions })),
      ).toEqual({
        ...expected,
        consumer5: ['topic1-4', 'topic2-3'],
      })
    })

    it("keeps static members' ranges when their member ids change", () => {
      const topics = ['topic1', 'topic2']
      const partitions = { topic1: 5, topic2: 5 }
      const before = rangeAssignor({
        members: [
          member('consumer1', topics, 'instance1'),
          member('consumer2', topics, 'instance2'),
          member('consumer3', topics, 'instance3'),
        ],
        partitions,
      })
      const after = rangeAssignor({
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
      const assignment = rangeAssignor({
        members: ['c1', 'c2', 'c3', 'c4'].map((id) => member(id, ['t'])),
        partitions: { t: 2 },
      })
      expect(render(assignment)).toEqual({ c1: ['t-0'], c2: ['t-1'], c3: [], c4: [] })
    })
  })

  it('ignores owned partitions (eager protocol)', () => {
    const assignment = rangeAssignor({
      members: [
        { memberId: 'a', topics: ['t'], owned: [{ topic: 't', partition: 1 }] },
        { memberId: 'b', topics: ['t'], owned: [{ topic: 't', partition: 0 }] },
      ],
      partitions: { t: 2 },
    })
    expect(render(assignment)).toEqual({ a: ['t-0'], b: ['t-1'] })
  })

  it('treats member ids and topics that look like Object properties as plain names', () => {
    const assignment = rangeAssignor({
      members: [member('__proto__', ['constructor', 'toString'])],
      partitions: { toString: 1 },
    })
    expect(Object.keys(assignment)).toEqual(['__proto__'])
    expect(render(assignment)).toEqual(JSON.parse('{"__proto__":["toString-0"]}'))
  })

  describe('properties', () => {
    it('assigns every subscribed partition exactly once, to a subscriber, listing every member', () => {
      fc.assert(
        fc.property(groupArb, (input) => expectValid(input, rangeAssignor(input))),
        { numRuns: 200 },
      )
    })

    it("gives each topic's subscribers, in member order, contiguous ranges differing by at most one", () => {
      fc.assert(
        fc.property(groupArb, (input) => {
          const assignment = rangeAssignor(input)
          for (const [topic, count] of Object.entries(input.partitions)) {
            const subscribers = sortMembers(input.members).filter((m) => m.topics.includes(topic))
            let next = 0
            const sizes = subscribers.map((m) => {
              const mine = assignment[m.memberId]!.filter((tp) => tp.topic === topic).map(
                (tp) => tp.partition,
              )
              expect(mine).toEqual(Array.from({ length: mine.length }, (_, i) => next + i))
              next += mine.length
              return mine.length
            })
            if (subscribers.length > 0) expect(next).toBe(count)
            for (let i = 1; i < sizes.length; i++) {
              expect(sizes[i]).toBeLessThanOrEqual(sizes[i - 1]!)
              expect(sizes[0]! - sizes[i]!).toBeLessThanOrEqual(1)
            }
          }
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
            expect(rangeAssignor({ ...input, members: shuffled })).toEqual(rangeAssignor(input))
          },
        ),
        { numRuns: 100 },
      )
    })
  })
})

// Kafka's member order and the name lookup are shared by all assignors; they are checked once, here.
describe('sortMembers', () => {
  it('puts static members first by instance id, then dynamic members by member id', () => {
    const members = [
      member('b', []),
      member('z', [], 'instance-2'),
      member('a', []),
      member('y', [], 'instance-1'),
    ]
    expect(sortMembers(members).map((m) => m.memberId)).toEqual(['y', 'z', 'a', 'b'])
    expect(members.map((m) => m.memberId)).toEqual(['b', 'z', 'a', 'y'])
  })

  it('compares ids as Java strings do (code units, not locale)', () => {
    const members = ['b', 'B', 'a', 'é', 'A10', 'A9'].map((id) => member(id, []))
    expect(sortMembers(members).map((m) => m.memberId)).toEqual(['A10', 'A9', 'B', 'a', 'b', 'é'])
  })
})

describe('assignorByName', () => {
  it('finds the built-in assignors by their Kafka protocol names', () => {
    expect(assignorByName('range')).toBe(rangeAssignor)
    expect(assignorByName('roundrobin')).toBe(roundRobinAssignor)
    expect(assignorByName('cooperative-sticky')).toBe(cooperativeStickyAssignor)
  })

  it('rejects any other name with an InvalidConfigError on the assignor option', () => {
    for (const name of ['sticky', 'Range', 'toString', '__proto__']) {
      const lookUp = (): unknown => assignorByName(name as 'range')
      expect(lookUp).toThrow(InvalidConfigError)
      expect(lookUp).toThrow(/assignor/)
    }
  })
})

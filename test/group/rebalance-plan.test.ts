import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidStateError } from '../../src/errors'
import type { Assignment, Assignor, AssignorMember } from '../../src/group/assignor'
import { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor } from '../../src/group/assignors'
import {
  assignorFor,
  candidateProtocols,
  cooperativeFirstRound,
  cooperativeRevocations,
  type OwnedPartitions,
  partitionsFingerprint,
  rebalanceProtocol,
  selectProtocol,
  validateAssignment,
} from '../../src/group/rebalance-plan'
import type { TopicPartition } from '../../src/record/log-record'

/** `t-0` → { topic: 't', partition: 0 } */
function tps(...names: string[]): TopicPartition[] {
  return names.map((name) => {
    const dash = name.lastIndexOf('-')
    return { topic: name.slice(0, dash), partition: Number(name.slice(dash + 1)) }
  })
}

function names(partitions: readonly TopicPartition[] | undefined): string[] {
  return (partitions ?? []).map((tp) => `${tp.topic}-${tp.partition}`)
}

function owning(memberId: string, ...partitions: string[]): OwnedPartitions {
  return { memberId, owned: tps(...partitions) }
}

describe('candidateProtocols', () => {
  it('is what every member supports', () => {
    const candidates = candidateProtocols([
      ['cooperative-sticky', 'range', 'roundrobin'],
      ['range', 'cooperative-sticky'],
      ['cooperative-sticky', 'range'],
    ])
    expect([...candidates].sort()).toEqual(['cooperative-sticky', 'range'])
  })

  it('is empty when the members share nothing, or when there are none', () => {
    expect(candidateProtocols([['range'], ['roundrobin']]).size).toBe(0)
    expect(candidateProtocols([]).size).toBe(0)
  })
})

describe('selectProtocol (Kafka: each member votes for its first candidate, the most votes win)', () => {
  it("a lone member gets its first preference (Kafka's GroupMetadataTest.testSelectProtocol)", () => {
    expect(selectProtocol([['range', 'roundrobin']])).toBe('range')
  })

  it('a majority wins over the leader (testSelectProtocol, third member)', () => {
    expect(
      selectProtocol([
        ['range', 'roundrobin'],
        ['roundrobin', 'range'],
        ['roundrobin', 'range'],
      ]),
    ).toBe('roundrobin')
  })

  it("a tie goes to the leader's preference (Kafka leaves it to its map's order)", () => {
    expect(
      selectProtocol([
        ['range', 'roundrobin'],
        ['roundrobin', 'range'],
      ]),
    ).toBe('range')
    expect(
      selectProtocol([
        ['roundrobin', 'range'],
        ['range', 'roundrobin'],
      ]),
    ).toBe('roundrobin')
  })

  it('votes only for a protocol every member supports (testSelectProtocolChoosesCompatibleProtocol)', () => {
    expect(
      selectProtocol([
        ['range', 'roundrobin'],
        ['roundrobin', 'blah'],
      ]),
    ).toBe('roundrobin')
  })

  it("a member's vote skips its preferences that others lack", () => {
    expect(
      selectProtocol([['cooperative-sticky', 'range'], ['cooperative-sticky', 'range'], ['range']]),
    ).toBe('range')
  })
})

describe('rebalanceProtocol', () => {
  const plain: Assignor = () => ({})

  it('is cooperative only when every assignor of every member is', () => {
    expect(rebalanceProtocol([[cooperativeStickyAssignor], [cooperativeStickyAssignor]])).toBe('cooperative')
    expect(rebalanceProtocol([[cooperativeStickyAssignor], [cooperativeStickyAssignor, rangeAssignor]])).toBe(
      'eager',
    )
    expect(rebalanceProtocol([[rangeAssignor], [roundRobinAssignor]])).toBe('eager')
  })

  it('treats an assignor that does not say as eager', () => {
    expect(rebalanceProtocol([[plain]])).toBe('eager')
  })
})

describe('assignorFor', () => {
  it("finds the member's assignor of a protocol, or nothing", () => {
    expect(assignorFor([rangeAssignor, roundRobinAssignor], 'roundrobin')).toBe(roundRobinAssignor)
    expect(assignorFor([rangeAssignor], 'cooperative-sticky')).toBeUndefined()
  })
})

describe('cooperativeRevocations (KIP-429)', () => {
  it('revokes only what moves away from its owner', () => {
    const owned = [owning('a', 't-0', 't-1', 't-2'), owning('b', 't-3')]
    const target: Assignment = { a: tps('t-0', 't-1'), b: tps('t-3', 't-2'), c: [] }
    const revocations = cooperativeRevocations(owned, target)
    expect([...revocations.keys()]).toEqual(['a'])
    expect(names(revocations.get('a'))).toEqual(['t-2'])
  })

  it('is empty when nothing moves: one round is enough', () => {
    const owned = [owning('a', 't-0'), owning('b')]
    expect(cooperativeRevocations(owned, { a: tps('t-0'), b: tps('t-1') }).size).toBe(0)
  })

  it('revokes everything from a member the target leaves out', () => {
    const revocations = cooperativeRevocations([owning('a', 't-0', 't-1')], {})
    expect(names(revocations.get('a'))).toEqual(['t-0', 't-1'])
  })
})

describe('cooperativeFirstRound (KIP-429)', () => {
  it('gives each member what it keeps plus what nobody owned, and withholds what moves', () => {
    // a owns everything; b joins; t-3 is new. t-2 moves from a to b, so b waits for it.
    const owned = [owning('a', 't-0', 't-1', 't-2'), owning('b')]
    const target: Assignment = { a: tps('t-0', 't-1'), b: tps('t-2', 't-3') }
    const first = cooperativeFirstRound(owned, target)
    expect(names(first.a)).toEqual(['t-0', 't-1'])
    expect(names(first.b)).toEqual(['t-3'])
  })

  it("withholds a partition whose owner left during round one's revocation", () => {
    // `owned` is ownership before round one; the owner's departure does not free its partitions early.
    const first = cooperativeFirstRound([owning('gone', 't-0'), owning('b')], { b: tps('t-0', 't-1') })
    expect(names(first.b)).toEqual(['t-1'])
  })

  it('is the target itself when nothing moves', () => {
    const target: Assignment = { a: tps('t-0'), b: tps('t-1') }
    expect(cooperativeFirstRound([owning('a', 't-0'), owning('b')], target)).toEqual(target)
  })

  it('withholds exactly the partitions that move from another member, for any ownership and target', () => {
    const partitions = tps('t-0', 't-1', 't-2', 't-3', 't-4', 't-5')
    const members = ['a', 'b', 'c']
    const split = fc.array(fc.constantFrom(undefined, ...members), {
      minLength: partitions.length,
      maxLength: partitions.length,
    })
    fc.assert(
      fc.property(split, split, (before, after) => {
        const byMember = (owners: (string | undefined)[]) =>
          Object.fromEntries(members.map((m) => [m, names(partitions.filter((_, i) => owners[i] === m))]))
        const ownedBy = byMember(before)
        const targetOf = byMember(after)
        const ownerOf = new Map(partitions.map((tp, i) => [names([tp])[0]!, before[i]]))
        const owned = members.map((memberId) => owning(memberId, ...ownedBy[memberId]!))
        const target = Object.fromEntries(members.map((m) => [m, tps(...targetOf[m]!)]))
        const revocations = cooperativeRevocations(owned, target)
        const first = cooperativeFirstRound(owned, target)
        for (const m of members) {
          const kept = ownedBy[m]!.filter((tp) => targetOf[m]!.includes(tp))
          expect(names(revocations.get(m))).toEqual(ownedBy[m]!.filter((tp) => !kept.includes(tp)))
          expect(names(first[m])).toEqual(
            targetOf[m]!.filter((tp) => ownerOf.get(tp) === undefined || ownerOf.get(tp) === m),
          )
          // It keeps consuming what it keeps.
          expect(names(first[m])).toEqual(expect.arrayContaining(kept))
        }
      }),
    )
  })
})

describe('validateAssignment', () => {
  const members: AssignorMember[] = [
    { memberId: 'a', topics: ['t'], owned: [] },
    { memberId: 'b', topics: ['t', 'u'], owned: [] },
  ]
  const partitions = { t: 2, u: 1 }

  it('accepts a valid assignment, including members left out or given nothing', () => {
    expect(() =>
      validateAssignment({ a: tps('t-0'), b: tps('t-1', 'u-0') }, members, partitions),
    ).not.toThrow()
    expect(() => validateAssignment({ a: [] }, members, partitions)).not.toThrow()
  })

  it.each<[string, Assignment, RegExp]>([
    ['an unknown member', { z: tps('t-0') }, /unknown member z/],
    ['a topic the member does not subscribe to', { a: tps('u-0') }, /does not subscribe/],
    ['a topic that has no partitions here', { b: tps('v-0') }, /does not subscribe/],
    ['a partition past the count', { a: tps('t-2') }, /nonexistent partition t-2/],
    ['a negative partition', { a: [{ topic: 't', partition: -1 }] }, /nonexistent partition/],
    ['a fractional partition', { a: [{ topic: 't', partition: 0.5 }] }, /nonexistent partition/],
    ['a partition given twice', { a: tps('t-0'), b: tps('t-0') }, /t-0 twice/],
  ])('refuses %s', (_, assignment, message) => {
    expect(() => validateAssignment(assignment, members, partitions)).toThrow(InvalidStateError)
    expect(() => validateAssignment(assignment, members, partitions)).toThrow(message)
  })
})

describe('partitionsFingerprint', () => {
  it('does not depend on key order', () => {
    expect(partitionsFingerprint({ a: 1, b: 2 })).toBe(partitionsFingerprint({ b: 2, a: 1 }))
  })

  it('changes when a topic appears or a partition count grows', () => {
    const base = partitionsFingerprint({ a: 1 })
    expect(partitionsFingerprint({ a: 2 })).not.toBe(base)
    expect(partitionsFingerprint({ a: 1, b: 1 })).not.toBe(base)
    expect(partitionsFingerprint({})).not.toBe(base)
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  defaultPartitioner,
  type Partitioner,
  partitionForKey,
  roundRobinPartitioner,
  toPositive,
} from '../../src/producer/partitioner'
import murmur from '../fixtures/murmur2.json'

const vectors: [string, number][] = Object.entries(murmur.murmur2)
const PARTITION_COUNTS = [1, 2, 3, 4, 6, 7, 12, 100, 1000]

function keyless(partitioner: Partitioner, topic: string, partitionCount: number, times: number): number[] {
  return Array.from({ length: times }, () => partitioner({ topic, partitionCount, key: null, value: null }))
}

describe('toPositive', () => {
  it('clears the sign bit as Kafka does, rather than negating', () => {
    expect(toPositive(5)).toBe(5)
    expect(toPositive(0)).toBe(0)
    expect(toPositive(-1)).toBe(0x7fffffff)
    expect(toPositive(-2147483648)).toBe(0)
    expect(toPositive(-973932308)).toBe(1173551340)
  })
})

describe('partitionForKey', () => {
  it.each(vectors)('puts key %j where Kafka does, for every partition count', (key, hash) => {
    for (const n of PARTITION_COUNTS) {
      expect(partitionForKey(Buffer.from(key, 'utf8'), n), `${n} partitions`).toBe((hash & 0x7fffffff) % n)
    }
  })

  it('always returns a partition in range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), fc.integer({ min: 1, max: 10_000 }), (key, n) => {
        const partition = partitionForKey(key, n)
        expect(Number.isInteger(partition)).toBe(true)
        expect(partition).toBeGreaterThanOrEqual(0)
        expect(partition).toBeLessThan(n)
      }),
      { numRuns: 200 },
    )
  })
})

describe('defaultPartitioner', () => {
  it.each(vectors)('sends keyed record %j to the murmur2 partition', (key, hash) => {
    const partitioner = defaultPartitioner()
    for (const n of PARTITION_COUNTS) {
      const input = { topic: 'orders', partitionCount: n, key: Buffer.from(key, 'utf8'), value: null }
      expect(partitioner(input)).toBe((hash & 0x7fffffff) % n)
      // Same key, same partition: the round-robin counter plays no part.
      expect(partitioner(input)).toBe((hash & 0x7fffffff) % n)
    }
  })

  it('hashes an empty key instead of treating it as no key', () => {
    const partitioner = defaultPartitioner()
    const input = { topic: 't', partitionCount: 1000, key: Buffer.alloc(0), value: null }
    const expected = partitionForKey(new Uint8Array(0), 1000)
    expect([partitioner(input), partitioner(input), partitioner(input)]).toEqual([
      expected,
      expected,
      expected,
    ])
  })

  it('sends keyless records round-robin, starting at partition 0', () => {
    expect(keyless(defaultPartitioner(), 'orders', 3, 7)).toEqual([0, 1, 2, 0, 1, 2, 0])
  })

  it('keeps one round-robin counter per topic', () => {
    const partitioner = defaultPartitioner()
    const sequence = ['a', 'b', 'a', 'a', 'b', 'c', 'a'].map((topic) =>
      partitioner({ topic, partitionCount: 4, key: null, value: null }),
    )
    expect(sequence).toEqual([0, 0, 1, 2, 1, 0, 3])
  })

  it('does not advance the round-robin counter for keyed records', () => {
    const partitioner = defaultPartitioner()
    const key = Buffer.from('abc')
    expect(partitioner({ topic: 't', partitionCount: 5, key: null, value: null })).toBe(0)
    partitioner({ topic: 't', partitionCount: 5, key, value: null })
    partitioner({ topic: 't', partitionCount: 5, key, value: null })
    expect(partitioner({ topic: 't', partitionCount: 5, key: null, value: null })).toBe(1)
  })

  it('continues the cycle over all partitions when the topic grows', () => {
    const partitioner = defaultPartitioner()
    expect(keyless(partitioner, 't', 2, 3)).toEqual([0, 1, 0])
    expect(keyless(partitioner, 't', 4, 4)).toEqual([3, 0, 1, 2])
  })

  it('gives each partitioner its own counters', () => {
    const first = defaultPartitioner()
    const second = defaultPartitioner()
    expect(keyless(first, 't', 3, 2)).toEqual([0, 1])
    expect(keyless(second, 't', 3, 2)).toEqual([0, 1])
  })
})

describe('roundRobinPartitioner', () => {
  it('ignores keys and cycles over the partitions', () => {
    const partitioner = roundRobinPartitioner()
    const key = Buffer.from('same-key')
    const sequence = Array.from({ length: 5 }, () =>
      partitioner({ topic: 't', partitionCount: 3, key, value: null }),
    )
    expect(sequence).toEqual([0, 1, 2, 0, 1])
  })

  it('keeps one counter per topic', () => {
    const partitioner = roundRobinPartitioner()
    expect(keyless(partitioner, 'a', 2, 1)).toEqual([0])
    expect(keyless(partitioner, 'b', 2, 1)).toEqual([0])
    expect(keyless(partitioner, 'a', 2, 2)).toEqual([1, 0])
  })

  it('spreads any number of records evenly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 100 }), (n, records) => {
        const counts = new Array<number>(n).fill(0)
        for (const p of keyless(roundRobinPartitioner(), 't', n, records)) counts[p]!++
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
      }),
      { numRuns: 100 },
    )
  })
})

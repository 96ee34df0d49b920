import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Bus, json, nullable, string } from '../../src/index'
import { streams, TimeWindows } from '../../src/streams'

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f')

describe('properties', () => {
  it('an aggregation over random input equals a reference fold', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key, value: fc.integer({ min: -100, max: 100 }) }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        async (input, partitions) => {
          const bus = await Bus.open({
            topics: { numbers: { partitions, value: json() } },
          })
          const app = streams(bus, { applicationId: 'fold', logger: { warn: () => undefined } })
          const numbers = app.stream('numbers').mapValues((v) => v as number)
          const sums = numbers.groupByKey().aggregate(
            () => ({ count: 0, sum: 0, last: null as number | null }),
            (_, v, agg) => ({ count: agg.count + 1, sum: agg.sum + v, last: v }),
            { name: 'sums' },
          )
          // The same fold, grouped by a new key: through a repartition topic.
          const bySign = numbers
            .groupBy((_, v) => (v < 0 ? 'neg' : 'pos'))
            .reduce((a, b) => a + b, { name: 'by-sign' })
          try {
            await app.start()
            await bus.producer().send(
              'numbers',
              input.map(({ key, value }) => ({ key, value })),
            )
            await app.caughtUp()
            const reference = new Map<string, { count: number; sum: number; last: number | null }>()
            const signs = new Map<string, number>()
            for (const { key, value } of input) {
              const agg = reference.get(key) ?? { count: 0, sum: 0, last: null }
              reference.set(key, { count: agg.count + 1, sum: agg.sum + value, last: value })
              const sign = value < 0 ? 'neg' : 'pos'
              signs.set(sign, (signs.get(sign) ?? 0) + value)
            }
            expect(sums.all()).toEqual([...reference].sort(([a], [b]) => (a < b ? -1 : 1)))
            expect(Object.fromEntries(bySign.all())).toEqual(Object.fromEntries(signs))
          } finally {
            await app.close()
            await bus.close()
          }
        },
      ),
      { numRuns: 25 },
    )
  })

  it('a table equals the last value per key (null deletes it)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key, value: fc.option(fc.string({ maxLength: 4 }), { nil: null }) }), {
          maxLength: 60,
        }),
        async (input) => {
          const bus = await Bus.open({
            topics: {
              users: { partitions: 3, value: nullable(string()) },
              changes: { partitions: 2, value: nullable(string()) },
            },
          })
          const app = streams(bus, { applicationId: 'last', logger: { warn: () => undefined } })
          const users = app.table('users')
          // The same changes read as a stream, turned into a table.
          const mirrored = app.stream('changes').toTable({ name: 'mirror' })
          try {
            await app.start()
            await bus.producer().send('users', input)
            await bus.producer().send('changes', input)
            await app.caughtUp()
            const reference = new Map<string, string>()
            for (const { key, value } of input) {
              if (value === null) reference.delete(key)
              else reference.set(key, value)
            }
            const expected = [...reference].sort(([a], [b]) => (a < b ? -1 : 1))
            expect(users.all()).toEqual(expected)
            expect(mirrored.all()).toEqual(expected)
            for (const k of ['a', 'b', 'z']) expect(users.get(k)).toBe(reference.get(k))
          } finally {
            await app.close()
            await bus.close()
          }
        },
      ),
      { numRuns: 25 },
    )
  })

  it('windowed counts with random timestamps and grace match a reference of stream time and lateness', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key, at: fc.integer({ min: 0, max: 10_000 }) }), {
          minLength: 1,
          maxLength: 50,
        }),
        fc.integer({ min: 1, max: 3_000 }),
        fc.integer({ min: 0, max: 3_000 }),
        async (input, size, grace) => {
          const bus = await Bus.open({ topics: { views: { value: string() } } })
          const app = streams(bus, { applicationId: 'windows', logger: { warn: () => undefined } })
          const windows = TimeWindows.ofSizeAndGrace(size, grace)
          const counts = app.stream('views').groupByKey().windowedBy(windows).count()
          try {
            await app.start()
            await bus.producer().send(
              'views',
              input.map(({ key, at }) => ({ key, value: 'v', timestamp: at })),
            )
            await app.caughtUp()
            // Reference: stream time is the largest timestamp so far; a window takes a record while
            // its end is past stream time minus grace.
            let streamTime = Number.NEGATIVE_INFINITY
            let late = 0
            const reference = new Map<string, number>()
            for (const { key, at } of input) {
              streamTime = Math.max(streamTime, at)
              const start = Math.floor(at / size) * size
              if (start + size > streamTime - grace) {
                const id = `${key}@${start}`
                reference.set(id, (reference.get(id) ?? 0) + 1)
              } else late++
            }
            const actual = new Map(counts.fetchAll().map(([w, n]) => [`${w.key}@${w.window.start}`, n]))
            expect(actual).toEqual(reference)
            expect(app.metrics().droppedRecords).toBe(late)
          } finally {
            await app.close()
            await bus.close()
          }
        },
      ),
      { numRuns: 30 },
    )
  })
})

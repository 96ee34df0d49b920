import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Bus, type Consumer } from '../../src/index'
import { uniqueName, waitUntil } from '../support/bus'

type Op =
  | { kind: 'send'; keys: number[]; asArray: boolean }
  | { kind: 'join' }
  | { kind: 'leave'; index: number }
  | { kind: 'crash'; index: number }
  | { kind: 'yield'; turns: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      keys: fc.array(fc.nat(7), { minLength: 1, maxLength: 12 }),
      asArray: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('join' as const) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), index: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), index: fc.nat(5) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('yield' as const), turns: fc.integer({ min: 1, max: 5 }) }),
  },
)

interface Delivery {
  member: number
  generation: number
  partition: number
  offset: number
  key: string
  seq: number
}

const assignorArb = fc.constantFrom('range' as const, 'roundrobin' as const, 'cooperative-sticky' as const)

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('delivery under membership churn (property)', () => {
  it('delivers every record at least once, in order per key, never twice in one generation', async () => {
    await fc.assert(
      fc.asyncProperty(
        assignorArb,
        fc.integer({ min: 1, max: 3 }),
        fc.array(opArb, { minLength: 1, maxLength: 25 }),
        async (assignor, concurrency, ops) => {
          const bus = await Bus.open()
          try {
            const topic = uniqueName('churn')
            const groupId = uniqueName('g')
            await bus.createTopic(topic, { partitions: 4 })
            const producer = bus.producer()
            const members: { consumer: Consumer; generation: number; id: number; crashOn: number | null }[] =
              []
            const deliveries: Delivery[] = []
            const inFlight = new Map<number, number>()
            const overlaps: string[] = []
            const sentSeqByKey = new Map<string, number[]>()
            let seq = 0
            let nextId = 0

            const join = async () => {
              const id = nextId++
              const consumer = bus.consumer({
                groupId,
                topics: [topic],
                fromBeginning: true,
                assignor,
                partitionsConsumedConcurrently: concurrency,
                retry: { retries: 0, initialRetryTimeMs: 0, maxRetryTimeMs: 0 },
                onFailure: 'crash',
                restartOnFailure: true,
              })
              const entry = { consumer, generation: -1, id, crashOn: null as number | null }
              consumer.on('groupJoin', ({ generation }) => {
                entry.generation = generation
              })
              members.push(entry)
              await consumer.run({
                eachMessage: async (record) => {
                  const generation = entry.generation
                  if (entry.crashOn !== null && record.offset >= entry.crashOn) {
                    entry.crashOn = null
                    throw new Error('injected crash')
                  }
                  const busy = inFlight.get(record.partition)
                  if (busy !== undefined) overlaps.push(`${busy} and ${id} on partition ${record.partition}`)
                  inFlight.set(record.partition, id)
                  if (record.offset % 3 === 0) await Promise.resolve()
                  if (record.offset % 5 === 0) await turn()
                  inFlight.delete(record.partition)
                  deliveries.push({
                    member: id,
                    generation,
                    partition: record.partition,
                    offset: record.offset,
                    key: record.key!.toString(),
                    seq: Number(record.value!.toString()),
                  })
                },
              })
            }

            for (const op of ops) {
              if (op.kind === 'send') {
                const messages = op.keys.map((k) => {
                  const key = `k${k}`
                  const s = seq++
                  const list = sentSeqByKey.get(key) ?? []
                  list.push(s)
                  sentSeqByKey.set(key, list)
                  return { key, value: String(s) }
                })
                if (op.asArray) await producer.send(topic, messages)
                else await Promise.all(messages.map((m) => producer.send(topic, m)))
              } else if (op.kind === 'join') {
                if (members.length < 5) await join()
              } else if (op.kind === 'leave') {
                const victim = members[op.index % Math.max(1, members.length)]
                if (victim !== undefined) {
                  members.splice(members.indexOf(victim), 1)
                  await victim.consumer.close()
                }
              } else if (op.kind === 'crash') {
                const victim = members[op.index % Math.max(1, members.length)]
                if (victim !== undefined) victim.crashOn = 0
              } else {
                for (let i = 0; i < op.turns; i++) await turn()
              }
            }
            if (members.length === 0) await join()
            const total = seq
            const distinct = () => new Set(deliveries.map((d) => `${d.partition}:${d.offset}`)).size
            await waitUntil(() => distinct() === total, {
              timeoutMs: 10_000,
              message: `all ${total} records delivered`,
            })

            // One owner at a time: no two members ever handle the same partition concurrently.
            expect(overlaps).toEqual([])
            // No loss: every sent sequence number was delivered.
            expect(new Set(deliveries.map((d) => d.seq)).size).toBe(total)
            // No duplicate within a generation.
            const perGeneration = new Set<string>()
            for (const d of deliveries) {
              const id = `${d.generation}/${d.partition}/${d.offset}`
              expect(perGeneration.has(id), `duplicate ${id}`).toBe(false)
              perGeneration.add(id)
            }
            // Order: each member, within a generation, sees each partition's offsets increasing, so keys keep
            // the order they were sent in.
            const last = new Map<string, { offset: number; seqByKey: Map<string, number> }>()
            for (const d of deliveries) {
              const stream = `${d.member}/${d.generation}/${d.partition}`
              const prev = last.get(stream) ?? { offset: -1, seqByKey: new Map() }
              expect(d.offset).toBeGreaterThan(prev.offset)
              const prevSeq = prev.seqByKey.get(d.key)
              if (prevSeq !== undefined) expect(d.seq).toBeGreaterThan(prevSeq)
              prev.offset = d.offset
              prev.seqByKey.set(d.key, d.seq)
              last.set(stream, prev)
            }
          } finally {
            await bus.close()
          }
        },
      ),
      { numRuns: 100 },
    )
  }, 120_000)
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Bus, InvalidStateError, type LogRecord, type ProcessContext } from '../../src/index'
import { openBus } from '../support/bus'

describe('bus.metrics()', () => {
  it('counts records and bytes in and out per partition, per batch', async () => {
    const bus = await openBus()
    await bus.createTopic('orders', { partitions: 2 })
    const producer = bus.producer()
    await producer.send(
      'orders',
      Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `v${i}` })),
    )
    const before = bus.metrics().topics[0]!
    expect(before).toMatchObject({ topic: 'orders', recordsIn: 10, recordsOut: 0, bytesOut: 0 })
    expect(before.bytesIn).toBeGreaterThan(0)
    expect(before.partitions.map((p) => [p.partition, p.logEndOffset, p.recordsIn])).toEqual([
      [0, 5, 5],
      [1, 5, 5],
    ])
    expect(before.partitions[0]!.sizeBytes).toBe(bus.topic('orders').partition(0).sizeBytes)
    expect(before.sizeBytes).toBeGreaterThan(0)

    const consumer = bus.consumer({ groupId: 'billing', topics: ['orders'], fromBeginning: true })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.caughtUp()
    const after = bus.metrics()
    expect(after.topics[0]).toMatchObject({ recordsIn: 10, recordsOut: 10 })
    expect(after.topics[0]!.bytesOut).toBeGreaterThan(0)
    expect(after.produceLatency.count).toBeGreaterThanOrEqual(1)
    expect(after.produceLatency.buckets.at(-1)!.count).toBe(after.produceLatency.count)
    expect(after.fetchLatency.count).toBeGreaterThanOrEqual(1)
    expect(after.storage).toEqual({ bytes: after.topics[0]!.sizeBytes, fsyncLatency: null })
  })

  it('reports groups with their state, members, rebalances and lag', async () => {
    const bus = await openBus()
    await bus.createTopic('orders')
    await bus.producer().send('orders', [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
    const consumer = bus.consumer({
      groupId: 'billing',
      topics: ['orders'],
      fromBeginning: true,
      autoCommit: false,
    })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.caughtUp()
    await consumer.commit([{ topic: 'orders', partition: 0, offset: 1 }])
    const [group] = bus.metrics().groups
    expect(group).toMatchObject({
      groupId: 'billing',
      state: 'Stable',
      members: 1,
      rebalances: 1,
      totalLag: 2,
    })
    expect(group!.lag).toEqual([
      { topic: 'orders', partition: 0, committedOffset: 1, logEndOffset: 3, lag: 2 },
    ])
  })

  it('adds up the connections servers report, until they stop', async () => {
    const bus = await openBus()
    let open = 2
    const stopA = bus.reportConnections('http', () => open)
    const stopB = bus.reportConnections('http', () => 1)
    const stopC = bus.reportConnections('kafka', () => 5)
    expect(bus.metrics().connections).toEqual({ http: 3, kafka: 5 })
    open = 0
    stopB()
    stopC()
    expect(bus.metrics().connections).toEqual({ http: 0 })
    stopA()
    expect(bus.metrics().connections).toEqual({})
    expect(() => bus.reportConnections('', () => 0)).toThrow(/non-empty/)
  })

  it("reports the file log's fsync latency", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logbus-metrics-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const bus = await Bus.open({ dir })
    onTestFinished(() => bus.close())
    await bus.createTopic('t')
    await bus.producer().send('t', { value: 'x' })
    const { fsyncLatency } = bus.metrics().storage
    expect(fsyncLatency?.count).toBeGreaterThanOrEqual(1)
  })
})

describe('bus.instrument()', () => {
  it('lets an instrumentation change what is sent and hear how it ended, once per send', async () => {
    const bus = await openBus()
    await bus.createTopic('orders')
    const ended: unknown[] = []
    let calls = 0
    bus.instrument({
      send: ({ topic, messages }) => {
        calls++
        return {
          messages: messages.map((m) => ({ ...m, headers: { ...m.headers, traced: topic } })),
          end: (error, metadata) => ended.push(error ?? metadata?.map((m) => m.offset)),
        }
      },
    })
    await bus.producer().send('orders', [{ value: 'a', headers: { h: '1' } }, { value: 'b' }])
    await bus.producer().send('orders', { value: 'c' })
    await bus.producer().sendBatch([{ topic: 'orders', messages: [{ value: 'd' }] }])
    await expect(bus.producer().send('missing', { value: 'x' })).rejects.toThrow(/missing/)
    expect(calls).toBe(4)
    expect(ended.slice(0, 3)).toEqual([[0, 1], [2], [3]])
    expect((ended[3] as Error).message).toMatch(/missing/)
    const records = await bus.topic('orders').partition(0).read(0)
    expect(records.map((r) => [r.headers.h?.toString(), r.headers.traced?.toString()])).toEqual([
      ['1', 'orders'],
      [undefined, 'orders'],
      [undefined, 'orders'],
      [undefined, 'orders'],
    ])
  })

  it('wraps every handler call, message by message or batch by batch', async () => {
    const bus = await openBus()
    await bus.createTopic('orders')
    await bus.producer().send('orders', [{ value: 'a' }, { value: 'b' }])
    const seen: string[] = []
    const stop = bus.instrument({
      process: (context: ProcessContext, run) => {
        seen.push(
          `${context.kind} ${context.groupId} ${context.topic}-${context.partition} ×${context.records.length}`,
        )
        return run()
      },
    })
    const handled: LogRecord[] = []
    const each = bus.consumer({ groupId: 'g1', topics: ['orders'], fromBeginning: true })
    await each.run({ eachMessage: async (record) => void handled.push(record) })
    await each.caughtUp()
    const batch = bus.consumer({ topics: ['orders'], fromBeginning: true })
    await batch.run({ eachBatch: ({ records }) => void handled.push(...records) })
    await batch.caughtUp()
    expect(handled).toHaveLength(4)
    expect(seen).toEqual(['message g1 orders-0 ×1', 'message g1 orders-0 ×1', 'batch undefined orders-0 ×2'])
    stop()
    expect(() => bus.instrument({})).not.toThrow()
  })

  it('allows one instrumentation at a time, and ignores one that throws', async () => {
    const bus = await openBus()
    await bus.createTopic('orders')
    bus.instrument({
      send: () => {
        throw new Error('broken tracer')
      },
      process: () => {
        throw new Error('broken tracer')
      },
    })
    expect(() => bus.instrument({})).toThrow(InvalidStateError)
    await expect(bus.producer().send('orders', { value: 'a' })).resolves.toMatchObject({ offset: 0 })
    const values: string[] = []
    const consumer = bus.consumer({ topics: ['orders'], fromBeginning: true })
    await consumer.run({ eachMessage: (r) => void values.push(String(r.value)) })
    await consumer.caughtUp()
    expect(values).toEqual(['a'])
  })
})

import { describe, expect, it } from 'vitest'
import { type Bus, type LogRecord, OffsetOutOfRangeError } from '../../src/index'
import { openBus, uniqueName } from '../support/bus'
import { FakeClock } from '../support/fake-clock'

const values = (records: readonly LogRecord[]): Array<string | undefined> =>
  records.map((r) => r.value?.toString())
const offsets = (records: readonly LogRecord[]): number[] => records.map((r) => r.offset)

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

/**
 * Memory storage joins small batches appended back to back within a second of each other: these
 * batches are two seconds apart, so that each stays a stored batch of its own.
 */
const BATCH_SPACING_MS = 2_000

/** A one-partition topic holding `batches` separate batches (one awaited array send each). */
async function topicWithBatches(bus: Bus, batches: string[][]): Promise<string> {
  const name = uniqueName('part')
  await bus.createTopic(name)
  const producer = bus.producer()
  for (const [i, batch] of batches.entries())
    await producer.send(
      name,
      batch.map((value) => ({ value, timestamp: 1_000_000 + i * BATCH_SPACING_MS })),
    )
  return name
}

describe('Partition offsets', () => {
  it('an empty partition starts and ends at 0 and reads nothing', async () => {
    const bus = await openBus()
    const name = uniqueName('empty')
    const partition = (await bus.createTopic(name)).partition(0)
    expect(partition.logStartOffset).toBe(0)
    expect(partition.logEndOffset).toBe(0)
    expect(await partition.read(0)).toEqual([])
    expect(await partition.offsetForTimestamp(0)).toBeNull()
  })

  it('assigns dense offsets from 0 across batches, and logEndOffset is one past the last', async () => {
    const bus = await openBus()
    const name = await topicWithBatches(bus, [['a', 'b'], ['c'], ['d', 'e', 'f']])
    const partition = bus.topic(name).partition(0)
    expect(partition.logStartOffset).toBe(0)
    expect(partition.logEndOffset).toBe(6)
    const records = await partition.read(0)
    expect(offsets(records)).toEqual([0, 1, 2, 3, 4, 5])
    expect(values(records)).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
    for (const record of records) {
      expect(record.topic).toBe(name)
      expect(record.partition).toBe(0)
    }
  })

  it('each partition has its own offsets, each dense from 0', async () => {
    const bus = await openBus()
    const name = uniqueName('per-partition')
    const topic = await bus.createTopic(name, { partitions: 3 })
    const producer = bus.producer()
    const metas = await producer.send(name, [
      { value: 'x0', partition: 2 },
      { value: 'y0', partition: 0 },
      { value: 'x1', partition: 2 },
      { value: 'x2', partition: 2 },
      { value: 'y1', partition: 0 },
    ])
    expect(metas.map((m) => [m.partition, m.offset])).toEqual([
      [2, 0],
      [0, 0],
      [2, 1],
      [2, 2],
      [0, 1],
    ])
    expect(topic.partitions.map((p) => p.logEndOffset)).toEqual([2, 0, 3])
    expect(values(await topic.partition(2).read(0))).toEqual(['x0', 'x1', 'x2'])
    expect(values(await topic.partition(0).read(0))).toEqual(['y0', 'y1'])
  })
})

describe('Partition.read', () => {
  it('reads from any offset, including the middle of a batch', async () => {
    const bus = await openBus()
    const name = await topicWithBatches(bus, [['a', 'b', 'c'], ['d', 'e'], ['f']])
    const partition = bus.topic(name).partition(0)
    for (let offset = 0; offset < 6; offset++) {
      const records = await partition.read(offset)
      expect(offsets(records), `from ${offset}`).toEqual([0, 1, 2, 3, 4, 5].slice(offset))
    }
  })

  it('reads nothing at logEndOffset', async () => {
    const bus = await openBus()
    const name = await topicWithBatches(bus, [['a', 'b']])
    expect(await bus.topic(name).partition(0).read(2)).toEqual([])
  })

  it.each([
    ['past the end', 3],
    ['negative', -1],
  ])('rejects an offset %s with OffsetOutOfRangeError', async (_label, offset) => {
    const bus = await openBus()
    const name = await topicWithBatches(bus, [['a', 'b']])
    const error = await rejection(bus.topic(name).partition(0).read(offset))
    expect(error).toBeInstanceOf(OffsetOutOfRangeError)
    expect(error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', topic: name, partition: 0, offset })
  })

  it('with a byte budget smaller than a batch, still returns that whole batch', async () => {
    const bus = await openBus()
    const name = await topicWithBatches(bus, [['a', 'b', 'c'], ['d', 'e'], ['f']])
    const partition = bus.topic(name).partition(0)
    const records = await partition.read(0, 1)
    expect(offsets(records)).toEqual([0, 1, 2])
  })

  it('from the middle of a batch with a tiny budget, returns the rest of that batch', async () => {
    const bus = await openBus()
    const name = await topicWithBatches(bus, [
      ['a', 'b', 'c'],
      ['d', 'e'],
    ])
    const records = await bus.topic(name).partition(0).read(1, 1)
    expect(offsets(records)).toEqual([1, 2])
  })

  it('returns a record larger than the budget rather than nothing', async () => {
    const bus = await openBus()
    const name = uniqueName('big')
    await bus.createTopic(name)
    await bus.producer().send(name, { value: Buffer.alloc(10_000, 1) })
    const records = await bus.topic(name).partition(0).read(0, 10)
    expect(records).toHaveLength(1)
    expect(records[0]?.value?.length).toBe(10_000)
  })

  it('stops after about maxBytes: a budget of one batch does not return every batch', async () => {
    const bus = await openBus()
    const name = uniqueName('budget')
    await bus.createTopic(name)
    const producer = bus.producer()
    for (let i = 0; i < 5; i++)
      await producer.send(name, { value: Buffer.alloc(1000, i), timestamp: i * BATCH_SPACING_MS })
    const partition = bus.topic(name).partition(0)
    const some = await partition.read(0, 1500)
    expect(some.length).toBeGreaterThanOrEqual(1)
    expect(some.length).toBeLessThan(5)
    expect(offsets(some)).toEqual([0, 1, 2, 3, 4].slice(0, some.length))
    // And reading on from where it stopped gets the rest, in order.
    const rest = await partition.read(some.length, 1 << 20)
    expect(offsets([...some, ...rest])).toEqual([0, 1, 2, 3, 4])
  })

  it('returns key, value, headers and timestamp as sent', async () => {
    const bus = await openBus()
    const name = uniqueName('fields')
    await bus.createTopic(name)
    await bus.producer().send(name, { key: 'k', value: 'v', headers: { h: 'x' }, timestamp: 1234 })
    const [record] = await bus.topic(name).partition(0).read(0)
    expect(record?.key).toEqual(Buffer.from('k'))
    expect(record?.value).toEqual(Buffer.from('v'))
    expect(record?.headers).toEqual({ h: Buffer.from('x') })
    expect(record?.timestamp).toBe(1234)
  })
})

describe('Partition.offsetForTimestamp', () => {
  async function withTimestamps(bus: Bus, timestamps: number[]): Promise<string> {
    const name = uniqueName('by-time')
    await bus.createTopic(name)
    const producer = bus.producer()
    // Two batches, so the lookup has to cross a batch boundary.
    const half = Math.ceil(timestamps.length / 2)
    await producer.send(
      name,
      timestamps.slice(0, half).map((timestamp) => ({ value: 'v', timestamp })),
    )
    await producer.send(
      name,
      timestamps.slice(half).map((timestamp) => ({ value: 'v', timestamp })),
    )
    return name
  }

  it('finds the first offset whose timestamp is at or after the target', async () => {
    const bus = await openBus()
    const name = await withTimestamps(bus, [100, 200, 300, 400])
    const partition = bus.topic(name).partition(0)
    expect(await partition.offsetForTimestamp(0)).toBe(0)
    expect(await partition.offsetForTimestamp(100)).toBe(0)
    expect(await partition.offsetForTimestamp(101)).toBe(1)
    expect(await partition.offsetForTimestamp(250)).toBe(2)
    expect(await partition.offsetForTimestamp(300)).toBe(2)
    expect(await partition.offsetForTimestamp(400)).toBe(3)
  })

  it('returns null when every record is older', async () => {
    const bus = await openBus()
    const name = await withTimestamps(bus, [100, 200])
    expect(await bus.topic(name).partition(0).offsetForTimestamp(201)).toBeNull()
  })

  it('with timestamps out of order, returns the first offset at or after the target', async () => {
    const bus = await openBus()
    const name = await withTimestamps(bus, [100, 300, 200, 400])
    const partition = bus.topic(name).partition(0)
    expect(await partition.offsetForTimestamp(150)).toBe(1)
    expect(await partition.offsetForTimestamp(350)).toBe(3)
  })
})

describe('Partition.logStartOffset', () => {
  it('advances when old records are deleted, without renumbering the ones that stay', async () => {
    const clock = new FakeClock(1_700_000_000_000)
    const bus = await openBus({ clock })
    const name = uniqueName('start')
    await bus.createTopic(name, { retentionMs: 60_000 })
    const producer = bus.producer()
    const old = clock.now() - 120_000
    await producer.send(name, [
      { value: 'old0', timestamp: old },
      { value: 'old1', timestamp: old },
    ])
    await producer.send(name, [{ value: 'new2' }, { value: 'new3' }])

    await bus.applyRetention()

    const partition = bus.topic(name).partition(0)
    expect(partition.logStartOffset).toBe(2)
    expect(partition.logEndOffset).toBe(4)
    const records = await partition.read(partition.logStartOffset)
    expect(records.map((r) => [r.offset, r.value?.toString()])).toEqual([
      [2, 'new2'],
      [3, 'new3'],
    ])
    await expect(partition.read(1)).rejects.toBeInstanceOf(OffsetOutOfRangeError)
    expect(await partition.offsetForTimestamp(0)).toBe(2)
    // New records go on from the end.
    expect(await producer.send(name, { value: 'new4' })).toMatchObject({ offset: 4 })
  })
})

describe('Partition sizeBytes', () => {
  it('grows with appends and counts the segment bytes of a file log', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = mkdtempSync(join(tmpdir(), 'logbus-size-'))
    try {
      const bus = await openBus({ dir })
      const partition = (await bus.createTopic('sized')).partition(0)
      expect(partition.sizeBytes).toBe(0)
      await bus.producer().send('sized', { value: 'x'.repeat(100) })
      const afterOne = partition.sizeBytes
      expect(afterOne).toBeGreaterThan(100)
      await bus.producer().send('sized', { value: 'y'.repeat(100) })
      expect(partition.sizeBytes).toBeGreaterThan(afterOne)
      await bus.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('is held in memory storage too', async () => {
    const bus = await openBus()
    const name = await topicWithBatches(bus, [['abc', 'def']])
    expect(bus.topic(name).partition(0).sizeBytes).toBeGreaterThan(0)
  })
})

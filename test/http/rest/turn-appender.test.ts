import { describe, expect, it } from 'vitest'
import { type RestRecord, TurnAppender } from '../../../src/http/rest/turn-appender'
import { defaultPartitioner, partitionForKey } from '../../../src/index'
import { openBus } from '../../support/bus'

/** A record with the fields a test does not set left out. */
const r = (fields: Partial<RestRecord> & Pick<RestRecord, 'key' | 'value'>): RestRecord => ({
  partition: undefined,
  timestamp: undefined,
  headers: undefined,
  ...fields,
})

describe('TurnAppender', () => {
  it("appends one turn's records for a partition as one batch, and gives each caller its own deliveries", async () => {
    const bus = await openBus()
    const topic = await bus.createTopic('orders', { partitions: 2 })
    const appender = new TurnAppender()
    const [a, b] = await Promise.all([
      appender.append(topic, [r({ partition: 0, key: null, value: 'a' })]),
      appender.append(topic, [
        r({ partition: 1, key: 'k', value: Buffer.from('b1') }),
        r({ partition: 0, key: null, value: 'b2' }),
      ]),
    ])
    expect([a.partitions[0], a.offsets[0], a.error(0)]).toEqual([0, 0, undefined])
    expect([...b.partitions]).toEqual([1, 0])
    expect([...b.offsets]).toEqual([0, 1])
    const p0 = await topic.partition(0).readBatches(0)
    expect(p0.map((batch) => batch.count)).toEqual([2])
    const records = await topic.partition(0).read(0)
    expect(records.map((r) => r.value?.toString())).toEqual(['a', 'b2'])
    const [keyed] = await topic.partition(1).read(0)
    expect([keyed?.key?.toString(), keyed?.value?.toString()]).toEqual(['k', 'b1'])
  })

  it('writes text as its UTF-8 bytes, and partitions by the key as a producer does', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic('text', { partitions: 8 })
    const keys = ['user-1', 'ünïcødé', '🙂 emoji', 'lone \ud800 surrogate', '']
    const deliveries = await new TurnAppender().append(
      topic,
      keys.map((key) => r({ key, value: `value of ${key}` })),
    )
    const chooser = defaultPartitioner()
    for (const [i, key] of keys.entries()) {
      const expected = partitionForKey(Buffer.from(key), 8)
      expect(deliveries.partitions[i]).toBe(expected)
      expect(chooser({ topic: 'text', partitionCount: 8, key: Buffer.from(key), value: null })).toBe(expected)
      const [record] = await topic.partition(expected).read(deliveries.offsets[i]!)
      expect(record?.key).toEqual(Buffer.from(key))
      expect(record?.value).toEqual(Buffer.from(`value of ${key}`))
    }
  })

  it('keeps timestamps and headers per record, and stamps the others with the append time', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic('stamped')
    const before = Date.now()
    const deliveries = await new TurnAppender().append(topic, [
      r({ key: null, value: 'now' }),
      r({ key: null, value: 'then', timestamp: 1_000, headers: { trace: Buffer.from('t1') } }),
    ])
    const [now, then] = await topic.partition(0).read(0)
    expect(now?.timestamp).toBeGreaterThanOrEqual(before)
    expect(deliveries.timestamps[0]).toBe(now?.timestamp)
    expect(then?.timestamp).toBe(1_000)
    expect(deliveries.timestamps[1]).toBe(1_000)
    expect(then?.headers.trace).toEqual(Buffer.from('t1'))
    expect(now?.headers).toEqual({})
  })

  it("splits a partition's records into batches within maxMessageBytes, in order", async () => {
    const bus = await openBus()
    const topic = await bus.createTopic('small', { maxMessageBytes: 1_024 })
    const values = Array.from({ length: 40 }, (_, i) => `${i}`.padStart(100, '.'))
    const deliveries = await new TurnAppender().append(
      topic,
      values.map((value) => r({ key: null, value })),
    )
    expect([...deliveries.offsets]).toEqual(values.map((_, i) => i))
    const batches = await topic.partition(0).readBatches(0)
    expect(batches.length).toBeGreaterThan(1)
    for (const batch of batches) expect(batch.sizeBytes).toBeLessThanOrEqual(1_024)
    const read = await topic.partition(0).read(0, 1 << 20)
    expect(read.map((r) => r.value?.toString())).toEqual(values)
  })

  it('fails only the bad records of a refused batch, and keeps the order of the others', async () => {
    const bus = await openBus()
    // A compacted topic refuses a batch holding a record without a key; a record past maxMessageBytes is refused too.
    const topic = await bus.createTopic('users', { cleanupPolicy: 'compact', maxMessageBytes: 1_024 })
    const appender = new TurnAppender()
    const [good, bad] = await Promise.all([
      appender.append(topic, [r({ key: 'u1', value: 'a' }), r({ key: 'u2', value: 'x'.repeat(2_000) })]),
      appender.append(topic, [r({ key: null, value: 'no key' }), r({ key: 'u3', value: 'b' })]),
    ])
    expect(good.error(0)).toBeUndefined()
    expect(good.error(1)).toMatchObject({ code: 'MESSAGE_TOO_LARGE' })
    expect(bad.error(0)).toMatchObject({ code: 'INVALID_RECORD' })
    expect(bad.error(1)).toBeUndefined()
    const read = await topic.partition(0).read(0)
    expect(read.map((r) => [r.offset, r.key?.toString()])).toEqual([
      [0, 'u1'],
      [1, 'u3'],
    ])
    expect([good.offsets[0], bad.offsets[1]]).toEqual([0, 1])
  })

  it('fails every record when the topic is gone by the end of the turn', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic('gone')
    const appending = new TurnAppender().append(topic, [r({ key: null, value: 'x' })])
    await bus.deleteTopic('gone')
    const deliveries = await appending
    expect(deliveries.error(0)).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })
})

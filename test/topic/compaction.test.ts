import { describe, expect, it } from 'vitest'
import {
  type Bus,
  InvalidConfigError,
  InvalidRecordError,
  json,
  type LogRecord,
  MemoryStorage,
  nullable,
  string,
} from '../../src/index'
import { tempDir } from '../storage/file/support'
import { openBus, uniqueName } from '../support/bus'
import { FakeClock } from '../support/fake-clock'

const backends = {
  memory: () => ({ storage: new MemoryStorage() }),
  file: () => ({ dir: tempDir(), fsync: 'never' as const }),
}

/** Every record of partition 0, read with `partition.read` from the log start. */
async function readAll(bus: Bus, topic: string): Promise<LogRecord<string, unknown>[]> {
  const partition = bus.topic(topic, { key: string(), value: nullable(json()) }).partition(0)
  const out: LogRecord<string, unknown>[] = []
  let offset = partition.logStartOffset
  while (offset < partition.logEndOffset) {
    const records = await partition.read(offset)
    if (records.length === 0) break
    out.push(...records)
    offset = records.at(-1)!.offset + 1
  }
  return out
}

describe.each(Object.entries(backends))('compacted topics over %s storage', (_name, storageOptions) => {
  async function compactedBus(clock = new FakeClock(1_000_000)) {
    const bus = await openBus({ ...storageOptions(), clock, retentionCheckIntervalMs: 60_000 })
    const topic = uniqueName('compacted')
    const handle = await bus.createTopic(topic, {
      cleanupPolicy: 'compact',
      segmentBytes: 1024,
      deleteRetentionMs: 10_000,
      key: string(),
      value: nullable(json()),
    })
    return { bus, topic, clock, handle }
  }

  it('rejects a record without a key, changing nothing', async () => {
    const { bus, topic } = await compactedBus()
    const producer = bus.producer()
    await expect(producer.send(topic, { value: { n: 1 } } as never)).rejects.toThrow(InvalidRecordError)
    await expect(producer.send(topic, { value: { n: 1 } } as never)).rejects.toThrow(/compacted.*key/)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(0)
    await bus.close()
  })

  it('compacts on the bus clock: a consumer and partition.read see the last value per key, offsets kept', async () => {
    const { bus, topic, clock, handle } = await compactedBus()
    const producer = bus.producer()
    const sent: Array<{ offset: number; key: string; value: unknown }> = []
    for (let i = 0; i < 200; i++) {
      const key = `user-${i % 10}`
      const value = i === 195 ? null : { i, pad: 'x'.repeat(40) }
      const meta = await producer.send(handle, { key, value })
      sent.push({ offset: meta.offset, key, value })
    }
    const before = await readAll(bus, topic)
    await clock.advance(60_000)
    // Admin work runs one task at a time: this one starts once the timer's compaction pass ended.
    await bus.createTopic(uniqueName('after-the-pass'))
    const after = await readAll(bus, topic)
    expect(after.length).toBeLessThan(before.length)
    const byOffset = new Map(sent.map((s) => [s.offset, s]))
    let last = -1
    for (const r of after) {
      expect(r.offset).toBeGreaterThan(last)
      last = r.offset
      expect({ key: r.key, value: r.value }).toEqual({
        key: byOffset.get(r.offset)!.key,
        value: byOffset.get(r.offset)!.value,
      })
    }
    // A consumer from the beginning reads the compacted log through its gaps to the end.
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
    const seen: number[] = []
    await consumer.run({ eachMessage: (record) => void seen.push(record.offset) })
    await consumer.caughtUp()
    expect(seen).toEqual(after.map((r) => r.offset))
    await consumer.commit()
    expect(await bus.group(consumer.groupId!).lag()).toMatchObject([{ committedOffset: 200, lag: 0 }])
    await consumer.close()
    await bus.close()
  })

  it('removes a tombstone deleteRetentionMs after the pass that first kept it', async () => {
    const { bus, topic, clock, handle } = await compactedBus()
    const producer = bus.producer()
    await producer.send(handle, { key: 'gone', value: { v: 1 } })
    await producer.send(handle, { key: 'gone', value: null })
    for (let i = 0; i < 60; i++)
      await producer.send(handle, { key: `k${i % 5}`, value: { i, pad: 'y'.repeat(40) } })
    await bus.compact(topic)
    expect((await readAll(bus, topic)).filter((r) => r.key === 'gone').map((r) => r.value)).toEqual([null])
    await clock.advance(10_000)
    await bus.compact(topic)
    expect((await readAll(bus, topic)).some((r) => r.key === 'gone')).toBe(false)
    await bus.close()
  })

  it('bus.compact refuses a topic that is not compacted; alterTopicConfig turns compaction on', async () => {
    const { bus } = await compactedBus()
    const plain = uniqueName('plain')
    await bus.createTopic(plain)
    await expect(bus.compact(plain)).rejects.toThrow(InvalidConfigError)
    const config = await bus.alterTopicConfig(plain, { cleanupPolicy: 'compact', minCompactionLagMs: 5 })
    expect([config.cleanupPolicy, config.minCompactionLagMs]).toEqual(['compact', 5])
    await expect(bus.producer().send(plain, { value: 'x' })).rejects.toThrow(InvalidRecordError)
    await bus.close()
  })
})

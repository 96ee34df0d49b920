import { describe, expect, it } from 'vitest'
import { RAW } from '../../../src/record/codec'
import { decodeRecordBatch } from '../../../src/record/decode-record-batch'
import { encodeRecordBatch } from '../../../src/record/encode-record-batch'
import { RecordBatch } from '../../../src/record/record-batch'
import { MemoryStorage } from '../../../src/storage/memory/memory-storage'
import type { PartitionLog, TopicConfig } from '../../../src/storage/storage'
import { uniqueName } from '../../support/bus'
import {
  BIG_READ,
  expectedRecords,
  type RecordSpec,
  rawBatch,
  readAll,
  readBatches,
  sized,
  topicConfig,
  views,
} from '../conformance/harness'

/** Stored batches as [baseOffset, nextOffset] pairs. */
async function stored(log: PartitionLog): Promise<Array<[number, number]>> {
  return (await readBatches(log, log.logStartOffset, BIG_READ)).map((b) => [b.baseOffset, b.nextOffset])
}

async function openLog(config: Partial<TopicConfig> = {}) {
  const storage = new MemoryStorage()
  await storage.open()
  const topic = uniqueName('join')
  const full = topicConfig({ segmentBytes: 1 << 20, ...config })
  await storage.saveTopic({ name: topic, config: full })
  return { storage, topic, log: await storage.openLog(topic, 0, full) }
}

function specs(label: string, count: number, timestamp: number, valueBytes = 10): RecordSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `${label}${i}`,
    value: sized(`${label}${i}`, valueBytes),
    timestamp,
  }))
}

describe('memory storage joins small batches appended back to back', () => {
  it('keeps one stored batch for a run of them, with every field and offset as appended', async () => {
    const { topic, log } = await openLog()
    const appended = [
      { specs: [{ key: 'a', value: 'one', timestamp: 100, headers: { h: Buffer.from('x') } }] },
      { specs: [{ value: 'two', timestamp: 100 }] },
      // Another timestamp, a null key, a null value.
      {
        specs: [
          { key: null, value: null, timestamp: 350 },
          { key: 'd', value: 'four', timestamp: 90 },
        ],
      },
    ]
    const batches = appended.map((a) => rawBatch(a.specs))
    const bases: number[] = []
    for (const batch of batches) bases.push(await log.append(batch))
    expect(bases).toEqual([0, 1, 2])
    expect(await stored(log)).toEqual([[0, 4]])
    const [joined] = await readBatches(log, 0, BIG_READ)
    expect([joined!.firstTimestamp, joined!.maxTimestamp, joined!.count]).toEqual([100, 350, 4])
    const expected = expectedRecords(
      topic,
      0,
      appended.map((a, i) => ({ base: bases[i]!, batch: batches[i]!, specs: a.specs })),
    )
    expect(views(await readAll(log, topic, 0))).toEqual(expected)
    // Read from inside the joined batch, and through Kafka's format.
    expect(views(await readAll(log, topic, 0, 2))).toEqual(expected.slice(2))
    const decoded = decodeRecordBatch(encodeRecordBatch(joined!))
    expect([decoded.baseOffset, decoded.count, decoded.maxTimestamp]).toEqual([0, 4, 350])
    // Joined sizes add up: retention and read budgets count the same bytes.
    expect(log.sizeBytes).toBe(batches.reduce((sum, b) => sum + b.sizeBytes, 0))
  })

  it('leaves a batch a reader already holds as it was', async () => {
    const { topic, log } = await openLog()
    await log.append(rawBatch(specs('a', 2, 100)))
    const [held] = await readBatches(log, 0, BIG_READ)
    await log.append(rawBatch(specs('b', 2, 100)))
    expect(await stored(log)).toEqual([[0, 4]])
    expect([held!.baseOffset, held!.count]).toEqual([0, 2])
    const keys = (await readAll(log, topic, 0)).map((r) => r.key?.toString())
    expect(keys).toEqual(['a0', 'a1', 'b0', 'b1'])
  })

  it('stops at 256 records, at the topic segment size or 16 KiB, and at a second of timestamps', async () => {
    const records = await openLog()
    for (let i = 0; i < 12; i++) await records.log.append(rawBatch(specs(`r${i}-`, 100, 100)))
    const counts = (await stored(records.log)).map(([base, next]) => next - base)
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1_200)
    expect(Math.max(...counts)).toBe(200)
    expect(counts.length).toBeLessThan(12)

    const segment = await openLog({ segmentBytes: 1024 })
    // About 330 bytes each: three fit in 1 KiB, the fourth starts a new stored batch.
    for (let i = 0; i < 4; i++) await segment.log.append(rawBatch(specs(`s${i}-`, 1, 100, 300)))
    expect(await stored(segment.log)).toEqual([
      [0, 3],
      [3, 4],
    ])

    const large = await openLog()
    for (let i = 0; i < 3; i++) await large.log.append(rawBatch(specs(`l${i}-`, 1, 100, 7_000)))
    expect(await stored(large.log)).toEqual([
      [0, 2],
      [2, 3],
    ])

    const time = await openLog()
    for (const timestamp of [1_000, 1_500, 2_000, 2_001, 1_000_000]) {
      await time.log.append(rawBatch(specs('t', 1, timestamp)))
    }
    expect(await stored(time.log)).toEqual([
      [0, 3],
      [3, 4],
      [4, 5],
    ])
  })

  it('never joins on a compacted topic, nor once a topic becomes one', async () => {
    const compacted = await openLog({ cleanupPolicy: 'compact' })
    for (let i = 0; i < 3; i++) await compacted.log.append(rawBatch(specs(`c${i}-`, 1, 100)))
    expect(await stored(compacted.log)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ])

    const altered = await openLog()
    await altered.log.append(rawBatch(specs('a', 1, 100)))
    await altered.log.append(rawBatch(specs('b', 1, 100)))
    await altered.storage.saveTopic({
      name: altered.topic,
      config: topicConfig({ segmentBytes: 1 << 20, cleanupPolicy: 'compact,delete' }),
    })
    await altered.log.append(rawBatch(specs('c', 1, 100)))
    expect(await stored(altered.log)).toEqual([
      [0, 2],
      [2, 3],
    ])
  })

  it('does not decode a batch that arrived as bytes, and one that cannot be decoded blocks nothing', async () => {
    const { log } = await openLog()
    await log.append(rawBatch(specs('a', 1, 100)))
    const bytes = encodeRecordBatch(rawBatch(specs('w', 1, 100)))
    const wire = decodeRecordBatch(bytes)
    let decodes = 0
    const counted = RecordBatch.fromEncoded(bytes, 0, wire, (batch) => {
      decodes++
      return decodeRecordBatch(batch.encoded!).columns
    })
    await log.append(counted)
    await log.append(rawBatch(specs('b', 1, 100)))
    // Kept as its bytes until an in-process reader asks for its records.
    expect(decodes).toBe(0)
    expect(await stored(log)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ])

    // A batch whose records cannot be decoded (its CRC checked out) is stored; appends go on after it.
    const broken = await openLog()
    const undecodable = RecordBatch.fromEncoded(bytes, 0, wire, () => {
      throw new Error('a header key of length -1')
    })
    await broken.log.append(undecodable)
    expect(await broken.log.append(rawBatch(specs('c', 1, 100)))).toBe(1)
    expect(await broken.log.append(rawBatch(specs('d', 1, 100)))).toBe(2)
    expect((await readAll(broken.log, broken.topic, 0, 1)).map((r) => r.key?.toString())).toEqual([
      'c0',
      'd0',
    ])
  })

  it("never joins a producer's idempotent or transactional batch, nor one that arrived as bytes", async () => {
    const { log } = await openLog()
    await log.append(rawBatch(specs('a', 1, 100)))
    const plain = rawBatch(specs('b', 1, 100))
    const idempotent = RecordBatch.fromColumns({ keyCodec: RAW, valueCodec: RAW }, plain.columns, {
      count: 1,
      firstTimestamp: 100,
      maxTimestamp: 100,
      sizeBytes: plain.sizeBytes,
      producerId: 7,
      producerEpoch: 0,
      baseSequence: 0,
    })
    await log.append(idempotent)
    await log.append(rawBatch(specs('c', 1, 100)))
    // From the wire: kept as its bytes, so that a Fetch serves them as they are.
    const bytes = encodeRecordBatch(rawBatch(specs('d', 1, 100)))
    await log.append(decodeRecordBatch(bytes))
    await log.append(rawBatch(specs('e', 1, 100)))
    expect(await stored(log)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ])
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  Bus,
  InvalidProducerEpochError,
  InvalidRecordError,
  InvalidTransactionStateError,
  LogbusError,
  OutOfOrderSequenceError,
  ProducerFencedError,
  RecordTooLargeError,
} from '../../src/index'
import { openBus, uniqueName } from '../support/bus'
import { clientBatch } from '../support/record-batches'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'logbus-encoded-'))
  dirs.push(dir)
  return dir
}

describe('Partition.appendEncoded', () => {
  it('stores a client batch as received and in-process readers see its records', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName(), { partitions: 1 })
    const p = topic.partition(0)
    const first = await p.appendEncoded(await clientBatch({ values: ['a', 'b'], keys: ['k1', null] }))
    const second = await p.appendEncoded(await clientBatch({ values: ['c'] }))
    expect(first).toEqual({ baseOffset: 0, duplicate: false, logStartOffset: 0 })
    expect(second.baseOffset).toBe(2)
    const records = await p.read(0)
    expect(records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString()])).toEqual([
      [0, 'k1', 'a'],
      [1, null, 'b'],
      [2, null, 'c'],
    ])
    const [bytes] = await p.readEncoded(2)
    expect(bytes!.readBigInt64BE(0)).toBe(2n)
    expect(bytes!.readInt32BE(12)).toBe(0) // the leader epoch is stamped
  })

  it('refuses what Kafka refuses, and writes nothing then', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName(), { partitions: 1, maxMessageBytes: 200 })
    const p = topic.partition(0)
    const good = await clientBatch({ values: ['x'] })
    const badCrc = Buffer.from(good)
    badCrc[badCrc.length - 1]! ^= 1
    await expect(p.appendEncoded(badCrc)).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' })
    await expect(p.appendEncoded(Buffer.concat([good, good]))).rejects.toBeInstanceOf(InvalidRecordError)
    await expect(p.appendEncoded(good.subarray(0, 40))).rejects.toBeInstanceOf(LogbusError)
    await expect(p.appendEncoded(await clientBatch({ values: ['y'.repeat(300)] }))).rejects.toBeInstanceOf(
      RecordTooLargeError,
    )
    const control = Buffer.from(good)
    control.writeInt16BE(0x20, 21)
    const { crc32c } = await import('../../src/record/v2/crc32c')
    control.writeUInt32BE(crc32c(control, 21, control.length), 17)
    await expect(p.appendEncoded(control)).rejects.toThrow(/control/)
    expect(p.logEndOffset).toBe(0)
  })

  it('takes a sequence without a producer id as no sequence at all (KafkaJS writes 0 there), as Kafka does', async () => {
    const bus = await openBus()
    const p = (await bus.createTopic(uniqueName(), { partitions: 1 })).partition(0)
    const batch = await clientBatch({ values: ['a'], baseSequence: 0 })
    expect((await p.appendEncoded(batch)).baseOffset).toBe(0)
    expect(await p.appendEncoded(batch)).toMatchObject({ baseOffset: 1, duplicate: false })
    await expect(p.appendEncoded(await clientBatch({ values: ['b'], producerId: 7 }))).rejects.toBeInstanceOf(
      InvalidRecordError,
    )
  })

  it('drops an idempotent producer’s duplicate with the original offset and refuses gaps and old epochs', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName(), { partitions: 1 })
    const p = topic.partition(0)
    const { producerId } = await bus.transactions.initProducerId()
    const batch = (baseSequence: number, values: string[], producerEpoch = 0) =>
      clientBatch({ values, producerId, producerEpoch, baseSequence })
    expect((await p.appendEncoded(await batch(0, ['a', 'b']))).baseOffset).toBe(0)
    expect((await p.appendEncoded(await batch(2, ['c']))).baseOffset).toBe(2)
    expect(await p.appendEncoded(await batch(0, ['a', 'b']))).toEqual({
      baseOffset: 0,
      duplicate: true,
      logStartOffset: 0,
    })
    await expect(p.appendEncoded(await batch(5, ['gap']))).rejects.toBeInstanceOf(OutOfOrderSequenceError)
    expect((await p.appendEncoded(await batch(0, ['new epoch'], 1))).baseOffset).toBe(3)
    await expect(p.appendEncoded(await batch(3, ['old'], 0))).rejects.toBeInstanceOf(
      InvalidProducerEpochError,
    )
    expect(p.logEndOffset).toBe(4)
  })

  it('keeps arrival order while a codec loads, and rebuilds producer state and reads compressed batches after a reopen', async () => {
    const dir = tempDir()
    const name = uniqueName()
    const first = await Bus.open({ dir })
    const topic = await first.createTopic(name, { partitions: 1 })
    const p = topic.partition(0)
    const { producerId } = await first.transactions.initProducerId()
    const batches = await Promise.all(
      [1, 2, 3, 4].map((codec, i) =>
        clientBatch({ values: [`v${i}`], producerId, producerEpoch: 0, baseSequence: i, compression: codec }),
      ),
    )
    // Each waits for its codec to load; the appends still land in the order they were called.
    const results = await Promise.all(batches.map((bytes) => p.appendEncoded(bytes)))
    expect(results.map((r) => r.baseOffset)).toEqual([0, 1, 2, 3])
    await first.close()

    const second = await Bus.open({ dir })
    try {
      const reopened = second.topic(name).partition(0)
      expect((await reopened.read(0)).map((r) => r.value?.toString()).sort()).toEqual([
        'v0',
        'v1',
        'v2',
        'v3',
      ])
      const consumer = second.consumer({ groupId: uniqueName('g'), topics: [name], fromBeginning: true })
      const seen: string[] = []
      await consumer.run({ eachMessage: async (r) => void seen.push(String(r.value)) })
      await consumer.caughtUp()
      expect(seen.sort()).toEqual(['v0', 'v1', 'v2', 'v3'])
      // A retry of the last batch is still a duplicate; a new producer id is one never given out.
      const retry = batches[3]!
      expect(await reopened.appendEncoded(retry)).toMatchObject({ duplicate: true })
      expect((await second.transactions.initProducerId()).producerId).toBeGreaterThan(producerId)
    } finally {
      await second.close()
    }
  })
})

describe('Partition.readEncoded, lastStableOffset, abortedTransactions, onAppend', () => {
  it('encodes a batch the producer made once, keeps the bytes, and stops at the last stable offset', async () => {
    const bus = await openBus()
    const name = uniqueName()
    const topic = await bus.createTopic(name, { partitions: 1 })
    await bus.producer().send(name, [{ value: 'a' }, { value: 'b' }])
    const p = topic.partition(0)
    const [bytes] = await p.readEncoded(0)
    const [again] = await p.readEncoded(1)
    expect(again).toBe(bytes)

    const tx = bus.transactions
    const id = await tx.initProducerId({ transactionalId: 'tx-1' })
    const txBatch = () =>
      clientBatch({
        values: ['t'],
        producerId: id.producerId,
        producerEpoch: id.epoch,
        baseSequence: 0,
        transactional: true,
      })
    await expect(p.appendEncoded(await txBatch())).rejects.toBeInstanceOf(InvalidTransactionStateError)
    tx.addPartitions('tx-1', id, [{ topic: name, partition: 0 }])
    await p.appendEncoded(await txBatch())
    expect(p.lastStableOffset).toBe(2)
    expect(await p.readEncoded(0, { isolation: 'read_committed' })).toHaveLength(1)
    expect(await p.readEncoded(0)).toHaveLength(2)
    await tx.end('tx-1', id, false)
    expect(p.lastStableOffset).toBe(4)
    expect(p.abortedTransactions(0, 4)).toEqual([{ producerId: id.producerId, firstOffset: 2 }])

    const fenced = await tx.initProducerId({ transactionalId: 'tx-1' })
    expect(fenced.epoch).toBe(id.epoch + 1)
    expect(() => tx.addPartitions('tx-1', id, [{ topic: name, partition: 0 }])).toThrow(ProducerFencedError)
  })

  it('calls onAppend listeners after appends until stopped', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName(), { partitions: 1 })
    const p = topic.partition(0)
    let calls = 0
    const stop = p.onAppend(() => calls++)
    await p.appendEncoded(await clientBatch({ values: ['a'] }))
    stop()
    await p.appendEncoded(await clientBatch({ values: ['b'] }))
    expect(calls).toBe(1)
  })
})

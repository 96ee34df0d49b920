import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import {
  encodeRecordBatch,
  InvalidRecordError,
  InvalidStateError,
  RecordBatch,
  RecordBatchWriter,
  type RecordHeaders,
  raw,
} from '../../src/index'
import { openBus, uniqueName } from '../support/bus'

// KafkaJS's RecordBatch decoder and CRC-32C are the oracle, as for encodeRecordBatch.
const require = createRequire(import.meta.url)
const KafkaJSDecoder = require('kafkajs/src/protocol/decoder') as new (bytes: Buffer) => unknown
const decodeKafkaJSBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<{
  firstOffset: string
  firstTimestamp: string
  maxTimestamp: string
  producerId: string
  records: Array<{
    offset: string
    timestamp: string
    key: Buffer | null
    value: Buffer | null
    headers: object
  }>
}>
const kafkaJSCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (bytes: Buffer) => number

function decoded(bytes: Buffer) {
  expect(bytes.readUInt32BE(17)).toBe(kafkaJSCrc32C(bytes.subarray(21)))
  expect(bytes.readInt32BE(8)).toBe(bytes.length - 12)
  return decodeKafkaJSBatch(new KafkaJSDecoder(bytes))
}

describe('RecordBatchWriter', () => {
  it('writes records from byte ranges as Kafka reads them: keys, values, nulls, headers, timestamp deltas', async () => {
    const text = Buffer.from('k1=first\nk2=second\n=\n')
    const headers: RecordHeaders = { h: Buffer.from('x'), tags: [Buffer.from('a'), Buffer.from('b')] }
    const writer = new RecordBatchWriter()
    expect(writer.append(1_000, text, 0, 2, text, 3, 8)).toBe(true)
    writer.append(1_500, text, 9, 11, text, 12, 18, headers)
    // Earlier than the first: a negative delta.
    writer.append(900, null, 0, 0, null, 0, 0, headers)
    writer.append(1_200, text, 19, 19, text, 20, 20)
    expect(writer.count).toBe(4)
    const size = writer.sizeBytes
    const bytes = writer.finish()
    expect(bytes.length).toBe(size)
    const kafka = await decoded(bytes)
    expect(kafka).toMatchObject({
      firstOffset: '0',
      firstTimestamp: '1000',
      maxTimestamp: '1500',
      producerId: '-1',
    })
    expect(kafka.records).toMatchObject([
      { offset: '0', timestamp: '1000', key: Buffer.from('k1'), value: Buffer.from('first'), headers: {} },
      { offset: '1', timestamp: '1500', key: Buffer.from('k2'), value: Buffer.from('second'), headers },
      { offset: '2', timestamp: '900', key: null, value: null, headers },
      { offset: '3', timestamp: '1200', key: Buffer.alloc(0), value: Buffer.alloc(0), headers: {} },
    ])
  })

  it('makes the bytes encodeRecordBatch makes of the same records (the leader epoch aside)', () => {
    const values = ['a', 'b'.repeat(40), '', 'ü'.repeat(300)].map((v) => Buffer.from(v))
    const keys = [null, Buffer.from('key'), Buffer.from('k'.repeat(20)), null]
    const headers: RecordHeaders = { trace: Buffer.from('1') }
    const writer = new RecordBatchWriter()
    for (let i = 0; i < values.length; i++) {
      const key = keys[i]!
      writer.append(
        7,
        key,
        0,
        key?.length ?? 0,
        values[i]!,
        0,
        values[i]!.length,
        i === 1 ? headers : undefined,
      )
    }
    const ours = writer.finish()
    const reference = encodeRecordBatch(
      RecordBatch.fromColumns(
        { keyCodec: raw(), valueCodec: raw() },
        {
          keys,
          values,
          headers: [undefined, headers, undefined, undefined],
          timestamps: null,
          offsetDeltas: null,
          start: 0,
        },
        { count: values.length, firstTimestamp: 7, maxTimestamp: 7, sizeBytes: 0 },
      ),
    )
    // A producer sends leader epoch -1 (the leader stamps its own); the log's encoder writes the leader's 0.
    expect(ours.readInt32BE(12)).toBe(-1)
    expect(ours.subarray(16)).toEqual(reference.subarray(16))
    expect(ours.subarray(0, 12)).toEqual(reference.subarray(0, 12))
  })

  it('refuses a record past maxBytes unless the batch is empty, and starts a new batch after finish()', () => {
    const value = Buffer.alloc(100, 1)
    const writer = new RecordBatchWriter({ maxBytes: 300 })
    expect(writer.append(1, null, 0, 0, value, 0, 100)).toBe(true)
    expect(writer.append(1, null, 0, 0, value, 0, 100)).toBe(true)
    const before = writer.sizeBytes
    expect(writer.append(1, null, 0, 0, value, 0, 100)).toBe(false)
    expect(writer.sizeBytes).toBe(before)
    expect(writer.count).toBe(2)
    const first = writer.finish()
    expect(first.length).toBe(before)
    expect(first.length).toBeLessThanOrEqual(300)
    expect(writer.count).toBe(0)
    // Alone, a record larger than maxBytes is taken: where it goes decides.
    const big = Buffer.alloc(1_000, 2)
    expect(writer.append(2, null, 0, 0, big, 0, big.length)).toBe(true)
    expect(writer.sizeBytes).toBeGreaterThan(1_000)
    expect(writer.append(2, null, 0, 0, value, 0, 1)).toBe(false)
    const second = writer.finish()
    // The first batch's bytes are the caller's: the second did not write over them.
    expect(first.readInt32BE(57)).toBe(2)
    expect(second.readInt32BE(57)).toBe(1)
    writer.append(3, null, 0, 0, value, 0, 10)
    writer.clear()
    expect(writer.count).toBe(0)
    expect(writer.sizeBytes).toBe(61)
  })

  it('grows its buffer for many records and keeps them all', async () => {
    const line = Buffer.from('0123456789'.repeat(6))
    const writer = new RecordBatchWriter({ maxBytes: 8 << 20 })
    for (let i = 0; i < 20_000; i++) writer.append(5, null, 0, 0, line, i % 60, 60)
    const kafka = await decoded(writer.finish())
    expect(kafka.records).toHaveLength(20_000)
    expect(kafka.records[19_999]?.offset).toBe('19999')
    expect(kafka.records[19_999]?.value).toEqual(Buffer.from(line.subarray(19_999 % 60)))
    expect(kafka.records[61]?.value).toEqual(Buffer.from(line.subarray(1)))
  })

  it('rejects bad input with InvalidRecordError, writing nothing; finish() of an empty batch is InvalidStateError', () => {
    const bytes = Buffer.from('abc')
    const writer = new RecordBatchWriter()
    expect(() => writer.append(1, null, 0, 0, bytes, 2, 4)).toThrow(InvalidRecordError)
    expect(() => writer.append(1, bytes, 2, 1, bytes, 0, 1)).toThrow(InvalidRecordError)
    expect(() => writer.append(-1, null, 0, 0, bytes, 0, 1)).toThrow(InvalidRecordError)
    expect(() => writer.append(1.5, null, 0, 0, bytes, 0, 1)).toThrow(InvalidRecordError)
    expect(writer.count).toBe(0)
    expect(() => writer.finish()).toThrow(InvalidStateError)
    expect(() => new RecordBatchWriter({ maxBytes: 10 })).toThrow(InvalidRecordError)
  })

  it('makes batches a partition appends as they are (appendEncoded), read back record for record', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('written'))
    const text = Buffer.from('u1:one\nu2:two\n')
    const writer = new RecordBatchWriter()
    writer.append(10, text, 0, 2, text, 3, 6, { src: Buffer.from('cli') })
    writer.append(11, text, 7, 9, text, 10, 13)
    const { baseOffset } = await topic.partition(0).appendEncoded(writer.finish())
    expect(baseOffset).toBe(0)
    const [batch] = await topic.partition(0).readBatches(0)
    const at = batch!.columnStart
    const records = Array.from({ length: batch!.count }, (_, i) => ({
      offset: batch!.baseOffset + i,
      timestamp: batch!.timestamps?.[at + i],
      key: String(batch!.keys[at + i]),
      value: String(batch!.values[at + i]),
      headers: Object.keys(batch!.headers?.[at + i] ?? {}),
    }))
    expect(records).toEqual([
      { offset: 0, timestamp: 10, key: 'u1', value: 'one', headers: ['src'] },
      { offset: 1, timestamp: 11, key: 'u2', value: 'two', headers: [] },
    ])
  })
})

import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { encodeRecordBatch, json, RecordBatch, raw, string } from '../../src/index'
import { openBus, uniqueName } from '../support/bus'

// KafkaJS's own RecordBatch decoder and CRC-32C are the oracle: bytes it reads as Kafka's are Kafka's.
const require = createRequire(import.meta.url)
const KafkaJSDecoder = require('kafkajs/src/protocol/decoder') as new (bytes: Buffer) => unknown
const decodeKafkaJSBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<KafkaJSBatch>
const kafkaJSCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (bytes: Buffer) => number

interface KafkaJSBatch {
  firstOffset: string
  lastOffsetDelta: number
  firstTimestamp: string
  maxTimestamp: string
  producerId: string
  producerEpoch: number
  firstSequence: number
  inTransaction: boolean
  isControlBatch: boolean
  records: Array<{
    offset: string
    timestamp: string
    key: Buffer | null
    value: Buffer | null
    headers: Record<string, Buffer | Buffer[]>
    isControlRecord: boolean
  }>
}

async function decoded(bytes: Buffer): Promise<KafkaJSBatch> {
  expect(bytes.readUInt32BE(17)).toBe(kafkaJSCrc32C(bytes.subarray(21)))
  expect(bytes.readInt32BE(8)).toBe(bytes.length - 12)
  expect(bytes[16]).toBe(2)
  return decodeKafkaJSBatch(new KafkaJSDecoder(bytes))
}

describe('encodeRecordBatch', () => {
  it("encodes a raw topic's stored batch as Kafka does: offsets, timestamps, keys, values, headers", async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('raw'))
    const producer = bus.producer({ lingerMs: 1 })
    await producer.send(topic, { value: 'first' })
    await Promise.all([
      producer.send(topic, {
        key: 'k1',
        value: 'v1',
        timestamp: 1_000,
        headers: { h: 'x', tags: ['a', 'b'] },
      }),
      producer.send(topic, { key: Buffer.from([0, 1]), value: null, timestamp: 900 }),
    ])
    const [, batch] = await topic.partition(0).readBatches(0)
    const kafka = await decoded(encodeRecordBatch(batch!))
    expect(kafka).toMatchObject({
      firstOffset: '1',
      lastOffsetDelta: 1,
      firstTimestamp: '1000',
      maxTimestamp: '1000',
      producerId: '-1',
      producerEpoch: -1,
      firstSequence: -1,
      inTransaction: false,
      isControlBatch: false,
    })
    expect(kafka.records.map((r) => ({ ...r, key: r.key?.toString('hex') ?? null }))).toMatchObject([
      {
        offset: '1',
        timestamp: '1000',
        key: '6b31',
        value: Buffer.from('v1'),
        headers: { h: Buffer.from('x'), tags: [Buffer.from('a'), Buffer.from('b')] },
      },
      { offset: '2', timestamp: '900', key: '0001', value: null, headers: {} },
    ])
  })

  it('makes the bytes of typed values through their codecs', async () => {
    const bus = await openBus()
    const logs = await bus.createTopic(uniqueName('logs'), { value: string() })
    const docs = await bus.createTopic(uniqueName('docs'), { value: json() })
    await bus.producer().send(logs, { key: 'host', value: 'caf\u00e9' })
    await bus.producer().send(docs, { key: 'd', value: { a: [1, 'x'] } })
    const [log] = await logs.partition(0).readBatches(0)
    const [doc] = await docs.partition(0).readBatches(0)
    const [logRecord] = (await decoded(encodeRecordBatch(log!))).records
    const [docRecord] = (await decoded(encodeRecordBatch(doc!))).records
    expect(logRecord?.key).toEqual(Buffer.from('host'))
    expect(logRecord?.value).toEqual(Buffer.from('caf\u00e9', 'utf8'))
    expect(docRecord?.value?.toString()).toBe('{"a":[1,"x"]}')
  })

  it("writes a transaction's producer id, epoch, sequence and transactional bit, and its marker as a control batch", async () => {
    const bus = await openBus({ autoCreateTopics: true })
    const name = uniqueName('tx')
    const tx = await bus.producer({ transactionalId: uniqueName('id') }).transaction()
    await tx.send(name, [{ value: 'a' }, { value: 'b' }])
    await tx.commit()
    const [data, marker] = await bus.topic(name).partition(0).readBatches(0)
    expect(data?.producerId).toBeGreaterThanOrEqual(0)
    const records = await decoded(encodeRecordBatch(data!))
    expect(records).toMatchObject({
      producerId: String(data!.producerId),
      producerEpoch: data!.producerEpoch,
      firstSequence: 0,
      inTransaction: true,
      isControlBatch: false,
    })
    const control = await decoded(encodeRecordBatch(marker!))
    expect(control).toMatchObject({ firstOffset: '2', inTransaction: true, isControlBatch: true })
    expect(control.records[0]).toMatchObject({ isControlRecord: true, key: Buffer.from([0, 0, 0, 1]) })
  })

  it('encodes a batch no log has appended yet at base offset 0, as a Kafka producer sends it', async () => {
    const batch = RecordBatch.fromColumns(
      { keyCodec: raw(), valueCodec: string() },
      { keys: [null], values: ['v'], headers: null, timestamps: null, offsetDeltas: null, start: 0 },
      { count: 1, firstTimestamp: 5, maxTimestamp: 5, sizeBytes: 1 },
    )
    const kafka = await decoded(encodeRecordBatch(batch))
    expect(kafka.firstOffset).toBe('0')
    expect(kafka.records[0]).toMatchObject({
      offset: '0',
      timestamp: '5',
      key: null,
      value: Buffer.from('v'),
    })
  })

  it('gives the bytes a batch was read from as they are, and keeps the offset gaps compaction leaves', async () => {
    const bytes = Buffer.alloc(61)
    const kept = RecordBatch.fromEncoded(
      bytes,
      0,
      { count: 0, firstTimestamp: -1, maxTimestamp: -1, sizeBytes: 61 },
      () => {
        throw new Error('not decoded')
      },
    )
    expect(encodeRecordBatch(kept)).toBe(bytes)
    const gaps = RecordBatch.fromColumns(
      { keyCodec: raw(), valueCodec: raw() },
      {
        keys: [null, null],
        values: [null, null],
        headers: null,
        timestamps: null,
        offsetDeltas: [0, 2],
        start: 0,
      },
      { count: 2, firstTimestamp: 0, maxTimestamp: 0, sizeBytes: 2, lastOffsetDelta: 2 },
    )
    gaps.assignBaseOffset(10)
    const encoded = encodeRecordBatch(gaps)
    expect(encodeRecordBatch(gaps)).toBe(encoded)
    const kafka = await decoded(encoded)
    expect(kafka.lastOffsetDelta).toBe(2)
    expect(kafka.records.map((r) => r.offset)).toEqual(['10', '12'])
  })
})

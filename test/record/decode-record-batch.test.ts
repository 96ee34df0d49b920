import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  CorruptLogError,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  string,
} from '../../src/index'
import { openBus, uniqueName } from '../support/bus'

describe('decodeRecordBatch', () => {
  it('reads back what encodeRecordBatch wrote: offsets, timestamps, keys, values, headers', async () => {
    const bus = await openBus()
    const name = uniqueName('decode')
    await bus.createTopic(name, { value: string() })
    await bus.producer().send(name, [
      { key: 'a', value: 'one', timestamp: 1000, headers: { h: 'x' } },
      { key: 'b', value: 'two', timestamp: 1005 },
    ])
    // More than a second later: memory storage keeps it a batch of its own rather than join it.
    await bus.producer().send(name, { value: 'three', timestamp: 3000 })
    const [, second] = await bus.topic(name).partition(0).readBatches(0)
    const [first] = await bus.topic(name).partition(0).readBatches(0)
    const batch = decodeRecordBatch(encodeRecordBatch(first!))
    expect(batch.baseOffset).toBe(0)
    expect(batch.count).toBe(2)
    expect(batch.firstTimestamp).toBe(1000)
    expect(batch.maxTimestamp).toBe(1005)
    const at = (i: number) => batch.columnStart + i
    expect(String(batch.keys[at(1)])).toBe('b')
    expect(String(batch.values[at(0)])).toBe('one')
    expect(batch.headers?.[at(0)]?.h?.toString()).toBe('x')
    expect(batch.timestamps?.[at(1)]).toBe(1005)
    expect(decodeRecordBatch(encodeRecordBatch(second!)).baseOffset).toBe(2)
  })

  it('reads a batch of a file log, and rejects damaged or trailing bytes with CorruptLogError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logbus-decode-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const bus = await openBus({ dir })
    await bus.createTopic('t')
    await bus.producer().send('t', { value: 'v' })
    const [stored] = await bus.topic('t').partition(0).readBatches(0)
    const bytes = Buffer.from(encodeRecordBatch(stored!))
    expect(String(decodeRecordBatch(bytes).values[0])).toBe('v')
    expect(() => decodeRecordBatch(Buffer.concat([bytes, Buffer.alloc(3)]))).toThrow(/3 bytes follow/)
    bytes[bytes.length - 1]! ^= 0xff
    expect(() => decodeRecordBatch(bytes)).toThrow(CorruptLogError)
    expect(() => decodeRecordBatch(bytes.subarray(0, 20))).toThrow(CorruptLogError)
  })
})

const require = createRequire(import.meta.url)

/** A gzip-compressed batch as KafkaJS encodes it, records `value-0`, `value-1`, `value-2`. */
async function kafkajsGzipBatch(): Promise<Buffer> {
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
    RecordBatch: (options: unknown) => Promise<{ buffer: Buffer }>
  }
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (options: unknown) => unknown
  const records = [0, 1, 2].map((i) => Record({ offsetDelta: i, key: `k${i}`, value: `value-${i}` }))
  const options = { compression: 1, records, firstTimestamp: 1, maxTimestamp: 1, lastOffsetDelta: 2 }
  return (await RecordBatch(options)).buffer
}

describe('decodeRecordBatches', () => {
  it('reads every whole batch of a run of bytes, compressed ones too, and leaves out a last one cut short', async () => {
    const bus = await openBus()
    const name = uniqueName('blob')
    await bus.createTopic(name)
    await bus.producer().send(name, [{ value: 'a' }, { value: 'b' }])
    const [stored] = await bus.topic(name).partition(0).readBatches(0)
    const plain = Buffer.from(encodeRecordBatch(stored!))
    const gzipped = await kafkajsGzipBatch()
    const blob = Buffer.concat([plain, gzipped, plain.subarray(0, plain.length - 1)])
    const batches = await decodeRecordBatches(blob)
    expect(batches.map((b) => b.count)).toEqual([2, 3])
    const values = (b: (typeof batches)[number]) =>
      Array.from({ length: b.count }, (_, i) => String(b.values[b.columnStart + i]))
    expect(values(batches[0]!)).toEqual(['a', 'b'])
    expect(values(batches[1]!)).toEqual(['value-0', 'value-1', 'value-2'])
    expect(await decodeRecordBatches(Buffer.alloc(0))).toEqual([])
  })

  it('rejects a batch of an older message format, or one that does not check, with CorruptLogError', async () => {
    const bus = await openBus()
    const name = uniqueName('blob-bad')
    await bus.createTopic(name)
    await bus.producer().send(name, { value: 'v' })
    const [stored] = await bus.topic(name).partition(0).readBatches(0)
    const bytes = Buffer.from(encodeRecordBatch(stored!))
    const older = Buffer.from(bytes)
    older[16] = 1
    await expect(decodeRecordBatches(Buffer.concat([bytes, older]))).rejects.toThrow(/message format v1/)
    const damaged = Buffer.from(bytes)
    damaged[damaged.length - 1]! ^= 0xff
    await expect(decodeRecordBatches(damaged)).rejects.toBeInstanceOf(CorruptLogError)
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { CorruptLogError, decodeRecordBatch, encodeRecordBatch, string } from '../../src/index'
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
    await bus.producer().send(name, { value: 'three', timestamp: 2000 })
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

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { RAW } from '../../../src/record/codec'
import { decodeColumns } from '../../../src/record/v2/decode'
import { uniqueName, waitUntil } from '../../support/bus'
import { fileBus, logPath, tempDir } from './support'

/**
 * A handler may scribble over a delivered Buffer (`value.fill(0)`): that must never reach the disk, nor
 * the encoded bytes a batch keeps for later readers and the wire.
 */
describe('FileStorage: what a handler changes stays with it', () => {
  for (const readCacheBytes of [1 << 20, 0]) {
    const from = readCacheBytes === 0 ? 'read from disk' : 'served from the read cache'
    it(`a handler filling a value with zeros changes neither the disk nor batch.encoded (${from})`, async () => {
      const dir = tempDir()
      const bus = await fileBus(dir, { readCacheBytes })
      const topic = uniqueName('scribble')
      await bus.createTopic(topic)
      await bus.producer().send(topic, [
        { key: 'k1', value: 'original-1' },
        { key: 'k2', value: 'original-2' },
      ])
      let scribbled = 0
      const consumer = bus.consumer({ groupId: uniqueName('vandal'), topics: [topic], fromBeginning: true })
      await consumer.run({
        eachMessage: async (record) => {
          record.value!.fill(0)
          record.key!.fill(0x21)
          scribbled++
        },
      })
      await waitUntil(() => scribbled === 2, { message: 'the handler to run on both records' })

      const partition = bus.topic(topic).partition(0)
      const [batch] = await partition.readBatches(0)
      // The bytes kept for the wire and later readers decode to what was sent.
      const columns = decodeColumns(batch!.encoded!)
      expect(Array.from(columns.values, (v) => String(v))).toEqual(['original-1', 'original-2'])
      expect(Array.from(columns.keys, (k) => String(k))).toEqual(['k1', 'k2'])
      // And so does the file.
      const file = readFileSync(logPath(dir, topic, 0))
      expect(file.includes('original-1')).toBe(true)
      expect(file.includes('original-2')).toBe(true)
      if (readCacheBytes === 0) {
        // Each disk read decodes from its own copy: another reader gets what was sent.
        const again = await partition.read(0)
        expect(again.map((r) => r.value?.toString())).toEqual(['original-1', 'original-2'])
        expect(
          Array.from((await partition.readBatches(0))[0]!.valuesIn(RAW).items, (v) => String(v)),
        ).toEqual(['original-1', 'original-2'])
      }
      await bus.close()
      const reopened = await fileBus(dir)
      const stored = await reopened.topic(topic).partition(0).read(0)
      expect(stored.map((r) => [r.key?.toString(), r.value?.toString()])).toEqual([
        ['k1', 'original-1'],
        ['k2', 'original-2'],
      ])
    })
  }
})

import { describe, expect, it } from 'vitest'
import { ClosedError, LockedError, OffsetOutOfRangeError } from '../../../src/errors'
import { uniqueName } from '../../support/bus'
import {
  append,
  appendBatches,
  expectedRecords,
  failure,
  read,
  readAll,
  rejection,
  type StorageFactory,
  setup,
  sortedGroups,
  sortOffsets,
  topicConfig,
  views,
} from './harness'

/** The Storage contract: open and lock, topic metadata, group offsets, deleteTopic, close. */
export function storageContract(factory: StorageFactory): void {
  describe('open, lock and topic metadata', () => {
    it('a fresh storage opens to an empty snapshot', async () => {
      const h = await setup(factory)
      expect(h.snapshot).toEqual({ topics: [], groups: {} })
    })

    it('saved, updated and deleted topics are what the next open returns', async (ctx) => {
      const h = await setup(factory)
      if (!h.canReopen) ctx.skip()
      const orders = uniqueName('orders')
      const audit = uniqueName('audit')
      const gone = uniqueName('gone')
      const ordersConfig = topicConfig({ partitions: 3, retentionMs: 60_000, retentionBytes: 4096 })
      await h.storage.saveTopic({ name: orders, config: ordersConfig })
      await h.storage.saveTopic({ name: audit, config: topicConfig() })
      await h.storage.saveTopic({ name: gone, config: topicConfig() })
      // An update (createPartitions) replaces the stored config.
      const grown = { ...ordersConfig, partitions: 5 }
      await h.storage.saveTopic({ name: orders, config: grown })
      await h.storage.deleteTopic(gone)

      const snapshot = await h.closeAndReopen()
      const byName = new Map(snapshot.topics.map((t) => [t.name, t.config]))
      expect([...byName.keys()].sort()).toEqual([audit, orders].sort())
      expect(byName.get(orders)).toEqual(grown)
      expect(byName.get(audit)).toEqual(topicConfig())

      // The snapshot is a copy: changing it changes nothing stored.
      byName.get(orders)!.partitions = 99
      const again = await h.closeAndReopen()
      expect(again.topics.find((t) => t.name === orders)?.config).toEqual(grown)
    })

    it('a second open while the storage is open rejects with LockedError; after close it opens', async () => {
      const h = await setup(factory)
      const topic = uniqueName('locked')
      await h.storage.saveTopic({ name: topic, config: topicConfig() })
      const other = await h.another()
      expect(await rejection(other.open())).toBeInstanceOf(LockedError)
      // The failed open took nothing from the owner.
      const log = await h.storage.openLog(topic, 0, topicConfig())
      expect((await append(log, [{ value: 'still mine' }])).base).toBe(0)
      if (h.canReopen) {
        const snapshot = await h.closeAndReopen()
        expect(snapshot.topics.map((t) => t.name)).toEqual([topic])
      }
    })

    it('two opens of one unopened storage started at once: exactly one wins, the other gets LockedError', async () => {
      const { storage, cleanup } = await factory()
      try {
        const results = await Promise.allSettled([storage.open(), storage.open()])
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
        const failed = results.find((r) => r.status === 'rejected')
        expect((failed as PromiseRejectedResult).reason).toBeInstanceOf(LockedError)
      } finally {
        await storage.close()
        await cleanup()
      }
    })

    it('before open and after close every call throws ClosedError; close is idempotent', async () => {
      const { storage, cleanup } = await factory()
      try {
        const config = topicConfig()
        const calls = [
          () => storage.openLog('t', 0, config),
          () => storage.saveTopic({ name: 't', config }),
          () => storage.deleteTopic('t'),
          () => storage.saveOffsets('g', [{ topic: 't', partition: 0, offset: 1 }]),
          () => storage.deleteGroup('g'),
        ]
        for (const call of calls) expect(await failure(call)).toBeInstanceOf(ClosedError)
        await storage.open()
        const log = await storage.openLog('t', 0, config)
        await storage.close()
        await storage.close()
        for (const call of calls) expect(await failure(call)).toBeInstanceOf(ClosedError)
        // Closing the storage closed the logs it opened.
        expect(await failure(() => log.read(0, 1))).toBeInstanceOf(ClosedError)
      } finally {
        await cleanup()
      }
    })
  })

  describe('group offsets', () => {
    it('saveOffsets merges per partition, and the next open returns every group’s latest offsets', async (ctx) => {
      const h = await setup(factory)
      if (!h.canReopen) ctx.skip()
      const orders = uniqueName('orders')
      const audit = uniqueName('audit')
      const billing = uniqueName('billing')
      const shipping = uniqueName('shipping')
      await h.storage.saveTopic({ name: orders, config: topicConfig({ partitions: 2 }) })
      await h.storage.saveTopic({ name: audit, config: topicConfig() })
      await h.storage.saveOffsets(billing, [
        { topic: orders, partition: 0, offset: 5 },
        { topic: orders, partition: 1, offset: 7 },
      ])
      await h.storage.saveOffsets(billing, [{ topic: orders, partition: 0, offset: 9 }])
      await h.storage.saveOffsets(billing, [{ topic: audit, partition: 0, offset: 0 }])
      await h.storage.saveOffsets(shipping, [{ topic: orders, partition: 1, offset: 3 }])

      const snapshot = await h.closeAndReopen()
      expect(sortedGroups(snapshot)).toEqual({
        [billing]: sortOffsets([
          { topic: orders, partition: 0, offset: 9 },
          { topic: orders, partition: 1, offset: 7 },
          { topic: audit, partition: 0, offset: 0 },
        ]),
        [shipping]: [{ topic: orders, partition: 1, offset: 3 }],
      })

      // Offsets may also go back (a reset); the latest save wins, across reopens.
      await h.storage.saveOffsets(billing, [{ topic: orders, partition: 0, offset: 2 }])
      const again = await h.closeAndReopen()
      expect(sortedGroups(again)[billing]?.find((o) => o.topic === orders && o.partition === 0)?.offset).toBe(
        2,
      )
    })

    it('deleteGroup removes the group’s offsets and only them', async (ctx) => {
      const h = await setup(factory)
      if (!h.canReopen) ctx.skip()
      const topic = uniqueName('orders')
      const doomed = uniqueName('doomed')
      const kept = uniqueName('kept')
      await h.storage.saveTopic({ name: topic, config: topicConfig() })
      await h.storage.saveOffsets(doomed, [{ topic, partition: 0, offset: 4 }])
      await h.storage.saveOffsets(kept, [{ topic, partition: 0, offset: 6 }])
      await h.storage.deleteGroup(doomed)
      await h.storage.deleteGroup(uniqueName('never-existed'))
      const snapshot = await h.closeAndReopen()
      expect(sortedGroups(snapshot)).toEqual({ [kept]: [{ topic, partition: 0, offset: 6 }] })

      // A deleted group can commit again from scratch.
      await h.storage.saveOffsets(doomed, [{ topic, partition: 0, offset: 1 }])
      const again = await h.closeAndReopen()
      expect(sortedGroups(again)[doomed]).toEqual([{ topic, partition: 0, offset: 1 }])
    })

    it('saving an empty list of offsets stores no group', async (ctx) => {
      const h = await setup(factory)
      if (!h.canReopen) ctx.skip()
      const empty = uniqueName('empty')
      const real = uniqueName('real')
      await h.storage.saveOffsets(empty, [])
      await h.storage.saveOffsets(real, [{ topic: 'orders', partition: 0, offset: 1 }])
      await h.storage.saveOffsets(real, [])
      const snapshot = await h.closeAndReopen()
      expect(sortedGroups(snapshot)).toEqual({ [real]: [{ topic: 'orders', partition: 0, offset: 1 }] })
    })
  })

  describe('deleteTopic', () => {
    it('removes its records and every group’s offsets for it, and nothing of other topics', async (ctx) => {
      const h = await setup(factory)
      if (!h.canReopen) ctx.skip()
      const doomed = uniqueName('orders')
      // A name that shares a prefix with the doomed topic's partitions.
      const similar = `${doomed}-1`
      const billing = uniqueName('billing')
      const config = topicConfig({ partitions: 2 })
      await h.storage.saveTopic({ name: doomed, config })
      await h.storage.saveTopic({ name: similar, config: topicConfig() })
      const logs = [await h.storage.openLog(doomed, 0, config), await h.storage.openLog(doomed, 1, config)]
      const other = await h.storage.openLog(similar, 0, topicConfig())
      await appendBatches(logs[0]!, 5)
      await appendBatches(logs[1]!, 2)
      const otherRecords = expectedRecords(similar, 0, await appendBatches(other, 3))
      await h.storage.saveOffsets(billing, [
        { topic: doomed, partition: 0, offset: 5 },
        { topic: doomed, partition: 1, offset: 2 },
        { topic: similar, partition: 0, offset: 3 },
      ])
      await logs[0]!.close()
      // Logs still open are closed by the delete.
      await h.storage.deleteTopic(doomed)
      expect(await failure(() => logs[1]!.logEndOffset)).toBeInstanceOf(ClosedError)

      // Recreated under the same name, the topic starts empty.
      const fresh = await h.storage.openLog(doomed, 0, config)
      expect([fresh.logStartOffset, fresh.logEndOffset]).toEqual([0, 0])
      expect(await read(fresh, doomed, 0, 0)).toEqual([])
      expect(views(await readAll(other, similar, 0))).toEqual(otherRecords)

      const snapshot = await h.closeAndReopen()
      expect(snapshot.topics.map((t) => t.name)).toEqual([similar])
      expect(sortedGroups(snapshot)[billing]).toEqual([{ topic: similar, partition: 0, offset: 3 }])
      expect(views(await readAll(await h.storage.openLog(similar, 0, topicConfig()), similar, 0))).toEqual(
        otherRecords,
      )
      expect((await h.storage.openLog(doomed, 1, config)).logEndOffset).toBe(0)
    })

    it('removes the logs of a creation that failed halfway, before the topic was saved', async (ctx) => {
      const h = await setup(factory)
      if (!h.canReopen) ctx.skip()
      const topic = uniqueName('half')
      const config = topicConfig({ partitions: 3 })
      // The bus opens each partition's log, then saves the topic; here the third open "failed".
      const opened = [await h.storage.openLog(topic, 0, config), await h.storage.openLog(topic, 1, config)]
      await append(opened[0]!, [{ value: 'never a topic' }])
      await h.storage.deleteTopic(topic)
      for (const log of opened) expect(await failure(() => log.logEndOffset)).toBeInstanceOf(ClosedError)
      const snapshot = await h.closeAndReopen()
      expect(snapshot.topics.map((t) => t.name)).not.toContain(topic)
      const again = await h.storage.openLog(topic, 0, config)
      expect([again.logStartOffset, again.logEndOffset]).toEqual([0, 0])
    })

    it('a group whose every offset went with a deleted topic is not in the snapshot', async (ctx) => {
      const h = await setup(factory)
      if (!h.canReopen) ctx.skip()
      const topic = uniqueName('orders')
      const onlyHere = uniqueName('only-here')
      await h.storage.saveTopic({ name: topic, config: topicConfig() })
      await h.storage.saveOffsets(onlyHere, [{ topic, partition: 0, offset: 1 }])
      await h.storage.deleteTopic(topic)
      const snapshot = await h.closeAndReopen()
      // As Kafka: deleting a topic removes its offsets, and an empty group without offsets is gone.
      expect(snapshot.groups).toEqual({})
    })
  })

  describe('close and reopen', () => {
    it('records, headers, timestamps and logStartOffset survive; appends go on from the end', async (ctx) => {
      const h = await setup(factory)
      if (!h.canReopen) ctx.skip()
      const topic = uniqueName('durable')
      const config = topicConfig({ partitions: 2 })
      await h.storage.saveTopic({ name: topic, config })
      const p0 = await h.storage.openLog(topic, 0, config)
      const p1 = await h.storage.openLog(topic, 1, config)
      const written = []
      for (let b = 0; b < 12; b++) {
        written.push(
          await append(
            p0,
            [0, 1, 2].map((i) => ({
              key: i === 1 ? null : Buffer.from([b, i, 0xff]),
              value: i === 2 && b % 3 === 0 ? null : `d-${b}-${i}`.padEnd(90, '.'),
              headers:
                i === 0
                  ? {
                      trace: Buffer.from(`t${b}`),
                      rep: [Buffer.from('x'), Buffer.from(''), Buffer.from('z')],
                    }
                  : undefined,
              timestamp: 10_000 + b * 10 - i,
            })),
          ),
        )
      }
      const p1Records = expectedRecords(topic, 1, await appendBatches(p1, 2, { perBatch: 2, label: 'p1' }))
      await p0.truncateBefore(4)
      const expected = expectedRecords(topic, 0, written)
      expect(views(await readAll(p0, topic, 0))).toEqual(expected.slice(4))

      const snapshot = await h.closeAndReopen()
      expect(snapshot.topics).toEqual([{ name: topic, config }])
      const r0 = await h.storage.openLog(topic, 0, config)
      const r1 = await h.storage.openLog(topic, 1, config)
      expect([r0.logStartOffset, r0.logEndOffset]).toEqual([4, 36])
      expect([r1.logStartOffset, r1.logEndOffset]).toEqual([0, 4])
      expect(views(await readAll(r0, topic, 0))).toEqual(expected.slice(4))
      for (let offset = 4; offset < 36; offset++) {
        expect(views(await read(r0, topic, 0, offset, 1))[0]).toEqual(expected[offset])
      }
      expect(await rejection(read(r0, topic, 0, 3))).toBeInstanceOf(OffsetOutOfRangeError)
      expect(views(await readAll(r1, topic, 1))).toEqual(p1Records)
      expect(await r0.offsetForTimestamp(10_050)).toBe(15)

      expect((await append(r0, [{ value: 'after reopen' }])).base).toBe(36)
      await h.closeAndReopen()
      const r0Again = await h.storage.openLog(topic, 0, config)
      expect([r0Again.logStartOffset, r0Again.logEndOffset]).toEqual([4, 37])
      expect((await read(r0Again, topic, 0, 36)).map((r) => r.value?.toString())).toEqual(['after reopen'])
    })
  })
}

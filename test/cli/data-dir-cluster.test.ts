import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { exitCodeOf } from '../../src/cli/cli-error'
import { DataDirCluster } from '../../src/cli/cluster/data-dir-cluster'
import { GroupNotEmptyError } from '../../src/index'
import { partitionBatches, scratch } from './support'

async function openCluster(): Promise<DataDirCluster> {
  const cluster = await DataDirCluster.open({ dir: join(scratch(), 'data'), create: true })
  onTestFinished(() => cluster.close())
  return cluster
}

describe('the data-directory backend', () => {
  it('refuses to reset or delete a group that has members (exit code 5), dry run included, as Kafka does', async () => {
    const cluster = await openCluster()
    await cluster.createTopic('orders', { partitions: 2, configs: {}, ifNotExists: false })
    const producer = await cluster.producer('orders')
    await producer.send(partitionBatches(2, [{ key: null, value: Buffer.from('a') }]))
    await producer.close()
    const member = cluster.bus.consumer({ groupId: 'billing', topics: ['orders'], fromBeginning: true })
    await member.run({ eachMessage: () => undefined })
    await member.caughtUp()
    for (const dryRun of [true, false]) {
      const refused = cluster.resetOffsets('billing', { to: 'earliest', topics: ['orders'], dryRun })
      await expect(refused).rejects.toBeInstanceOf(GroupNotEmptyError)
      expect(exitCodeOf(await refused.catch((error: unknown) => error))).toBe(5)
    }
    await expect(cluster.deleteGroup('billing')).rejects.toBeInstanceOf(GroupNotEmptyError)
    const report = await cluster.describeGroup('billing')
    expect(report.state).toBe('Stable')
    expect(report.partitions.every((p) => p.consumerId === member.memberId)).toBe(true)
    await member.close()
    const moved = await cluster.resetOffsets('billing', { to: 'earliest', topics: ['orders'], dryRun: false })
    expect(moved).toEqual([
      { topic: 'orders', partition: 0, offset: 0, previous: expect.any(Number) },
      { topic: 'orders', partition: 1, offset: 0, previous: expect.any(Number) },
    ])
  })

  it('hands consumers slices of batches from the offset asked, and stops at --max mid-batch', async () => {
    const cluster = await openCluster()
    await cluster.createTopic('t', { partitions: 1, configs: {}, ifNotExists: false })
    const producer = await cluster.producer('t')
    await producer.send(
      partitionBatches(
        1,
        ['a', 'b', 'c', 'd'].map((v) => ({ key: null, value: Buffer.from(v) })),
      ),
    )
    await producer.send(
      partitionBatches(
        1,
        ['e', 'f'].map((v) => ({ key: null, value: Buffer.from(v) })),
      ),
    )
    const seen: string[] = []
    const signal = new AbortController().signal
    const summary = await cluster.consume(
      { topic: 't', start: { offset: 2 }, follow: false, max: 3, group: 'g', signal },
      ({ batch, from, to }) => {
        for (let i = from; i < to; i++) seen.push(String(batch.values[batch.columnStart + i]))
      },
    )
    expect(seen).toEqual(['c', 'd', 'e'])
    expect(summary).toEqual({ records: 3, committed: [{ topic: 't', partition: 0, offset: 5 }] })
  })
})

describe('datagen command', () => {
  it('names every quickstart of logbus/datagen (it lists them without loading the generators)', async () => {
    const { QUICKSTART_NAMES } = await import('../../src/cli/datagen/datagen')
    const { quickstarts } = await import('../../src/datagen')
    expect([...QUICKSTART_NAMES].sort()).toEqual(Object.keys(quickstarts).sort())
  })
})

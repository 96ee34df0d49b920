import { describe, expect, it, onTestFinished } from 'vitest'
import type { Cluster, RecordSlice } from '../../src/cli/cluster/cluster'
import { WireCluster } from '../../src/cli/cluster/wire/wire-cluster'
import { ApiKeys, type ApiName, apiInfo, CLIENT_API_VERSIONS, KafkaClient } from '../../src/wire'
import { openBus } from '../support/bus'
import { partitionBatches } from './support'

/** Every API the backend uses, at the lowest version the client writes. */
const LOWEST: Partial<Record<ApiName, number>> = Object.fromEntries(
  CLIENT_API_VERSIONS.map((api) => [apiInfo(api.apiKey)!.name, api.minVersion]),
)

async function served(maxVersions?: Partial<Record<ApiName, number>>): Promise<Cluster> {
  const bus = await openBus()
  const server = await bus.listen({ port: 0, logger: { info() {}, warn() {}, error() {} } })
  const cluster = await WireCluster.connect(
    `127.0.0.1:${server.address.port}`,
    maxVersions === undefined ? {} : { maxVersions },
  )
  onTestFinished(() => cluster.close())
  return cluster
}

/** Records of a consume as `partition:offset:key=value`. */
async function read(cluster: Cluster, group?: string, max?: number): Promise<string[]> {
  const out: string[] = []
  const sink = ({ partition, batch, from, to }: RecordSlice) => {
    for (let i = from; i < to; i++) {
      const at = batch.columnStart + i
      const key = batch.keys[at] as Buffer | null
      out.push(
        `${partition}:${batch.baseOffset + i}:${key?.toString() ?? ''}=${(batch.values[at] as Buffer).toString()}`,
      )
    }
  }
  await cluster.consume(
    {
      topic: 'orders',
      start: 'earliest',
      follow: false,
      signal: new AbortController().signal,
      ...(group === undefined ? {} : { group }),
      ...(max === undefined ? {} : { max }),
    },
    sink,
  )
  return out
}

/** One session of every operation; what each answered. */
async function session(cluster: Cluster): Promise<unknown[]> {
  const transcript: unknown[] = []
  transcript.push(
    await cluster.createTopic('orders', {
      partitions: 3,
      configs: { 'retention.ms': '100000' },
      ifNotExists: false,
    }),
  )
  const producer = await cluster.producer('orders')
  await producer.send(
    partitionBatches(
      3,
      Array.from({ length: 30 }, (_, i) => ({
        key: i % 4 === 0 ? null : Buffer.from(`k${i % 7}`),
        value: Buffer.from(`v${i}`),
        ...(i % 5 === 0 ? { headers: { h: Buffer.from('x') } } : {}),
      })),
    ),
  )
  await producer.close()
  transcript.push(await cluster.describeTopic('orders'))
  transcript.push(await read(cluster))
  transcript.push(await read(cluster, 'g', 10))
  const described = await cluster.describeGroup('g')
  transcript.push({ ...described, protocol: undefined })
  transcript.push(await cluster.listGroups())
  transcript.push(await cluster.resetOffsets('g', { to: { shiftBy: -2 }, dryRun: true }))
  transcript.push(await cluster.resetOffsets('g', { to: 'earliest', topics: ['orders'], dryRun: false }))
  transcript.push((await read(cluster, 'g')).length)
  transcript.push(await cluster.alterTopic('orders', { partitions: 4, configs: { 'retention.ms': '5000' } }))
  await cluster.deleteGroup('g')
  transcript.push(await cluster.listGroups())
  await cluster.deleteTopic('orders')
  transcript.push(await cluster.listTopics())
  return transcript
}

describe('WireCluster', () => {
  it('does the same at the lowest versions the client writes as at the highest the server speaks', async () => {
    const low = await session(await served(LOWEST))
    const high = await session(await served())
    expect(low).toEqual(high)
    const [created, described, all, grouped, group] = high as [
      { partitions: unknown[] },
      { partitions: { logEndOffset: number; sizeBytes: number }[] },
      string[],
      string[],
      { state: string; partitions: { currentOffset: number | null }[] },
    ]
    expect(created.partitions).toHaveLength(3)
    expect(described.partitions.reduce((n, p) => n + p.logEndOffset, 0)).toBe(30)
    expect(described.partitions.every((p) => p.sizeBytes > 0)).toBe(true)
    expect(all).toHaveLength(30)
    expect(grouped).toHaveLength(10)
    expect(group.state).toBe('Empty')
    expect(high.at(-4)).toBe(30)
    expect(high.at(-1)).toEqual([])
  })

  it('the caps hold: each API is asked at the version given', async () => {
    const bus = await openBus()
    const server = await bus.listen({ port: 0, logger: { info() {}, warn() {}, error() {} } })
    const client = await KafkaClient.connect({
      bootstrapServers: `127.0.0.1:${server.address.port}`,
      maxVersions: LOWEST,
    })
    onTestFinished(() => client.close())
    expect(client.bootstrap.version(ApiKeys.Fetch)).toBe(4)
    expect(client.bootstrap.version(ApiKeys.OffsetFetch)).toBe(2)
    expect(client.bootstrap.version(ApiKeys.FindCoordinator)).toBe(0)
    const uncapped = await KafkaClient.connect({ bootstrapServers: `127.0.0.1:${server.address.port}` })
    onTestFinished(() => uncapped.close())
    // The server's highest: Fetch by topic id, OffsetFetch of several groups, FindCoordinator of several keys.
    expect(uncapped.bootstrap.version(ApiKeys.Fetch)).toBe(16)
    expect(uncapped.bootstrap.version(ApiKeys.OffsetFetch)).toBe(9)
    expect(uncapped.bootstrap.version(ApiKeys.FindCoordinator)).toBe(4)
  })
})

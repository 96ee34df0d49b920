import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Bus, InvalidConfigError, MemoryStorage } from 'logbus'
import { loadStandaloneConfig, runStandalone } from 'logbus/connect'
import { describe, expect, it } from 'vitest'
import { OffsetStore } from '../../src/connect/offset-store'
import { openBus } from '../support/bus'
import { openWorker, tempDir } from './support'

describe('source offsets in connect-offsets', () => {
  it('are keyed [connector, partition] with sorted keys; reading back keeps the last value per key; null deletes', async () => {
    const storage = new MemoryStorage()
    const bus = await Bus.open({ storage })
    const store = await OffsetStore.open(bus, 'connect-offsets', 3)
    await store.write('a', [{ partition: { file: 'x', host: 'h' }, offset: { position: 1 } }])
    await store.write('a', [{ partition: { host: 'h', file: 'x' }, offset: { position: 2 } }])
    await store.write('a', [{ partition: { file: 'y' }, offset: { position: 7 } }])
    await store.write('b', [{ partition: { file: 'x', host: 'h' }, offset: { position: 9 } }])
    await store.write('a', [{ partition: { file: 'y' }, offset: null }])
    // Foreign records in the topic are ignored, as Kafka's reader ignores them.
    await bus.producer().send('connect-offsets', [
      { key: 'junk', value: 'x' },
      { key: '["a",{"file":"z"}]', value: 'not json' },
    ])
    await store.close()
    await bus.close()

    const again = await Bus.open({ storage })
    const reread = await OffsetStore.open(again)
    expect(reread.get('a', { host: 'h', file: 'x' })).toEqual({ position: 2 })
    expect(reread.get('a', { file: 'y' })).toBeNull()
    expect(reread.list('a')).toEqual([{ partition: { file: 'x', host: 'h' }, offset: { position: 2 } }])
    expect(reread.list('b')).toEqual([{ partition: { file: 'x', host: 'h' }, offset: { position: 9 } }])
    const keys = (
      await again
        .topic('connect-offsets')
        .partitions.reduce(
          async (all, p) => [...(await all), ...(await p.read(0))],
          Promise.resolve([] as { key: Buffer | null }[]),
        )
    ).map((r) => r.key?.toString())
    expect(keys).toContain('["a",{"file":"x","host":"h"}]')
    await reread.close()
    await again.close()
  })

  it('a worker resets a stopped connector’s offsets with tombstones, and refuses while it runs', async () => {
    const dir = tempDir()
    const file = join(dir, 'in.txt')
    writeFileSync(file, 'a\nb\n')
    const bus = await openBus({ autoCreateTopics: true })
    const { worker, until } = await openWorker(bus)
    const spec = {
      name: 'in',
      config: { 'connector.class': 'FileStreamSource', file, topic: 'lines', 'poll.interval.ms': 5 },
    }
    await worker.createConnector(spec)
    await until('in', 2)
    await expect(worker.resetOffsets('in')).rejects.toThrow('is running')
    await worker.deleteConnector('in')
    expect(worker.offsets('in')).toHaveLength(1)
    await worker.resetOffsets('in')
    expect(worker.offsets('in')).toEqual([])
  })
})

describe('standalone mode', () => {
  it('runs the connectors of a JSON configuration file, with worker-level defaults', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'in.txt'), 'x\ny\n')
    const path = join(dir, 'connect.json')
    writeFileSync(
      path,
      JSON.stringify({
        'offset.flush.interval.ms': 100,
        'value.converter': 'string',
        connectors: [
          {
            name: 'in',
            config: {
              'connector.class': 'FileStreamSource',
              file: join(dir, 'in.txt'),
              topic: 'lines',
              'poll.interval.ms': 5,
            },
          },
          {
            name: 'out',
            config: { 'connector.class': 'FileStreamSink', file: join(dir, 'out.txt'), topics: 'lines' },
          },
        ],
      }),
    )
    const bus = await openBus({ autoCreateTopics: true })
    const worker = await runStandalone(bus, await loadStandaloneConfig(path))
    expect(worker.connectors()).toEqual(['in', 'out'])
    await new Promise<void>((resolve) => {
      const off = worker.on('records', ({ connector, total }) => {
        if (connector === 'out' && total === 2) {
          off()
          resolve()
        }
      })
    })
    await worker.close()
  })

  it('starts nothing when one connector of the configuration is bad', async () => {
    const bus = await openBus({ autoCreateTopics: true })
    await expect(
      runStandalone(bus, {
        connectors: [
          {
            name: 'gen',
            config: { 'connector.class': 'DatagenSource', quickstart: 'users', 'kafka.topic': 'u' },
          },
          { name: 'bad', config: { 'connector.class': 'FileStreamSink', file: 'x' } },
        ],
      }),
    ).rejects.toThrow(InvalidConfigError)
    expect(bus.listTopics()).toEqual(['connect-offsets'])
    await expect(runStandalone(bus, { connectors: [] })).rejects.toThrow('non-empty array')
    await expect(loadStandaloneConfig(join(tempDir(), 'missing.json'))).rejects.toThrow('cannot read')
  })
})

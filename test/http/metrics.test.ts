import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Counter, Registry } from 'prom-client'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { busRegistry } from '../../src/http'
import { Bus } from '../../src/index'
import { openBus } from '../support/bus'
import { parsePrometheus, sampleValue } from './prometheus-parser'
import { serve } from './serve'

async function scrape(url: string) {
  const response = await fetch(`${url}/metrics`)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  return parsePrometheus(await response.text())
}

describe('GET /metrics', () => {
  it('parses strictly and its counters move as records flow', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('orders', { partitions: 2 })
    const before = await scrape(url)
    expect(sampleValue(before, 'logbus_topic_records_in_total', { topic: 'orders' })).toBe(0)
    expect(before.get('logbus_topic_records_in_total')?.type).toBe('counter')
    expect(before.get('logbus_produce_latency_seconds')?.type).toBe('histogram')
    expect(before.has('logbus_fsync_latency_seconds')).toBe(false)

    await bus.producer().send(
      'orders',
      Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `v${i}` })),
    )
    const consumer = bus.consumer({
      groupId: 'billing',
      topics: ['orders'],
      fromBeginning: true,
      autoCommit: false,
    })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.caughtUp()
    await consumer.commit([{ topic: 'orders', partition: 0, offset: 2 }])
    const after = await scrape(url)
    expect(sampleValue(after, 'logbus_topic_records_in_total', { topic: 'orders' })).toBe(10)
    expect(sampleValue(after, 'logbus_topic_records_out_total', { topic: 'orders' })).toBe(10)
    expect(sampleValue(after, 'logbus_topic_bytes_in_total', { topic: 'orders' })).toBeGreaterThan(0)
    expect(sampleValue(after, 'logbus_partition_log_end_offset', { topic: 'orders', partition: '1' })).toBe(5)
    expect(
      sampleValue(after, 'logbus_group_lag', { group: 'billing', topic: 'orders', partition: '0' }),
    ).toBe(3)
    expect(
      sampleValue(after, 'logbus_group_lag', { group: 'billing', topic: 'orders', partition: '1' }),
    ).toBe(5)
    expect(sampleValue(after, 'logbus_group_lag_sum', { group: 'billing' })).toBe(8)
    expect(sampleValue(after, 'logbus_group_members', { group: 'billing' })).toBe(1)
    expect(sampleValue(after, 'logbus_group_rebalances_total', { group: 'billing' })).toBe(1)
    expect(sampleValue(after, 'logbus_group_state', { group: 'billing', state: 'Stable' })).toBe(1)
    expect(sampleValue(after, 'logbus_produce_latency_seconds_count')).toBeGreaterThanOrEqual(1)
    expect(sampleValue(after, 'logbus_fetch_latency_seconds_count')).toBeGreaterThanOrEqual(1)
    expect(sampleValue(after, 'logbus_storage_bytes')).toBeGreaterThan(0)
    expect(sampleValue(after, 'logbus_open_connections', { listener: 'http' })).toBeGreaterThanOrEqual(1)
  })

  it('escapes label values', async () => {
    const bus = await Bus.open()
    try {
      await bus.createTopic('t')
      await bus.group('we"ird\\group\nname').setOffsets([{ topic: 't', partition: 0, offset: 0 }])
      const text = await busRegistry(bus).metrics()
      expect(text).toContain('group="we\\"ird\\\\group\\nname"')
      const families = parsePrometheus(text)
      expect(sampleValue(families, 'logbus_group_lag', { group: 'we"ird\\group\nname' })).toBe(0)
    } finally {
      await bus.close()
    }
  })

  it('scrapes 1,000 partitions', async () => {
    const { url, bus } = await serve()
    for (let t = 0; t < 10; t++) await bus.createTopic(`topic-${t}`, { partitions: 100 })
    const families = await scrape(url)
    expect(families.get('logbus_partition_log_end_offset')?.samples).toHaveLength(1000)
  })

  it("joins an application's own registry, and reads one snapshot per scrape", async () => {
    const bus = await openBus()
    await bus.createTopic('orders', { partitions: 3 })
    const registry = new Registry()
    const requests = new Counter({ name: 'app_requests_total', help: 'Requests.', registers: [registry] })
    requests.inc(2)
    expect(busRegistry(bus, registry)).toBe(registry)
    await bus.producer().send('orders', { partition: 2, value: 'x' })
    const snapshots = vi.spyOn(bus, 'metrics')
    const families = parsePrometheus(await registry.metrics())
    expect(snapshots).toHaveBeenCalledTimes(1)
    expect(sampleValue(families, 'app_requests_total')).toBe(2)
    expect(
      sampleValue(families, 'logbus_partition_log_end_offset', { topic: 'orders', partition: '2' }),
    ).toBe(1)
    await registry.metrics()
    expect(snapshots).toHaveBeenCalledTimes(2)
  })

  it("exposes the file log's fsync latency as a histogram", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logbus-http-metrics-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const bus = await Bus.open({ dir })
    onTestFinished(() => bus.close())
    await bus.createTopic('t')
    await bus.producer().send('t', { value: 'x' })
    const families = parsePrometheus(await busRegistry(bus).metrics())
    expect(families.get('logbus_fsync_latency_seconds')?.type).toBe('histogram')
    expect(sampleValue(families, 'logbus_fsync_latency_seconds_count')).toBeGreaterThanOrEqual(1)
    expect(sampleValue(families, 'logbus_fsync_latency_seconds_bucket', { le: '+Inf' })).toBe(
      sampleValue(families, 'logbus_fsync_latency_seconds_count'),
    )
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ConnectWorker } from '../../src/connect'
import { serveHttp } from '../../src/http'
import { openBus } from '../support/bus'
import { call, serve } from './serve'

const text = (b64: string | null): string | null =>
  b64 === null ? null : Buffer.from(b64, 'base64').toString()

describe('console API', () => {
  it('serves the page with a strict content security policy, and its script and style', async () => {
    const { url } = await serve()
    const page = await fetch(`${url}/`)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await page.text()).toContain('<script src="/console/app.js" defer></script>')
    const script = await fetch(`${url}/console/app.js`)
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect((await script.text()).length).toBeGreaterThan(1000)
    expect((await fetch(`${url}/console/style.css`)).status).toBe(200)
  })

  it('is off with console: false, as the REST API and metrics are with theirs', async () => {
    const { url } = await serve({ console: false, rest: false })
    expect((await fetch(`${url}/`)).status).toBe(404)
    expect((await fetch(`${url}/v3/clusters`)).status).toBe(404)
    expect((await fetch(`${url}/metrics`)).status).toBe(200)
  })

  it('lists topics, creates, produces, browses, searches and deletes', async () => {
    const { url, bus } = await serve()
    expect(
      (
        await call(`${url}/api/console/topics`, 'POST', {
          name: 'orders',
          partitions: 2,
          retentionMs: 3_600_000,
        })
      ).status,
    ).toBe(201)
    expect(bus.topic('orders').config.retentionMs).toBe(3_600_000)
    for (let i = 0; i < 6; i++) {
      const sent = await call(`${url}/api/console/topics/orders/messages`, 'POST', {
        key: `k${i}`,
        value: JSON.stringify({ n: i }),
        headers: [{ name: 'source', value: i % 2 === 0 ? 'even' : 'odd' }],
        partition: i % 2,
      })
      expect(sent.body).toMatchObject({ topic: 'orders', partition: i % 2 })
    }
    const overview = await call(`${url}/api/console/overview`, 'GET')
    expect(overview.body.topics).toEqual([
      expect.objectContaining({ name: 'orders', partitions: 2, records: 6 }),
    ])
    const detail = await call(`${url}/api/console/topics/orders`, 'GET')
    expect(detail.body.partitions.map((p: { logEndOffset: number }) => p.logEndOffset)).toEqual([3, 3])

    const newest = await call(`${url}/api/console/topics/orders/messages?mode=newest&limit=2`, 'GET')
    expect(newest.body.records.map((r: { key: string }) => text(r.key))).toEqual(['k5', 'k4'])
    const fromOffset = await call(
      `${url}/api/console/topics/orders/messages?mode=offset&partition=1&offset=1`,
      'GET',
    )
    expect(fromOffset.body.records.map((r: { key: string }) => text(r.key))).toEqual(['k3', 'k5'])
    const byValue = await call(
      `${url}/api/console/topics/orders/messages?mode=offset&value=${encodeURIComponent('"n":4')}`,
      'GET',
    )
    expect(byValue.body.records.map((r: { key: string }) => text(r.key))).toEqual(['k4'])
    const byHeader = await call(
      `${url}/api/console/topics/orders/messages?mode=newest&header=source%3Dodd`,
      'GET',
    )
    expect(byHeader.body.records.map((r: { key: string }) => text(r.key))).toEqual(['k5', 'k3', 'k1'])
    const byKey = await call(
      `${url}/api/console/topics/orders/messages?mode=timestamp&timestamp=0&key=k2`,
      'GET',
    )
    expect(byKey.body.records).toHaveLength(1)
    expect(byKey.body.records[0].headers).toEqual([['source', Buffer.from('even').toString('base64')]])
    expect((await call(`${url}/api/console/topics/orders/messages?partition=7`, 'GET')).status).toBe(404)
    expect((await call(`${url}/api/console/topics/orders`, 'DELETE')).status).toBe(204)
    expect(bus.listTopics()).toEqual([])
  })

  it('tails a topic live over server-sent events', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('live')
    await bus.producer().send('live', { value: 'before' })
    const controller = new AbortController()
    const response = await fetch(`${url}/api/console/topics/live/tail`, { signal: controller.signal })
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let received = ''
    const until = async (pattern: RegExp): Promise<void> => {
      while (!pattern.test(received)) {
        const { value, done } = await reader.read()
        if (done) throw new Error('the stream ended')
        received += decoder.decode(value)
      }
    }
    await until(/event: ready/)
    // The tail's positions are fixed before `ready`: one record sent now is seen.
    await bus.producer().send('live', { value: 'now' })
    try {
      await until(/event: records\ndata: .*"value":"bm93"/)
    } finally {
      controller.abort()
    }
    expect(received).not.toContain(Buffer.from('before').toString('base64'))
  })

  it('resets offsets only while the group is empty, as Kafka does, and reports the lag', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('t')
    await bus.producer().send('t', [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
    const consumer = bus.consumer({ groupId: 'g', topics: ['t'], fromBeginning: true })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.caughtUp()
    const refused = await call(`${url}/api/console/groups/g/reset`, 'POST', { to: 'earliest' })
    expect(refused).toMatchObject({ status: 409, body: { error_code: 40903 } })
    await consumer.close()
    const group = await call(`${url}/api/console/groups/g`, 'GET')
    expect(group.body).toMatchObject({ groupId: 'g', state: 'Empty', members: [] })
    expect(group.body.lag).toEqual([
      { topic: 't', partition: 0, committedOffset: 3, logEndOffset: 3, lag: 0 },
    ])
    expect(group.body.history.values.length).toBeGreaterThanOrEqual(0)
    const reset = await call(`${url}/api/console/groups/g/reset`, 'POST', { to: 'earliest' })
    expect(reset.body).toEqual({ offsets: [{ topic: 't', partition: 0, offset: 0 }] })
    expect((await call(`${url}/api/console/groups/g`, 'GET')).body.lag[0].lag).toBe(3)
    expect(
      (await call(`${url}/api/console/groups/g/reset`, 'POST', { offset: 2 })).body.offsets[0].offset,
    ).toBe(2)
    expect((await call(`${url}/api/console/groups/g/reset`, 'POST', { to: 'sideways' })).status).toBe(400)
    const throughput = await call(`${url}/api/console/throughput?topic=t`, 'GET')
    expect(throughput.body).toMatchObject({
      intervalMs: 2000,
      in: { times: expect.any(Array), values: expect.any(Array) },
    })
  })
})

describe('console API: connectors', () => {
  it('shows the status of the Connect worker it was given, read-only', async () => {
    const bus = await openBus({ autoCreateTopics: true })
    const dir = mkdtempSync(join(tmpdir(), 'logbus-console-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const worker = await ConnectWorker.open(bus, { logger: () => undefined })
    onTestFinished(() => worker.close())
    await worker.createConnector({
      name: 'lines-out',
      config: { 'connector.class': 'FileStreamSink', file: join(dir, 'out.txt'), topics: 'lines' },
    })
    const { url } = await serve({ connect: worker }, bus)
    const { body } = await call(`${url}/api/console/connectors`, 'GET')
    expect(body).toMatchObject({
      enabled: true,
      connectors: [{ name: 'lines-out', type: 'sink', connectorClass: 'FileStreamSink', state: 'RUNNING' }],
    })
    expect(body.connectors[0].tasks).toEqual([{ id: 0, state: 'RUNNING', records: 0 }])
    expect((await call(`${url}/api/console/connectors`, 'POST', {})).status).toBe(405)
  })

  it('says when no worker was given, and refuses something that is not one', async () => {
    const { url, bus } = await serve()
    expect((await call(`${url}/api/console/connectors`, 'GET')).body).toEqual({
      enabled: false,
      connectors: [],
    })
    await expect(serveHttp(bus, { port: 0, connect: {} as never })).rejects.toThrow(
      /http\.connect.*ConnectWorker/,
    )
  })
})

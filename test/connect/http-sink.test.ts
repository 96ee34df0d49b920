import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { openBus, waitUntil } from '../support/bus'
import { openWorker } from './support'

interface Received {
  method: string
  headers: IncomingMessage['headers']
  body: unknown[]
}

/** A local HTTP server on 127.0.0.1 (port 0) that answers each request with the next status of `statuses`. */
async function server(answer: (request: number) => number): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = []
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({
        method: req.method!,
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString()) as unknown[],
      })
      const status = answer(received.length)
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'try later')
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => http.close(() => resolve())))
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/events`, received }
}

const httpSink = (url: string, extra: Record<string, string | number | boolean> = {}) => ({
  name: 'to-http',
  config: {
    'connector.class': 'io.confluent.connect.http.HttpSinkConnector',
    topics: 'events',
    'http.api.url': url,
    'batch.max.size': 3,
    'retry.backoff.ms': 1,
    headers: 'Authorization:Bearer t0k3n|X-Source:logbus',
    ...extra,
  },
})

async function setup() {
  const bus = await openBus()
  await bus.createTopic('events')
  return { bus, ...(await openWorker(bus)) }
}

describe('HTTP sink', () => {
  it('POSTs record values as JSON arrays of at most batch.max.size, with the configured headers', async () => {
    const { url, received } = await server(() => 200)
    const { bus, worker, until } = await setup()
    await worker.createConnector(httpSink(url))
    await bus.producer().send(
      'events',
      Array.from({ length: 7 }, (_, i) => ({ value: JSON.stringify({ n: i }) })),
    )
    await until('to-http', 7)
    expect(received.map((r) => r.body)).toEqual([
      [{ n: 0 }, { n: 1 }, { n: 2 }],
      [{ n: 3 }, { n: 4 }, { n: 5 }],
      [{ n: 6 }],
    ])
    expect(received[0]).toMatchObject({
      method: 'POST',
      headers: { authorization: 'Bearer t0k3n', 'x-source': 'logbus', 'content-type': 'application/json' },
    })
  })

  it('retries a batch the server refuses with 503 until it is accepted', async () => {
    const { url, received } = await server((n) => (n <= 3 ? 503 : 200))
    const { bus, worker, until, errors } = await setup()
    await worker.createConnector(httpSink(url, { 'max.retries': 5 }))
    await bus.producer().send('events', [{ value: '"a"' }, { value: '"b"' }])
    await until('to-http', 2)
    await waitUntil(() => received.length === 4)
    expect(received.map((r) => r.body)).toEqual([
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ])
    expect(errors).toEqual([])
  })

  it('after max.retries, dead-letters each record of the batch with the error in __connect.errors.* headers', async () => {
    const { url, received } = await server(() => 500)
    const { bus, worker, until, errors } = await setup()
    await worker.createConnector(
      httpSink(url, {
        'max.retries': 2,
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'events.dlq',
        'errors.deadletterqueue.context.headers.enable': true,
        'key.converter': 'string',
      }),
    )
    await bus
      .producer()
      .send('events', [{ key: 'k1', value: '{"id":1}', headers: { trace: 'abc' } }, { value: '{"id":2}' }])
    await until('to-http', 2)
    await waitUntil(() => errors.length === 2)
    expect(errors.map((e) => [e.stage, e.tolerated, e.deadLettered])).toEqual([
      ['TASK_PUT', true, true],
      ['TASK_PUT', true, true],
    ])
    expect(received).toHaveLength(3) // the first attempt and two retries
    const dead = await bus.topic('events.dlq').partition(0).read(0)
    expect(dead.map((r) => [r.key?.toString() ?? null, r.value?.toString()])).toEqual([
      ['k1', '{"id":1}'],
      [null, '{"id":2}'],
    ])
    const text = (name: string) => dead[0]!.headers[name]?.toString()
    expect(text('trace')).toBe('abc') // the original headers stay
    expect(text('__connect.errors.topic')).toBe('events')
    expect(text('__connect.errors.partition')).toBe('0')
    expect(text('__connect.errors.offset')).toBe('0')
    expect(text('__connect.errors.connector.name')).toBe('to-http')
    expect(text('__connect.errors.task.id')).toBe('0')
    expect(text('__connect.errors.stage')).toBe('TASK_PUT')
    expect(text('__connect.errors.exception.class.name')).toBe('HttpSinkError')
    expect(text('__connect.errors.exception.message')).toContain('answered 500')
    expect(text('__connect.errors.exception.stacktrace')).toContain('HttpSinkError')
    expect(worker.status('to-http').tasks[0]!.state).toBe('RUNNING')
  })

  it('does not retry a 400, and with errors.tolerance=none the task fails', async () => {
    const { url, received } = await server(() => 400)
    const { bus, worker, states } = await setup()
    await worker.createConnector(httpSink(url))
    await bus.producer().send('events', { value: '{"bad":true}' })
    await waitUntil(() => states.some((s) => s.state === 'FAILED'))
    expect(received).toHaveLength(1)
    expect(worker.status('to-http')).toMatchObject({ state: 'FAILED', tasks: [{ state: 'FAILED' }] })
    expect(worker.status('to-http').tasks[0]!.error).toContain('answered 400')
    // Nothing was committed: after a restart the record comes again.
    expect(bus.group('connect-to-http').committedOffsets()).toEqual([])
  })
})

import * as api from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LogbusError } from '../../src/index'
import { traceWithOpenTelemetry } from '../../src/otel'
import { openBus } from '../support/bus'

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })

beforeAll(() => {
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator())
})
afterAll(() => {
  api.context.disable()
  api.propagation.disable()
})
beforeEach(() => exporter.reset())

function spans(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name)
}

describe('traceWithOpenTelemetry', () => {
  it('makes a PRODUCER span per message and carries its context in a traceparent header', async () => {
    const bus = await openBus()
    await bus.createTopic('orders', { partitions: 2 })
    await traceWithOpenTelemetry(bus, { api, tracerProvider: provider })
    const [first] = await bus.producer().send('orders', [
      { key: 'u1', value: 'a', headers: { mine: 'kept' } },
      { key: 'u2', value: 'b' },
    ])
    const sent = spans('send orders')
    expect(sent).toHaveLength(2)
    expect(sent[0]!.kind).toBe(api.SpanKind.PRODUCER)
    expect(sent[0]!.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'orders',
      'messaging.destination.partition.id': String(first!.partition),
      'messaging.kafka.offset': first!.offset,
      'messaging.kafka.message.key': 'u1',
    })
    const [record] = await bus.topic('orders').partition(first!.partition).read(first!.offset)
    const { traceId, spanId } = sent[0]!.spanContext()
    expect(record!.headers.traceparent?.toString()).toBe(`00-${traceId}-${spanId}-01`)
    expect(record!.headers.mine?.toString()).toBe('kept')
  })

  it('runs eachMessage in a CONSUMER span, the child of the producer’s, across the bus', async () => {
    const bus = await openBus()
    await bus.createTopic('orders')
    await traceWithOpenTelemetry(bus, { api, tracerProvider: provider })
    const outer = provider.getTracer('test').startSpan('checkout')
    await api.context.with(api.trace.setSpan(api.context.active(), outer), () =>
      bus.producer().send('orders', { key: 'u1', value: 'a' }),
    )
    outer.end()
    const seen: Array<string | undefined> = []
    const consumer = bus.consumer({ groupId: 'billing', topics: ['orders'], fromBeginning: true })
    await consumer.run({
      eachMessage: async () => {
        seen.push(api.trace.getActiveSpan()?.spanContext().spanId)
      },
    })
    await consumer.caughtUp()
    await consumer.close()

    const [send] = spans('send orders')
    const [processed] = spans('process orders')
    expect(send!.parentSpanContext?.spanId).toBe(outer.spanContext().spanId)
    expect(processed!.kind).toBe(api.SpanKind.CONSUMER)
    expect(processed!.spanContext().traceId).toBe(outer.spanContext().traceId)
    expect(processed!.parentSpanContext?.spanId).toBe(send!.spanContext().spanId)
    expect(seen).toEqual([processed!.spanContext().spanId]) // the handler runs in its span
    expect(processed!.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'orders',
      'messaging.destination.partition.id': '0',
      'messaging.consumer.group.name': 'billing',
      'messaging.kafka.offset': 0,
      'messaging.kafka.message.key': 'u1',
    })
  })

  it('links an eachBatch span to every record’s producer span, and marks a failed handler', async () => {
    const bus = await openBus()
    await bus.createTopic('orders')
    await traceWithOpenTelemetry(bus, { api, tracerProvider: provider })
    await bus.producer().send('orders', [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
    let calls = 0
    const consumer = bus.consumer({
      groupId: 'batch',
      topics: ['orders'],
      fromBeginning: true,
      retry: { retries: 1, initialRetryTimeMs: 1 },
    })
    await consumer.run({
      eachBatch: async ({ records }) => {
        if (calls++ === 0) throw new Error('handler broke')
        expect(records).toHaveLength(3)
      },
    })
    await consumer.caughtUp()
    await consumer.close()
    const sent = spans('send orders').map((s) => s.spanContext().spanId)
    const [broken, retried] = spans('process orders')
    expect(retried!.status.code).toBe(api.SpanStatusCode.UNSET)
    expect(broken!.attributes['messaging.batch.message_count']).toBe(3)
    expect(broken!.links.map((link) => link.context.spanId)).toEqual(sent)
    expect(broken!.status).toEqual({ code: api.SpanStatusCode.ERROR, message: 'handler broke' })
    expect(broken!.events.map((e) => e.name)).toContain('exception')
  })

  it('stops when asked: sends after that carry no trace', async () => {
    const bus = await openBus()
    await bus.createTopic('orders')
    const stop = await traceWithOpenTelemetry(bus, { api, tracerProvider: provider })
    stop()
    await bus.producer().send('orders', { value: 'a' })
    expect(exporter.getFinishedSpans()).toEqual([])
    const [record] = await bus.topic('orders').partition(0).read(0)
    expect(record!.headers.traceparent).toBeUndefined()
  })

  it('loads @opentelemetry/api itself when not given it', async () => {
    const bus = await openBus()
    const stop = await traceWithOpenTelemetry(bus)
    await expect(traceWithOpenTelemetry(bus)).rejects.toBeInstanceOf(LogbusError) // one instrumentation a bus
    stop()
  })
})

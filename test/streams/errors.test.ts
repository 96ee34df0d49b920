import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  ClosedError,
  HandlerError,
  InvalidConfigError,
  InvalidStateError,
  json,
  string,
} from '../../src/index'
import { streams } from '../../src/streams'
import { openApp, openTypedBus, readTopic } from './helpers'

const Order = z.object({ id: z.string(), total: z.number() })

const topics = {
  orders: { value: json(Order) },
  out: { value: string() },
  dlt: {},
} as const

async function setup(options: Partial<Parameters<typeof streams>[1]> = {}) {
  const bus = await openTypedBus({ topics })
  const warnings: string[] = []
  const app = openApp(bus, {
    applicationId: `errors-${Math.random().toString(36).slice(2)}`,
    logger: { warn: (message) => warnings.push(message) },
    ...options,
  })
  return { bus, app, warnings }
}

const orders = (...totals: number[]) =>
  totals.map((total, i) => ({ key: `o${i}`, value: { id: `o${i}`, total } }))

describe('processing errors', () => {
  const divide = (app: Awaited<ReturnType<typeof setup>>['app']) =>
    app
      .stream('orders')
      .mapValues((order) => {
        if (order.total === 0) throw new Error('cannot split a zero total')
        return String(100 / order.total)
      })
      .to('out')

  it("'fail' (the default) stops the application in ERROR without committing the failed record", async () => {
    const { bus, app } = await setup()
    divide(app)
    const errors: Error[] = []
    app.on('error', ({ error }) => errors.push(error))
    await app.start()
    await bus.producer().send('orders', orders(4, 0, 5))
    await expect(app.caughtUp()).rejects.toThrow(HandlerError)
    expect(app.state).toBe('ERROR')
    expect(errors[0]).toBeInstanceOf(HandlerError)
    expect((errors[0] as HandlerError).cause).toEqual(new Error('cannot split a zero total'))
    expect((await readTopic(bus, 'out')).map((r) => r.value)).toEqual(['25'])
    await app.close()
    // Nothing after the record before the failure was committed: a restart processes it again.
    expect(bus.group(app.applicationId).committedOffsets()).toEqual([])
  })

  it("'continue' logs and counts the record and goes on", async () => {
    const { bus, app, warnings } = await setup({ processingExceptionHandler: 'continue' })
    divide(app)
    const skipped: number[] = []
    app.on('skippedRecord', ({ offset, reason }) => skipped.push(reason === 'processing' ? offset : -1))
    await app.start()
    await bus.producer().send('orders', orders(4, 0, 5))
    await app.caughtUp()
    expect((await readTopic(bus, 'out')).map((r) => r.value)).toEqual(['25', '20'])
    expect(skipped).toEqual([1])
    expect(app.metrics().skippedRecords).toBe(1)
    expect(warnings).toEqual(['Skipped a record whose processing failed'])
  })

  it('a dead-letter topic gets the record as bytes with where it came from and why', async () => {
    const { bus, app } = await setup({ processingExceptionHandler: { deadLetter: 'dlt' } })
    divide(app)
    await app.start()
    await bus.producer().send('orders', orders(4, 0))
    await app.caughtUp()
    const [letter] = await readTopic(bus, 'dlt')
    expect(letter?.key?.toString()).toBe('o1')
    expect(JSON.parse(String(letter?.value))).toEqual({ id: 'o1', total: 0 })
    const header = (name: string) => letter?.headers[`logbus.dlt.${name}`]?.toString()
    expect(header('original-topic')).toBe('orders')
    expect(header('original-offset')).toBe('1')
    expect(header('original-consumer-group')).toBe(app.applicationId)
    expect(header('exception-message')).toBe('cannot split a zero total')
  })
})

describe('deserialization errors', () => {
  it("a record the topic's codecs cannot read follows deserializationExceptionHandler", async () => {
    const { bus, app } = await setup({ deserializationExceptionHandler: 'continue' })
    // A raw view of the same topic lets the test write what json(Order) cannot read.
    const raw = bus.topic('orders', { value: string() })
    app
      .stream('orders')
      .mapValues((o) => o.id)
      .to('out')
    await app.start()
    await bus.producer().send(raw, [
      { key: 'a', value: '{"id":"a","total":1}' },
      { key: 'b', value: 'not json' },
      { key: 'c', value: '{"id":"c","total":2}' },
    ])
    await app.caughtUp()
    expect((await readTopic(bus, 'out')).map((r) => r.value)).toEqual(['a', 'c'])
    expect(app.metrics().skippedRecords).toBe(1)
  })

  it("'fail' stops the application in ERROR", async () => {
    const { bus, app } = await setup()
    const raw = bus.topic('orders', { value: string() })
    app
      .stream('orders')
      .mapValues((o) => o.id)
      .to('out')
    const failed = app.waitFor('error')
    await app.start()
    await bus.producer().send(raw, { key: 'b', value: 'not json' })
    const { error } = await failed
    expect(error.message).toMatch(/Cannot read the record at orders-0@0/)
    expect(app.state).toBe('ERROR')
  })
})

describe('production errors', () => {
  it("an output the topic rejects fails the application, or is skipped with 'continue'", async () => {
    const { bus, app } = await setup({ productionExceptionHandler: 'continue' })
    // The types say strings; a cast slips a number past them, and the topic's codec refuses it.
    app
      .stream('orders')
      .mapValues((o) => (o.total > 1 ? o.id : (o.total as unknown as string)))
      .to('out')
    await app.start()
    await bus.producer().send('orders', orders(5, 1, 7))
    await app.caughtUp()
    expect((await readTopic(bus, 'out')).map((r) => r.value)).toEqual(['o0', 'o2'])
    expect(app.metrics().skippedRecords).toBe(1)
  })
})

describe('options and lifecycle', () => {
  it('validates options where they are given', async () => {
    const bus = await openTypedBus({ topics })
    expect(() => streams(bus, { applicationId: 'has space' })).toThrow(InvalidConfigError)
    expect(() => streams(bus, { applicationId: 'x', commitIntervalMs: 0 })).toThrow(
      /streams.commitIntervalMs/,
    )
    expect(() => streams(bus, { applicationId: 'x', extra: 1 } as never)).toThrow(/streams.extra/)
    expect(() => streams(bus, { applicationId: 'x', processingGuarantee: 'exactly_twice' as never })).toThrow(
      /streams.processingGuarantee/,
    )
  })

  it('calls before start and after close are refused; close is idempotent', async () => {
    const { bus, app } = await setup()
    const counts = app.stream('orders').groupByKey().count()
    expect(() => app.caughtUp()).toThrow(InvalidStateError)
    expect(() => counts.get('x')).toThrow(InvalidStateError)
    await app.start()
    await bus.producer().send('orders', orders(1))
    await app.caughtUp()
    expect(counts.get('o0')).toBe(1)
    const closing = app.close()
    expect(app.close()).toBe(closing)
    await closing
    expect(app.state).toBe('NOT_RUNNING')
    expect(() => app.caughtUp()).toThrow(ClosedError)
    expect(() => counts.get('o0')).toThrow(ClosedError)
    await expect(app.start()).rejects.toThrow(ClosedError)
  })

  it('reports its states in order', async () => {
    const { app } = await setup()
    app.stream('orders').to('dlt' as never)
    const states: string[] = []
    app.on('stateChange', ({ to }) => states.push(to))
    await app.start()
    await app.close()
    expect(states).toEqual(['REBALANCING', 'RUNNING', 'PENDING_SHUTDOWN', 'NOT_RUNNING'])
  })
})

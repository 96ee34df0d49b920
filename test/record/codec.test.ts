import { type } from 'arktype'
import * as v from 'valibot'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { z as z3 } from 'zod3'
import {
  Bus,
  buffer,
  type Codec,
  InvalidConfigError,
  InvalidRecordError,
  json,
  type LogRecord,
  MemoryStorage,
  type Message,
  nullable,
  type RawInput,
  raw,
  string,
  type Topic,
} from '../../src/index'
import { openBus, uniqueName } from '../support/bus'

const Order = z.object({
  id: z.number().int(),
  total: z.number().nonnegative(),
  items: z.array(z.object({ sku: z.string().min(1), qty: z.number().int().positive() })).default([]),
})
type Order = z.output<typeof Order>
type OrderInput = z.input<typeof Order>

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

/** Runs a consumer of `topics` from the beginning until it has `count` records. */
async function consume<R>(
  bus: Bus<never> | Bus,
  topics: Parameters<Bus['consumer']>[0]['topics'],
  count: number,
): Promise<R[]> {
  const seen: R[] = []
  const consumer = (bus as Bus).consumer({ groupId: uniqueName('g'), topics, fromBeginning: true })
  await consumer.run({ eachMessage: (record) => void seen.push(record as R) })
  await consumer.caughtUp({ timeoutMs: 5_000 })
  await consumer.close()
  expect(seen).toHaveLength(count)
  return seen
}

describe('a typed topic delivers the form consumers want', () => {
  it('json(schema): the handler receives the typed, validated object (the schema output), not bytes', async () => {
    const bus = await openBus()
    const orders = await bus.createTopic(uniqueName('orders'), { value: json(Order) })
    expectTypeOf(orders).toEqualTypeOf<Topic<string, Order, string, OrderInput>>()
    const meta = await bus.producer().send(orders, { key: 'u1', value: { id: 1, total: 9.5 } })
    expect(meta).toMatchObject({ topic: orders.name, partition: 0, offset: 0 })
    const [record] = await consume<LogRecord<string, Order>>(bus, [orders], 1)
    expect(record?.value).toEqual({ id: 1, total: 9.5, items: [] })
    expect(record?.key).toBe('u1')
    const [read] = await orders.partition(0).read(0)
    expectTypeOf(read!.value).toEqualTypeOf<Order>()
    expect(read?.value).toEqual({ id: 1, total: 9.5, items: [] })
  })

  it('typing holds by name on a bus that declares its topics, both sides', async () => {
    const name = uniqueName('declared')
    const bus = await Bus.open({ topics: { [name]: { partitions: 2, value: json(Order) } } as const })
    try {
      const producer = bus.producer()
      await producer.send(name, { key: 'k', value: { id: 1, total: 1 } })
      const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [name], fromBeginning: true })
      const totals: number[] = []
      await consumer.run({
        eachMessage: (record) => {
          expectTypeOf(record.value).toEqualTypeOf<Order>()
          expectTypeOf(record.key).toEqualTypeOf<string | null>()
          totals.push(record.value.total)
        },
      })
      await consumer.caughtUp()
      expect(totals).toEqual([1])
      expect(bus.topic(name).partitionCount).toBe(2)
    } finally {
      await bus.close()
    }
  })

  it('type errors: a wrong value, and null on a codec without one', async () => {
    const orders = 'orders'
    const bus = await Bus.open({ topics: { orders: { value: json(Order) }, logs: { value: string() } } })
    try {
      const producer = bus.producer()
      // @ts-expect-error: the declared value type is an Order
      await expect(producer.send(orders, { value: 'not an order' })).rejects.toBeInstanceOf(
        InvalidRecordError,
      )
      // @ts-expect-error: json(Order) has no null; wrap it in nullable() for tombstones
      await expect(producer.send('orders', { key: 'k', value: null })).rejects.toBeInstanceOf(
        InvalidRecordError,
      )
      // @ts-expect-error: a string topic takes strings
      await expect(producer.send('logs', { value: 42 })).rejects.toBeInstanceOf(InvalidRecordError)
      await producer.send('logs', { value: 'ok' })
      // An undeclared name is raw: strings and Buffers.
      await bus.createTopic('raw')
      await producer.send('raw', { value: Buffer.from('x') })
      expect(bus.topic('orders').partition(0).logEndOffset).toBe(0)
    } finally {
      await bus.close()
    }
  })

  it('string(): keys and values stay strings end to end, and records are plain objects', async () => {
    const bus = await openBus()
    const logs = await bus.createTopic(uniqueName('logs'), { value: string() })
    expectTypeOf(logs).toEqualTypeOf<Topic<string, string, string, string>>()
    await bus.producer().send(logs, [
      { key: 'host-1', value: 'started' },
      { key: 'host-2', value: 'stopped', headers: { level: 'info' } },
    ])
    const records = await consume<LogRecord<string, string>>(bus, [logs], 2)
    expect(records.map((r) => [r.key, r.value])).toEqual([
      ['host-1', 'started'],
      ['host-2', 'stopped'],
    ])
    // Spread, toEqual and JSON.stringify work on delivered records.
    expect({ ...records[0] }).toEqual(records[0])
    expect(JSON.parse(JSON.stringify(records[0]))).toMatchObject({
      key: 'host-1',
      value: 'started',
      offset: 0,
    })
    expect(records[1]?.headers.level?.toString()).toBe('info')
  })

  it("values are shared, not copied per consumer: typed values are frozen, so no handler can change another's", async () => {
    const bus = await openBus()
    const orders = await bus.createTopic(uniqueName('orders'), { value: json(Order) })
    await bus.producer().send(orders, { value: { id: 1, total: 2, items: [{ sku: 'a', qty: 1 }] } })
    const [a] = await consume<LogRecord<string, Order>>(bus, [orders], 1)
    const [b] = await consume<LogRecord<string, Order>>(bus, [orders], 1)
    expect(a?.value).toBe(b?.value)
    expect(Object.isFrozen(a?.value)).toBe(true)
    expect(Object.isFrozen(a?.value.items[0])).toBe(true)
    expect(() => {
      ;(a!.value as { total: number }).total = 99
    }).toThrow(TypeError)
    expect(Object.isFrozen(a?.headers)).toBe(true)
  })

  it('a view with other codecs reads the same partitions in its own form, converting once per batch', async () => {
    const bus = await openBus()
    const name = uniqueName('views')
    const raw = await bus.createTopic(name)
    await bus.producer().send(raw, { key: 'k', value: '{"id":3,"total":4}' })
    const typed = bus.topic(name, { value: json(Order) })
    expectTypeOf(typed).toEqualTypeOf<Topic<string, Order, string, OrderInput>>()
    const [record] = await consume<LogRecord<string, Order>>(bus, [typed], 1)
    expect(record).toMatchObject({ key: 'k', value: { id: 3, total: 4, items: [] } })
    // The raw view is unchanged: sends by name stay raw, and raw readers get bytes.
    expect(bus.topic(name)).toBe(raw)
    const [again] = await raw.partition(0).read(0)
    expect(again?.value).toEqual(Buffer.from('{"id":3,"total":4}'))
    // And the other way: a raw reader of a typed topic gets the bytes its codec makes.
    const orders = await bus.createTopic(uniqueName('orders'), { value: json(Order) })
    await bus.producer().send(orders, { key: 'o', value: { id: 1, total: 1 } })
    const [bytes] = await bus.topic(orders.name, { key: buffer(), value: buffer() }).partition(0).read(0)
    expect(bytes?.value?.toString()).toBe('{"id":1,"total":1,"items":[]}')
    expect(bytes?.key).toEqual(Buffer.from('o'))
  })

  it('a record that its view cannot decode fails alone, at its offset (a poison message), not the batch', async () => {
    const bus = await openBus()
    const name = uniqueName('poison')
    await bus.createTopic(name)
    await bus
      .producer()
      .send(name, [{ value: '{"id":1,"total":1}' }, { value: 'nope' }, { value: '{"id":3,"total":3}' }])
    const typed = bus.topic(name, { value: json(Order) })
    const error = await rejection(typed.partition(0).read(0))
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as Error).message).toContain(`${name}-0@1`)
    const [third] = await typed.partition(0).read(2)
    expect(third?.value.id).toBe(3)
  })
})

describe('json(schema) checks at send', () => {
  it('rejects a bad value with InvalidRecordError naming the field, writing nothing', async () => {
    const bus = await openBus()
    const orders = await bus.createTopic(uniqueName('orders'), { value: json(Order), partitions: 2 })
    const producer = bus.producer()
    const bad = { id: 'seven', total: 1 } as unknown as Order
    const error = await rejection(producer.send(orders, { value: bad }))
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as InvalidRecordError).code).toBe('INVALID_RECORD')
    expect((error as InvalidRecordError).retriable).toBe(false)
    expect((error as InvalidRecordError).message).toContain('value.id')
    expect(orders.partitions.map((p) => p.logEndOffset)).toEqual([0, 0])
  })

  it('names a nested field by its path', async () => {
    const bus = await openBus()
    const orders = await bus.createTopic(uniqueName('orders'), { value: json(Order) })
    const bad = {
      id: 1,
      total: 1,
      items: [
        { sku: 'a', qty: 1 },
        { sku: '', qty: 1 },
      ],
    }
    const error = await rejection(bus.producer().send(orders, { value: bad }))
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as Error).message).toContain('value.items.1.sku')
  })

  it('writes nothing of an array send when one value is bad, even the valid ones', async () => {
    const bus = await openBus()
    const orders = await bus.createTopic(uniqueName('orders'), { value: json(Order), partitions: 3 })
    const producer = bus.producer()
    const messages: Message<string, OrderInput>[] = [
      { key: 'a', value: { id: 1, total: 1, items: [] } },
      { key: 'b', value: { id: 2, total: -5, items: [] } },
      { key: 'c', value: { id: 3, total: 1, items: [] } },
    ]
    const error = await rejection(producer.send(orders, messages))
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as Error).message).toContain('value.total')
    await producer.flush()
    expect(orders.partitions.map((p) => p.logEndOffset)).toEqual([0, 0, 0])
    expect(producer.bufferedBytes).toBe(0)
  })

  it('also checks sends made by topic name (the topic keeps the codec it was created with)', async () => {
    const bus = await openBus()
    const name = uniqueName('orders')
    await bus.createTopic(name, { value: json(Order) })
    await expect(bus.producer().send(name, { value: 'not an order' })).rejects.toBeInstanceOf(
      InvalidRecordError,
    )
    expect(bus.topic(name).partition(0).logEndOffset).toBe(0)
  })

  it('nullable(codec) lets a null value through as a tombstone', async () => {
    const bus = await openBus()
    const users = await bus.createTopic(uniqueName('users'), { value: nullable(json(Order)) })
    expectTypeOf(users).toEqualTypeOf<Topic<string, Order | null, string, OrderInput | null>>()
    await bus.producer().send(users, { key: 'u1', value: null })
    const [record] = await users.partition(0).read(0)
    expect(record?.value).toBeNull()
  })

  it('rejects a value with no JSON form (a bigint, NaN, a function), keeping nothing', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('bigint'), { value: json() })
    for (const value of [{ n: 10n }, { n: Number.NaN }, { f: () => 1 }, undefined]) {
      const error = await rejection(bus.producer().send(topic, { value }))
      expect(error).toBeInstanceOf(InvalidRecordError)
    }
    expect(topic.partition(0).logEndOffset).toBe(0)
  })

  it('a custom codec that throws a plain Error becomes an InvalidRecordError naming the codec', async () => {
    const bus = await openBus()
    const upper: Codec<string> = {
      name: 'upper',
      nullable: false,
      parse(value) {
        if (value !== value.toUpperCase()) throw new Error('must be upper case')
        return value
      },
      encode: (value) => value,
      decode: (bytes) => bytes.toString(),
      sizeOf: (value) => value.length,
    }
    const topic = await bus.createTopic(uniqueName('upper'), { value: upper })
    const error = await rejection(bus.producer().send(topic, { value: 'lower' }))
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as Error).message).toContain('upper')
    expect((error as Error).message).toContain('must be upper case')
    await expect(bus.producer().send(topic, { value: 'UPPER' })).resolves.toMatchObject({ offset: 0 })
  })

  it('keys of a typed topic are strings by default, and follow a key codec when given', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('keys'), { value: json(Order) })
    await bus.producer().send(topic, { key: 'plain', value: { id: 1, total: 1, items: [] } })
    const [record] = await topic.partition(0).read(0)
    expect(record?.key).toBe('plain')
    const byBytes = await bus.createTopic(uniqueName('keys'), { key: buffer(), value: json(Order) })
    expectTypeOf(byBytes).toEqualTypeOf<Topic<Buffer, Order, Buffer, OrderInput>>()
    await expect(
      bus.producer().send(byBytes, { key: 'no' as unknown as Buffer, value: { id: 1, total: 1 } }),
    ).rejects.toThrow(/key must be a Buffer/)
  })
})

describe('Standard Schema validators', () => {
  const cases: Array<[string, Parameters<typeof json>[0]]> = [
    ['zod 4', z.object({ id: z.number(), name: z.string() })],
    ['zod 3', z3.object({ id: z3.number(), name: z3.string() })],
    ['valibot', v.object({ id: v.number(), name: v.string() })],
    ['arktype', type({ id: 'number', name: 'string' })],
  ]
  it.each(cases)(
    '%s: valid values pass and arrive typed; a bad one names the field',
    async (_label, schema) => {
      const bus = await openBus()
      const topic = await bus.createTopic(uniqueName('schema'), { value: json(schema) })
      await bus.producer().send(topic, { value: { id: 1, name: 'a' } })
      const error = await rejection(bus.producer().send(topic, { value: { id: 'x', name: 'a' } }))
      expect(error).toBeInstanceOf(InvalidRecordError)
      expect((error as Error).message).toContain('value.id')
      const [record] = await topic.partition(0).read(0)
      expect(record?.value).toEqual({ id: 1, name: 'a' })
      expect(topic.partition(0).logEndOffset).toBe(1)
    },
  )

  it('types follow each validator', () => {
    expectTypeOf(json(v.object({ id: v.number() }))).toEqualTypeOf<Codec<{ id: number }, { id: number }>>()
    expectTypeOf(json(z3.object({ id: z3.number() }))).toEqualTypeOf<Codec<{ id: number }, { id: number }>>()
    expectTypeOf(json(type({ id: 'number' }))).toEqualTypeOf<Codec<{ id: number }, { id: number }>>()
  })

  it('rejects something that is not a schema, and an asynchronous schema at send', async () => {
    expect(thrown(() => json({} as never))).toBeInstanceOf(InvalidConfigError)
    const bus = await openBus()
    const asyncSchema = z.string().refine(async () => true)
    const topic = await bus.createTopic(uniqueName('async'), { value: json(asyncSchema) })
    const error = await rejection(bus.producer().send(topic, { value: 'x' }))
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as Error).message).toContain('asynchronously')
  })
})

describe('json() as a codec', () => {
  it('encodes to JSON text and decodes (checking the schema) back', () => {
    const codec = json(Order)
    expect(codec.encode({ id: 1, total: 2, items: [] })).toBe('{"id":1,"total":2,"items":[]}')
    expect(codec.decode(Buffer.from('{"id":1,"total":2}'))).toEqual({ id: 1, total: 2, items: [] })
    const error = thrown(() => codec.decode(Buffer.from('{"id":1,"total":"x"}')))
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as Error).message).toContain('value.total')
    const notJson = thrown(() => codec.decode(Buffer.from('{nope')))
    expect(notJson).toBeInstanceOf(InvalidRecordError)
    expect((notJson as Error).cause).toBeInstanceOf(SyntaxError)
  })

  it('a schema that transforms values delivers its output, transformed once at send', async () => {
    const bus = await openBus()
    let runs = 0
    const Tagged = z.object({
      name: z.string().transform((s) => {
        runs++
        return s.toUpperCase()
      }),
    })
    const topic = await bus.createTopic(uniqueName('tagged'), { value: json(Tagged) })
    await bus.producer().send(topic, { value: { name: 'ada' } })
    const [first] = await consume<LogRecord<string, { name: string }>>(bus, [topic], 1)
    const [second] = await consume<LogRecord<string, { name: string }>>(bus, [topic], 1)
    expect(first?.value).toEqual({ name: 'ADA' })
    expect(second?.value).toBe(first?.value)
    expect(runs).toBe(1)
  })

  it("estimates a value's size for maxMessageBytes without making its JSON", async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('big'), { value: json(), maxMessageBytes: 1000 })
    await bus.producer().send(topic, { value: { text: 'x'.repeat(900) } })
    await expect(bus.producer().send(topic, { value: { text: 'x'.repeat(1100) } })).rejects.toThrow(/1000/)
  })
})

describe('string() and buffer()', () => {
  it('string(): UTF-8 on the way to bytes, and rejects what is not a string, writing nothing', async () => {
    const codec = string()
    expect(codec.encode('caf\u00e9 \u{1f600}')).toBe('caf\u00e9 \u{1f600}')
    expect(codec.decode(Buffer.from('caf\u00e9 \u{1f600}', 'utf8'))).toBe('caf\u00e9 \u{1f600}')
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('logs'), { value: string() })
    const producer = bus.producer()
    await expect(producer.send(topic, { value: 42 as unknown as string })).rejects.toThrow(
      /value must be a string/,
    )
    await expect(
      producer.send(topic, [{ value: 'ok' }, { value: Buffer.from('x') as unknown as string }]),
    ).rejects.toBeInstanceOf(InvalidRecordError)
    expect(topic.partition(0).logEndOffset).toBe(0)
  })

  it('buffer(): takes Buffers by reference and rejects strings', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('blobs'), { value: buffer() })
    expectTypeOf(topic).toEqualTypeOf<Topic<string, Buffer, string, Buffer>>()
    const producer = bus.producer()
    await expect(producer.send(topic, { value: 'text' as unknown as Buffer })).rejects.toBeInstanceOf(
      InvalidRecordError,
    )
    const bytes = Buffer.from([9, 8])
    await producer.send(topic, { value: bytes })
    const [record] = await topic.partition(0).read(0)
    expect(record?.value).toBe(bytes)
  })
})

describe('raw()', () => {
  it('is the codec of a topic declared without one', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('plain'))
    expect(topic.keyCodec).toBe(raw())
    expect(topic.valueCodec).toBe(raw())
    expect(raw().parse('caf\u00e9')).toEqual(Buffer.from('caf\u00e9'))
    const bytes = Buffer.from([1, 2])
    expect(raw().parse(bytes)).toBe(bytes)
    expect(() => raw().parse(42 as unknown as string)).toThrow(InvalidRecordError)
  })

  it('views any topic as bytes, both ways, without changing its typed readers', async () => {
    const bus = await openBus()
    const users = await bus.createTopic(uniqueName('users'), { value: nullable(json(Order)) })
    await bus.producer().send(users, { key: 'u1', value: { id: 1, total: 2 } })
    const bytes = bus.topic(users.name, { key: raw(), value: raw() })
    expectTypeOf(bytes).toEqualTypeOf<Topic<Buffer | null, Buffer | null, RawInput | null, RawInput | null>>()
    await bus.producer().send(bytes, [
      { key: Buffer.from('u2'), value: '{"id":2,"total":3}' },
      { key: 'u3', value: null },
    ])
    const read = await bytes.partition(0).read(0)
    expect(read.map((r) => [r.key?.toString(), r.value?.toString() ?? null])).toEqual([
      ['u1', '{"id":1,"total":2,"items":[]}'],
      ['u2', '{"id":2,"total":3}'],
      ['u3', null],
    ])
    // Typed readers decode (and check) what the raw view wrote.
    const typed = await users.partition(0).read(0)
    expect(typed.map((r) => r.value)).toEqual([
      { id: 1, total: 2, items: [] },
      { id: 2, total: 3, items: [] },
      null,
    ])
  })
})

describe('views and declarations', () => {
  it('bus.topic(name, codecs) never changes what others send or receive', async () => {
    const bus = await openBus()
    const name = uniqueName('attach')
    const raw = await bus.createTopic(name)
    const typed = bus.topic(name, { value: json(Order) })
    expect(bus.topic(name)).toBe(raw)
    expect(bus.topic(name).valueCodec.name).toBe('raw')
    expect(typed.valueCodec.name).toBe('json(zod)')
    // @ts-expect-error: a typed view takes its value type, not a raw string
    await expect(bus.producer().send(typed, { value: 'raw' })).rejects.toBeInstanceOf(InvalidRecordError)
    await bus.producer().send(name, { value: 'still raw' })
  })

  it('throws UnknownTopicError for a missing topic, with or without codecs', async () => {
    const bus = await openBus()
    expect(() => bus.topic(uniqueName('missing'), { value: string() })).toThrow(/Unknown topic/)
  })

  it('rejects a codec option that is not a codec with InvalidConfigError naming the field', async () => {
    const bus = await openBus()
    const error = await rejection(
      bus.createTopic(uniqueName('bad-codec'), { value: { name: 'x' } as unknown as Codec<string> }),
    )
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).field).toBe('topic.value')
  })

  it('codecs are not persisted: a new bus declares them again (an existing topic keeps its config)', async () => {
    const storage = new MemoryStorage()
    const name = uniqueName('declared')
    const first = await Bus.open({ storage, topics: { [name]: { partitions: 3, value: json(Order) } } })
    await first.producer().send(name, { value: { id: 1, total: 1 } })
    await first.close()
    const untyped = await openBus({ storage })
    expect(untyped.topic(name).valueCodec.name).toBe('raw')
    const [raw] = await untyped.topic(name).partition(0).read(0)
    expect(raw?.value).toBeInstanceOf(Buffer)
    await untyped.close()
    const typed = await Bus.open({ storage, topics: { [name]: { partitions: 5, value: json(Order) } } })
    try {
      expect(typed.topic(name).partitionCount).toBe(3)
      const [record] = await typed.topic(name).partition(0).read(0)
      expect(record?.value).toEqual({ id: 1, total: 1, items: [] })
    } finally {
      await typed.close()
    }
  })
})

import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  Bus,
  buffer,
  type Codec,
  InvalidConfigError,
  InvalidRecordError,
  json,
  MemoryStorage,
  type Message,
  type RawValue,
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

describe('json(schema) on a topic', () => {
  it('types the topic and encodes values as JSON', async () => {
    const bus = await openBus()
    const name = uniqueName('orders')
    const orders = await bus.createTopic(name, { codec: json(Order) })
    expectTypeOf(orders).toEqualTypeOf<Topic<OrderInput, Order>>()

    // Sends take the schema's input: a value may leave out a field that has a default.
    const meta = await bus.producer().send(orders, { key: 'u1', value: { id: 1, total: 9.5 } })
    expect(meta).toMatchObject({ topic: name, partition: 0, offset: 0 })
    const [record] = await orders.partition(0).read(0)
    // The value is stored as sent (validated); decoding applies the schema, defaults included.
    expect(JSON.parse(record?.value?.toString() ?? 'null')).toEqual({ id: 1, total: 9.5 })
    expect(orders.codec?.decode(record!.value!)).toEqual({ id: 1, total: 9.5, items: [] })
    expect(record?.key).toEqual(Buffer.from('u1'))
  })

  it("decodes with the topic's codec", async () => {
    const bus = await openBus()
    const orders = await bus.createTopic(uniqueName('orders'), { codec: json(Order) })
    const order: Order = { id: 2, total: 3, items: [{ sku: 'a', qty: 2 }] }
    await bus.producer().send(orders, { value: order })
    const [record] = await orders.partition(0).read(0)
    const decoded = orders.codec?.decode(record!.value!)
    expectTypeOf(decoded).toEqualTypeOf<Order | undefined>()
    expect(decoded).toEqual(order)
  })

  it('rejects a bad value at send with InvalidRecordError naming the field, writing nothing', async () => {
    const bus = await openBus()
    const orders = await bus.createTopic(uniqueName('orders'), { codec: json(Order), partitions: 2 })
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
    const orders = await bus.createTopic(uniqueName('orders'), { codec: json(Order) })
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
    const orders = await bus.createTopic(uniqueName('orders'), { codec: json(Order), partitions: 3 })
    const producer = bus.producer()
    const messages: Message<Order>[] = [
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

  it('also checks sends made by topic name', async () => {
    const bus = await openBus()
    const name = uniqueName('orders')
    await bus.createTopic(name, { codec: json(Order) })
    await expect(bus.producer().send(name, { value: 'not an order' })).rejects.toBeInstanceOf(
      InvalidRecordError,
    )
    expect(bus.topic(name).partition(0).logEndOffset).toBe(0)
  })

  it('lets a null value through as a tombstone, without the codec', async () => {
    const bus = await openBus()
    const orders = await bus.createTopic(uniqueName('orders'), { codec: json(Order) })
    await bus.producer().send(orders, { key: 'u1', value: null })
    const [record] = await orders.partition(0).read(0)
    expect(record?.value).toBeNull()
  })

  it('rejects a send whose value the codec throws on with InvalidRecordError, keeping the cause', async () => {
    const bus = await openBus()
    const name = uniqueName('bigint')
    const topic = await bus.createTopic(name, { codec: json() })
    const error = await rejection(bus.producer().send(topic, { value: { n: 10n } }))
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as Error).message).toContain(name)
    expect((error as Error).cause).toBeInstanceOf(TypeError)
    expect(topic.partition(0).logEndOffset).toBe(0)
  })

  it('a custom codec that throws a plain Error becomes an InvalidRecordError naming the codec', async () => {
    const bus = await openBus()
    const upper: Codec<string> = {
      name: 'upper',
      encode(value) {
        if (value !== value.toUpperCase()) throw new Error('must be upper case')
        return Buffer.from(value)
      },
      decode: (bytes) => bytes.toString(),
    }
    const topic = await bus.createTopic(uniqueName('upper'), { codec: upper })
    const error = await rejection(bus.producer().send(topic, { value: 'lower' }))
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as Error).message).toContain('upper')
    expect((error as Error).message).toContain('must be upper case')
    await expect(bus.producer().send(topic, { value: 'UPPER' })).resolves.toMatchObject({ offset: 0 })
  })

  it('keys are not encoded by the value codec', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('keys'), { codec: json(Order) })
    await bus.producer().send(topic, { key: 'plain', value: { id: 1, total: 1, items: [] } })
    const [record] = await topic.partition(0).read(0)
    expect(record?.key?.toString()).toBe('plain')
  })
})

describe('json() as a codec', () => {
  it('round-trips any JSON value without a schema', () => {
    const codec = json()
    for (const value of [1, 'text', true, null, [1, 'a'], { a: { b: [null] } }]) {
      expect(codec.decode(codec.encode(value))).toEqual(value)
    }
    expect(codec.encode({ a: 1 })).toEqual(Buffer.from('{"a":1}'))
    expect(codec.name).toBe('json')
  })

  it('rejects a value that has no JSON form', () => {
    expect(() => json().encode(undefined)).toThrow(InvalidRecordError)
    expect(() => json().encode(() => 1)).toThrow(InvalidRecordError)
  })

  it('decode rejects bytes that are not JSON with InvalidRecordError', () => {
    const error = thrown(() => json().decode(Buffer.from('{nope')))
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as Error).cause).toBeInstanceOf(SyntaxError)
  })

  it('decode checks the schema too, naming the field', () => {
    const error = thrown(() => json(Order).decode(Buffer.from('{"id":1,"total":"x"}')))
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as Error).message).toContain('value.total')
  })

  it('a schema on a primitive names the value itself', () => {
    const error = thrown(() => json(z.number()).encode('x' as unknown as number))
    expect(error).toBeInstanceOf(InvalidRecordError)
    expect((error as Error).message).toContain('"value"')
  })
})

describe('string()', () => {
  it('encodes UTF-8 and decodes it back', () => {
    const codec = string()
    expect(codec.name).toBe('string')
    expect(codec.encode('caf\u00e9 \u{1f600}')).toEqual(Buffer.from('caf\u00e9 \u{1f600}', 'utf8'))
    expect(codec.decode(Buffer.from('caf\u00e9 \u{1f600}', 'utf8'))).toBe('caf\u00e9 \u{1f600}')
    expect(codec.decode(codec.encode(''))).toBe('')
  })

  it('rejects a value that is not a string, at send, writing nothing', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('logs'), { codec: string() })
    expectTypeOf(topic).toEqualTypeOf<Topic<string>>()
    const producer = bus.producer()
    await expect(producer.send(topic, { value: 42 as unknown as string })).rejects.toBeInstanceOf(
      InvalidRecordError,
    )
    await expect(
      producer.send(topic, [{ value: 'ok' }, { value: Buffer.from('x') as unknown as string }]),
    ).rejects.toBeInstanceOf(InvalidRecordError)
    expect(topic.partition(0).logEndOffset).toBe(0)
    await producer.send(topic, { value: 'line' })
    const [record] = await topic.partition(0).read(0)
    expect(topic.codec?.decode(record!.value!)).toBe('line')
  })
})

describe('buffer()', () => {
  it('passes bytes through unchanged', () => {
    const codec = buffer()
    const bytes = Buffer.from([0, 1, 2, 255])
    expect(codec.name).toBe('buffer')
    expect(codec.encode(bytes)).toEqual(bytes)
    expect(codec.decode(bytes)).toEqual(bytes)
  })

  it('rejects a string (or anything not a Buffer) at send', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('blobs'), { codec: buffer() })
    expectTypeOf(topic).toEqualTypeOf<Topic<Buffer>>()
    const producer = bus.producer()
    await expect(producer.send(topic, { value: 'text' as unknown as Buffer })).rejects.toBeInstanceOf(
      InvalidRecordError,
    )
    await producer.send(topic, { value: Buffer.from([9, 8]) })
    const [record] = await topic.partition(0).read(0)
    expect(record?.value).toEqual(Buffer.from([9, 8]))
  })
})

describe('bus.topic(name, { codec })', () => {
  it('attaches a codec to an existing topic and returns it typed', async () => {
    const bus = await openBus()
    const name = uniqueName('attach')
    const raw = await bus.createTopic(name)
    expectTypeOf(raw).toEqualTypeOf<Topic<RawValue>>()
    expect(raw.codec).toBeUndefined()

    const typed = bus.topic(name, { codec: json(Order) })
    expectTypeOf(typed).toEqualTypeOf<Topic<OrderInput, Order>>()
    expectTypeOf(bus.topic(name)).toEqualTypeOf<Topic<RawValue>>()
    expect(typed.codec?.name).toBe('json')

    const producer = bus.producer()
    // @ts-expect-error: a typed topic takes its value type, not a raw string
    const wrong = producer.send(typed, { value: 'raw' })
    await expect(wrong).rejects.toBeInstanceOf(InvalidRecordError)
    await producer.send(typed, { value: { id: 5, total: 0, items: [] } })
    const [record] = await typed.partition(0).read(0)
    expect(typed.codec?.decode(record!.value!)).toEqual({ id: 5, total: 0, items: [] })
  })

  it('throws UnknownTopicError for a missing topic, with or without a codec', async () => {
    const bus = await openBus()
    expect(() => bus.topic(uniqueName('missing'), { codec: string() })).toThrow(/Unknown topic/)
  })

  it('createTopic with ifNotExists and a codec attaches the codec to the existing topic', async () => {
    const bus = await openBus()
    const name = uniqueName('if-not-exists-codec')
    await bus.createTopic(name)
    const typed = await bus.createTopic(name, { codec: string(), ifNotExists: true })
    expect(typed.codec?.name).toBe('string')
    await expect(bus.producer().send(name, { value: Buffer.from('x') })).rejects.toBeInstanceOf(
      InvalidRecordError,
    )
  })

  it('rejects a codec option that is not a codec with InvalidConfigError naming the field', async () => {
    const bus = await openBus()
    const error = await rejection(
      bus.createTopic(uniqueName('bad-codec'), { codec: { name: 'x' } as unknown as Codec<string> }),
    )
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).field).toBe('topic.codec')
  })

  it('codecs are not persisted: a new bus on the same storage sees the topic without one', async () => {
    const storage = new MemoryStorage()
    const first = await Bus.open({ storage })
    const name = uniqueName('not-persisted')
    await first.createTopic(name, { codec: json(Order) })
    await first.close()
    const second = await openBus({ storage })
    expect(second.topic(name).codec).toBeUndefined()
  })
})

describe('codecs and transforms, copies', () => {
  it('a schema that transforms values decodes what it encoded, and runs its transform once per side', async () => {
    const bus = await openBus()
    const Amount = z.object({
      cents: z
        .number()
        .int()
        .transform((n) => `${(n / 100).toFixed(2)} EUR`),
    })
    const topic = await bus.createTopic(uniqueName('amounts'), { codec: json(Amount) })
    await bus.producer().send(topic, { value: { cents: 1250 } })
    const [record] = await topic.partition(0).read(0)
    expect(topic.codec?.decode(record!.value!)).toEqual({ cents: '12.50 EUR' })
  })

  it('buffer() copies at send, as every send does', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('blobs'), { codec: buffer() })
    const bytes = Buffer.from('hello')
    await bus.producer().send(topic, { value: bytes })
    bytes.write('HELLO')
    const [record] = await topic.partition(0).read(0)
    expect(record?.value?.toString()).toBe('hello')
  })
})

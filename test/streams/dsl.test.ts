import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { InvalidConfigError, InvalidStateError, json, nullable, string } from '../../src/index'
import type { KStream, KTable } from '../../src/streams'
import { lines, openApp, openTypedBus, readTopic } from './helpers'

const Order = z.object({ id: z.string(), total: z.number(), items: z.array(z.string()) })
type Order = z.output<typeof Order>

const topics = {
  orders: { partitions: 2, value: json(Order) },
  out: { partitions: 2, value: string() },
  other: { partitions: 2, value: string() },
  totals: { value: json() },
  users: { partitions: 2, value: nullable(string()) },
  names: { partitions: 2, value: nullable(string()) },
} as const

async function setup(applicationId: string) {
  const bus = await openTypedBus({ topics })
  const app = openApp(bus, { applicationId })
  const send = (orders: Order[]) =>
    bus.producer().send(
      'orders',
      orders.map((order) => ({ key: order.id, value: order })),
    )
  return { bus, app, send }
}

const order = (id: string, total: number, items: string[] = []): Order => ({ id, total, items })

describe('stateless operations', () => {
  it('filter, filterNot, mapValues, map, selectKey, peek and to, typed from the declared topics', async () => {
    const { bus, app, send } = await setup('stateless')
    const orders = app.stream('orders')
    expectTypeOf(orders).toEqualTypeOf<KStream<string | null, Order, typeof topics>>()
    const peeked: string[] = []
    orders
      .filter((_, o) => o.total >= 10)
      .peek((key) => peeked.push(String(key)))
      .mapValues((o) => `${o.id}:${o.total}`)
      .to('out')
    orders
      .filterNot((_, o) => o.total >= 10)
      .map((key, o) => [`small-${key}`, String(o.total)] as const)
      .to('other')
    // A compile-time check only (never called): an Order is not a string, which `out` takes.
    const _typeCheck = () => {
      // @ts-expect-error the `out` topic's codec takes strings
      orders.to('out')
    }
    await app.start()
    await send([order('a', 5), order('b', 50), order('c', 10)])
    await app.caughtUp()
    expect(lines(await readTopic(bus, 'out')).sort()).toEqual(['b b:50', 'c c:10'])
    expect(lines(await readTopic(bus, 'other'))).toEqual(['small-a 5'])
    expect(peeked.sort()).toEqual(['b', 'c'])
  })

  it('flatMap and flatMapValues emit zero or more records per record', async () => {
    const { bus, app, send } = await setup('flat')
    const orders = app.stream('orders')
    orders.flatMapValues((o) => o.items).to('out')
    orders
      .flatMap((key, o) => o.items.map((item, i) => [`${key}-${i}`, item.toUpperCase()] as const))
      .to('other')
    await app.start()
    await send([order('a', 1, ['x', 'y']), order('b', 2, [])])
    await app.caughtUp()
    expect(lines(await readTopic(bus, 'out')).sort()).toEqual(['a x', 'a y'])
    expect(lines(await readTopic(bus, 'other')).sort()).toEqual(['a-0 X', 'a-1 Y'])
  })

  it('merge joins two streams; split routes each record to its first matching branch', async () => {
    const { bus, app, send } = await setup('branches')
    const orders = app.stream('orders')
    const { small, large, rest } = orders
      .split()
      .branch('small', (_, o) => o.total < 10)
      .branch('large', (_, o) => o.total >= 100)
      .defaultBranch('rest')
    expectTypeOf(small).toEqualTypeOf<KStream<string | null, Order, typeof topics>>()
    small
      .mapValues((o) => `small:${o.id}`)
      .merge(large.mapValues((o) => `large:${o.id}`))
      .to('out')
    rest.mapValues((o) => `rest:${o.id}`).to('other')
    await app.start()
    await send([order('a', 1), order('b', 500), order('c', 50), order('d', 5)])
    await app.caughtUp()
    expect(lines(await readTopic(bus, 'out')).sort()).toEqual(['a small:a', 'b large:b', 'd small:d'])
    expect(lines(await readTopic(bus, 'other'))).toEqual(['c rest:c'])
  })

  it('narrows a branch with a type guard, and refuses a branch name twice', async () => {
    const { app } = await setup('guards')
    const values = app.stream('users')
    const { present } = values
      .split()
      .branch('present', (_, v): v is string => v !== null)
      .noDefaultBranch()
    expectTypeOf(present).toEqualTypeOf<KStream<string | null, string, typeof topics>>()
    expect(() =>
      values
        .split()
        .branch('x', () => true)
        .branch('x', () => true),
    ).toThrow(InvalidConfigError)
  })

  it('repartition routes records through <applicationId>-<name>-repartition by their new key', async () => {
    const { bus, app, send } = await setup('rekey')
    app
      .stream('orders')
      .selectKey((_, o) => o.items[0] ?? 'none')
      .repartition({ name: 'by-item', partitions: 2 })
      .mapValues((o) => o.id)
      .to('out')
    await app.start()
    await send([order('a', 1, ['apple']), order('b', 2, ['pear']), order('c', 3, ['apple'])])
    await app.caughtUp()
    expect(app.describe().repartitionTopics).toEqual(['rekey-by-item-repartition'])
    const out = await readTopic(bus, 'out')
    expect(lines(out).sort()).toEqual(['apple a', 'apple c', 'pear b'])
    // Both apples were written to the same partition: the repartition topic is keyed by item.
    expect(new Set(out.filter((r) => r.key === 'apple').map((r) => r.partition)).size).toBe(1)
  })

  it('through writes to a topic of yours and goes on reading it back, typed by its codecs', async () => {
    const { bus, app, send } = await setup('through')
    const relayed = app
      .stream('orders')
      .mapValues((o) => o.id.toUpperCase())
      .through('other')
    expectTypeOf(relayed).toEqualTypeOf<KStream<string | null, string, typeof topics>>()
    relayed.mapValues((id) => `relayed ${id}`).to('out')
    await app.start()
    await send([order('a', 1), order('b', 2)])
    await app.caughtUp()
    expect(lines(await readTopic(bus, 'other')).sort()).toEqual(['a A', 'b B'])
    expect(lines(await readTopic(bus, 'out')).sort()).toEqual(['a relayed A', 'b relayed B'])
    expect(app.describe().subtopologies).toHaveLength(2)
  })

  it('tables: filter deletes rows that stop matching, mapValues maps them, toStream emits tombstones', async () => {
    const { bus, app } = await setup('tables')
    const users = app.table('users')
    expectTypeOf(users).toEqualTypeOf<KTable<string, string, typeof topics>>()
    const short = users.filter((_, name) => name.length <= 3).mapValues((name) => name.toUpperCase())
    short.toStream().to('names')
    // @ts-expect-error a table's stream has null values (deletions): `other` has no null
    const _typeCheck = () => short.toStream().to('other')
    await app.start()
    const producer = bus.producer()
    await producer.send('users', { key: 'u1', value: 'ada' })
    await producer.send('users', { key: 'u2', value: 'grace' })
    await producer.send('users', { key: 'u1', value: 'adeline' }) // stops matching: a tombstone
    await producer.send('users', { key: 'u2', value: 'bob' })
    await producer.send('users', { key: 'u2', value: null }) // deleted
    await producer.send('users', { key: 'u3', value: 'cy' })
    await app.caughtUp()
    const out = await readTopic(bus, 'names')
    expect(out.map((r) => `${r.key}=${r.value}`).sort()).toEqual([
      'u1=ADA',
      'u1=null',
      'u2=BOB',
      'u2=null',
      'u3=CY',
    ])
    expect(users.get('u1')).toBe('adeline')
    expect(users.get('u2')).toBeUndefined()
    expect(short.all()).toEqual([['u3', 'CY']])
    expect(short.get('u1')).toBeUndefined()
  })

  it('toTable keeps the latest value per key, and the topology is fixed once started', async () => {
    const { app, send } = await setup('to-table')
    const latest = app.stream('orders').toTable({ name: 'latest' })
    await app.start()
    await send([order('a', 1), order('a', 7), order('b', 2)])
    await app.caughtUp()
    expect(latest.all()).toEqual([
      ['a', { id: 'a', total: 7, items: [] }],
      ['b', { id: 'b', total: 2, items: [] }],
    ])
    expect(() => app.stream('out')).toThrow(InvalidStateError)
  })

  it('refuses a topic read by two sources and bad functions, where they are given', async () => {
    const { app } = await setup('refusals')
    app.stream('orders')
    expect(() => app.stream('orders')).toThrow(/already read by another source/)
    expect(() => app.stream('out').filter(42 as never)).toThrow(InvalidConfigError)
    expect(() => app.table('users', { name: 'a b' })).toThrow(InvalidConfigError)
  })
})

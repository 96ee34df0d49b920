import { describe, expect, it } from 'vitest'
import { string } from '../../src/index'
import { streams } from '../../src/streams'
import { taskAssignor } from '../../src/streams/runtime/task-assignor'
import { openTypedBus } from './helpers'

describe('the task assignor', () => {
  const layout = () => [['a', 'b'], ['c']]
  const assign = taskAssignor(layout)

  it('hands out whole tasks: partition p of every source topic of a sub-topology together', async () => {
    const result = await assign({
      members: [
        { memberId: 'm1', topics: ['a', 'b', 'c'], owned: [] },
        { memberId: 'm2', topics: ['a', 'b', 'c'], owned: [] },
      ],
      partitions: { a: 2, b: 2, c: 2 },
    })
    const tasks = (tps: { topic: string; partition: number }[]) =>
      tps.map((tp) => `${tp.topic}${tp.partition}`).sort()
    for (const tps of [result.m1!, result.m2!]) {
      const mine = tasks(tps)
      for (const p of [0, 1]) expect(mine.includes(`a${p}`)).toBe(mine.includes(`b${p}`))
    }
    // Four tasks (a+b 0, a+b 1, c 0, c 1), two each; every partition once.
    expect(tasks([...result.m1!, ...result.m2!])).toEqual(['a0', 'a1', 'b0', 'b1', 'c0', 'c1'])
    expect(tasks(result.m1!).length + tasks(result.m2!).length).toBe(6)
    expect(assign.rebalance).toBe('cooperative')
  })

  it('keeps the tasks a member owned while that stays balanced', async () => {
    const owned = [
      { topic: 'c', partition: 0 },
      { topic: 'a', partition: 1 },
      { topic: 'b', partition: 1 },
    ]
    const result = await assign({
      members: [
        { memberId: 'm1', topics: ['a', 'b', 'c'], owned: [] },
        { memberId: 'm2', topics: ['a', 'b', 'c'], owned },
        { memberId: 'm3', topics: ['a', 'b', 'c'], owned: [] },
      ],
      partitions: { a: 2, b: 2, c: 2 },
    })
    // m2 owned two whole tasks (a+b 1, and c 0): with four tasks for three members it keeps both.
    expect(result.m2!.map((tp) => `${tp.topic}${tp.partition}`).sort()).toEqual(['a1', 'b1', 'c0'])
    expect(Object.values(result).flat()).toHaveLength(6)
  })
})

describe('scaling out', () => {
  it('an application id is a group: instances share tasks, and a task moves with its state', async () => {
    const bus = await openTypedBus({
      topics: { clicks: { partitions: 4, value: string() }, out: { partitions: 4, value: string() } },
    })
    const open = () => {
      const app = streams(bus, { applicationId: 'scale', logger: { warn: () => undefined } })
      const counts = app.stream('clicks').groupByKey().count({ name: 'clicks-per-user' })
      return { app, counts }
    }
    const first = open()
    await first.app.start()
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8']
    const producer = bus.producer()
    await producer.send(
      'clicks',
      users.flatMap((u) => [
        { key: u, value: 'x' },
        { key: u, value: 'y' },
      ]),
    )
    await first.app.caughtUp()
    expect(first.counts.all()).toHaveLength(8)

    // A second instance joins: the tasks are split, each instance holds the state of its own.
    const second = open()
    await second.app.start()
    await Promise.all([first.app.caughtUp(), second.app.caughtUp()])
    const a = first.counts.all().map(([u]) => u)
    const b = second.counts.all().map(([u]) => u)
    expect(a.length).toBeGreaterThan(0)
    expect(b.length).toBeGreaterThan(0)
    expect([...a, ...b].sort()).toEqual(users)
    for (const u of b) expect(second.counts.get(u)).toBe(2)

    // More clicks go to whoever owns each user's task now.
    await producer.send(
      'clicks',
      users.map((u) => ({ key: u, value: 'z' })),
    )
    await Promise.all([first.app.caughtUp(), second.app.caughtUp()])
    const counted = (u: string) => first.counts.get(u) ?? second.counts.get(u)
    for (const u of users) expect(counted(u)).toBe(3)

    // The first instance leaves: its tasks move to the second with their state (no count lost).
    await first.app.close()
    await second.app.caughtUp()
    expect(second.counts.all()).toEqual(users.map((u) => [u, 3]))
    await second.app.close()
  })
})

describe('scaling a join', () => {
  it('a task that moves takes its table with it: restored from the table topic up to the committed offset', async () => {
    const bus = await openTypedBus({
      topics: {
        clicks: { partitions: 4, value: string() },
        regions: { partitions: 4, value: string() },
      },
    })
    const joined = new Map<string, string>()
    const open = () => {
      const app = streams(bus, { applicationId: 'scale-join', logger: { warn: () => undefined } })
      app
        .stream('clicks')
        .join(app.table('regions'), (click, region) => `${click}@${region}`)
        .foreach((user, value) => joined.set(`${user}:${value.split('@')[0]}`, value))
      return app
    }
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8']
    const producer = bus.producer()
    await producer.send(
      'regions',
      users.map((u, i) => ({ key: u, value: i % 2 === 0 ? 'eu' : 'us' })),
    )
    const first = open()
    await first.start()
    await producer.send(
      'clicks',
      users.map((u) => ({ key: u, value: 'c1' })),
    )
    await first.caughtUp()
    await first.commit()
    // A second instance: half the tasks move to it and restore their part of the regions table.
    const second = open()
    const restored: number[] = []
    second.on('restored', ({ records }) => restored.push(records))
    await second.start()
    await Promise.all([first.caughtUp(), second.caughtUp()])
    expect(restored.reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    await producer.send(
      'clicks',
      users.map((u) => ({ key: u, value: 'c2' })),
    )
    await Promise.all([first.caughtUp(), second.caughtUp()])
    for (const [i, u] of users.entries()) {
      const region = i % 2 === 0 ? 'eu' : 'us'
      expect(joined.get(`${u}:c1`)).toBe(`c1@${region}`)
      expect(joined.get(`${u}:c2`)).toBe(`c2@${region}`)
    }
    await first.close()
    await second.close()
  })
})

import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Bus, json, MemoryStorage, nullable } from 'logbus'
import { describe, expect, it, onTestFinished } from 'vitest'
import { z } from 'zod'
import { openBus } from '../support/bus'
import { openWorker, tempDir } from './support'

const User = z.object({
  id: z.string(),
  name: z.string(),
  visits: z.number(),
  admin: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
})

const sqlite = (path: string, extra: Record<string, string | number | boolean> = {}) => ({
  name: 'users-db',
  config: {
    'connector.class': 'SqliteSink',
    topics: 'users',
    'connection.url': `jdbc:sqlite:${path}`,
    'auto.create': true,
    ...extra,
  },
})

function rows(path: string, sql: string): unknown[] {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare(sql).all()
  } finally {
    db.close()
  }
}

describe('SQLite sink', () => {
  it('upserts by key into a table it creates, deletes on a tombstone, stores objects as JSON', async () => {
    const path = join(tempDir(), 'db.sqlite')
    const bus = await Bus.open({ topics: { users: { partitions: 2, value: nullable(json(User)) } } })
    onTestFinished(() => bus.close())
    const { worker, until } = await openWorker(bus)
    await worker.createConnector(
      sqlite(path, {
        'insert.mode': 'upsert',
        'pk.mode': 'record_key',
        'pk.fields': 'user_id',
        'delete.enabled': true,
      }),
    )
    const producer = bus.producer()
    await producer.send('users', [
      { key: 'u1', value: { id: 'u1', name: 'Ada', visits: 1, admin: true, tags: ['math'] } },
      { key: 'u2', value: { id: 'u2', name: 'Bob', visits: 1 } },
      { key: 'u1', value: { id: 'u1', name: 'Ada L.', visits: 2, admin: true, tags: ['math', 'engines'] } },
      { key: 'u3', value: { id: 'u3', name: 'Cy', visits: 7 } },
      { key: 'u3', value: null },
    ])
    await until('users-db', 4) // the tombstone is put too, but a delete writes no row
    await worker.close()
    expect(rows(path, 'SELECT user_id, id, name, visits, admin, tags FROM users ORDER BY user_id')).toEqual([
      { user_id: 'u1', id: 'u1', name: 'Ada L.', visits: 2, admin: 1, tags: '["math","engines"]' },
      { user_id: 'u2', id: 'u2', name: 'Bob', visits: 1, admin: null, tags: null },
    ])
  })

  it('applies each record exactly once across restarts: the offsets it stored win over the group', async () => {
    const path = join(tempDir(), 'db.sqlite')
    const storage = new MemoryStorage()
    const topics = { users: { value: json(User) } }
    const first = await Bus.open({ storage, topics })
    const send = (from: number, to: number) =>
      first.producer().send(
        'users',
        Array.from({ length: to - from }, (_, i) => ({
          key: `u${from + i}`,
          value: { id: `u${from + i}`, name: 'x', visits: from + i },
        })),
      )
    await send(0, 300)
    const run1 = await openWorker(first)
    // Plain inserts, no key: a record applied twice would be a second row.
    await run1.worker.createConnector(sqlite(path))
    await run1.until('users-db', 300)
    await run1.worker.close()
    await first.close()

    // The group forgets everything it committed: a sink that trusted it would insert all 300 again.
    const second = await Bus.open({ storage, topics })
    await second.group('connect-users-db').resetOffsets({ to: 'earliest' })
    await second.producer().send('users', { key: 'u300', value: { id: 'u300', name: 'x', visits: 300 } })
    const run2 = await openWorker(second)
    await run2.worker.createConnector(sqlite(path))
    await run2.until('users-db', 1)
    await run2.worker.close()
    await second.close()

    expect(rows(path, 'SELECT count(*) AS n, count(DISTINCT id) AS ids FROM users')).toEqual([
      { n: 301, ids: 301 },
    ])
    expect(rows(path, 'SELECT topic, partition, next_offset FROM __connect_offsets')).toEqual([
      { topic: 'users', partition: 0, next_offset: 301 },
    ])
  })

  it('reports a value that is not a row as errant: dead-lettered with errors.tolerance=all', async () => {
    const path = join(tempDir(), 'db.sqlite')
    const bus = await openBus({ autoCreateTopics: true })
    const { worker, until, errors } = await openWorker(bus)
    await bus.createTopic('users')
    await worker.createConnector(
      sqlite(path, {
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'users.dlq',
        'errors.deadletterqueue.context.headers.enable': true,
      }),
    )
    await bus
      .producer()
      .send('users', [{ value: '{"id":"a","n":1}' }, { value: '"just text"' }, { value: '{"id":"b","n":2}' }])
    await until('users-db', 3)
    expect(errors.map((e) => [e.stage, e.tolerated, e.deadLettered])).toEqual([['TASK_PUT', true, true]])
    const [dead] = await bus.topic('users.dlq').partition(0).read(0)
    expect(dead!.value!.toString()).toBe('"just text"')
    expect(dead!.headers['__connect.errors.offset']!.toString()).toBe('1')
    await worker.close()
    expect(rows(path, 'SELECT id, n FROM users ORDER BY id')).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ])
  })

  it('checks its configuration before starting', async () => {
    const bus = await openBus()
    const { worker } = await openWorker(bus)
    await expect(worker.createConnector(sqlite('x.db', { 'insert.mode': 'upsert' }))).rejects.toThrow(
      'upsert needs a pk.mode other than none',
    )
    await expect(worker.createConnector(sqlite('x.db', { 'pk.mode': 'record_value' }))).rejects.toThrow(
      'pk.fields',
    )
    expect(worker.connectors()).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import { type Bus, type LogRecord, string } from '../../src/index'
import { streams } from '../../src/streams'
import { waitUntil } from '../support/bus'
import { openTypedBus } from './helpers'

const topics = {
  events: { partitions: 2, value: string() },
  counts: { partitions: 2, value: string() },
} as const

type EventsBus = Bus<typeof topics>

/** Counts events per key; a value 'poison' makes the count throw while `poisoned` is true. */
function counter(bus: EventsBus, guarantee: 'at_least_once' | 'exactly_once_v2', poisoned: boolean) {
  const app = streams(bus, {
    applicationId: 'eos-counter',
    processingGuarantee: guarantee,
    commitIntervalMs: 3_600_000,
    logger: { warn: () => undefined },
  })
  const counts = app
    .stream('events')
    .filter((_, value) => {
      if (value === 'poison' && poisoned) throw new Error('poison')
      return value !== 'poison'
    })
    .groupByKey()
    .count({ name: 'event-counts' })
  counts
    .toStream()
    .mapValues((n) => String(n))
    .to('counts')
  return { app, counts }
}

/** What a reader with this isolation level sees in `counts`, for key `a`. */
async function seen(bus: EventsBus, isolation: 'read_committed' | 'read_uncommitted'): Promise<number[]> {
  const out: LogRecord<string, string>[] = []
  const reader = bus.consumer({ topics: ['counts'], fromBeginning: true, isolation })
  await reader.run({ eachMessage: (record) => void out.push(record) })
  await reader.caughtUp()
  await reader.close()
  return out.filter((r) => r.key === 'a').map((r) => Number(r.value))
}

const events = (...values: string[]) => values.map((value) => ({ key: 'a', value }))

async function failThenRestart(guarantee: 'at_least_once' | 'exactly_once_v2') {
  const bus = await openTypedBus({ topics })
  const first = counter(bus, guarantee, true)
  await first.app.start()
  const producer = bus.producer()
  await producer.send('events', events('1', '2', '3', '4', '5'))
  await first.app.caughtUp()
  await first.app.commit()
  // Three events processed but not committed (their outputs written in the open transaction), then
  // one the application fails on.
  await producer.send('events', events('6', '7', '8'))
  await waitUntil(() => first.app.metrics().processedRecords === 8, { message: '8 records processed' })
  await producer.send('events', events('poison', '9', '10'))
  await expect(first.app.caughtUp()).rejects.toThrow('poison')
  await first.app.close()

  const second = counter(bus, guarantee, false)
  await second.app.start()
  await second.app.caughtUp()
  const count = second.counts.get('a')
  await second.app.close()
  return { bus, count }
}

describe('exactly once (processingGuarantee: exactly_once_v2)', () => {
  it('counts words as at-least-once does, with outputs visible once committed', async () => {
    const bus = await openTypedBus({ topics })
    const { app, counts } = counter(bus, 'exactly_once_v2', false)
    await app.start()
    await bus.producer().send('events', [...events('x', 'y'), { key: 'b', value: 'z' }])
    await app.caughtUp()
    expect(counts.all()).toEqual([
      ['a', 2],
      ['b', 1],
    ])
    expect(await seen(bus, 'read_committed')).toEqual([1, 2])
    await app.close()
  })

  it('after a failure mid-transaction, a restart gives every count exactly once', async () => {
    const { bus, count } = await failThenRestart('exactly_once_v2')
    expect(count).toBe(10)
    // The aborted transaction's outputs (6, 7, 8) are in the log but no committed reader sees them.
    expect(await seen(bus, 'read_committed')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(await seen(bus, 'read_uncommitted')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 6, 7, 8, 9, 10])
  })

  it('the same failure with at-least-once writes 6, 7 and 8 twice (the contrast)', async () => {
    const { bus, count } = await failThenRestart('at_least_once')
    expect(count).toBe(10)
    expect(await seen(bus, 'read_committed')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 6, 7, 8, 9, 10])
  })

  it('runs a topology with a repartition: its records are read once committed', async () => {
    const bus = await openTypedBus({ topics })
    const app = streams(bus, {
      applicationId: 'eos-words',
      processingGuarantee: 'exactly_once_v2',
      logger: { warn: () => undefined },
    })
    const words = app
      .stream('events')
      .flatMapValues((line) => line.split(' '))
      .groupBy((_, word) => word)
      .count()
    await app.start()
    await bus.producer().send('events', [{ value: 'a b a' }, { value: 'b c' }])
    await app.caughtUp()
    expect(words.all()).toEqual([
      ['a', 2],
      ['b', 2],
      ['c', 1],
    ])
    await app.close()
  })
})

import { InvalidConfigError, type LogRecord } from 'logbus'
import { type DatagenProgress, datagen, type Pageview, quickstarts, runDatagen } from 'logbus/datagen'
import { describe, expect, it } from 'vitest'
import { openBus, waitUntil } from '../support/bus'
import { FakeClock } from '../support/fake-clock'

async function readAll<K, V>(bus: Awaited<ReturnType<typeof openBus>>, topic: string) {
  const out: LogRecord<K, V>[] = []
  for (const partition of bus.topic(topic).partitions) {
    out.push(...((await partition.read(0, 64 << 20)) as unknown as LogRecord<K, V>[]))
  }
  return out
}

describe('runDatagen', () => {
  it('produces the seeded stream, keyed, to a topic it creates with the quickstart codec', async () => {
    const bus = await openBus()
    const summary = await runDatagen(bus, {
      quickstart: 'pageviews',
      topic: 'pageviews',
      seed: 9,
      iterations: 2500,
      batchSize: 300,
    })
    expect(summary).toMatchObject({ records: 2500, aborted: false })
    expect(summary.state.iteration).toBe(2500)
    const stored = await readAll<string, Pageview>(bus, 'pageviews')
    const expected = datagen({ quickstart: 'pageviews', seed: 9, iterations: 2500 }).take(2500)
    expect(stored.map((r) => ({ key: r.key, value: r.value }))).toEqual(expected)
    // The typed topic checks what it is given: the codec is the quickstart's.
    await expect(
      bus.producer().send(bus.topic('pageviews', { value: quickstarts.pageviews.codec }), {
        value: { viewtime: 'soon' } as never,
      }),
    ).rejects.toThrow('viewtime')
  })

  it('writes JSON to a raw topic', async () => {
    const bus = await openBus()
    await bus.createTopic('raw-users')
    await runDatagen(bus, { quickstart: 'users', topic: 'raw-users', seed: 1, iterations: 3 })
    const [first] = await bus.topic('raw-users').partition(0).read(0)
    const value = JSON.parse(first!.value!.toString('utf8')) as { userid: string }
    expect(first!.key!.toString('utf8')).toBe(value.userid)
  })

  it('paces records at `rate` per second on the bus clock', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const background = clock.pending // the bus's own timers (retention)
    const seen: DatagenProgress[] = []
    const run = runDatagen(bus, {
      quickstart: 'users',
      topic: 'paced',
      seed: 1,
      rate: 10,
      iterations: 25,
      onProgress: (p) => seen.push(p),
      progressIntervalMs: 1000,
    })
    const count = () =>
      bus.listTopics().includes('paced') ? bus.topic('paced').partition(0).logEndOffset : 0
    await waitUntil(() => count() === 1, { message: 'the first record, due at once' })
    for (let step = 1; step <= 24; step++) {
      await waitUntil(() => clock.pending > background, { message: 'the wait for the next record' })
      await clock.advance(100)
      // Record i is due at i × 100 ms: exactly one more per step, never early.
      await waitUntil(() => count() === step + 1, { message: `record ${step + 1} at ${step * 100} ms` })
    }
    const summary = await run
    expect(summary).toMatchObject({ records: 25, elapsedMs: 2400, aborted: false })
    expect(seen.at(-1)).toMatchObject({ records: 25, elapsedMs: 2400, done: true })
    expect(seen.at(-1)!.recordsPerSecond).toBeCloseTo(25 / 2.4, 6)
    expect(seen.filter((p) => !p.done).map((p) => p.records)).toEqual([11, 21])
  })

  it('pauses up to maxInterval before each record, and stops when its signal aborts', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const background = clock.pending // the bus's own timers (retention)
    const controller = new AbortController()
    const run = runDatagen(bus, {
      quickstart: 'stock_trades',
      topic: 'trades',
      seed: 5,
      maxInterval: 100,
      signal: controller.signal,
    })
    const count = () =>
      bus.listTopics().includes('trades') ? bus.topic('trades').partition(0).logEndOffset : 0
    for (let step = 1; step <= 5; step++) {
      await waitUntil(() => clock.pending > background, { message: 'the next pause' })
      await clock.advance(100)
      // Each pause is shorter than 100 ms: every 100 ms of clock brings at least one record.
      await waitUntil(() => count() >= step, { message: `${step} records after ${step * 100} ms` })
    }
    controller.abort()
    const summary = await run
    expect(summary.aborted).toBe(true)
    expect(summary.records).toBe(count())
    expect(clock.pending).toBe(background)
  })

  it('refuses a missing topic with createTopic: false, and bad pacing options', async () => {
    const bus = await openBus()
    await expect(
      runDatagen(bus, { quickstart: 'orders', topic: 'nope', createTopic: false }),
    ).rejects.toThrow(InvalidConfigError)
    await expect(runDatagen(bus, { quickstart: 'orders', topic: 'o', rate: 0 })).rejects.toThrow('rate')
    await expect(
      runDatagen(bus, { quickstart: 'orders', topic: 'o', rate: 5, maxInterval: 10 }),
    ).rejects.toThrow('either rate or maxInterval')
    expect(bus.listTopics()).toEqual([])
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidConfigError, string } from '../../src/index'
import { SessionWindows, SlidingWindows, Suppressed, TimeWindows, type Windowed } from '../../src/streams'
import { FakeClock } from '../support/fake-clock'
import { openApp, openTypedBus } from './helpers'

const MINUTE = 60_000
const topics = { views: { value: string() } } as const

async function windowedApp(applicationId: string) {
  const clock = new FakeClock()
  const bus = await openTypedBus({ topics, clock })
  const app = openApp(bus, { applicationId })
  const producer = bus.producer()
  /** Sends `key` at the clock's time plus `at` ms (the clock stays where it is). */
  const view = (key: string, at = 0) =>
    producer.send('views', { key, value: 'v', timestamp: clock.now() + at })
  return { clock, bus, app, view, producer }
}

const show = ([w, v]: readonly [Windowed<string>, unknown]) =>
  `${w.key}@${w.window.start}-${w.window.end}=${String(v)}`

describe('time windows', () => {
  it('are aligned to the epoch: hopping windows of 5000 ms every 3000 ms, as the guide shows', () => {
    const hopping = TimeWindows.ofSizeWithNoGrace(5000).advanceBy(3000)
    expect(hopping.windowStartsFor(0)).toEqual([0])
    expect(hopping.windowStartsFor(4000)).toEqual([0, 3000])
    expect(hopping.windowStartsFor(7000)).toEqual([3000, 6000])
    expect(TimeWindows.ofSizeWithNoGrace(5000).windowStartsFor(12_345)).toEqual([10_000])
    expect(hopping.windowStartsFor(-1)).toEqual([])
    expect(() => TimeWindows.ofSizeWithNoGrace(1000).advanceBy(2000)).toThrow(InvalidConfigError)
    expect(() => TimeWindows.ofSizeWithNoGrace(0)).toThrow(InvalidConfigError)
  })

  it('assign a timestamp to exactly the windows that contain it (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 13 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        (timestamp, size, advanceRaw) => {
          const advance = Math.min(size, advanceRaw)
          const starts = TimeWindows.ofSizeWithNoGrace(size).advanceBy(advance).windowStartsFor(timestamp)
          // Reference: every multiple of the advance whose window [s, s + size) holds the timestamp.
          const expected: number[] = []
          const first = Math.max(0, Math.floor((timestamp - size) / advance) * advance)
          for (let s = first; s <= timestamp; s += advance) if (s + size > timestamp) expected.push(s)
          expect(starts).toEqual(expected)
        },
      ),
    )
  })

  it('count per key per tumbling minute, queryable by window fetches', async () => {
    const { clock, app, view } = await windowedApp('tumbling')
    const perMinute = app
      .stream('views')
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(MINUTE))
      .count()
    const updates: string[] = []
    perMinute.toStream().foreach((w, count) => updates.push(show([w, count])))
    await app.start()
    const base = clock.now() - (clock.now() % MINUTE) // the minute the clock is in, from the epoch
    await view('a')
    await view('a')
    await view('b')
    await clock.advance(MINUTE)
    await view('a')
    await app.caughtUp()
    const [m0, m1] = [base, base + MINUTE]
    expect(updates).toEqual([
      `a@${m0}-${m1}=1`,
      `a@${m0}-${m1}=2`,
      `b@${m0}-${m1}=1`,
      `a@${m1}-${m1 + MINUTE}=1`,
    ])
    expect(perMinute.fetch('a').map(show)).toEqual([`a@${m0}-${m1}=2`, `a@${m1}-${m1 + MINUTE}=1`])
    expect(perMinute.fetch('a', m1, m1).map(show)).toEqual([`a@${m1}-${m1 + MINUTE}=1`])
    expect(perMinute.fetchAll().map(show)).toEqual([
      `a@${m0}-${m1}=2`,
      `a@${m1}-${m1 + MINUTE}=1`,
      `b@${m0}-${m1}=1`,
    ])
    expect(perMinute.get({ key: 'b', window: { start: m0, end: m1 } })).toBe(1)
  })

  it('accept late records within the grace period, drop and count later ones', async () => {
    const { clock, app, view } = await windowedApp('grace')
    const counts = app
      .stream('views')
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(MINUTE, 10_000))
      .count()
    const late: number[] = []
    app.on('lateRecord', ({ timestamp, streamTime }) => late.push(streamTime - timestamp))
    await app.start()
    const start = clock.now() - (clock.now() % MINUTE)
    await clock.advance(start + MINUTE + 5_000 - clock.now()) // 5 s past the first minute's end
    await view('k', -10_000) // belongs to the first minute, within its grace: counted
    await clock.advance(5_000) // stream time reaches end + grace: the first minute closes
    await view('k') // advances stream time
    await view('k', -70_000) // the first minute again: too late now
    await app.caughtUp()
    expect(counts.fetch('k').map(([w, n]) => [w.window.start - start, n])).toEqual([
      [0, 1],
      [MINUTE, 1],
    ])
    expect(late).toEqual([70_000])
    expect(app.metrics().droppedRecords).toBe(1)
  })

  it('suppress(untilWindowCloses) emits each window once, when stream time passes its end plus grace', async () => {
    const { clock, app, view } = await windowedApp('suppress')
    const final: string[] = []
    app
      .stream('views')
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(MINUTE, 30_000))
      .count()
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .foreach((w, count) => final.push(`${w.key}=${count}`))
    await app.start()
    const start = clock.now() - (clock.now() % MINUTE)
    await clock.advance(start - clock.now())
    await view('a')
    await view('a', 1_000)
    await view('b', 2_000)
    await app.caughtUp()
    await clock.advance(MINUTE + 29_000) // the end is passed, the grace is not: nothing yet
    await view('c')
    await app.caughtUp()
    expect(final).toEqual([])
    await clock.advance(1_000) // end + grace: the first minute closes on the next record
    await view('c')
    await app.caughtUp()
    expect(final).toEqual(['a=2', 'b=1'])
    await clock.advance(2 * MINUTE)
    await view('d')
    await app.caughtUp()
    expect(final).toEqual(['a=2', 'b=1', 'c=2'])
  })
})

describe('session windows', () => {
  it("merge the guide's example into its sessions (gap 5 minutes, out-of-order records)", async () => {
    const { clock, app, view } = await windowedApp('sessions')
    const sessions = app
      .stream('views')
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5 * MINUTE))
      .count()
    const updates: string[] = []
    sessions
      .toStream()
      .foreach((w, n) =>
        updates.push(`${w.key}[${(w.window.start - t0) / MINUTE},${(w.window.end - t0) / MINUTE}]=${n}`),
      )
    await app.start()
    const t0 = clock.now()
    const at = (minutes: number) => minutes * MINUTE
    // First three records: green at 0 and 6, blue at 2.
    await view('green', at(0))
    await view('green', at(6))
    await view('blue', at(2))
    await app.caughtUp()
    expect(
      sessions
        .fetchAll()
        .map(([w, n]) => `${w.key}:${(w.window.start - t0) / MINUTE}-${(w.window.end - t0) / MINUTE}=${n}`),
    ).toEqual(['blue:2-2=1', 'green:0-0=1', 'green:6-6=1'])
    // Then green at 4 (out of order) merges both green sessions; blue at 5 extends; blue at 11 is new.
    await view('green', at(4))
    await view('blue', at(5))
    await view('blue', at(11))
    await app.caughtUp()
    expect(
      sessions
        .fetchAll()
        .map(([w, n]) => `${w.key}:${(w.window.start - t0) / MINUTE}-${(w.window.end - t0) / MINUTE}=${n}`),
    ).toEqual(['blue:2-5=2', 'blue:11-11=1', 'green:0-6=3'])
    expect(sessions.fetch('green').map(([, n]) => n)).toEqual([3])
    // A merge announces the sessions it replaced with a null (a tombstone), as Kafka does.
    expect(updates).toEqual([
      'green[0,0]=1',
      'green[6,6]=1',
      'blue[2,2]=1',
      'green[0,0]=null',
      'green[6,6]=null',
      'green[0,6]=3',
      'blue[2,2]=null',
      'blue[2,5]=2',
      'blue[11,11]=1',
    ])
  })
})

describe('sliding windows', () => {
  it('aggregate every distinct set of records within the time difference exactly once (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 25 }),
        async (offsets) => {
          const { clock, app, producer } = await windowedApp(`sliding-${Math.random().toString(36).slice(2)}`)
          const d = 10
          const counts = app
            .stream('views')
            .groupByKey()
            .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(d, 1_000))
            .count()
          await app.start()
          const base = clock.now()
          await producer.send(
            'views',
            offsets.map((o) => ({ key: 'k', value: 'v', timestamp: base + o })),
          )
          await app.caughtUp()
          const windows = counts
            .fetch('k')
            .map(([w, n]) => [w.window.start - base, w.window.end - base, n] as const)
          // Every window holds exactly the records within its bounds (both inclusive)…
          for (const [start, end, n] of windows) {
            expect(end - start).toBe(d)
            expect(n).toBe(offsets.filter((o) => o >= start && o <= end).length)
          }
          // …each record has its left window [t - d, t]…
          for (const t of new Set(offsets))
            expect(windows.some(([s, e]) => s === t - d && e === t)).toBe(true)
          // …and no two windows hold the same records.
          const contents = windows.map(([s, e]) =>
            JSON.stringify([...new Set(offsets.filter((o) => o >= s && o <= e))].sort()),
          )
          expect(new Set(contents).size).toBe(contents.length)
          await app.close()
        },
      ),
      { numRuns: 15 },
    )
  })
})

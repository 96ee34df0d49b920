import { describe, expect, it } from 'vitest'
import { ClosedError, InvalidStateError, type LogRecord, TimeoutError } from '../../src/index'
import { openBus, uniqueName, waitUntil } from '../support/bus'
import { FakeClock } from '../support/fake-clock'
import { gate, turns } from '../support/helpers'

/** Tracks whether a promise has settled, and how, without awaiting it. */
function track(promise: Promise<void>): { settled: boolean; error: unknown } {
  const state: { settled: boolean; error: unknown } = { settled: false, error: undefined }
  promise.then(
    () => {
      state.settled = true
    },
    (error: unknown) => {
      state.settled = true
      state.error = error
    },
  )
  return state
}

/** Lets pending work run: enough turns of the event loop for a hook that should not resolve to have done so. */
describe('joined()', () => {
  it('resolves once the member has its assignment and the group settled, without awaiting run()', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 3 })
    const consumer = bus.consumer({ groupId, topics: [topic] })
    void consumer.run({ eachMessage: () => undefined })
    await consumer.joined()
    expect(consumer.assignment()).toHaveLength(3)
    expect(bus.group(groupId).describe().state).toBe('Stable')
  })

  it('waits for the second cooperative round, where run() already resolved after the first', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 4 })
    const options = { groupId, topics: [topic], assignor: 'cooperative-sticky' as const }
    await bus.consumer(options).run({ eachMessage: () => undefined })
    const second = bus.consumer(options)
    await second.run({ eachMessage: () => undefined })
    await second.joined()
    expect(second.assignment()).toHaveLength(2)
  })

  it('rejects before run(), with TimeoutError past timeoutMs on the bus clock, and on abort', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic)
    const stuck = gate()
    let inFlight = false
    const first = bus.consumer({ groupId, topics: [topic], fromBeginning: true })
    await first.run({
      eachMessage: async () => {
        inFlight = true
        await stuck.promise
        inFlight = false
      },
    })
    await bus.producer().send(topic, { value: 'slow' })
    await waitUntil(() => inFlight, { message: 'a handler in flight' })

    const second = bus.consumer({ groupId, topics: [topic] })
    await expect(second.joined()).rejects.toBeInstanceOf(InvalidStateError)
    await expect(second.caughtUp()).rejects.toBeInstanceOf(InvalidStateError)
    await expect(second.idle()).rejects.toBeInstanceOf(InvalidStateError)
    // The eager rebalance waits for the first member's handler: the second cannot join meanwhile.
    void second.run({ eachMessage: () => undefined })
    const timed = track(second.joined({ timeoutMs: 1_000 }))
    const controller = new AbortController()
    const aborted = track(second.joined({ signal: controller.signal }))
    await clock.advance(999)
    expect(timed.settled).toBe(false)
    await clock.advance(1)
    await waitUntil(() => timed.settled, { message: 'joined() to time out' })
    expect(timed.error).toBeInstanceOf(TimeoutError)
    expect(aborted.settled).toBe(false)
    const reason = new Error('no longer needed')
    controller.abort(reason)
    await waitUntil(() => aborted.settled, { message: 'joined() to abort' })
    expect(aborted.error).toBe(reason)

    stuck.open()
    await second.joined({ timeoutMs: 1_000 })
    expect(second.assignment().length + first.assignment().length).toBe(1)
  })
})

describe('caughtUp()', () => {
  it('resolves once every assigned partition is processed up to the log end seen at the call', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic, { partitions: 3 })
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
    const seen: LogRecord[] = []
    await consumer.run({
      eachMessage: async (r) => {
        // Asynchronous handlers: the hook must wait for them, not for the fetch.
        await new Promise<void>((resolve) => setImmediate(resolve))
        seen.push(r)
      },
    })
    await bus.producer().send(
      topic,
      Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
    )
    await consumer.caughtUp()
    expect(seen).toHaveLength(30)
  })

  it('waits for the log end seen at the call, not for records that arrive later', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
    const slow = gate()
    const stuck = gate()
    let inFlight = ''
    const seen: string[] = []
    await consumer.run({
      eachMessage: async (r) => {
        const value = r.value!.toString()
        inFlight = value
        if (value === 'b') await slow.promise
        if (value === 'late') await stuck.promise
        seen.push(value)
      },
    })
    const producer = bus.producer()
    await producer.send(topic, [{ value: 'a' }, { value: 'b' }])
    await waitUntil(() => inFlight === 'b', { message: "the handler on 'b'" })
    // Called while 'b' is still being handled; then more records arrive.
    const caughtUp = track(consumer.caughtUp({ timeoutMs: 5_000 }))
    await producer.send(topic, [{ value: 'late' }, { value: 'later' }])
    await turns()
    expect(caughtUp.settled).toBe(false)
    slow.open()
    await waitUntil(() => caughtUp.settled, { message: 'caughtUp() once b is done' })
    expect(caughtUp.error).toBeUndefined()
    expect(seen).toEqual(['a', 'b'])

    // idle() is stricter: nothing in flight and nothing left up to the current log end.
    const idle = track(consumer.idle())
    await turns()
    expect(idle.settled).toBe(false)
    stuck.open()
    await waitUntil(() => idle.settled, { message: 'idle() after the release' })
    expect(idle.error).toBeUndefined()
    expect(seen).toEqual(['a', 'b', 'late', 'later'])
  })

  it('leaves paused partitions out, and waits for them again once resumed', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic, { partitions: 2 })
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
    const seen: LogRecord[] = []
    await consumer.run({ eachMessage: (r) => void seen.push(r) })
    consumer.pause([{ topic, partition: 1 }])
    await bus.producer().send(topic, [
      { value: 'a', partition: 0 },
      { value: 'b', partition: 1 },
    ])
    await consumer.caughtUp({ timeoutMs: 5_000 })
    expect(seen.map((r) => r.partition)).toEqual([0])
    consumer.resume([{ topic, partition: 1 }])
    await consumer.caughtUp({ timeoutMs: 5_000 })
    expect(seen.map((r) => r.partition)).toEqual([0, 1])
  })

  it('works with eachBatch', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic, { partitions: 2 })
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
    let count = 0
    await consumer.run({
      eachBatch: async ({ records }) => {
        await new Promise<void>((resolve) => setImmediate(resolve))
        count += records.length
      },
    })
    await bus.producer().send(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ value: String(i), partition: i % 2 })),
    )
    await consumer.caughtUp({ timeoutMs: 5_000 })
    expect(count).toBe(10)
  })

  it('waits out a rebalance and covers the partitions it brings', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    await bus.producer().send(topic, [
      { value: 'a', partition: 0 },
      { value: 'b', partition: 1 },
    ])
    const leaving = bus.consumer({ groupId, topics: [topic], clientId: 'a', autoCommit: false })
    await leaving.run({ eachMessage: () => undefined })
    const staying = bus.consumer({ groupId, topics: [topic], clientId: 'b', fromBeginning: true })
    const seen: LogRecord[] = []
    await staying.run({ eachMessage: (r) => void seen.push(r) })
    await bus.group(groupId).settled()
    expect(staying.assignment()).toEqual([{ topic, partition: 1 }])
    await staying.caughtUp({ timeoutMs: 5_000 })
    await leaving.close()
    await staying.caughtUp({ timeoutMs: 5_000 })
    expect(staying.assignment()).toHaveLength(2)
    expect(seen.map((r) => `${r.partition}@${r.offset}`).sort()).toEqual(['0@0', '1@0'])
  })
})

describe('idle()', () => {
  it('times out on the bus clock while a handler runs, and clears its timer when it resolves', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const topic = uniqueName()
    await bus.createTopic(topic)
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
    const stuck = gate()
    let inFlight = false
    await consumer.run({
      eachMessage: async () => {
        inFlight = true
        await stuck.promise
        inFlight = false
      },
    })
    await consumer.idle({ timeoutMs: 1_000 })
    await bus.producer().send(topic, { value: 'x' })
    await waitUntil(() => inFlight, { message: 'the handler in flight' })
    const idle = track(consumer.idle({ timeoutMs: 1_000 }))
    await clock.advance(1_000)
    await waitUntil(() => idle.settled, { message: 'idle() to time out' })
    expect(idle.error).toBeInstanceOf(TimeoutError)

    stuck.open()
    const pending = clock.pending
    await consumer.idle({ timeoutMs: 1_000 })
    expect(clock.pending).toBe(pending)
  })

  it('waits for a handler in flight even when its records are already resolved', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
    const stuck = gate()
    let inFlight = false
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ records, resolveOffset }) => {
        resolveOffset(records[records.length - 1]!.offset)
        inFlight = true
        await stuck.promise
        inFlight = false
      },
    })
    await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }])
    await waitUntil(() => inFlight, { message: 'the batch handler in flight' })
    expect(consumer.position({ topic, partition: 0 })).toBe(2)
    const idle = track(consumer.idle())
    await turns()
    expect(idle.settled).toBe(false)
    stuck.open()
    await waitUntil(() => idle.settled, { message: 'idle() after the release' })
    expect(idle.error).toBeUndefined()
    expect(inFlight).toBe(false)
  })

  it('rejects with ClosedError when the consumer closes first', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
    const stuck = gate()
    let inFlight = false
    await consumer.run({
      eachMessage: async () => {
        inFlight = true
        await stuck.promise
      },
    })
    await bus.producer().send(topic, { value: 'x' })
    await waitUntil(() => inFlight, { message: 'the handler in flight' })
    const idle = track(consumer.idle())
    const caughtUp = track(consumer.caughtUp())
    const closing = consumer.close()
    await waitUntil(() => idle.settled && caughtUp.settled, { message: 'the hooks to reject on close' })
    expect(idle.error).toBeInstanceOf(ClosedError)
    expect(caughtUp.error).toBeInstanceOf(ClosedError)
    stuck.open()
    await closing
  })
})

describe('onRevoke during close()', () => {
  it('may commit, as a Kafka consumer commits from onPartitionsRevoked while it closes', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 1 })
    const producer = bus.producer()
    await producer.send(topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
    let commitError: unknown = 'not called'
    const consumer = bus.consumer({
      groupId,
      topics: [topic],
      fromBeginning: true,
      autoCommit: false,
      onRevoke: async () => {
        commitError = await consumer.commit().then(
          () => undefined,
          (error: unknown) => error,
        )
      },
    })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.caughtUp()
    await consumer.close()
    expect(commitError).toBeUndefined()
    expect(await bus.group(groupId).lag()).toEqual([
      expect.objectContaining({ topic, partition: 0, committedOffset: 3, lag: 0 }),
    ])
    await expect(consumer.commit()).rejects.toBeInstanceOf(ClosedError)
  })
})

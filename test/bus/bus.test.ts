import { describe, expect, it } from 'vitest'
import {
  Bus,
  type BusEvents,
  ClosedError,
  InvalidConfigError,
  LogbusError,
  MemoryStorage,
  type Storage,
  UnknownTopicError,
} from '../../src/index'
import { openBus, uniqueName } from '../support/bus'
import { FakeClock } from '../support/fake-clock'

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

describe('Bus.open', () => {
  it('opens over memory by default, with no topics', async () => {
    const bus = await openBus()
    expect(bus).toBeInstanceOf(Bus)
    expect(bus.listTopics()).toEqual([])
  })

  it('opens over a given storage and clock', async () => {
    const storage = new MemoryStorage()
    const clock = new FakeClock(5_000)
    const bus = await openBus({ storage, clock })
    const topic = uniqueName('open')
    await bus.createTopic(topic)
    const meta = await bus.producer().send(topic, { value: 'v' })
    expect(meta.timestamp).toBe(5_000)
  })

  it('rejects a storage that does not implement Storage, naming the field', async () => {
    const error = await rejection(Bus.open({ storage: {} as unknown as Storage }))
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).field).toBe('bus.storage')
    expect((error as InvalidConfigError).code).toBe('INVALID_CONFIG')
  })

  it('rejects a clock without timers, naming the field', async () => {
    const error = await rejection(Bus.open({ clock: { now: () => 0 } as unknown as FakeClock }))
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).field).toBe('bus.clock')
  })

  it('rejects an unknown option, naming it', async () => {
    const error = await rejection(Bus.open({ dirr: '/tmp/x' } as unknown as { storage?: Storage }))
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).message).toContain('dirr')
  })
})

describe('Bus.close', () => {
  it('is idempotent: every call resolves and the close event fires once', async () => {
    const bus = await Bus.open()
    let closes = 0
    bus.on('close', () => closes++)
    const first = bus.close()
    const second = bus.close()
    await Promise.all([first, second])
    await bus.close()
    expect(closes).toBe(1)
  })

  it('is what Symbol.asyncDispose does, so `await using` closes the bus', async () => {
    let closes = 0
    let escaped: Bus | undefined
    {
      await using bus = await Bus.open()
      escaped = bus
      bus.on('close', () => closes++)
      await bus.createTopic(uniqueName('dispose'))
    }
    expect(closes).toBe(1)
    await expect(escaped.createTopic(uniqueName('after'))).rejects.toBeInstanceOf(ClosedError)
  })

  it('rejects admin calls and refuses new clients once closed', async () => {
    const bus = await Bus.open()
    const topic = uniqueName('closed')
    await bus.createTopic(topic)
    await bus.close()

    const create = await rejection(bus.createTopic(uniqueName('closed')))
    expect(create).toBeInstanceOf(ClosedError)
    expect(create).toBeInstanceOf(LogbusError)
    expect((create as ClosedError).code).toBe('CLOSED')
    expect((create as ClosedError).retriable).toBe(false)
    await expect(bus.createPartitions(topic, 4)).rejects.toBeInstanceOf(ClosedError)
    await expect(bus.deleteTopic(topic)).rejects.toBeInstanceOf(ClosedError)
    expect(thrown(() => bus.producer())).toBeInstanceOf(ClosedError)
    expect(thrown(() => bus.consumer({ groupId: uniqueName('g'), topics: [topic] }))).toBeInstanceOf(
      ClosedError,
    )
  })

  it('closes its producers, flushing what they accepted first', async () => {
    const clock = new FakeClock()
    const bus = await Bus.open({ clock })
    const topic = uniqueName('flush-on-close')
    await bus.createTopic(topic)
    const producer = bus.producer({ lingerMs: 60_000 })
    const sent = producer.send(topic, [{ value: 'a' }, { value: 'b' }])
    // Nothing is appended while the batch lingers on the fake clock.
    await clock.advance(1)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(0)

    await bus.close()
    const metas = await sent
    expect(metas.map((m) => m.offset)).toEqual([0, 1])
    await expect(producer.send(topic, { value: 'late' })).rejects.toBeInstanceOf(ClosedError)
    expect(clock.pending).toBe(0)
  })

  it('waits for an admin operation in progress before closing', async () => {
    const storage = new MemoryStorage()
    const bus = await Bus.open({ storage })
    const topic = uniqueName('admin-then-close')
    const created = bus.createTopic(topic, { partitions: 3 })
    const closed = bus.close()
    await expect(created).resolves.toMatchObject({ name: topic, partitionCount: 3 })
    await closed
    // The topic was fully created and saved before the storage closed.
    const reopened = await openBus({ storage })
    expect(reopened.listTopics()).toEqual([topic])
    expect(reopened.topic(topic).partitionCount).toBe(3)
  })
})

describe('Bus events', () => {
  it('emits topicCreated, partitionsCreated and topicDeleted with their payloads', async () => {
    const bus = await openBus()
    const seen: Array<{ event: keyof BusEvents; payload: unknown }> = []
    bus.on('topicCreated', (payload) => seen.push({ event: 'topicCreated', payload }))
    bus.on('partitionsCreated', (payload) => seen.push({ event: 'partitionsCreated', payload }))
    bus.on('topicDeleted', (payload) => seen.push({ event: 'topicDeleted', payload }))
    const topic = uniqueName('events')

    await bus.createTopic(topic, { partitions: 2 })
    await bus.createPartitions(topic, 5)
    await bus.deleteTopic(topic)

    expect(seen).toEqual([
      { event: 'topicCreated', payload: { topic, partitions: 2 } },
      { event: 'partitionsCreated', payload: { topic, partitions: 5 } },
      { event: 'topicDeleted', payload: { topic } },
    ])
  })

  it('emits topicCreated only when a topic is really created', async () => {
    const bus = await openBus()
    const topic = uniqueName('events-once')
    const created: string[] = []
    bus.on('topicCreated', ({ topic: name }) => created.push(name))
    await bus.createTopic(topic)
    await bus.createTopic(topic, { ifNotExists: true })
    await expect(bus.createTopic(topic)).rejects.toThrow()
    await expect(bus.createTopic('bad/name')).rejects.toThrow()
    expect(created).toEqual([topic])
  })

  it('emits no event for a failed admin call', async () => {
    const bus = await openBus()
    const topic = uniqueName('events-fail')
    await bus.createTopic(topic, { partitions: 2 })
    let events = 0
    bus.on('partitionsCreated', () => events++)
    bus.on('topicDeleted', () => events++)
    await expect(bus.createPartitions(topic, 2)).rejects.toThrow()
    await expect(bus.deleteTopic(uniqueName('missing'))).rejects.toBeInstanceOf(UnknownTopicError)
    expect(events).toBe(0)
  })

  it('on() returns an unsubscribe function', async () => {
    const bus = await openBus()
    const names: string[] = []
    const off = bus.on('topicCreated', ({ topic }) => names.push(topic))
    const first = uniqueName('sub')
    const second = uniqueName('sub')
    await bus.createTopic(first)
    off()
    await bus.createTopic(second)
    expect(names).toEqual([first])
  })

  it('once() fires a single time and waitFor() resolves with the next payload', async () => {
    const bus = await openBus()
    const names: string[] = []
    bus.once('topicCreated', ({ topic }) => names.push(topic))
    const first = uniqueName('once')
    const next = bus.waitFor('topicCreated')
    await bus.createTopic(first)
    await bus.createTopic(uniqueName('once'))
    expect(names).toEqual([first])
    await expect(next).resolves.toEqual({ topic: first, partitions: 1 })
  })

  it('waitFor() rejects with the abort reason when its signal aborts first', async () => {
    const bus = await openBus()
    const controller = new AbortController()
    const waiting = bus.waitFor('topicDeleted', controller.signal)
    const reason = new Error('gave up')
    controller.abort(reason)
    await expect(waiting).rejects.toBe(reason)
  })

  it('emits close once, when the bus has closed', async () => {
    const bus = await Bus.open()
    const events: string[] = []
    bus.on('close', () => events.push('close'))
    await bus.close()
    await bus.close()
    expect(events).toEqual(['close'])
  })
})

describe('regressions from review', () => {
  it('deleting a topic after a reopen removes the offsets of groups not touched since the reopen', async () => {
    const storage = new MemoryStorage()
    const topic = uniqueName('t')
    const groupId = uniqueName('g')
    const first = await Bus.open({ storage })
    await first.createTopic(topic)
    await first.producer().send(topic, [{ value: '0' }, { value: '1' }])
    const consumer = first.consumer({ groupId, topics: [topic], fromBeginning: true, autoCommit: false })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.commit([{ topic, partition: 0, offset: 2 }])
    await first.close()

    const bus = await openBus({ storage })
    expect(bus.listGroups()).toContain(groupId)
    await bus.deleteTopic(topic)
    await bus.createTopic(topic)
    expect(bus.group(groupId).committedOffset(topic, 0)).toBeUndefined()
    expect(bus.listGroups()).not.toContain(groupId)
  })

  it('close lets a handler that produces finish: consumers close before producers', async () => {
    const bus = await Bus.open()
    const input = uniqueName('in')
    const output = uniqueName('out')
    await bus.createTopic(input)
    await bus.createTopic(output)
    const producer = bus.producer()
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [input], fromBeginning: true })
    let entered: () => void = () => {}
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve
    })
    let proceed: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      proceed = resolve
    })
    const results: string[] = []
    await consumer.run({
      eachMessage: async (record) => {
        entered()
        await gate
        try {
          await producer.send(output, { value: record.value })
          results.push('sent')
        } catch (error) {
          results.push((error as Error).name)
        }
      },
    })
    await producer.send(input, { value: 'job' })
    await inHandler
    const closing = bus.close()
    proceed()
    await closing
    expect(results).toEqual(['sent'])
  })
})

import fc from 'fast-check'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  BufferExhaustedError,
  Bus,
  ClosedError,
  InvalidConfigError,
  InvalidRecordError,
  type LogRecord,
  MemoryStorage,
  type Message,
  type PartitionerInput,
  type PartitionLog,
  type Producer,
  type ProducerEvents,
  type ProducerOptions,
  type RecordMetadata,
  RecordTooLargeError,
  type TopicConfig,
  UnknownTopicError,
} from '../../src/index'
import murmur from '../fixtures/murmur2.json'
import { openBus, uniqueName, waitUntil } from '../support/bus'
import { FakeClock } from '../support/fake-clock'

// ---------------------------------------------------------------------------------------------------
// Helpers

type BatchEvent = ProducerEvents['batch']

const vectors: [string, number][] = Object.entries(murmur.murmur2)
const kafkaPartition = (hash: number, partitions: number): number => (hash & 0x7fffffff) % partitions

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

/** Lets pending promise callbacks and immediates run, to show that something did NOT happen. */
async function turns(count = 5): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Observes a promise's outcome without ever leaving a rejection unhandled. */
interface Tracked<T> {
  readonly settled: boolean
  readonly value: T | undefined
  readonly error: unknown
  readonly done: Promise<void>
}

function track<T>(promise: Promise<T>): Tracked<T> {
  const state: { settled: boolean; value: T | undefined; error: unknown; done: Promise<void> } = {
    settled: false,
    value: undefined,
    error: undefined,
    done: Promise.resolve(),
  }
  state.done = promise.then(
    (value) => {
      state.settled = true
      state.value = value
    },
    (error: unknown) => {
      state.settled = true
      state.error = error
    },
  )
  return state
}

async function allRecords(bus: Bus, topic: string): Promise<LogRecord[]> {
  const out: LogRecord[] = []
  for (const partition of bus.topic(topic).partitions) out.push(...(await partition.read(0, 1 << 30)))
  return out
}

function endOffsets(bus: Bus, topic: string): number[] {
  return bus.topic(topic).partitions.map((p) => p.logEndOffset)
}

function recordBatches(producer: Producer): BatchEvent[] {
  const batches: BatchEvent[] = []
  producer.on('batch', (batch) => batches.push(batch))
  return batches
}

/** Appends park until the gate opens; while open they resolve (asynchronously). */
class Gate {
  #open = true
  #waiters: Array<() => void> = []

  close(): void {
    this.#open = false
  }

  open(): void {
    this.#open = true
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  /** Lets the appends waiting now through, but stays closed for later ones. */
  release(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  wait(): Promise<void> {
    if (this.#open) return Promise.resolve()
    return new Promise<void>((resolve) => this.#waiters.push(resolve))
  }
}

/**
 * MemoryStorage whose appends resolve only when the gate lets them: offsets are still assigned at the
 * call (as the Storage contract requires), but the append is not acknowledged until the gate opens.
 */
class GatedStorage extends MemoryStorage {
  readonly gate = new Gate()
  /** Record counts of every append call, in call order. */
  readonly appends: number[] = []
  onAppend: (() => void) | undefined

  override async openLog(topic: string, partition: number, config: TopicConfig): Promise<PartitionLog> {
    const log = await super.openLog(topic, partition, config)
    const append: PartitionLog['append'] = (batch) => {
      this.appends.push(batch.count)
      this.onAppend?.()
      const base = log.append(batch)
      return this.gate.wait().then(() => base)
    }
    // Everything else goes to the memory log as it is.
    return new Proxy(log, {
      get(target, property) {
        if (property === 'append') return append
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }

  get appendedRecords(): number {
    return this.appends.reduce((a, b) => a + b, 0)
  }
}

/** 1000 bytes of value: with a per-record overhead under 250 bytes, two fit in 2500 bytes, three do not. */
const kilo = (fill: number): Message => ({ value: Buffer.alloc(1000, fill) })

// ---------------------------------------------------------------------------------------------------

describe('send', () => {
  it('resolves a single message to its metadata', async () => {
    const clock = new FakeClock(1_700_000_000_000)
    const bus = await openBus({ clock })
    const topic = uniqueName('single')
    await bus.createTopic(topic)
    const meta = await bus.producer().send(topic, { value: 'hello' })
    expect(meta).toEqual({ topic, partition: 0, offset: 0, timestamp: 1_700_000_000_000 })
    const [record] = await bus.topic(topic).partition(0).read(0)
    expect(record).toMatchObject({ topic, partition: 0, offset: 0, timestamp: 1_700_000_000_000 })
    expect(record?.key).toBeNull()
    expect(record?.value).toEqual(Buffer.from('hello'))
  })

  it('resolves an array to an array of metadata in the same order as the messages', async () => {
    const bus = await openBus()
    const topic = uniqueName('array')
    await bus.createTopic(topic, { partitions: 4 })
    const messages: Message[] = vectors.slice(0, 12).map(([key], i) => ({ key, value: `v${i}` }))
    messages.splice(3, 0, { value: 'explicit', partition: 2 })
    const metas = await bus.producer().send(topic, messages)
    expect(metas).toHaveLength(messages.length)
    for (const [i, meta] of metas.entries()) {
      expect(meta.topic).toBe(topic)
      const [stored] = await bus.topic(topic).partition(meta.partition).read(meta.offset, 1)
      expect(stored?.offset).toBe(meta.offset)
      expect(stored?.value?.toString(), `message ${i}`).toBe(messages[i]?.value)
    }
  })

  it('settles the sends of one partition in send order, single and array sends mixed, as Kafka runs callbacks', async () => {
    const bus = await openBus()
    const topic = uniqueName('callback-order')
    await bus.createTopic(topic)
    const producer = bus.producer()
    const settled: string[] = []
    const sends = [
      producer.send(topic, { value: 'a' }).then(() => settled.push('a')),
      producer.send(topic, [{ value: 'b1' }, { value: 'b2' }]).then(() => settled.push('b')),
      producer.send(topic, { value: 'c' }).then(() => settled.push('c')),
      producer.flush().then(() => settled.push('flush')),
      producer.send(topic, { value: 'd' }).then(() => settled.push('d')),
    ]
    await Promise.all(sends)
    expect(settled).toEqual(['a', 'b', 'c', 'flush', 'd'])
  })

  it('resolves an empty array to an empty array and writes nothing', async () => {
    const bus = await openBus()
    const topic = uniqueName('empty-array')
    await bus.createTopic(topic)
    const producer = bus.producer()
    const batches = recordBatches(producer)
    expect(await producer.send(topic, [])).toEqual([])
    await producer.flush()
    expect(endOffsets(bus, topic)).toEqual([0])
    expect(batches).toEqual([])
  })

  it('accepts the Topic object as well as its name', async () => {
    const bus = await openBus()
    const name = uniqueName('by-object')
    const topic = await bus.createTopic(name)
    const meta = await bus.producer().send(topic, { value: 'x' })
    expect(meta).toMatchObject({ topic: name, partition: 0, offset: 0 })
  })

  it('rejects a send to an unknown topic with UnknownTopicError', async () => {
    const bus = await openBus()
    const name = uniqueName('unknown')
    const error = await rejection(bus.producer().send(name, { value: 'x' }))
    expect(error).toBeInstanceOf(UnknownTopicError)
    expect((error as UnknownTopicError).topic).toBe(name)
    expect((error as UnknownTopicError).retriable).toBe(true)
  })

  it('stores string and Buffer keys and values as Buffers; null and missing keys as null', async () => {
    const bus = await openBus()
    const topic = uniqueName('types')
    await bus.createTopic(topic)
    await bus
      .producer()
      .send(topic, [
        { key: 'k', value: 'v' },
        { key: Buffer.from([0, 255]), value: Buffer.from([1, 2, 3]) },
        { key: null, value: '' },
        { value: null },
      ])
    const records = await bus.topic(topic).partition(0).read(0)
    expect(records.map((r) => [r.key, r.value])).toEqual([
      [Buffer.from('k'), Buffer.from('v')],
      [Buffer.from([0, 255]), Buffer.from([1, 2, 3])],
      [null, Buffer.alloc(0)],
      [null, null],
    ])
    for (const record of records.slice(0, 3)) expect(Buffer.isBuffer(record.value)).toBe(true)
  })

  it('stores a multi-byte string as its UTF-8 bytes', async () => {
    const bus = await openBus()
    const topic = uniqueName('utf8')
    await bus.createTopic(topic)
    await bus.producer().send(topic, { key: '\u00e9', value: '\u{1f600}' })
    const [record] = await bus.topic(topic).partition(0).read(0)
    expect(record?.key).toEqual(Buffer.from([0xc3, 0xa9]))
    expect(record?.value).toEqual(Buffer.from([0xf0, 0x9f, 0x98, 0x80]))
  })

  it('takes a Buffer by reference: it belongs to the bus after send, as a chunk given to stream.write', async () => {
    const bus = await openBus()
    const topic = uniqueName('owned')
    await bus.createTopic(topic)
    const key = Buffer.from('k')
    const value = Buffer.from('first')
    await bus.producer().send(topic, { key, value })
    const [record] = await bus.topic(topic).partition(0).read(0)
    // Nothing copied: the very Buffers sent are what readers get (so the caller must not reuse them).
    expect(record?.value).toBe(value)
    expect(record?.key).toBe(key)
  })

  it('converts a string key or value to bytes once, at send: every reader gets the same Buffer', async () => {
    const bus = await openBus()
    const topic = uniqueName('once')
    await bus.createTopic(topic)
    await bus.producer().send(topic, { key: 'k', value: 'v' })
    const [first] = await bus.topic(topic).partition(0).read(0)
    const [second] = await bus.topic(topic).partition(0).read(0)
    expect(first?.value).toEqual(Buffer.from('v'))
    expect(first?.value).toBe(second?.value)
    expect(first?.key).toBe(second?.key)
  })
})

describe('headers', () => {
  it('round-trip string, Buffer and repeated values as Buffers', async () => {
    const bus = await openBus()
    const topic = uniqueName('headers')
    await bus.createTopic(topic)
    await bus.producer().send(topic, {
      value: 'v',
      headers: {
        'trace-id': 'abc',
        bin: Buffer.from([0, 1, 255]),
        tags: ['one', Buffer.from('two'), 'three'],
        skipped: undefined,
      },
    })
    const [record] = await bus.topic(topic).partition(0).read(0)
    expect(record?.headers).toEqual({
      'trace-id': Buffer.from('abc'),
      bin: Buffer.from([0, 1, 255]),
      tags: [Buffer.from('one'), Buffer.from('two'), Buffer.from('three')],
    })
    expect(Buffer.isBuffer(record?.headers['trace-id'])).toBe(true)
    expect(Object.keys(record?.headers ?? {})).toEqual(['trace-id', 'bin', 'tags'])
  })

  it('a record without headers has an empty header map', async () => {
    const bus = await openBus()
    const topic = uniqueName('no-headers')
    await bus.createTopic(topic)
    await bus.producer().send(topic, [{ value: 'a' }, { value: 'b', headers: {} }])
    const records = await bus.topic(topic).partition(0).read(0)
    expect(records.map((r) => r.headers)).toEqual([{}, {}])
  })
})

describe('partition and timestamp', () => {
  it('an explicit partition wins over the key', async () => {
    const bus = await openBus()
    const topic = uniqueName('explicit')
    await bus.createTopic(topic, { partitions: 4 })
    // "abc" hashes to partition 3 of 4 in Kafka.
    const [hash] = [murmur.murmur2.abc]
    expect(kafkaPartition(hash, 4)).toBe(3)
    const metas = await bus.producer().send(topic, [
      { key: 'abc', value: 'a', partition: 0 },
      { key: 'abc', value: 'b', partition: 1 },
      { key: 'abc', value: 'c' },
    ])
    expect(metas.map((m) => m.partition)).toEqual([0, 1, 3])
  })

  it('keeps an explicit timestamp, including 0', async () => {
    const clock = new FakeClock(50_000)
    const bus = await openBus({ clock })
    const topic = uniqueName('ts')
    await bus.createTopic(topic)
    const metas = await bus
      .producer()
      .send(topic, [{ value: 'a', timestamp: 1234 }, { value: 'b', timestamp: 0 }, { value: 'c' }])
    expect(metas.map((m) => m.timestamp)).toEqual([1234, 0, 50_000])
    const records = await bus.topic(topic).partition(0).read(0)
    expect(records.map((r) => r.timestamp)).toEqual([1234, 0, 50_000])
  })

  it('defaults the timestamp to the clock time of the send call', async () => {
    const clock = new FakeClock(1_000_000)
    const bus = await openBus({ clock })
    const topic = uniqueName('ts-default')
    await bus.createTopic(topic)
    const producer = bus.producer()
    expect((await producer.send(topic, { value: 'a' })).timestamp).toBe(1_000_000)
    await clock.advance(5_000)
    const metas = await producer.send(topic, [{ value: 'b' }, { value: 'c' }])
    expect(metas.map((m) => m.timestamp)).toEqual([1_005_000, 1_005_000])
  })

  it('with lingerMs, the timestamp is the send time, not the time the batch is appended', async () => {
    const clock = new FakeClock(2_000_000)
    const bus = await openBus({ clock })
    const topic = uniqueName('ts-linger')
    await bus.createTopic(topic)
    const sent = bus.producer({ lingerMs: 100 }).send(topic, { value: 'a' })
    await clock.advance(100)
    expect((await sent).timestamp).toBe(2_000_000)
  })
})

describe('default partitioner', () => {
  it.each([1, 2, 3, 7, 12])('puts keyed records where Kafka does, with %i partitions', async (n) => {
    const bus = await openBus()
    const topic = uniqueName('murmur')
    await bus.createTopic(topic, { partitions: n })
    const producer = bus.producer()
    const metas = await producer.send(
      topic,
      vectors.map(([key]) => ({ key, value: key })),
    )
    expect(metas.map((m) => m.partition)).toEqual(vectors.map(([, hash]) => kafkaPartition(hash, n)))
    // Single sends and Buffer keys of the same bytes go to the same place.
    for (const [key, hash] of vectors) {
      const meta = await producer.send(topic, { key: Buffer.from(key, 'utf8'), value: 'again' })
      expect(meta.partition, key).toBe(kafkaPartition(hash, n))
    }
  })

  it('hashes an empty key (it is a key, as in Kafka), so it always lands on one partition', async () => {
    const bus = await openBus()
    const topic = uniqueName('empty-key')
    await bus.createTopic(topic, { partitions: 5 })
    const metas = await bus.producer().send(
      topic,
      Array.from({ length: 10 }, () => ({ key: '', value: 'x' })),
    )
    expect(new Set(metas.map((m) => m.partition)).size).toBe(1)
  })

  it('sends keyless records round-robin, with a counter per topic', async () => {
    const bus = await openBus()
    const a = uniqueName('rr-a')
    const b = uniqueName('rr-b')
    await bus.createTopic(a, { partitions: 3 })
    await bus.createTopic(b, { partitions: 2 })
    const producer = bus.producer()
    const seenA: number[] = []
    const seenB: number[] = []
    for (let i = 0; i < 6; i++) {
      seenA.push((await producer.send(a, { value: `a${i}` })).partition)
      if (i % 2 === 0) seenB.push((await producer.send(b, { key: null, value: `b${i}` })).partition)
    }
    const arrayA = await producer.send(a, [{ value: 'x' }, { value: 'y' }, { value: 'z' }])
    seenA.push(...arrayA.map((m) => m.partition))

    const startA = seenA[0] ?? -1
    expect(seenA).toEqual(seenA.map((_, i) => (startA + i) % 3))
    const startB = seenB[0] ?? -1
    expect(seenB).toEqual(seenB.map((_, i) => (startB + i) % 2))
    // B's sends did not move A's counter: A went round evenly.
    expect(endOffsets(bus, a)).toEqual([3, 3, 3])
  })

  it('keyless and keyed records interleaved: the keyed ones do not move the round-robin counter', async () => {
    const bus = await openBus()
    const topic = uniqueName('rr-mixed')
    await bus.createTopic(topic, { partitions: 4 })
    const metas = await bus
      .producer()
      .send(topic, [
        { value: '0' },
        { key: 'abc', value: 'k' },
        { value: '1' },
        { key: 'abc', value: 'k' },
        { value: '2' },
        { value: '3' },
      ])
    const keyless = [0, 2, 4, 5].map((i) => metas[i]?.partition ?? -1)
    const start = keyless[0] ?? -1
    expect(keyless).toEqual([0, 1, 2, 3].map((i) => (start + i) % 4))
    expect([metas[1]?.partition, metas[3]?.partition]).toEqual([3, 3])
  })
})

describe('other partitioners', () => {
  it("'round-robin' spreads keyed records too", async () => {
    const bus = await openBus()
    const topic = uniqueName('rr-option')
    await bus.createTopic(topic, { partitions: 3 })
    const metas = await bus.producer({ partitioner: 'round-robin' }).send(
      topic,
      Array.from({ length: 6 }, () => ({ key: 'same', value: 'v' })),
    )
    const start = metas[0]?.partition ?? -1
    expect(metas.map((m) => m.partition)).toEqual([0, 1, 2, 3, 4, 5].map((i) => (start + i) % 3))
  })

  it('a custom partitioner function chooses the partition from what it is given', async () => {
    const bus = await openBus()
    const topic = uniqueName('custom')
    await bus.createTopic(topic, { partitions: 3 })
    const inputs: PartitionerInput[] = []
    const producer = bus.producer({
      partitioner: (input) => {
        inputs.push(input)
        return input.value?.toString() === 'eu' ? 2 : 0
      },
    })
    const metas = await producer.send(topic, [
      { key: 'k', value: 'eu' },
      { value: 'us' },
      { value: 'eu', partition: 1 },
    ])
    expect(metas.map((m) => m.partition)).toEqual([2, 0, 1])
    // The explicit partition never reached the partitioner.
    expect(inputs).toEqual([
      { topic, partitionCount: 3, key: Buffer.from('k'), value: Buffer.from('eu') },
      { topic, partitionCount: 3, key: null, value: Buffer.from('us') },
    ])
  })

  it.each([
    ['past the last partition', 3],
    ['negative', -1],
    ['fractional', 0.5],
    ['NaN', Number.NaN],
    ['not a number', '1' as unknown as number],
  ])(
    'rejects a partitioner result that is %s with InvalidRecordError, writing nothing',
    async (_l, result) => {
      const bus = await openBus()
      const topic = uniqueName('custom-bad')
      await bus.createTopic(topic, { partitions: 3 })
      const producer = bus.producer({
        partitioner: ({ value }) => (value?.toString() === 'bad' ? result : 0),
      })
      const error = await rejection(
        producer.send(topic, [{ value: 'ok' }, { value: 'bad' }, { value: 'ok' }]),
      )
      expect(error).toBeInstanceOf(InvalidRecordError)
      expect((error as InvalidRecordError).message).toContain(topic)
      await producer.flush()
      expect(endOffsets(bus, topic)).toEqual([0, 0, 0])
      expect(producer.bufferedBytes).toBe(0)
    },
  )

  it('a partitioner that throws fails the send with its error, writing nothing', async () => {
    const bus = await openBus()
    const topic = uniqueName('custom-throw')
    await bus.createTopic(topic, { partitions: 2 })
    const boom = new Error('no region')
    const producer = bus.producer({
      partitioner: ({ value }) => {
        if (value?.toString() === 'bad') throw boom
        return 1
      },
    })
    await expect(producer.send(topic, [{ value: 'ok' }, { value: 'bad' }])).rejects.toBe(boom)
    await producer.flush()
    expect(endOffsets(bus, topic)).toEqual([0, 0])
  })
})

describe('producer options', () => {
  it.each<[string, ProducerOptions, string]>([
    ['a negative lingerMs', { lingerMs: -1 }, 'producer.lingerMs'],
    ['a fractional lingerMs', { lingerMs: 0.5 }, 'producer.lingerMs'],
    ['a zero batchBytes', { batchBytes: 0 }, 'producer.batchBytes'],
    ['a string bufferBytes', { bufferBytes: '1mb' as unknown as number }, 'producer.bufferBytes'],
    ['a negative maxBlockMs', { maxBlockMs: -5 }, 'producer.maxBlockMs'],
    ['an unknown partitioner name', { partitioner: 'murmur' as 'default' }, 'producer.partitioner'],
  ])('rejects %s with InvalidConfigError naming the field', async (_label, options, field) => {
    const bus = await openBus()
    const error = thrown(() => bus.producer(options))
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).field).toBe(field)
    expect((error as InvalidConfigError).code).toBe('INVALID_CONFIG')
    expect((error as InvalidConfigError).message).toContain(field)
  })

  it('rejects an unknown option, naming it', async () => {
    const bus = await openBus()
    const error = thrown(() => bus.producer({ linger: 5 } as unknown as ProducerOptions))
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).message).toContain('linger')
  })

  it('accepts every documented option', async () => {
    const bus = await openBus()
    const producer = bus.producer({
      lingerMs: 5,
      batchBytes: 1024,
      bufferBytes: 1 << 20,
      maxBlockMs: 0,
      partitioner: 'default',
    })
    await producer.close()
  })
})

describe('batching', () => {
  it('with lingerMs 0, messages sent in one tick form one batch per partition', async () => {
    const bus = await openBus()
    const topic = uniqueName('tick')
    await bus.createTopic(topic, { partitions: 2 })
    const producer = bus.producer()
    const batches = recordBatches(producer)
    const sends: Promise<RecordMetadata | RecordMetadata[]>[] = []
    for (let i = 0; i < 4; i++) sends.push(producer.send(topic, { value: `s${i}`, partition: 0 }))
    sends.push(
      producer.send(topic, [
        { value: 'a0', partition: 0 },
        { value: 'a1', partition: 1 },
      ]),
    )
    sends.push(producer.send(topic, { value: 's5', partition: 1 }))
    await Promise.all(sends)

    expect(batches).toHaveLength(2)
    expect(batches.find((b) => b.partition === 0)).toMatchObject({ topic, baseOffset: 0, count: 5 })
    expect(batches.find((b) => b.partition === 1)).toMatchObject({ topic, baseOffset: 0, count: 2 })
    expect(batches.every((b) => b.bytes > 0)).toBe(true)
  })

  it('messages sent in different ticks form different batches', async () => {
    const bus = await openBus()
    const topic = uniqueName('ticks')
    await bus.createTopic(topic)
    const producer = bus.producer()
    const batches = recordBatches(producer)
    await producer.send(topic, { value: 'a' })
    await producer.send(topic, [{ value: 'b' }, { value: 'c' }])
    await producer.send(topic, { value: 'd' })
    expect(batches.map((b) => [b.baseOffset, b.count])).toEqual([
      [0, 1],
      [1, 2],
      [3, 1],
    ])
  })

  it('on() returns a function that stops the batch listener', async () => {
    const bus = await openBus()
    const topic = uniqueName('batch-off')
    await bus.createTopic(topic)
    const producer = bus.producer()
    let seen = 0
    const off = producer.on('batch', () => seen++)
    await producer.send(topic, { value: 'a' })
    off()
    await producer.send(topic, { value: 'b' })
    expect(seen).toBe(1)
  })

  it('splits a partition batch at batchBytes', async () => {
    const bus = await openBus()
    const topic = uniqueName('split')
    await bus.createTopic(topic)
    const producer = bus.producer({ batchBytes: 2500 })
    const batches = recordBatches(producer)
    const metas = await Promise.all([0, 1, 2, 3, 4].map((i) => producer.send(topic, kilo(i))))
    expect(metas.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4])
    expect(batches.map((b) => [b.baseOffset, b.count])).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ])
    for (const batch of batches) expect(batch.bytes).toBeLessThanOrEqual(2500)
  })

  it('an array send is split at batchBytes too, keeping its order', async () => {
    const bus = await openBus()
    const topic = uniqueName('split-array')
    await bus.createTopic(topic)
    const producer = bus.producer({ batchBytes: 2500 })
    const batches = recordBatches(producer)
    const metas = await producer.send(topic, [0, 1, 2, 3, 4].map(kilo))
    expect(metas.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4])
    expect(batches.map((b) => b.count)).toEqual([2, 2, 1])
    const records = await bus.topic(topic).partition(0).read(0)
    expect(records.map((r) => r.value?.[0])).toEqual([0, 1, 2, 3, 4])
  })

  it('a record larger than batchBytes goes in a batch of its own', async () => {
    const bus = await openBus()
    const topic = uniqueName('oversize-batch')
    await bus.createTopic(topic)
    const producer = bus.producer({ batchBytes: 100 })
    const batches = recordBatches(producer)
    await Promise.all([producer.send(topic, kilo(1)), producer.send(topic, kilo(2))])
    expect(batches.map((b) => b.count)).toEqual([1, 1])
  })

  it('with lingerMs > 0, a batch waits for the clock', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const topic = uniqueName('linger')
    await bus.createTopic(topic)
    const producer = bus.producer({ lingerMs: 50 })
    const batches = recordBatches(producer)
    const first = track(producer.send(topic, { value: 'a' }))
    await clock.advance(20)
    const second = track(producer.send(topic, [{ value: 'b' }, { value: 'c' }]))
    await clock.advance(29)
    expect(batches).toEqual([])
    expect(endOffsets(bus, topic)).toEqual([0])
    expect(first.settled || second.settled).toBe(false)

    await clock.advance(1)
    await Promise.all([first.done, second.done])
    expect(batches.map((b) => [b.baseOffset, b.count])).toEqual([[0, 3]])
    expect(first.value).toMatchObject({ offset: 0 })
    expect(second.value).toEqual([
      expect.objectContaining({ offset: 1 }),
      expect.objectContaining({ offset: 2 }),
    ])
  })

  it('with lingerMs > 0, a full batch is appended at once, without waiting for the clock', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const topic = uniqueName('linger-full')
    await bus.createTopic(topic)
    const producer = bus.producer({ lingerMs: 1000, batchBytes: 2500 })
    const sends = [0, 1, 2].map((i) => track(producer.send(topic, kilo(i))))
    await waitUntil(() => sends[0]?.settled === true && sends[1]?.settled === true, {
      message: 'the full batch to be appended',
    })
    expect(sends[0]?.value).toMatchObject({ offset: 0 })
    expect(sends[1]?.value).toMatchObject({ offset: 1 })
    await turns()
    expect(sends[2]?.settled).toBe(false)
    await clock.advance(1000)
    await sends[2]?.done
    expect(sends[2]?.value).toMatchObject({ offset: 2 })
  })
})

describe('maxMessageBytes', () => {
  it('rejects a record larger than the topic allows with RecordTooLargeError', async () => {
    const bus = await openBus()
    const topic = uniqueName('too-large')
    await bus.createTopic(topic, { maxMessageBytes: 200 })
    const error = await rejection(bus.producer().send(topic, { value: Buffer.alloc(500) }))
    expect(error).toBeInstanceOf(RecordTooLargeError)
    expect(error).toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      retriable: false,
      topic,
      limit: 200,
      limitName: 'maxMessageBytes',
    })
    expect((error as RecordTooLargeError).size).toBeGreaterThan(500)
    expect(endOffsets(bus, topic)).toEqual([0])
  })

  it('writes nothing of an array that holds one record too large, not even the valid ones', async () => {
    const bus = await openBus()
    const topic = uniqueName('too-large-array')
    await bus.createTopic(topic, { partitions: 2, maxMessageBytes: 200 })
    const producer = bus.producer()
    const batches = recordBatches(producer)
    const error = await rejection(
      producer.send(topic, [
        { value: 'ok', partition: 0 },
        { value: 'ok', partition: 1 },
        { value: Buffer.alloc(500), partition: 0 },
        { value: 'ok', partition: 1 },
      ]),
    )
    expect(error).toBeInstanceOf(RecordTooLargeError)
    await producer.flush()
    expect(endOffsets(bus, topic)).toEqual([0, 0])
    expect(batches).toEqual([])
    expect(producer.bufferedBytes).toBe(0)
    // The producer is not left broken: the next send starts at offset 0.
    expect(await producer.send(topic, { value: 'next', partition: 0 })).toMatchObject({ offset: 0 })
  })

  it('counts the key and headers, not only the value', async () => {
    const bus = await openBus()
    const topic = uniqueName('too-large-key')
    await bus.createTopic(topic, { maxMessageBytes: 200 })
    const producer = bus.producer()
    await expect(producer.send(topic, { key: 'k'.repeat(300), value: null })).rejects.toBeInstanceOf(
      RecordTooLargeError,
    )
    await expect(
      producer.send(topic, { value: 'v', headers: { h: ['x'.repeat(100), 'y'.repeat(100)] } }),
    ).rejects.toBeInstanceOf(RecordTooLargeError)
    expect(endOffsets(bus, topic)).toEqual([0])
  })

  it('defaults to 1 MiB', async () => {
    const bus = await openBus()
    const topic = uniqueName('one-mib')
    await bus.createTopic(topic)
    const producer = bus.producer()
    await expect(producer.send(topic, { value: Buffer.alloc(1 << 20) })).rejects.toBeInstanceOf(
      RecordTooLargeError,
    )
    await expect(producer.send(topic, { value: Buffer.alloc((1 << 20) - 1024) })).resolves.toMatchObject({
      offset: 0,
    })
  })
})

describe('invalid messages', () => {
  const cases: Array<[string, unknown, typeof InvalidRecordError | typeof UnknownTopicError]> = [
    ['a numeric key', { key: 42, value: 'v' }, InvalidRecordError],
    ['an object key', { key: { id: 1 }, value: 'v' }, InvalidRecordError],
    ['a missing value', { key: 'k' }, InvalidRecordError],
    ['an undefined value', { value: undefined }, InvalidRecordError],
    ['a numeric value', { value: 42 }, InvalidRecordError],
    ['an object value on a topic without codec', { value: { a: 1 } }, InvalidRecordError],
    ['a negative partition', { value: 'v', partition: -1 }, InvalidRecordError],
    ['a fractional partition', { value: 'v', partition: 0.5 }, InvalidRecordError],
    ['a string partition', { value: 'v', partition: '1' }, InvalidRecordError],
    ['a partition the topic lacks', { value: 'v', partition: 2 }, UnknownTopicError],
    ['a negative timestamp', { value: 'v', timestamp: -1 }, InvalidRecordError],
    ['a fractional timestamp', { value: 'v', timestamp: 1.5 }, InvalidRecordError],
    ['a NaN timestamp', { value: 'v', timestamp: Number.NaN }, InvalidRecordError],
    ['a Date timestamp', { value: 'v', timestamp: new Date(0) }, InvalidRecordError],
    ['headers that are a string', { value: 'v', headers: 'h' }, InvalidRecordError],
    ['a numeric header', { value: 'v', headers: { h: 1 } }, InvalidRecordError],
    ['a null header', { value: 'v', headers: { h: null } }, InvalidRecordError],
    ['a bad repeated header', { value: 'v', headers: { h: ['x', 2] } }, InvalidRecordError],
    ['a null message', null, InvalidRecordError],
    ['a string message', 'hello', InvalidRecordError],
  ]

  it.each(cases)('rejects %s, alone or in an array, and writes nothing', async (_label, bad, errorClass) => {
    const bus = await openBus()
    const topic = uniqueName('invalid')
    await bus.createTopic(topic, { partitions: 2 })
    const producer = bus.producer()
    const batches = recordBatches(producer)

    const single = await rejection(producer.send(topic, bad as Message))
    expect(single).toBeInstanceOf(errorClass)

    const inArray = await rejection(
      producer.send(topic, [
        { key: 'a', value: 'ok' },
        { value: 'ok', partition: 1 },
        bad as Message,
        { value: 'ok' },
      ]),
    )
    expect(inArray).toBeInstanceOf(errorClass)
    await producer.flush()
    expect(endOffsets(bus, topic)).toEqual([0, 0])
    expect(batches).toEqual([])
    expect(producer.bufferedBytes).toBe(0)
  })

  it('names the bad field in the error message', async () => {
    const bus = await openBus()
    const topic = uniqueName('invalid-names')
    await bus.createTopic(topic)
    const producer = bus.producer()
    const message = async (bad: unknown): Promise<string> =>
      ((await rejection(producer.send(topic, bad as Message))) as Error).message
    expect(await message({ key: 42, value: 'v' })).toContain('key')
    expect(await message({ value: 42 })).toContain('value')
    expect(await message({ value: 'v', partition: -1 })).toContain('partition')
    expect(await message({ value: 'v', timestamp: -1 })).toContain('timestamp')
    expect(await message({ value: 'v', headers: { 'x-trace': 1 } })).toContain('x-trace')
  })
})

describe('backpressure', () => {
  async function gatedBus(clock?: FakeClock): Promise<{ bus: Bus; storage: GatedStorage; topic: string }> {
    const storage = new GatedStorage()
    const bus = await Bus.open(clock === undefined ? { storage } : { storage, clock })
    // Open the gate before closing, so the bus can close even if an assertion failed mid-way.
    onTestFinished(async () => {
      storage.gate.open()
      await bus.close()
    })
    const topic = uniqueName('gated')
    await bus.createTopic(topic)
    return { bus, storage, topic }
  }

  it('sends beyond bufferBytes wait, and resume in order once the buffer drains', async () => {
    const { bus, storage, topic } = await gatedBus()
    storage.gate.close()
    const producer = bus.producer({ bufferBytes: 2500 })
    const samples: number[] = []
    storage.onAppend = () => samples.push(producer.bufferedBytes)
    producer.on('batch', () => samples.push(producer.bufferedBytes))
    const resolved: number[] = []
    const sends = [0, 1, 2, 3, 4, 5].map((i) =>
      track(
        producer.send(topic, kilo(i)).then((meta) => {
          resolved.push(i)
          return meta
        }),
      ),
    )
    await waitUntil(() => storage.appends.length === 1, { message: 'the first batch to be appended' })
    await turns()
    // Two records fit in the buffer and were handed to storage; the other four wait for space.
    expect(storage.appends).toEqual([2])
    expect(producer.bufferedBytes).toBeGreaterThan(2000)
    expect(producer.bufferedBytes).toBeLessThanOrEqual(2500)
    expect(sends.some((s) => s.settled)).toBe(false)

    storage.gate.open()
    await Promise.all(sends.map((s) => s.done))
    expect(sends.map((s) => s.error)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ])
    expect(resolved).toEqual([0, 1, 2, 3, 4, 5])
    expect(sends.map((s) => s.value?.offset)).toEqual([0, 1, 2, 3, 4, 5])
    const records = await bus.topic(topic).partition(0).read(0)
    expect(records.map((r) => r.value?.[0])).toEqual([0, 1, 2, 3, 4, 5])
    expect(samples.length).toBeGreaterThan(0)
    for (const sample of samples) expect(sample).toBeLessThanOrEqual(2500)
    expect(producer.bufferedBytes).toBe(0)
  })

  it('a small send that would fit still waits behind an earlier waiting send, keeping order', async () => {
    const { bus, storage, topic } = await gatedBus()
    storage.gate.close()
    const producer = bus.producer({ bufferBytes: 2500 })
    const first = track(producer.send(topic, [kilo(0), kilo(1)]))
    await waitUntil(() => storage.appends.length === 1)
    const blocked = track(producer.send(topic, kilo(2)))
    const small = track(producer.send(topic, { value: 'small' }))
    await turns()
    // The small record would fit in what is left, but it must not overtake the waiting send.
    expect(storage.appends).toEqual([2])
    expect(small.settled).toBe(false)
    storage.gate.open()
    await Promise.all([first.done, blocked.done, small.done])
    expect(blocked.value).toMatchObject({ offset: 2 })
    expect(small.value).toMatchObject({ offset: 3 })
  })

  it('bufferedBytes never exceeds bufferBytes, whatever mix of sends is waiting', async () => {
    const { bus, storage, topic } = await gatedBus()
    storage.gate.close()
    const bufferBytes = 5000
    const producer = bus.producer({ bufferBytes, batchBytes: 2100 })
    let max = 0
    const sample = () => {
      max = Math.max(max, producer.bufferedBytes)
    }
    storage.onAppend = sample
    producer.on('batch', sample)
    const sends: Tracked<unknown>[] = []
    for (let i = 0; i < 10; i++) {
      sends.push(track(producer.send(topic, kilo(i))))
      sends.push(track(producer.send(topic, [kilo(100 + i), kilo(200 + i)])))
      sample()
    }
    await waitUntil(() => storage.appends.length > 0)
    sample()
    expect(producer.bufferedBytes).toBeLessThanOrEqual(bufferBytes)
    storage.gate.open()
    await Promise.all(sends.map((s) => s.done))
    expect(sends.every((s) => s.error === undefined)).toBe(true)
    expect(max).toBeGreaterThan(0)
    expect(max).toBeLessThanOrEqual(bufferBytes)
    expect(storage.appendedRecords).toBe(30)
    const records = await bus.topic(topic).partition(0).read(0)
    const expected: number[] = []
    for (let i = 0; i < 10; i++) expected.push(i, 100 + i, 200 + i)
    expect(records.map((r) => r.value?.readUInt8(0))).toEqual(expected.map((n) => n % 256))
  })

  it('a waiting send rejects with BufferExhaustedError after maxBlockMs, writing nothing', async () => {
    const clock = new FakeClock()
    const { bus, storage, topic } = await gatedBus(clock)
    const idleTimers = clock.pending // the bus's own background timers
    storage.gate.close()
    const producer = bus.producer({ bufferBytes: 2500, maxBlockMs: 1000 })
    const first = track(producer.send(topic, [kilo(0), kilo(1)]))
    await waitUntil(() => storage.appends.length === 1)
    const blocked = track(producer.send(topic, kilo(2)))
    const blockedArray = track(producer.send(topic, [kilo(3)]))

    await clock.advance(999)
    expect(blocked.settled || blockedArray.settled || first.settled).toBe(false)

    await clock.advance(1)
    await Promise.all([blocked.done, blockedArray.done])
    for (const t of [blocked, blockedArray]) {
      expect(t.error).toBeInstanceOf(BufferExhaustedError)
      expect(t.error).toMatchObject({ code: 'BUFFER_EXHAUSTED', retriable: true })
    }
    expect(first.settled).toBe(false)
    expect(storage.appends).toEqual([2])

    storage.gate.open()
    await first.done
    expect(first.value).toEqual([
      expect.objectContaining({ offset: 0 }),
      expect.objectContaining({ offset: 1 }),
    ])
    // The timed-out sends left nothing behind: the next send follows directly.
    expect(await producer.send(topic, kilo(4))).toMatchObject({ offset: 2 })
    expect(storage.appendedRecords).toBe(3)
    expect(producer.bufferedBytes).toBe(0)
    expect(clock.pending).toBe(idleTimers)
  })

  it('a waiting send that gets space before maxBlockMs succeeds and leaves no timer behind', async () => {
    const clock = new FakeClock()
    const { bus, storage, topic } = await gatedBus(clock)
    const idleTimers = clock.pending // the bus's own background timers
    storage.gate.close()
    const producer = bus.producer({ bufferBytes: 2500, maxBlockMs: 1000 })
    const first = track(producer.send(topic, [kilo(0), kilo(1)]))
    await waitUntil(() => storage.appends.length === 1)
    const blocked = track(producer.send(topic, kilo(2)))
    await clock.advance(500)
    storage.gate.open()
    await Promise.all([first.done, blocked.done])
    expect(blocked.error).toBeUndefined()
    expect(blocked.value).toMatchObject({ offset: 2 })
    expect(clock.pending).toBe(idleTimers)
  })

  it('with maxBlockMs 0, a send that does not fit rejects at once, without any timer', async () => {
    const clock = new FakeClock()
    const { bus, storage, topic } = await gatedBus(clock)
    const idleTimers = clock.pending // the bus's own background timers
    storage.gate.close()
    const producer = bus.producer({ bufferBytes: 2500, maxBlockMs: 0 })
    const first = track(producer.send(topic, [kilo(0), kilo(1)]))
    const second = track(producer.send(topic, kilo(2)))
    // The fake clock never moves: the rejection cannot come from a timer.
    await waitUntil(() => second.settled, { message: 'the send to be rejected' })
    expect(second.error).toBeInstanceOf(BufferExhaustedError)
    expect(clock.pending).toBe(idleTimers)
    expect(first.settled).toBe(false)
    storage.gate.open()
    await first.done
    expect(first.error).toBeUndefined()
    expect(storage.appendedRecords).toBe(2)
  })

  it('a record larger than bufferBytes can never fit: RecordTooLargeError at once, as in Kafka', async () => {
    const { bus, storage, topic } = await gatedBus()
    const producer = bus.producer({ bufferBytes: 500 })
    const error = await rejection(producer.send(topic, kilo(0)))
    expect(error).toBeInstanceOf(RecordTooLargeError)
    expect((error as RecordTooLargeError).retriable).toBe(false)
    expect(storage.appends).toEqual([])
  })

  it('an array larger than bufferBytes can never fit: rejected at once, not retriable, nothing written', async () => {
    const { bus, storage, topic } = await gatedBus()
    const producer = bus.producer({ bufferBytes: 2500 })
    const error = await rejection(producer.send(topic, [kilo(0), kilo(1), kilo(2)]))
    expect(error).toBeInstanceOf(Error)
    expect((error as { retriable?: boolean }).retriable).toBe(false)
    expect(storage.appends).toEqual([])
  })

  it('flush() waits for sends still waiting for buffer space, until they are stored', async () => {
    const { bus, storage, topic } = await gatedBus()
    storage.gate.close()
    const producer = bus.producer({ bufferBytes: 2500 })
    const sends = [0, 1, 2].map((i) => track(producer.send(topic, kilo(i))))
    const flushed = track(producer.flush())
    await waitUntil(() => storage.appends.length === 1)
    await turns()
    expect(flushed.settled).toBe(false)
    // Acknowledge the first batch only: the waiting send gets space and is appended, but not yet stored.
    storage.gate.release()
    await waitUntil(() => storage.appends.length === 2, { message: 'the waiting send to be appended' })
    await turns()
    expect(sends[2]?.settled).toBe(false)
    expect(flushed.settled).toBe(false)
    storage.gate.open()
    await flushed.done
    await Promise.all(sends.map((s) => s.done))
    expect(sends.map((s) => s.value)).toEqual([0, 1, 2].map((offset) => expect.objectContaining({ offset })))
  })
})

describe('flush and close', () => {
  it('flush() appends lingering batches at once', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const topic = uniqueName('flush')
    await bus.createTopic(topic, { partitions: 2 })
    const producer = bus.producer({ lingerMs: 60_000 })
    const sends = [
      track(producer.send(topic, { value: 'a', partition: 0 })),
      track(producer.send(topic, { value: 'b', partition: 1 })),
    ]
    await turns()
    expect(endOffsets(bus, topic)).toEqual([0, 0])
    await producer.flush()
    expect(endOffsets(bus, topic)).toEqual([1, 1])
    await Promise.all(sends.map((s) => s.done))
    expect(sends.map((s) => s.error)).toEqual([undefined, undefined])
  })

  it('flush() with nothing pending resolves', async () => {
    const bus = await openBus()
    await expect(bus.producer().flush()).resolves.toBeUndefined()
  })

  it('close() stores what was accepted, then sends reject with ClosedError', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const idleTimers = clock.pending // the bus's own background timers
    const topic = uniqueName('close')
    await bus.createTopic(topic)
    const producer = bus.producer({ lingerMs: 60_000 })
    const sent = track(producer.send(topic, [{ value: 'a' }, { value: 'b' }]))
    await producer.close()
    await sent.done
    expect(sent.error).toBeUndefined()
    expect(endOffsets(bus, topic)).toEqual([2])
    expect(clock.pending).toBe(idleTimers)

    const error = await rejection(producer.send(topic, { value: 'late' }))
    expect(error).toBeInstanceOf(ClosedError)
    expect(error).toMatchObject({ code: 'CLOSED', retriable: false })
    await expect(producer.send(topic, [{ value: 'late' }])).rejects.toBeInstanceOf(ClosedError)
    expect(endOffsets(bus, topic)).toEqual([2])
  })

  it('a send made while close() is in progress rejects with ClosedError', async () => {
    const bus = await openBus()
    const topic = uniqueName('closing')
    await bus.createTopic(topic)
    const producer = bus.producer()
    const closing = producer.close()
    await expect(producer.send(topic, { value: 'x' })).rejects.toBeInstanceOf(ClosedError)
    await closing
    expect(endOffsets(bus, topic)).toEqual([0])
  })

  it('close() is idempotent and emits close once', async () => {
    const bus = await openBus()
    const producer = bus.producer()
    let closes = 0
    producer.on('close', () => closes++)
    await Promise.all([producer.close(), producer.close()])
    await producer.close()
    await producer.flush()
    expect(closes).toBe(1)
  })

  it('Symbol.asyncDispose closes the producer', async () => {
    const bus = await openBus()
    const topic = uniqueName('dispose')
    await bus.createTopic(topic)
    let escaped: Producer | undefined
    {
      await using producer = bus.producer()
      escaped = producer
      await producer.send(topic, { value: 'x' })
    }
    await expect(escaped.send(topic, { value: 'y' })).rejects.toBeInstanceOf(ClosedError)
  })

  it('closing one producer does not affect another', async () => {
    const bus = await openBus()
    const topic = uniqueName('two-producers')
    await bus.createTopic(topic)
    const one = bus.producer()
    const two = bus.producer()
    await one.close()
    await expect(two.send(topic, { value: 'x' })).resolves.toMatchObject({ offset: 0 })
  })
})

// ---------------------------------------------------------------------------------------------------
// Properties

describe('properties', () => {
  const keys = ['21', 'foobar', 'abc', '0', '1'] as const
  const hashOf = (key: string): number => murmur.murmur2[key as keyof typeof murmur.murmur2]

  it('every record is stored once, offsets are dense, and per key (and partition) send order is offset order', async () => {
    const messageArb = fc.record({
      key: fc.option(fc.constantFrom(...keys), { nil: null }),
      pad: fc.integer({ min: 0, max: 40 }),
    })
    const chunkArb = fc.record({
      size: fc.integer({ min: 1, max: 8 }),
      mode: fc.constantFrom('array', 'singles'),
      awaitIt: fc.boolean(),
    })
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(messageArb, { minLength: 1, maxLength: 60 }),
        fc.array(chunkArb, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 50, max: 3000 }),
        fc.integer({ min: 1500, max: 20_000 }),
        fc.boolean(),
        async (partitions, messages, chunks, batchBytes, bufferBytes, asyncStorage) => {
          const storage = asyncStorage ? new GatedStorage() : new MemoryStorage()
          const clock = new FakeClock()
          const bus = await Bus.open({ storage, clock })
          try {
            const topic = uniqueName('prop')
            await bus.createTopic(topic, { partitions })
            const producer = bus.producer({ batchBytes, bufferBytes })
            let maxBuffered = 0
            producer.on('batch', () => {
              maxBuffered = Math.max(maxBuffered, producer.bufferedBytes)
            })
            const metaById = new Map<number, RecordMetadata>()
            const toMessage = (id: number): Message => {
              const m = messages[id]!
              return { key: m.key, value: `${id}:${'.'.repeat(m.pad)}` }
            }
            const pending: Promise<void>[] = []
            let next = 0
            for (let c = 0; next < messages.length; c++) {
              const chunk = chunks[c % chunks.length]!
              const ids = Array.from(
                { length: Math.min(chunk.size, messages.length - next) },
                (_, i) => next + i,
              )
              next += ids.length
              let sent: Promise<void>
              if (chunk.mode === 'array') {
                sent = producer.send(topic, ids.map(toMessage)).then((metas) => {
                  for (const [i, meta] of metas.entries()) metaById.set(ids[i]!, meta)
                })
              } else {
                sent = Promise.all(
                  ids.map((id) => producer.send(topic, toMessage(id)).then((meta) => metaById.set(id, meta))),
                ).then(() => undefined)
              }
              maxBuffered = Math.max(maxBuffered, producer.bufferedBytes)
              if (chunk.awaitIt) await sent
              else pending.push(sent)
            }
            await Promise.all(pending)

            // Stored exactly once.
            const stored = await allRecords(bus, topic)
            const ids = stored.map((r) => Number(r.value?.toString().split(':')[0]))
            expect([...ids].sort((a, b) => a - b)).toEqual(messages.map((_, i) => i))

            for (const partition of bus.topic(topic).partitions) {
              const records = await partition.read(0, 1 << 30)
              // Dense offsets from 0.
              expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i))
              expect(partition.logEndOffset).toBe(records.length)
              // Within a partition, offsets follow the order of the sends.
              const order = records.map((r) => Number(r.value?.toString().split(':')[0]))
              expect(order).toEqual([...order].sort((a, b) => a - b))
              for (const record of records) {
                const id = Number(record.value?.toString().split(':')[0])
                // The metadata returned is where the record is.
                expect(metaById.get(id)).toEqual({
                  topic,
                  partition: partition.partition,
                  offset: record.offset,
                  timestamp: clock.now(),
                })
              }
            }

            // Keyed records on Kafka's partition; per key, offsets increase in send order.
            for (const key of keys) {
              const sentIds = messages.flatMap((m, i) => (m.key === key ? [i] : []))
              const metas = sentIds.map((id) => metaById.get(id)!)
              for (const meta of metas) expect(meta.partition).toBe(kafkaPartition(hashOf(key), partitions))
              const keyOffsets = metas.map((m) => m.offset)
              expect(keyOffsets).toEqual([...keyOffsets].sort((a, b) => a - b))
            }

            // Keyless records go round-robin, in send order.
            const keyless = messages.flatMap((m, i) => (m.key === null ? [metaById.get(i)!.partition] : []))
            const start = keyless[0] ?? 0
            expect(keyless).toEqual(keyless.map((_, i) => (start + i) % partitions))

            expect(maxBuffered).toBeLessThanOrEqual(bufferBytes)
            expect(producer.bufferedBytes).toBe(0)
          } finally {
            await bus.close()
          }
        },
      ),
      { numRuns: 100 },
    )
  })

  it('a send with one invalid message anywhere writes nothing of that send', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.constantFrom(...keys), { nil: null }), { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.constantFrom<unknown>(
          { value: 7 },
          { value: 'v', partition: 9 },
          { key: 1, value: 'v' },
          {
            value: Buffer.alloc(300),
          },
        ),
        async (keyList, where, bad) => {
          const bus = await Bus.open()
          try {
            const topic = uniqueName('prop-invalid')
            await bus.createTopic(topic, { partitions: 3, maxMessageBytes: 200 })
            const producer = bus.producer()
            const batch: Message[] = keyList.map((key, i) => ({ key, value: `m${i}` }))
            batch.splice(where % (batch.length + 1), 0, bad as Message)
            await expect(producer.send(topic, batch)).rejects.toBeInstanceOf(Error)
            await producer.flush()
            expect(endOffsets(bus, topic)).toEqual([0, 0, 0])
            expect(producer.bufferedBytes).toBe(0)
          } finally {
            await bus.close()
          }
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('the event loop', () => {
  it('a tight `await send()` loop over memory still lets timers run', async () => {
    const bus = await openBus()
    const topic = uniqueName('tight')
    await bus.createTopic(topic)
    const producer = bus.producer()
    let timerFired = false
    setTimeout(() => {
      timerFired = true
    }, 0)
    let sends = 0
    // Without yielding, this loop runs on microtasks only and the timer never gets its turn.
    while (!timerFired && sends < 100_000) {
      await producer.send(topic, { value: 'x' })
      sends++
    }
    expect(timerFired).toBe(true)
    expect(sends).toBeLessThan(100_000)
  })
})

import { describe, expect, it } from 'vitest'
import {
  InvalidConfigError,
  InvalidPartitionsError,
  InvalidTopicError,
  LogbusError,
  TopicExistsError,
  type TopicOptions,
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

/** A unique legal name of exactly `length` characters. */
function nameOfLength(length: number): string {
  const base = uniqueName('len')
  return (base + 'x'.repeat(length)).slice(0, length)
}

describe('createTopic: Kafka topic names', () => {
  it.each([
    ['one letter', 'a'],
    ['one digit', '7'],
    ['every legal character', 'Az09._-'],
    ['dots other than . and ..', '...'],
    ['a leading dash and underscore', '-_x'],
  ])('accepts %s (%j)', async (_label, name) => {
    const bus = await openBus()
    const topic = await bus.createTopic(name)
    expect(topic.name).toBe(name)
    expect(bus.listTopics()).toEqual([name])
  })

  it('accepts a 249-character name, the longest Kafka allows', async () => {
    const bus = await openBus()
    const name = nameOfLength(249)
    expect(name).toHaveLength(249)
    await bus.createTopic(name)
    expect(bus.listTopics()).toEqual([name])
  })

  it.each([
    ['empty', ''],
    ['"."', '.'],
    ['".."', '..'],
    ['a slash', 'a/b'],
    ['a space', 'a b'],
    ['a colon', 'a:b'],
    ['a non-ASCII letter', 'caf\u00e9'],
    ['a newline', 'a\nb'],
    ['250 characters', 'x'.repeat(250)],
  ])('rejects a name with %s with InvalidTopicError, creating nothing', async (_label, name) => {
    const bus = await openBus()
    const error = await rejection(bus.createTopic(name))
    expect(error).toBeInstanceOf(InvalidTopicError)
    expect(error).toBeInstanceOf(LogbusError)
    expect((error as InvalidTopicError).code).toBe('INVALID_TOPIC_EXCEPTION')
    expect((error as InvalidTopicError).topic).toBe(name)
    expect(bus.listTopics()).toEqual([])
  })

  it('rejects a name that is not a string', async () => {
    const bus = await openBus()
    await expect(bus.createTopic(42 as unknown as string)).rejects.toBeInstanceOf(InvalidTopicError)
    await expect(bus.createTopic(undefined as unknown as string)).rejects.toBeInstanceOf(InvalidTopicError)
    expect(bus.listTopics()).toEqual([])
  })
})

describe('createTopic', () => {
  it('returns the topic with its partitions, each empty from offset 0', async () => {
    const bus = await openBus()
    const name = uniqueName('create')
    const topic = await bus.createTopic(name, { partitions: 4 })
    expect(topic.name).toBe(name)
    expect(topic.partitionCount).toBe(4)
    expect(topic.partitions.map((p) => [p.topic, p.partition, p.logStartOffset, p.logEndOffset])).toEqual([
      [name, 0, 0, 0],
      [name, 1, 0, 0],
      [name, 2, 0, 0],
      [name, 3, 0, 0],
    ])
    expect(bus.topic(name)).toBe(topic)
  })

  it("applies Kafka's defaults to every config field", async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('defaults'))
    expect(topic.config).toEqual({
      partitions: 1,
      retentionMs: 7 * 24 * 60 * 60 * 1000,
      retentionBytes: null,
      segmentBytes: 1024 * 1024 * 1024,
      cleanupPolicy: 'delete',
      deleteRetentionMs: 24 * 60 * 60 * 1000,
      minCleanableDirtyRatio: 0.5,
      minCompactionLagMs: 0,
      maxMessageBytes: 1024 * 1024,
    })
  })

  it('keeps the options given', async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('options'), {
      partitions: 3,
      retentionMs: null,
      retentionBytes: 1_000_000,
      segmentBytes: 4096,
      cleanupPolicy: 'compact,delete',
      deleteRetentionMs: 1000,
      minCleanableDirtyRatio: 0.1,
      minCompactionLagMs: 60_000,
      maxMessageBytes: 2048,
    })
    expect(topic.config).toEqual({
      partitions: 3,
      retentionMs: null,
      retentionBytes: 1_000_000,
      segmentBytes: 4096,
      cleanupPolicy: 'compact,delete',
      deleteRetentionMs: 1000,
      minCleanableDirtyRatio: 0.1,
      minCompactionLagMs: 60_000,
      maxMessageBytes: 2048,
    })
  })

  it('rejects an existing name with TopicExistsError and leaves the topic as it was', async () => {
    const bus = await openBus()
    const name = uniqueName('exists')
    const original = await bus.createTopic(name, { partitions: 2 })
    const error = await rejection(bus.createTopic(name, { partitions: 5 }))
    expect(error).toBeInstanceOf(TopicExistsError)
    expect((error as TopicExistsError).code).toBe('TOPIC_ALREADY_EXISTS')
    expect((error as TopicExistsError).topic).toBe(name)
    expect(bus.topic(name)).toBe(original)
    expect(original.partitionCount).toBe(2)
  })

  it('with ifNotExists, returns the existing topic unchanged', async () => {
    const bus = await openBus()
    const name = uniqueName('if-not-exists')
    const original = await bus.createTopic(name, { partitions: 2 })
    const again = await bus.createTopic(name, { partitions: 7, ifNotExists: true })
    expect(again).toBe(original)
    expect(again.partitionCount).toBe(2)
    expect(bus.listTopics()).toEqual([name])
  })

  it('with ifNotExists, creates a topic that does not exist', async () => {
    const bus = await openBus()
    const name = uniqueName('if-not-exists-new')
    const topic = await bus.createTopic(name, { partitions: 3, ifNotExists: true })
    expect(topic.partitionCount).toBe(3)
    expect(topic.config).not.toHaveProperty('ifNotExists')
  })

  it('serialises concurrent creates of one name: one wins, the other gets TopicExistsError', async () => {
    const bus = await openBus()
    const name = uniqueName('race')
    const results = await Promise.allSettled([
      bus.createTopic(name, { partitions: 2 }),
      bus.createTopic(name, { partitions: 3 }),
    ])
    expect(results[0]?.status).toBe('fulfilled')
    expect(results[1]?.status).toBe('rejected')
    expect(results[1]?.status === 'rejected' && results[1].reason).toBeInstanceOf(TopicExistsError)
    expect(bus.topic(name).partitionCount).toBe(2)
  })

  it('rejects a partition count below 1 with InvalidPartitionsError, as Kafka does', async () => {
    const bus = await openBus()
    for (const partitions of [0, -1]) {
      const name = uniqueName('zero-partitions')
      const error = await rejection(bus.createTopic(name, { partitions }))
      expect(error, `partitions: ${partitions}`).toBeInstanceOf(InvalidPartitionsError)
      expect((error as LogbusError).code).toBe('INVALID_PARTITIONS')
    }
    expect(bus.listTopics()).toEqual([])
  })

  it.each<[string, TopicOptions, string]>([
    ['partitions of the wrong type', { partitions: '3' as unknown as number }, 'topic.partitions'],
    ['a fractional partition count', { partitions: 1.5 }, 'topic.partitions'],
    ['a negative retentionMs', { retentionMs: -5 }, 'topic.retentionMs'],
    ['a zero retentionBytes', { retentionBytes: 0 }, 'topic.retentionBytes'],
    ['a tiny segmentBytes', { segmentBytes: 1 }, 'topic.segmentBytes'],
    ['a zero maxMessageBytes', { maxMessageBytes: 0 }, 'topic.maxMessageBytes'],
    ['a non-integer maxMessageBytes', { maxMessageBytes: 10.5 }, 'topic.maxMessageBytes'],
    ['an unknown cleanupPolicy', { cleanupPolicy: 'compress' as 'delete' }, 'topic.cleanupPolicy'],
    ['a dirty ratio above 1', { minCleanableDirtyRatio: 1.5 }, 'topic.minCleanableDirtyRatio'],
    ['a negative deleteRetentionMs', { deleteRetentionMs: -1 }, 'topic.deleteRetentionMs'],
    ['a value codec that is not one', { value: 'json' as unknown as undefined }, 'topic.value'],
    ['a key codec that is not one', { key: {} as unknown as undefined }, 'topic.key'],
    ['a non-boolean ifNotExists', { ifNotExists: 'yes' as unknown as boolean }, 'topic.ifNotExists'],
  ])('rejects %s with InvalidConfigError naming the field', async (_label, options, field) => {
    const bus = await openBus()
    const name = uniqueName('bad-option')
    const error = await rejection(bus.createTopic(name, options))
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).field).toBe(field)
    expect((error as InvalidConfigError).reason.length).toBeGreaterThan(0)
    expect((error as InvalidConfigError).message).toContain(field)
    expect(bus.listTopics()).toEqual([])
  })

  it('rejects an unknown option (a typo) with InvalidConfigError naming it', async () => {
    const bus = await openBus()
    const error = await rejection(
      bus.createTopic(uniqueName('typo'), { partition: 3 } as unknown as TopicOptions),
    )
    expect(error).toBeInstanceOf(InvalidConfigError)
    expect((error as InvalidConfigError).message).toContain('partition')
    expect(bus.listTopics()).toEqual([])
  })

  it("takes Kafka's list 'delete,compact' as 'compact,delete'", async () => {
    const bus = await openBus()
    const topic = await bus.createTopic(uniqueName('both'), {
      cleanupPolicy: 'delete,compact' as 'compact,delete',
    })
    expect(topic.config.cleanupPolicy).toBe('compact,delete')
  })
})

describe('topic() and listTopics()', () => {
  it('topic() throws UnknownTopicError (retriable, Kafka code 3) for a missing topic', async () => {
    const bus = await openBus()
    const name = uniqueName('missing')
    const error = thrown(() => bus.topic(name))
    expect(error).toBeInstanceOf(UnknownTopicError)
    expect((error as UnknownTopicError).topic).toBe(name)
    expect((error as UnknownTopicError).code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect((error as UnknownTopicError).retriable).toBe(true)
  })

  it('topic.partition() throws UnknownTopicError for a partition out of range', async () => {
    const bus = await openBus()
    const name = uniqueName('partition-range')
    const topic = await bus.createTopic(name, { partitions: 2 })
    expect(topic.partition(1).partition).toBe(1)
    for (const index of [2, -1, 1.5]) {
      const error = thrown(() => topic.partition(index))
      expect(error, `partition ${index}`).toBeInstanceOf(UnknownTopicError)
      expect((error as UnknownTopicError).partition).toBe(index)
    }
  })

  it('listTopics() returns every name, sorted', async () => {
    const bus = await openBus()
    const prefix = uniqueName('list')
    const names = [`${prefix}-c`, `${prefix}-a`, `${prefix}-B`, `${prefix}-b`, `${prefix}.z`, `${prefix}_0`]
    for (const name of names) await bus.createTopic(name)
    expect(bus.listTopics()).toEqual([...names].sort())
  })

  it('listTopics() returns a copy the caller cannot use to change the bus', async () => {
    const bus = await openBus()
    const name = uniqueName('copy')
    await bus.createTopic(name)
    const list = bus.listTopics()
    list.push('intruder')
    expect(bus.listTopics()).toEqual([name])
  })
})

describe('createPartitions', () => {
  it('grows a topic, keeping its records, and new partitions start empty', async () => {
    const bus = await openBus()
    const name = uniqueName('grow')
    const topic = await bus.createTopic(name, { partitions: 2, maxMessageBytes: 5000 })
    const producer = bus.producer()
    await producer.send(name, [
      { value: 'p0', partition: 0 },
      { value: 'p1', partition: 1 },
    ])

    await bus.createPartitions(name, 5)

    expect(topic.partitionCount).toBe(5)
    expect(bus.topic(name).partitionCount).toBe(5)
    expect(topic.config.partitions).toBe(5)
    expect(topic.config.maxMessageBytes).toBe(5000)
    expect(topic.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4])
    expect(topic.partitions.map((p) => p.logEndOffset)).toEqual([1, 1, 0, 0, 0])
    expect((await topic.partition(0).read(0)).map((r) => r.value?.toString())).toEqual(['p0'])

    const meta = await producer.send(name, { value: 'new', partition: 4 })
    expect(meta).toMatchObject({ partition: 4, offset: 0 })
  })

  it('keyed records use the new partition count after growing', async () => {
    const bus = await openBus()
    const name = uniqueName('grow-keys')
    await bus.createTopic(name, { partitions: 1 })
    await bus.createPartitions(name, 12)
    // murmur2("foobar") = -790332482 (Kafka's UtilsTest); (h & 0x7fffffff) % 12
    const expected = (-790332482 & 0x7fffffff) % 12
    const meta = await bus.producer().send(name, { key: 'foobar', value: 'v' })
    expect(meta.partition).toBe(expected)
  })

  it.each([
    ['the same count', 3],
    ['a smaller count', 2],
    ['zero', 0],
    ['a fractional count', 3.5],
    ['NaN', Number.NaN],
  ])('rejects %s with InvalidPartitionsError and changes nothing', async (_label, count) => {
    const bus = await openBus()
    const name = uniqueName('shrink')
    const topic = await bus.createTopic(name, { partitions: 3 })
    const error = await rejection(bus.createPartitions(name, count))
    expect(error).toBeInstanceOf(InvalidPartitionsError)
    expect((error as InvalidPartitionsError).code).toBe('INVALID_PARTITIONS')
    expect((error as InvalidPartitionsError).retriable).toBe(false)
    expect((error as InvalidPartitionsError).message).toContain(name)
    expect(topic.partitionCount).toBe(3)
    expect(topic.config.partitions).toBe(3)
  })

  it('rejects an unknown topic with UnknownTopicError', async () => {
    const bus = await openBus()
    await expect(bus.createPartitions(uniqueName('nope'), 4)).rejects.toBeInstanceOf(UnknownTopicError)
  })
})

describe('deleteTopic', () => {
  it('removes the topic: topic() and sends fail with UnknownTopicError', async () => {
    const bus = await openBus()
    const name = uniqueName('delete')
    const keep = uniqueName('keep')
    await bus.createTopic(name, { partitions: 2 })
    await bus.createTopic(keep)
    const producer = bus.producer()
    await producer.send(name, { value: 'before' })

    await bus.deleteTopic(name)

    expect(bus.listTopics()).toEqual([keep])
    expect(() => bus.topic(name)).toThrow(UnknownTopicError)
    const error = await rejection(producer.send(name, { value: 'after' }))
    expect(error).toBeInstanceOf(UnknownTopicError)
    expect((error as UnknownTopicError).topic).toBe(name)
    await expect(producer.send(keep, { value: 'fine' })).resolves.toMatchObject({ offset: 0 })
  })

  it('a handle to a deleted topic can no longer read', async () => {
    const bus = await openBus()
    const name = uniqueName('delete-handle')
    const topic = await bus.createTopic(name)
    await bus.producer().send(name, { value: 'x' })
    const partition = topic.partition(0)
    await bus.deleteTopic(name)
    await expect(partition.read(0)).rejects.toBeInstanceOf(UnknownTopicError)
    await expect(partition.offsetForTimestamp(0)).rejects.toBeInstanceOf(UnknownTopicError)
  })

  it('sending with the Topic object of a deleted topic fails with UnknownTopicError', async () => {
    const bus = await openBus()
    const name = uniqueName('delete-object')
    const topic = await bus.createTopic(name)
    await bus.deleteTopic(name)
    await expect(bus.producer().send(topic, { value: 'x' })).rejects.toBeInstanceOf(UnknownTopicError)
  })

  it('a batch still lingering when its topic is deleted fails with UnknownTopicError', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const name = uniqueName('delete-lingering')
    await bus.createTopic(name)
    const producer = bus.producer({ lingerMs: 100 })
    const sent = producer.send(name, { value: 'lingering' }).then(
      () => 'resolved',
      (error: unknown) => error,
    )
    await bus.deleteTopic(name)
    await clock.advance(100)
    expect(await sent).toBeInstanceOf(UnknownTopicError)
    expect(producer.bufferedBytes).toBe(0)
  })

  it('a topic created again under the same name starts empty, from offset 0', async () => {
    const bus = await openBus()
    const name = uniqueName('recreate')
    await bus.createTopic(name, { partitions: 2 })
    const producer = bus.producer()
    await producer.send(name, [
      { value: 'a', partition: 1 },
      { value: 'b', partition: 1 },
    ])
    await bus.deleteTopic(name)
    const again = await bus.createTopic(name, { partitions: 3 })
    expect(again.partitions.map((p) => [p.logStartOffset, p.logEndOffset])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ])
    expect(await producer.send(name, { value: 'c', partition: 1 })).toMatchObject({ partition: 1, offset: 0 })
  })

  it('rejects an unknown topic with UnknownTopicError', async () => {
    const bus = await openBus()
    await expect(bus.deleteTopic(uniqueName('never'))).rejects.toBeInstanceOf(UnknownTopicError)
  })

  it('admin calls run in call order: create then delete without awaiting in between', async () => {
    const bus = await openBus()
    const name = uniqueName('ordered')
    const created = bus.createTopic(name)
    const deleted = bus.deleteTopic(name)
    await expect(created).resolves.toMatchObject({ name })
    await expect(deleted).resolves.toBeUndefined()
    expect(bus.listTopics()).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import {
  ClosedError,
  HandlerError,
  IllegalGenerationError,
  InvalidConfigError,
  InvalidStateError,
  json,
  type LogRecord,
  OffsetOutOfRangeError,
} from '../../src/index'
import { openBus, uniqueName, waitUntil } from '../support/bus'
import { FakeClock } from '../support/fake-clock'

const values = (records: LogRecord[]): string[] => records.map((r) => r.value?.toString() ?? 'null')

describe('Consumer', () => {
  it('run() resolves once the member has its assignment, then receives what is sent', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic, { partitions: 3 })
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic] })
    const seen: LogRecord[] = []
    await consumer.run({ eachMessage: (record) => void seen.push(record) })
    expect(consumer.assignment()).toEqual([0, 1, 2].map((partition) => ({ topic, partition })))
    await bus.producer().send(topic, [{ key: 'a', value: 'v1', headers: { h: 'x' } }, { value: 'v2' }])
    await waitUntil(() => seen.length === 2)
    const record = seen.find((r) => r.key?.toString() === 'a')!
    expect(record).toMatchObject({ topic, value: Buffer.from('v1'), headers: { h: Buffer.from('x') } })
    expect(typeof record.timestamp).toBe('number')
  })

  it('starts at the log end without fromBeginning and at the log start with it', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    const producer = bus.producer()
    await producer.send(topic, [{ value: 'old-1' }, { value: 'old-2' }])

    const latest: LogRecord[] = []
    const earliest: LogRecord[] = []
    await bus
      .consumer({ groupId: uniqueName('g'), topics: [topic] })
      .run({ eachMessage: (r) => void latest.push(r) })
    await bus
      .consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
      .run({ eachMessage: (r) => void earliest.push(r) })
    await producer.send(topic, { value: 'new' })
    await waitUntil(() => latest.length === 1 && earliest.length === 3)
    expect(values(latest)).toEqual(['new'])
    expect(values(earliest)).toEqual(['old-1', 'old-2', 'new'])
  })

  it('lets several groups read the same topic independently: values shared, record objects each their own', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    const a: LogRecord[] = []
    const b: LogRecord[] = []
    await bus
      .consumer({ groupId: uniqueName('g'), topics: [topic] })
      .run({ eachMessage: (r) => void a.push(r) })
    await bus
      .consumer({ groupId: uniqueName('g'), topics: [topic] })
      .run({ eachMessage: (r) => void b.push(r) })
    await bus.producer().send(topic, [{ value: '1' }, { value: '2' }])
    await waitUntil(() => a.length === 2 && b.length === 2)
    expect(values(a)).toEqual(['1', '2'])
    // A record is a plain object built at delivery for its consumer; the value in it is not copied.
    expect(a[0]).not.toBe(b[0])
    expect(a[0]).toEqual(b[0])
    expect(a[0]?.value).toBe(b[0]?.value)
  })

  it('commits what was processed and a new member resumes there', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic)
    const producer = bus.producer()
    await producer.send(topic, [{ value: '0' }, { value: '1' }, { value: '2' }])

    const first = bus.consumer({ groupId, topics: [topic], fromBeginning: true, autoCommit: false })
    const seen: LogRecord[] = []
    await first.run({ eachMessage: (r) => void seen.push(r) })
    await waitUntil(() => seen.length === 3)
    await first.commit([{ topic, partition: 0, offset: 2 }])
    expect(bus.group(groupId).committedOffset(topic, 0)).toBe(2)
    await first.close()

    const second = bus.consumer({ groupId, topics: [topic], fromBeginning: true })
    const resumed: LogRecord[] = []
    await second.run({ eachMessage: (r) => void resumed.push(r) })
    await waitUntil(() => resumed.length === 1)
    expect(values(resumed)).toEqual(['2'])
  })

  it('commit() without arguments commits the processed position of every assigned partition', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const consumer = bus.consumer({ groupId, topics: [topic], fromBeginning: true, autoCommit: false })
    const seen: LogRecord[] = []
    const commits: unknown[] = []
    consumer.on('commit', ({ offsets }) => commits.push(offsets))
    await consumer.run({ eachMessage: (r) => void seen.push(r) })
    await bus.producer().send(topic, [
      { value: 'a', partition: 0 },
      { value: 'b', partition: 0 },
      { value: 'c', partition: 1 },
    ])
    await waitUntil(() => seen.length === 3)
    await consumer.commit()
    expect(bus.group(groupId).committedOffsets()).toEqual([
      { topic, partition: 0, offset: 2 },
      { topic, partition: 1, offset: 1 },
    ])
    expect(commits).toHaveLength(1)
    await consumer.commit()
    expect(commits).toHaveLength(1)
  })

  it('auto-commits on the interval, with an injected clock', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic)
    const consumer = bus.consumer({
      groupId,
      topics: [topic],
      fromBeginning: true,
      autoCommitIntervalMs: 1000,
    })
    const seen: LogRecord[] = []
    await consumer.run({ eachMessage: (r) => void seen.push(r) })
    await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }])
    await waitUntil(() => seen.length === 2)
    expect(bus.group(groupId).committedOffset(topic, 0)).toBeUndefined()
    await clock.advance(999)
    expect(bus.group(groupId).committedOffset(topic, 0)).toBeUndefined()
    await clock.advance(1)
    await waitUntil(() => bus.group(groupId).committedOffset(topic, 0) === 2)
  })

  it('commits on close with auto-commit, and close is idempotent and leaves the group', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic)
    const consumer = bus.consumer({ groupId, topics: [topic], fromBeginning: true })
    const seen: LogRecord[] = []
    await consumer.run({ eachMessage: (r) => void seen.push(r) })
    await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }])
    await waitUntil(() => seen.length === 2)
    const closing = consumer.close()
    expect(consumer.close()).toBe(closing)
    await closing
    expect(bus.group(groupId).committedOffset(topic, 0)).toBe(2)
    await bus.group(groupId).settled()
    expect(bus.group(groupId).describe()).toMatchObject({ state: 'Empty', members: [] })
    await expect(consumer.run({ eachMessage: () => undefined })).rejects.toBeInstanceOf(ClosedError)
  })

  it('supports Symbol.asyncDispose', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic)
    {
      await using consumer = bus.consumer({ groupId, topics: [topic] })
      await consumer.run({ eachMessage: () => undefined })
      expect(bus.group(groupId).describe().members).toHaveLength(1)
    }
    await bus.group(groupId).settled()
    expect(bus.group(groupId).describe().members).toHaveLength(0)
  })

  it('validates options, naming the field', () => {
    const bus = Promise.resolve(openBus())
    return bus.then((b) => {
      expect(() => b.consumer({ groupId: '', topics: ['x'] })).toThrow(/groupId/)
      expect(() => b.consumer({ groupId: 'g', topics: [] })).toThrow(InvalidConfigError)
      expect(() => b.consumer({ groupId: 'g', topics: ['x'], autoCommitIntervalMs: -1 })).toThrow(
        /consumer\.autoCommitIntervalMs/,
      )
      expect(() => b.consumer({ groupId: 'g', topics: ['x'], retry: { retries: -1 } })).toThrow(
        /consumer\.retry\.retries/,
      )
      expect(() => b.consumer({ groupId: 'g', topics: ['x'], bogus: 1 } as never)).toThrow(InvalidConfigError)
    })
  })

  it('rejects a second run() and a run() with no or two handlers', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic] })
    await expect(consumer.run({} as never)).rejects.toBeInstanceOf(InvalidConfigError)
    await expect(
      consumer.run({ eachMessage: () => undefined, eachBatch: () => undefined } as never),
    ).rejects.toBeInstanceOf(InvalidConfigError)
    await consumer.run({ eachMessage: () => undefined })
    await expect(consumer.run({ eachMessage: () => undefined })).rejects.toBeInstanceOf(InvalidStateError)
  })

  describe('seek, pause and resume', () => {
    it('seek rewinds an assigned partition and rejects an unassigned one', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      await bus.createTopic(topic)
      const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
      const seen: LogRecord[] = []
      await consumer.run({ eachMessage: (r) => void seen.push(r) })
      await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
      await waitUntil(() => seen.length === 3)
      consumer.seek({ topic, partition: 0, offset: 1 })
      await waitUntil(() => seen.length === 5)
      expect(values(seen)).toEqual(['a', 'b', 'c', 'b', 'c'])
      expect(() => consumer.seek({ topic, partition: 7, offset: 0 })).toThrow(InvalidStateError)
      expect(() => consumer.seek({ topic, partition: 0, offset: -1 })).toThrow(InvalidConfigError)
    })

    it('seek past the log end resets per autoOffsetReset', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      await bus.createTopic(topic)
      await bus.producer().send(topic, [{ value: 'a' }])
      const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
      const seen: LogRecord[] = []
      await consumer.run({ eachMessage: (r) => void seen.push(r) })
      await waitUntil(() => seen.length === 1)
      consumer.seek({ topic, partition: 0, offset: 100 })
      await waitUntil(() => seen.length === 2)
      expect(values(seen)).toEqual(['a', 'a'])
    })

    it('pause stops delivery of a partition until resume, and survives a rebalance', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      const groupId = uniqueName('g')
      await bus.createTopic(topic, { partitions: 2 })
      const consumer = bus.consumer({ groupId, topics: [topic], fromBeginning: true })
      const seen: LogRecord[] = []
      await consumer.run({ eachMessage: (r) => void seen.push(r) })
      consumer.pause([{ topic, partition: 0 }])
      expect(consumer.paused()).toEqual([{ topic, partition: 0 }])
      const producer = bus.producer()
      await producer.send(topic, [
        { value: 'p0', partition: 0 },
        { value: 'p1', partition: 1 },
      ])
      await waitUntil(() => seen.length === 1)
      expect(values(seen)).toEqual(['p1'])
      // Growing the topic forces a rebalance; the pause must survive it.
      await bus.createPartitions(topic, 3)
      await bus.group(groupId).settled()
      await producer.send(topic, { value: 'p1-again', partition: 1 })
      await waitUntil(() => seen.length === 2)
      expect(values(seen)).toEqual(['p1', 'p1-again'])
      consumer.resume([{ topic, partition: 0 }])
      await waitUntil(() => seen.length === 3)
      expect(values(seen)[2]).toBe('p0')
      expect(consumer.paused()).toEqual([])
    })

    it('pausing a whole topic pauses all its partitions', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      await bus.createTopic(topic, { partitions: 2 })
      const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic] })
      await consumer.run({ eachMessage: () => undefined })
      consumer.pause([{ topic }])
      expect(consumer.paused()).toHaveLength(2)
      consumer.resume([{ topic }])
      expect(consumer.paused()).toHaveLength(0)
    })
  })

  describe('async iteration', () => {
    it('yields records in order and counts a record processed when the next one is asked for', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      const groupId = uniqueName('g')
      await bus.createTopic(topic)
      await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
      const consumer = bus.consumer({ groupId, topics: [topic], fromBeginning: true })
      const got: string[] = []
      for await (const record of consumer) {
        got.push(record.value!.toString())
        if (got.length === 2) break
      }
      expect(got).toEqual(['a', 'b'])
      // 'a' was processed; 'b' was handed out when the loop broke, so it is delivered again.
      expect(bus.group(groupId).committedOffset(topic, 0)).toBe(1)
      const again = bus.consumer({ groupId, topics: [topic], fromBeginning: true })
      const rest: string[] = []
      for await (const record of again) {
        rest.push(record.value!.toString())
        if (rest.length === 2) break
      }
      expect(rest).toEqual(['b', 'c'])
    })

    it('cannot be combined with run()', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      await bus.createTopic(topic)
      const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic] })
      await consumer.run({ eachMessage: () => undefined })
      expect(() => consumer[Symbol.asyncIterator]()).toThrow(InvalidStateError)
    })
  })

  describe('eachBatch', () => {
    it('hands over batches per partition and resolves them', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      const groupId = uniqueName('g')
      await bus.createTopic(topic)
      await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
      const consumer = bus.consumer({ groupId, topics: [topic], fromBeginning: true })
      const batches: string[][] = []
      await consumer.run({
        eachBatch: ({ records, highWatermark, partition }) => {
          expect(partition).toBe(0)
          expect(highWatermark).toBe(3)
          batches.push(values([...records]))
        },
      })
      await waitUntil(() => batches.length === 1)
      expect(batches).toEqual([['a', 'b', 'c']])
      await consumer.commit()
      expect(bus.group(groupId).committedOffset(topic, 0)).toBe(3)
    })

    it('without auto-resolve, only resolved offsets count and a failure retries from the first unresolved', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      await bus.createTopic(topic)
      await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
      const consumer = bus.consumer({
        groupId: uniqueName('g'),
        topics: [topic],
        fromBeginning: true,
        retry: { retries: 3, initialRetryTimeMs: 1 },
      })
      const calls: string[][] = []
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: ({ records, resolveOffset }) => {
          calls.push(values([...records]))
          if (calls.length === 1) {
            resolveOffset(records[0]!.offset)
            throw new Error('fail after the first')
          }
          resolveOffset(records[records.length - 1]!.offset)
        },
      })
      await waitUntil(() => calls.length === 2)
      expect(calls).toEqual([
        ['a', 'b', 'c'],
        ['b', 'c'],
      ])
      await waitUntil(() => consumer.position({ topic, partition: 0 }) === 3)
    })

    it('hands the same records as runs of the stored columns, from the position on', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      await bus.createTopic(topic)
      const producer = bus.producer()
      await producer.send(topic, [
        { key: 'k0', value: 'a', timestamp: 10 },
        { key: 'k1', value: 'b', timestamp: 11, headers: { h: 'x' } },
      ])
      // More than a second later: memory storage keeps it a stored batch of its own, a second run.
      await producer.send(topic, [{ value: 'c', timestamp: 5_000 }])
      const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
      const seen: Array<{ fromRuns: LogRecord[]; records: LogRecord[]; lengths: number[] }> = []
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: ({ runs, records, resolveOffset }) => {
          const fromRuns: LogRecord[] = []
          for (const run of runs) {
            for (let i = run.from; i < run.to; i++) {
              fromRuns.push({
                topic: run.topic,
                partition: run.partition,
                offset: run.offsetAt(i),
                timestamp: run.timestampAt(i),
                key: run.keyAt(i),
                value: run.valueAt(i),
                headers: run.headersAt(i),
              })
            }
          }
          seen.push({ fromRuns, records: [...records], lengths: runs.map((run) => run.length) })
          // The first delivery resolves one record: the next starts inside the first stored batch.
          resolveOffset(records[seen.length === 1 ? 0 : records.length - 1]!.offset)
        },
      })
      await consumer.caughtUp()
      expect(seen.map((s) => s.lengths)).toEqual([
        [2, 1],
        [1, 1],
      ])
      for (const { fromRuns, records } of seen) expect(fromRuns).toEqual(records)
      expect(values(seen[1]!.records)).toEqual(['b', 'c'])
      expect(seen[1]!.records[0]).toMatchObject({
        offset: 1,
        timestamp: 11,
        headers: { h: Buffer.from('x') },
      })
    })

    it('ends the runs before a record that does not decode, as it ends the records', async () => {
      const bus = await openBus()
      const name = uniqueName()
      await bus.createTopic(name)
      await bus.producer().send(name, [{ value: '{"a":1}' }, { value: 'not json' }, { value: '{"a":3}' }])
      const consumer = bus.consumer({
        groupId: uniqueName('g'),
        topics: [bus.topic(name, { value: json() })],
        fromBeginning: true,
        onFailure: 'skip',
      })
      const batches: unknown[][] = []
      await consumer.run({
        eachBatch: ({ runs }) => {
          const batch: unknown[] = []
          for (const run of runs) for (let i = run.from; i < run.to; i++) batch.push(run.valueAt(i))
          batches.push(batch)
        },
      })
      await consumer.caughtUp()
      expect(batches).toEqual([[{ a: 1 }], [{ a: 3 }]])
    })

    it('gives a batch that its handler resolved nothing of again on the next turn, never starving timers', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      await bus.createTopic(topic)
      await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }])
      const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
      // What a handler waiting for something outside (a timer, I/O) needs: the event loop to turn.
      let ready = false
      setImmediate(() => {
        ready = true
      })
      let deliveries = 0
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: ({ records, resolveOffset }) => {
          deliveries++
          // Without turns in between, the loop would spin here forever: give up loudly instead.
          if (ready || deliveries === 10_000) resolveOffset(records.at(-1)!.offset)
        },
      })
      await consumer.caughtUp()
      expect(deliveries).toBeGreaterThan(1)
      expect(deliveries).toBeLessThan(10_000)
    })
  })

  describe('failing handlers', () => {
    it('retries a failing record with backoff, in order, then goes on', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      await bus.createTopic(topic)
      await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }])
      const consumer = bus.consumer({
        groupId: uniqueName('g'),
        topics: [topic],
        fromBeginning: true,
        retry: { retries: 5, initialRetryTimeMs: 1 },
      })
      const attempts: string[] = []
      const retries: number[] = []
      consumer.on('retry', ({ attempt, delayMs }) => retries.push(attempt * 1000 + delayMs))
      let failures = 2
      await consumer.run({
        eachMessage: (record) => {
          attempts.push(record.value!.toString())
          if (record.value!.toString() === 'a' && failures-- > 0) throw new Error('boom')
        },
      })
      await waitUntil(() => attempts.length === 4)
      expect(attempts).toEqual(['a', 'a', 'a', 'b'])
      expect(retries).toEqual([1001, 2002])
    })

    it('crashes after the retries, commits nothing after the failed record, and stays stopped without restart', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      const groupId = uniqueName('g')
      await bus.createTopic(topic)
      await bus.producer().send(topic, [{ value: 'ok' }, { value: 'bad' }, { value: 'after' }])
      const consumer = bus.consumer({
        groupId,
        topics: [topic],
        fromBeginning: true,
        retry: { retries: 2, initialRetryTimeMs: 1 },
        onFailure: 'crash',
        restartOnFailure: false,
      })
      const crash = consumer.waitFor('crash')
      const seen: string[] = []
      await consumer.run({
        eachMessage: (record) => {
          seen.push(record.value!.toString())
          if (record.value!.toString() === 'bad') throw new Error('cannot handle')
        },
      })
      const { error, restart } = await crash
      expect(restart).toBe(false)
      expect(error).toBeInstanceOf(HandlerError)
      expect(error).toMatchObject({ topic, partition: 0, offset: 1, code: 'HANDLER_FAILED' })
      expect((error.cause as Error).message).toBe('cannot handle')
      expect(seen).toEqual(['ok', 'bad', 'bad', 'bad'])
      expect(bus.group(groupId).committedOffset(topic, 0)).toBe(1)
      await bus.group(groupId).settled()
      expect(bus.group(groupId).describe().members).toEqual([])
      expect(consumer.assignment()).toEqual([])
    })

    it('restarts after a crash and redelivers from the failed record', async () => {
      const bus = await openBus()
      const topic = uniqueName()
      const groupId = uniqueName('g')
      await bus.createTopic(topic)
      await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }])
      const consumer = bus.consumer({
        groupId,
        topics: [topic],
        fromBeginning: true,
        retry: { retries: 1, initialRetryTimeMs: 1, maxRetryTimeMs: 5 },
        onFailure: 'crash',
      })
      const crashes: boolean[] = []
      consumer.on('crash', ({ restart }) => crashes.push(restart))
      const seen: string[] = []
      let failures = 2
      await consumer.run({
        eachMessage: (record) => {
          seen.push(record.value!.toString())
          if (record.value!.toString() === 'b' && failures-- > 0) throw new Error('flaky')
        },
      })
      await waitUntil(() => seen.length === 4)
      expect(seen).toEqual(['a', 'b', 'b', 'b'])
      expect(crashes).toEqual([true])
      await waitUntil(() => consumer.position({ topic, partition: 0 }) === 2)
    })

    it("crashes with OffsetOutOfRangeError under autoOffsetReset 'none' without a committed offset", async () => {
      const bus = await openBus()
      const topic = uniqueName()
      await bus.createTopic(topic)
      const consumer = bus.consumer({
        groupId: uniqueName('g'),
        topics: [topic],
        autoOffsetReset: 'none',
        restartOnFailure: false,
      })
      const crash = consumer.waitFor('crash')
      await consumer.run({ eachMessage: () => undefined })
      expect((await crash).error).toBeInstanceOf(OffsetOutOfRangeError)
    })
  })

  it('rejects a commit from a stale generation', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const first = bus.consumer({ groupId, topics: [topic], autoCommit: false })
    await first.run({ eachMessage: () => undefined })
    const group = bus.group(groupId)
    const generation = group.generation
    // Force the group to a new generation while `first` thinks it is still in the old one.
    await expect(
      group.commit(first.memberId, generation - 1, [{ topic, partition: 0, offset: 0 }]),
    ).rejects.toBeInstanceOf(IllegalGenerationError)
  })
})

describe('partitionsConsumedConcurrently', () => {
  it('handles several partitions at the same time, each in order', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic, { partitions: 4 })
    const consumer = bus.consumer({
      groupId: uniqueName('g'),
      topics: [topic],
      fromBeginning: true,
      partitionsConsumedConcurrently: 3,
    })
    let running = 0
    let maxRunning = 0
    const perPartition = new Map<number, number[]>()
    const releases: Array<() => void> = []
    await consumer.run({
      eachMessage: async (record) => {
        running++
        maxRunning = Math.max(maxRunning, running)
        const seen = perPartition.get(record.partition) ?? []
        seen.push(record.offset)
        perPartition.set(record.partition, seen)
        await new Promise<void>((resolve) => releases.push(resolve))
        running--
      },
    })
    await bus.producer().send(
      topic,
      Array.from({ length: 40 }, (_, i) => ({ value: String(i), partition: i % 4 })),
    )
    await waitUntil(() => releases.length === 3)
    // Three handlers wait at once, on three different partitions; the fourth partition waits its turn.
    expect(running).toBe(3)
    while ([...perPartition.values()].reduce((n, l) => n + l.length, 0) < 40 || releases.length > 0) {
      releases.shift()?.()
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    expect(maxRunning).toBe(3)
    for (const offsets of perPartition.values())
      expect(offsets).toEqual(Array.from({ length: 10 }, (_, i) => i))
    await consumer.close()
  })
})

describe('eachBatch and seek', () => {
  it('a seek inside the handler is not undone by the automatic resolve', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }])
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
    const batches: string[][] = []
    await consumer.run({
      eachBatch: ({ records }) => {
        batches.push(values([...records]))
        if (batches.length === 1) consumer.seek({ topic, partition: 0, offset: 0 })
      },
    })
    await waitUntil(() => batches.length === 2)
    expect(batches).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ])
  })
})

describe('regressions from review', () => {
  it('a seek inside eachMessage wins over the position after the record', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    await bus.producer().send(topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
    const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true })
    const seen: string[] = []
    await consumer.run({
      eachMessage: (record) => {
        seen.push(record.value!.toString())
        if (seen.length === 2) consumer.seek({ topic, partition: 0, offset: 0 })
      },
    })
    await waitUntil(() => seen.length === 5)
    expect(seen).toEqual(['a', 'b', 'a', 'b', 'c'])
  })

  it('the waiting hooks fail instead of hanging when the consumer stops for good', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    await bus.createTopic(topic)
    const consumer = bus.consumer({
      groupId: uniqueName('g'),
      topics: [topic],
      fromBeginning: true,
      retry: { retries: 0, initialRetryTimeMs: 0 },
      onFailure: 'crash',
      restartOnFailure: false,
    })
    await consumer.run({
      eachMessage: () => {
        throw new Error('always')
      },
    })
    await bus.producer().send(topic, [{ value: 'a' }])
    await expect(consumer.idle()).rejects.toBeInstanceOf(HandlerError)

    const other = bus.consumer({ groupId: uniqueName('g'), topics: [topic] })
    let release: () => void = () => {}
    await other.run({
      eachMessage: () =>
        new Promise<void>((resolve) => {
          release = resolve
        }),
    })
    await bus.producer().send(topic, [{ value: 'b' }])
    const waiting = other.caughtUp()
    const closing = other.close()
    await expect(waiting).rejects.toBeInstanceOf(ClosedError)
    release()
    await closing
  })

  it('cooperative rebalancing with concurrent partitions does not wait for the partitions that stay', async () => {
    const bus = await openBus()
    const topic = uniqueName()
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 4 })
    const options = {
      groupId,
      topics: [topic],
      assignor: 'cooperative-sticky' as const,
      partitionsConsumedConcurrently: 4,
      maxPollIntervalMs: 60_000,
    }
    const first = bus.consumer(options)
    let flowing = true
    await first.run({ eachMessage: () => new Promise<void>((resolve) => setTimeout(resolve, 1)) })
    const producer = bus.producer()
    // Keep every partition busy, so that some handler of the first member is always running.
    const pump = (async () => {
      while (flowing)
        await producer.send(
          topic,
          [0, 1, 2, 3].map((partition) => ({ value: 'x', partition })),
        )
    })()
    const second = bus.consumer(options)
    const removed: unknown[] = []
    first.on('removed', (event) => removed.push(event))
    const started = Date.now()
    await second.run({ eachMessage: () => undefined })
    await second.joined({ timeoutMs: 10_000 })
    flowing = false
    await pump
    expect(second.assignment()).toHaveLength(2)
    expect(removed).toEqual([])
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})

import { describe, expect, it } from 'vitest'
import {
  AssignerProtocol,
  type ConsumerCrashEvent,
  type EachBatchPayload,
  type EachMessagePayload,
  type IBatchProcessEvent,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  type KafkaMessage,
  logLevel,
  type PartitionAssigner,
} from '../../src/kafkajs/index'
import { testKafka, topicWith, uniqueName, values, waitUntil } from './harness'

describe('consumer: consuming in a group', () => {
  it('delivers messages as KafkaJS does: offsets and timestamps as strings, Buffers, headers', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [
      { key: 'k1', value: 'v1', headers: { h: 'x', tags: ['a', 'b'] } },
      { value: 'v2' },
    ])
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    const seen: EachMessagePayload[] = []
    await consumer.run({ eachMessage: async (payload) => void seen.push(payload) })
    await waitUntil(() => seen.length === 2)
    const [first, second] = seen
    expect(first).toMatchObject({ topic, partition: 0 })
    expect(first?.message).toMatchObject({
      key: Buffer.from('k1'),
      value: Buffer.from('v1'),
      offset: '0',
      attributes: 0,
      headers: { h: Buffer.from('x'), tags: [Buffer.from('a'), Buffer.from('b')] },
    })
    expect(first?.message.timestamp).toMatch(/^\d{13}$/)
    expect(second?.message).toMatchObject({ key: null, value: Buffer.from('v2'), offset: '1', headers: {} })
  })

  it('run() resolves after the group join, GROUP_JOIN carrying the assignment (KafkaJS runner.start awaits joinAndSync)', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 3, [])
    const groupId = uniqueName('g')
    const consumer = client.consumer({ groupId })
    const joins: unknown[] = []
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => void joins.push(payload))
    await consumer.subscribe({ topic })
    await consumer.run({ eachMessage: async () => {} })
    expect(joins).toEqual([
      expect.objectContaining({
        groupId,
        isLeader: true,
        groupProtocol: 'RoundRobinAssigner',
        memberAssignment: { [topic]: [0, 1, 2] },
      }),
    ])
    const description = await consumer.describeGroup()
    expect(description).toMatchObject({
      groupId,
      state: 'Stable',
      protocol: 'RoundRobinAssigner',
      protocolType: 'consumer',
    })
    const member = description.members[0]!
    expect(member.clientId).toBe('test')
    expect(AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment).toEqual({
      [topic]: [0, 1, 2],
    })
    expect(AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.topics).toEqual([topic])
  })

  // consumer/index.js subscribe keeps fromBeginning per topic (topics[t] = { fromBeginning }).
  it('starts at the log end without fromBeginning, per topic', async () => {
    const client = testKafka()
    const old = await topicWith(client, 1, [{ value: 'old-a' }])
    const fresh = await topicWith(client, 1, [{ value: 'old-b' }])
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topics: [old], fromBeginning: true })
    await consumer.subscribe({ topics: [fresh], fromBeginning: false })
    const seen: KafkaMessage[] = []
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) })
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic: fresh, messages: [{ value: 'new-b' }] })
    await waitUntil(() => seen.length === 2)
    expect(values(seen).sort()).toEqual(['new-b', 'old-a'])
  })

  // consumer/index.js subscribe matches a RegExp against cluster.metadata() once, at subscribe time.
  it('subscribes with a RegExp to the topics that exist at subscribe time, as KafkaJS', async () => {
    const client = testKafka()
    const prefix = uniqueName('re')
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic: `${prefix}.a`, messages: [{ value: 'a' }] })
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topics: [new RegExp(`^${prefix}\\.`)], fromBeginning: true })
    const seen: string[] = []
    await consumer.run({ eachMessage: async ({ topic }) => void seen.push(topic) })
    await producer.send({ topic: `${prefix}.b`, messages: [{ value: 'b' }] })
    await producer.send({ topic: `${prefix}.a`, messages: [{ value: 'a2' }] })
    await waitUntil(() => seen.length === 2)
    expect(seen).toEqual([`${prefix}.a`, `${prefix}.a`])
  })

  // consumer/assigners/roundRobinAssigner: partitions dealt to the members sorted by member id.
  it('rebalances when a second member joins, splitting the partitions round-robin', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 4, [])
    const groupId = uniqueName('g')
    const first = client.consumer({ groupId })
    const second = client.consumer({ groupId })
    const rebalancing: string[] = []
    const assignments = new Map<string, Record<string, number[]>>()
    first.on(first.events.REBALANCING, ({ payload }) => void rebalancing.push(payload.memberId))
    first.on(
      first.events.GROUP_JOIN,
      ({ payload }) => void assignments.set('first', payload.memberAssignment),
    )
    second.on(
      second.events.GROUP_JOIN,
      ({ payload }) => void assignments.set('second', payload.memberAssignment),
    )
    const received: Array<{ who: string; partition: number }> = []
    await first.subscribe({ topic })
    await first.run({ eachMessage: async ({ partition }) => void received.push({ who: 'first', partition }) })
    expect(assignments.get('first')).toEqual({ [topic]: [0, 1, 2, 3] })
    await second.subscribe({ topic })
    await second.run({
      eachMessage: async ({ partition }) => void received.push({ who: 'second', partition }),
    })
    await waitUntil(() => assignments.get('first')?.[topic]?.length === 2)
    expect(rebalancing).toHaveLength(1)
    const mine = assignments.get('first')![topic]!
    const theirs = assignments.get('second')![topic]!
    expect([...mine, ...theirs].sort()).toEqual([0, 1, 2, 3])
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic, messages: [0, 1, 2, 3].map((partition) => ({ value: 'x', partition })) })
    await waitUntil(() => received.length === 4)
    for (const { who, partition } of received) expect(who === 'first' ? mine : theirs).toContain(partition)
    expect((await first.describeGroup()).members).toHaveLength(2)
  })

  // KafkaJS commits after every batch with autoCommit (consumer/runner.js: handleBatch → autoCommitOffsets).
  it('commits after each batch (autoCommit) and a new member resumes there', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [{ value: '0' }, { value: '1' }, { value: '2' }])
    const groupId = uniqueName('g')
    const first = client.consumer({ groupId })
    await first.subscribe({ topic, fromBeginning: true })
    const commits: unknown[] = []
    first.on(first.events.COMMIT_OFFSETS, ({ payload }) => void commits.push(payload.topics))
    const seen: KafkaMessage[] = []
    await first.run({ eachMessage: async ({ message }) => void seen.push(message) })
    await waitUntil(() => commits.length > 0)
    expect(commits[0]).toEqual([{ topic, partitions: [{ partition: 0, offset: '3' }] }])
    await first.disconnect()
    const admin = client.admin()
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([
      { topic, partitions: [{ partition: 0, offset: '3', metadata: null }] },
    ])

    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: '3' }] })
    const second = client.consumer({ groupId })
    await second.subscribe({ topic, fromBeginning: true })
    const resumed: KafkaMessage[] = []
    await second.run({ eachMessage: async ({ message }) => void resumed.push(message) })
    await waitUntil(() => resumed.length === 1)
    expect(values(resumed)).toEqual(['3'])
  })

  it('commits explicitly with commitOffsets when autoCommit is off', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [{ value: '0' }, { value: '1' }])
    const groupId = uniqueName('g')
    const consumer = client.consumer({ groupId })
    await consumer.subscribe({ topic, fromBeginning: true })
    const seen: KafkaMessage[] = []
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void seen.push(message) })
    await waitUntil(() => seen.length === 2)
    const admin = client.admin()
    expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset).toBe('-1')
    await consumer.commitOffsets([{ topic, partition: 0, offset: '1' }])
    expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset).toBe('1')
  })

  // consumer/offsetManager/index.js commitOffsetsIfNecessary, called after each message (runner.js processEachMessage).
  it('commits every autoCommitThreshold resolved messages', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [])
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topic })
    const commits: string[] = []
    consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
      commits.push(payload.topics[0]!.partitions[0]!.offset)
    })
    const seen: KafkaMessage[] = []
    await consumer.run({
      autoCommitThreshold: 2,
      eachMessage: async ({ message }) => void seen.push(message),
    })
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic, messages: ['a', 'b', 'c', 'd', 'e'].map((value) => ({ value })) })
    await waitUntil(() => commits.includes('5'))
    // Within the batch after offsets 1 and 3 (threshold), then the rest after the batch.
    expect(commits).toEqual(['2', '4', '5'])
  })

  // consumer/index.js seek: special offsets -1/-2, and the 'not initialized' error before run.
  it('seeks (including to the earliest offset, -2), and seek before run throws as in KafkaJS', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topic })
    expect(() => consumer.seek({ topic, partition: 0, offset: '0' })).toThrow(
      'Consumer group was not initialized, consumer#run must be called first',
    )
    const seen: KafkaMessage[] = []
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) })
    consumer.seek({ topic, partition: 0, offset: '1' })
    await waitUntil(() => seen.length === 2)
    expect(values(seen)).toEqual(['b', 'c'])
    consumer.seek({ topic, partition: 0, offset: '-2' })
    await waitUntil(() => seen.length === 5)
    expect(values(seen)).toEqual(['b', 'c', 'a', 'b', 'c'])
    expect(() => consumer.seek({ topic, partition: 0, offset: '-3' })).toThrow(
      'Offset must not be a negative number',
    )
  })

  // runner.js processEachMessage stops a batch once a seek is pending (hasSeekOffset).
  it('a seek from inside eachMessage stops the batch and restarts at the new offset', async () => {
    const client = testKafka()
    const topic = await topicWith(
      client,
      1,
      ['a', 'b', 'c', 'd'].map((value) => ({ value })),
    )
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topic, fromBeginning: true })
    const seen: string[] = []
    let seeked = false
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString())
        if (message.offset === '1' && !seeked) {
          seeked = true
          consumer.seek({ topic, partition: 0, offset: '0' })
        }
      },
    })
    await waitUntil(() => seen.length === 6)
    expect(seen).toEqual(['a', 'b', 'a', 'b', 'c', 'd'])
  })

  // consumer/subscriptionState.js: whole topics, partitions, and resumed exceptions; runner.js payload pause().
  it('pauses and resumes partitions (and pause() from the payload), paused() lists them', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 2, [])
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topic })
    expect(() => consumer.pause([{ topic }])).toThrow('Consumer group was not initialized')
    const seen: Array<{ partition: number; value: string }> = []
    let resumeFromPayload: (() => void) | undefined
    await consumer.run({
      eachMessage: async ({ partition, message, pause }) => {
        seen.push({ partition, value: message.value!.toString() })
        if (message.value?.toString() === 'stop-here') resumeFromPayload = pause()
      },
    })
    consumer.pause([{ topic, partitions: [1] }])
    expect(consumer.paused()).toEqual([{ topic, partitions: [1] }])
    const producer = client.producer()
    await producer.connect()
    await producer.send({
      topic,
      messages: [
        { value: 'p0', partition: 0 },
        { value: 'p1', partition: 1 },
      ],
    })
    await waitUntil(() => seen.length === 1)
    expect(seen).toEqual([{ partition: 0, value: 'p0' }])
    consumer.resume([{ topic, partitions: [1] }])
    await waitUntil(() => seen.length === 2)
    expect(seen[1]).toEqual({ partition: 1, value: 'p1' })

    await producer.send({
      topic,
      messages: [
        { value: 'stop-here', partition: 0 },
        { value: 'after', partition: 0 },
      ],
    })
    await waitUntil(() => resumeFromPayload !== undefined)
    expect(consumer.paused()).toEqual([{ topic, partitions: [0] }])
    expect(seen).toHaveLength(3)
    resumeFromPayload!()
    await waitUntil(() => seen.length === 4)
    expect(seen[3]).toEqual({ partition: 0, value: 'after' })

    // A whole topic paused, one partition resumed: KafkaJS's subscription state.
    consumer.pause([{ topic }])
    consumer.resume([{ topic, partitions: [1] }])
    expect(consumer.paused()).toEqual([{ topic, partitions: [0] }])
    consumer.resume([{ topic }])
    expect(consumer.paused()).toEqual([])
  })

  // runner.js scheduleFetchManager retries the fetch loop; the unresolved message is fetched again.
  it('retries a failing message per retry, then succeeds without crashing', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [{ value: 'flaky' }, { value: 'next' }])
    const consumer = client.consumer({ groupId: uniqueName('g'), retry: { retries: 3, initialRetryTime: 5 } })
    await consumer.subscribe({ topic, fromBeginning: true })
    const crashes: unknown[] = []
    consumer.on(consumer.events.CRASH, (e) => void crashes.push(e))
    const attempts: string[] = []
    await consumer.run({
      eachMessage: async ({ message }) => {
        attempts.push(message.value!.toString())
        if (attempts.filter((a) => a === 'flaky').length < 3) throw new Error('try again')
      },
    })
    await waitUntil(() => attempts.includes('next'))
    expect(attempts).toEqual(['flaky', 'flaky', 'flaky', 'next'])
    expect(crashes).toEqual([])
  })

  it('crashes with KafkaJSNumberOfRetriesExceeded after the retries, then restarts and redelivers (runner.js, consumer/index.js onCrash)', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [{ value: 'ok' }, { value: 'poison' }])
    const groupId = uniqueName('g')
    const consumer = client.consumer({ groupId, retry: { retries: 1, initialRetryTime: 5 } })
    await consumer.subscribe({ topic, fromBeginning: true })
    const events: string[] = []
    const crashes: ConsumerCrashEvent[] = []
    for (const name of [consumer.events.STOP, consumer.events.DISCONNECT, consumer.events.CONNECT] as const) {
      consumer.on(name, (e) => void events.push(e.type))
    }
    consumer.on(consumer.events.CRASH, (e) => {
      events.push(e.type)
      crashes.push(e)
    })
    consumer.on(consumer.events.GROUP_JOIN, (e) => void events.push(e.type))
    const attempts: string[] = []
    let fail = true
    await consumer.run({
      eachMessage: async ({ message }) => {
        attempts.push(message.value!.toString())
        if (fail && message.value?.toString() === 'poison') throw new Error('poisoned')
      },
    })
    await waitUntil(() => crashes.length === 1)
    const error = crashes[0]!.payload.error
    expect(error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
    expect(error.cause).toMatchObject({ message: 'poisoned' })
    expect(crashes[0]!.payload).toMatchObject({ groupId, restart: true })
    // What was processed before the failing message was committed.
    expect((await client.admin().fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset).toBe(
      '1',
    )
    fail = false
    await waitUntil(() => attempts.filter((a) => a === 'poison').length === 3)
    expect(attempts).toEqual(['ok', 'poison', 'poison', 'poison'])
    expect(events).toEqual([
      'consumer.connect',
      'consumer.group_join',
      'consumer.stop',
      'consumer.disconnect',
      'consumer.crash',
      'consumer.connect',
      'consumer.group_join',
    ])
  })

  it('does not restart when restartOnFailure resolves to false', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [{ value: 'poison' }])
    const decisions: Error[] = []
    const consumer = client.consumer({
      groupId: uniqueName('g'),
      retry: {
        retries: 0,
        initialRetryTime: 5,
        restartOnFailure: async (error) => {
          decisions.push(error)
          return false
        },
      },
    })
    await consumer.subscribe({ topic, fromBeginning: true })
    const crashes: ConsumerCrashEvent[] = []
    consumer.on(consumer.events.CRASH, (e) => void crashes.push(e))
    await consumer.run({
      eachMessage: async () => {
        throw new Error('always')
      },
    })
    await waitUntil(() => crashes.length === 1)
    expect(crashes[0]!.payload.restart).toBe(false)
    expect(decisions[0]).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
    // Stopped: subscribe is allowed again, as after KafkaJS's disconnect on crash.
    await consumer.subscribe({ topic })
  })

  it('does not retry a non-retriable error and does not restart (retry/index.js isErrorRetriable)', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [{ value: 'x' }])
    const consumer = client.consumer({ groupId: uniqueName('g'), retry: { retries: 5, initialRetryTime: 5 } })
    await consumer.subscribe({ topic, fromBeginning: true })
    const crashes: ConsumerCrashEvent[] = []
    consumer.on(consumer.events.CRASH, (e) => void crashes.push(e))
    let calls = 0
    await consumer.run({
      eachMessage: async () => {
        calls++
        throw new TypeError('a bug')
      },
    })
    await waitUntil(() => crashes.length === 1)
    expect(calls).toBe(1)
    expect(crashes[0]!.payload.error).toBeInstanceOf(KafkaJSNonRetriableError)
    expect(crashes[0]!.payload.restart).toBe(false)
  })

  // consumer/batch.js (offsetLag, offsetLagLow, firstOffset, lastOffset) and runner.js processEachBatch.
  it('eachBatch: the batch API, resolveOffset, uncommittedOffsets and commitOffsetsIfNecessary', async () => {
    const client = testKafka()
    const topic = await topicWith(
      client,
      1,
      ['a', 'b', 'c', 'd'].map((value) => ({ value })),
    )
    const groupId = uniqueName('g')
    const consumer = client.consumer({ groupId })
    await consumer.subscribe({ topic, fromBeginning: true })
    const batches: Array<Record<string, unknown>> = []
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: false,
      eachBatch: async ({
        batch,
        resolveOffset,
        uncommittedOffsets,
        commitOffsetsIfNecessary,
        isRunning,
        isStale,
      }) => {
        batches.push({
          highWatermark: batch.highWatermark,
          isEmpty: batch.isEmpty(),
          firstOffset: batch.firstOffset(),
          lastOffset: batch.lastOffset(),
          offsetLag: batch.offsetLag(),
          offsetLagLow: batch.offsetLagLow(),
          values: values(batch.messages),
          running: isRunning(),
          stale: isStale(),
        })
        resolveOffset(batch.messages[1]!.offset)
        batches.push({ uncommitted: uncommittedOffsets() })
        await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }] })
      },
    })
    await waitUntil(() => batches.length >= 2)
    expect(batches[0]).toEqual({
      highWatermark: '4',
      isEmpty: false,
      firstOffset: '0',
      lastOffset: '3',
      offsetLag: '0',
      offsetLagLow: '3',
      values: ['a', 'b', 'c', 'd'],
      running: true,
      stale: false,
    })
    expect(batches[1]).toEqual({
      uncommitted: { topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }] },
    })
    // Only what was resolved moves: the rest of the batch comes again.
    await waitUntil(() => batches.length >= 4)
    expect(batches[2]).toMatchObject({ firstOffset: '2', values: ['c', 'd'] })
    await consumer.stop()
    expect((await client.admin().fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset).toBe(
      '2',
    )
  })

  // runner.js processEachBatch: isStale is hasSeekOffset; eachBatchAutoResolve resolves batch.lastOffset().
  it('eachBatch: eachBatchAutoResolve resolves the whole batch, isStale turns true after a seek', async () => {
    const client = testKafka()
    const topic = await topicWith(
      client,
      1,
      ['a', 'b', 'c'].map((value) => ({ value })),
    )
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topic, fromBeginning: true })
    const seen: Array<{ first: string | null; stale: boolean[] }> = []
    await consumer.run({
      eachBatch: async ({ batch, isStale, heartbeat }: EachBatchPayload) => {
        const stale = [isStale()]
        if (seen.length === 0) consumer.seek({ topic, partition: 0, offset: '1' })
        stale.push(isStale())
        await heartbeat()
        seen.push({ first: batch.firstOffset(), stale })
      },
    })
    await waitUntil(() => seen.length === 2)
    expect(seen).toEqual([
      { first: '0', stale: [false, true] },
      { first: '1', stale: [false, false] },
    ])
  })

  // runner.js handleBatch builds this payload from consumer/batch.js.
  it('emits START_BATCH_PROCESS and END_BATCH_PROCESS with the batch payload', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [{ value: 'a' }, { value: 'b' }])
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topic, fromBeginning: true })
    const events: Array<{ type: string; payload: IBatchProcessEvent & { duration?: number } }> = []
    consumer.on(consumer.events.START_BATCH_PROCESS, (e) => void events.push(e))
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => void events.push(e))
    await consumer.run({ eachMessage: async () => {} })
    await waitUntil(() => events.length === 2)
    const expected = {
      topic,
      partition: 0,
      highWatermark: '2',
      offsetLag: '0',
      offsetLagLow: '1',
      batchSize: 2,
      firstOffset: '0',
      lastOffset: '1',
    }
    expect(events[0]).toMatchObject({ type: 'consumer.start_batch_process', payload: expected })
    expect(events[1]).toMatchObject({ type: 'consumer.end_batch_process', payload: expected })
    expect(events[1]!.payload.duration).toEqual(expect.any(Number))
  })

  // consumer/consumerGroup.js heartbeat: at most one per heartbeatInterval, with the generation.
  it('emits HEARTBEAT at most once per heartbeatInterval when processing calls for one', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [])
    const groupId = uniqueName('g')
    const consumer = client.consumer({ groupId, heartbeatInterval: 1 })
    await consumer.subscribe({ topic })
    const heartbeats: Array<{ groupId: string; memberId: string; groupGenerationId: number }> = []
    consumer.on(consumer.events.HEARTBEAT, ({ payload }) => void heartbeats.push(payload))
    const started = Date.now()
    let handled = 0
    await consumer.run({
      eachMessage: async ({ heartbeat }) => {
        await waitUntil(() => Date.now() > started + 2)
        await heartbeat()
        handled++
      },
    })
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'a' }] })
    await waitUntil(() => handled === 1 && heartbeats.length > 0)
    expect(heartbeats[0]).toMatchObject({ groupId, memberId: expect.stringMatching(/^test-/) })
    expect(heartbeats[0]!.groupGenerationId).toBeGreaterThan(0)
  })

  it('handles partitions concurrently with partitionsConsumedConcurrently', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 2, [
      { value: 'p0', partition: 0 },
      { value: 'p1', partition: 1 },
    ])
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topic, fromBeginning: true })
    let inFlight = 0
    let maxInFlight = 0
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    await consumer.run({
      partitionsConsumedConcurrently: 2,
      eachMessage: async () => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        if (maxInFlight === 2) release()
        await gate
        inFlight--
      },
    })
    await gate
    expect(maxInFlight).toBe(2)
  })

  // consumer/index.js: subscribe checks consumerGroup, run returns with a warning when already running.
  it("enforces KafkaJS's call order: subscribe after run throws, run twice warns and returns", async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [])
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await expect(consumer.commitOffsets([{ topic, partition: 0, offset: '0' }])).rejects.toThrow(
      'Consumer group was not initialized',
    )
    await consumer.subscribe({ topic })
    await consumer.run({ eachMessage: async () => {} })
    await expect(consumer.subscribe({ topic })).rejects.toThrow(
      'Cannot subscribe to topic while consumer is running',
    )
    await consumer.run({ eachMessage: async () => {} })
    await consumer.stop()
    await consumer.subscribe({ topic })
  })

  // consumer/index.js: groupId and heartbeatInterval checks, and the event-name check of on().
  it('validates its config as KafkaJS does', () => {
    const { kafka } = testKafka()
    expect(() => kafka.consumer({ groupId: '' })).toThrow('Consumer groupId must be a non-empty string.')
    expect(() => kafka.consumer({ groupId: 'g', heartbeatInterval: 10_000, sessionTimeout: 5_000 })).toThrow(
      /must be lower than sessionTimeout/,
    )
    const nameless = (() => ({ version: 0 })) as unknown as PartitionAssigner
    expect(() => kafka.consumer({ groupId: 'g', partitionAssigners: [nameless] })).toThrow(
      /Invalid partition assigner/,
    )
    const consumer = kafka.consumer({ groupId: 'g' })
    expect(() => consumer.on('consumer.nope' as never, () => {})).toThrow(
      /Event name should be one of consumer.events/,
    )
  })

  it('can be stopped from inside its own handler without waiting for itself', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [{ value: 'a' }, { value: 'b' }])
    const groupId = uniqueName('g')
    const consumer = client.consumer({ groupId })
    await consumer.subscribe({ topic, fromBeginning: true })
    const stopped: string[] = []
    consumer.on(consumer.events.STOP, (e) => void stopped.push(e.type))
    const seen: string[] = []
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString())
        await consumer.disconnect()
      },
    })
    await waitUntil(() => stopped.length === 1)
    expect(seen).toEqual(['a'])
    expect((await client.admin().fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset).toBe(
      '1',
    )
  })

  it('can be stopped from its own handler after awaits there, and through a then-chain', async () => {
    for (const style of ['await', 'then'] as const) {
      const client = testKafka()
      const topic = await topicWith(client, 1, [{ value: 'a' }, { value: 'b' }])
      const consumer = client.consumer({ groupId: uniqueName('g') })
      await consumer.subscribe({ topic, fromBeginning: true })
      const stopped: string[] = []
      consumer.on(consumer.events.STOP, (e) => void stopped.push(e.type))
      const seen: string[] = []
      await consumer.run({
        eachMessage:
          style === 'await'
            ? async ({ message }) => {
                seen.push(message.value!.toString())
                await new Promise((resolve) => setImmediate(resolve))
                await Promise.resolve()
                await consumer.disconnect()
              }
            : ({ message }) => {
                seen.push(message.value!.toString())
                return new Promise<void>((resolve) => setImmediate(resolve)).then(() => consumer.disconnect())
              },
      })
      await waitUntil(() => stopped.length === 1)
      expect(seen, style).toEqual(['a'])
    }
  })

  it("a handler that stops another consumer waits for that consumer's own handler", async () => {
    const client = testKafka()
    const first = await topicWith(client, 1, [{ value: 'a' }])
    const second = await topicWith(client, 1, [{ value: 'b' }])
    const stopper = client.consumer({ groupId: uniqueName('g') })
    const stopped = client.consumer({ groupId: uniqueName('g') })
    await stopper.subscribe({ topic: first, fromBeginning: true })
    await stopped.subscribe({ topic: second, fromBeginning: true })
    let releaseOther!: () => void
    const otherRunning = new Promise<void>((resolve) => {
      releaseOther = resolve
    })
    let otherStarted!: () => void
    const started = new Promise<void>((resolve) => {
      otherStarted = resolve
    })
    let otherDone = false
    await stopped.run({
      eachMessage: async () => {
        otherStarted()
        await otherRunning
        otherDone = true
      },
    })
    await started
    let sawOtherDone: boolean | undefined
    await stopper.run({
      eachMessage: async () => {
        const stopping = stopped.stop()
        releaseOther()
        await stopping
        sawOtherDone = otherDone
      },
    })
    await waitUntil(() => sawOtherDone !== undefined)
    expect(sawOtherDone).toBe(true)
    await stopper.disconnect()
    await stopped.disconnect()
  })
})

describe('consumer: KafkaJS details found running code written for KafkaJS', () => {
  // consumer/index.js run(): the ConsumerGroup is created before the first await, so seek() and
  // pause() work right after a run() that is not awaited (the docs say run need not be awaited).
  it('accepts seek() and pause() right after a run() that is not awaited', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 2, [
      { value: 'a0', partition: 0 },
      { value: 'a1', partition: 0 },
      { value: 'a2', partition: 0 },
      { value: 'b0', partition: 1 },
    ])
    const consumer = client.consumer({ groupId: uniqueName('g') })
    await consumer.subscribe({ topic, fromBeginning: true })
    const seen: string[] = []
    const running = consumer.run({
      eachMessage: async ({ message }) => void seen.push(message.value!.toString()),
    })
    consumer.seek({ topic, partition: 0, offset: '2' })
    consumer.pause([{ topic, partitions: [1] }])
    await consumer.commitOffsets([{ topic, partition: 0, offset: '1' }])
    await running
    await waitUntil(() => seen.length === 1)
    expect(seen).toEqual(['a2'])
    expect(consumer.paused()).toEqual([{ topic, partitions: [1] }])
    consumer.resume([{ topic }])
    await waitUntil(() => seen.length === 2)
    expect(seen).toEqual(['a2', 'b0'])
  })

  // consumer/runner.js processEachMessage: the failing message's offset, a string.
  it('logs "Error when calling eachMessage" with the failing message’s offset', async () => {
    const entries: Array<{ message: string; offset?: unknown }> = []
    const client = testKafka({
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => void entries.push(entry.log as { message: string; offset?: unknown }),
    })
    const topic = await topicWith(client, 1, [{ value: 'ok' }, { value: 'ok' }, { value: 'bad' }])
    const consumer = client.consumer({ groupId: uniqueName('g'), retry: { retries: 0 } })
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value!.toString() === 'bad') throw new Error('bad message')
      },
    })
    await waitUntil(() => entries.some((e) => e.message === 'Error when calling eachMessage'))
    expect(entries.find((e) => e.message === 'Error when calling eachMessage')).toMatchObject({ offset: '2' })
  })

  // retry/index.js: multiplier and factor are plain numbers; 1.5 is common.
  it('runs with a fractional retry multiplier and retries on that schedule', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 1, [{ value: 'flaky' }])
    const consumer = client.consumer({
      groupId: uniqueName('g'),
      retry: { retries: 3, initialRetryTime: 1, multiplier: 1.5, factor: 0, maxRetryTime: 10 },
    })
    await consumer.subscribe({ topic, fromBeginning: true })
    let attempts = 0
    await consumer.run({
      eachMessage: async () => {
        if (++attempts < 3) throw new Error('not yet')
      },
    })
    await waitUntil(() => attempts === 3)
  })
})

import { Bus, InvalidConfigError, LogbusError, MemoryStorage, type TopicPartition } from 'logbus'
import type { ConnectorPlugin, SinkRecord, SourceRecord, TransformationFactory } from 'logbus/connect'
import { datagen } from 'logbus/datagen'
import { describe, expect, it } from 'vitest'
import { openBus, waitUntil } from '../support/bus'
import { FakeClock } from '../support/fake-clock'
import { openWorker, topicLines } from './support'

/** A sink plugin whose tasks record what they were given: partitions opened and records put. */
function recordingSink() {
  const put: { task: number; record: SinkRecord }[] = []
  const opened: { task: number; partitions: TopicPartition[] }[] = []
  let next = 0
  const plugin: ConnectorPlugin = {
    type: 'sink',
    delivery: 'at-least-once',
    taskConfigs: (config, maxTasks) => Array.from({ length: maxTasks }, () => config),
    createTask() {
      const task = next++
      return {
        start() {},
        open: (partitions) => void opened.push({ task, partitions }),
        put: (records) => void put.push(...records.map((record) => ({ task, record }))),
        stop() {},
      }
    },
  }
  return { plugin, put, opened }
}

describe('ConnectWorker', () => {
  it('runs a sink connector as tasks of the group connect-<name>, sharing the partitions', async () => {
    const bus = await openBus()
    await bus.createTopic('events', { partitions: 4 })
    const { plugin, put } = recordingSink()
    const { worker, until } = await openWorker(bus, { plugins: { Recording: plugin } })
    await worker.createConnector({
      name: 'rec',
      config: {
        'connector.class': 'Recording',
        topics: 'events',
        'tasks.max': 2,
        'key.converter': 'string',
        'value.converter': 'string',
      },
    })
    await bus.group('connect-rec').settled()
    const members = bus.group('connect-rec').describe().members
    expect(members).toHaveLength(2)
    const assigned = members.flatMap((m) => m.assignment.map((tp) => tp.partition)).sort()
    expect(assigned).toEqual([0, 1, 2, 3])
    await bus.producer().send(
      'events',
      Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    )
    await until('rec', 200)
    expect(put.map((p) => p.record.value).sort()).toEqual(
      Array.from({ length: 200 }, (_, i) => `v${i}`).sort(),
    )
    // Each partition went to one task only.
    const owner = new Map<number, number>()
    for (const { task, record } of put) {
      expect(owner.get(record.partition) ?? task).toBe(task)
      owner.set(record.partition, task)
    }
    expect(new Set(owner.values()).size).toBe(2)
    expect(worker.status('rec')).toMatchObject({
      type: 'sink',
      state: 'RUNNING',
      tasks: [{ id: 0 }, { id: 1 }],
    })
  })

  it('commits a sink task’s offsets after flush, on its interval and when it stops', async () => {
    const bus = await openBus()
    await bus.createTopic('events')
    const { plugin } = recordingSink()
    const { worker, until } = await openWorker(bus, { plugins: { Recording: plugin } })
    await worker.createConnector({
      name: 'rec',
      config: { 'connector.class': 'Recording', topics: 'events', 'value.converter': 'string' },
    })
    await bus.producer().send(
      'events',
      Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
    )
    await until('rec', 10)
    await worker.deleteConnector('rec')
    expect(bus.group('connect-rec').committedOffsets()).toEqual([
      { topic: 'events', partition: 0, offset: 10 },
    ])
  })

  it('datagen source: several tasks, each its own seeded stream; a restart resumes each exactly', async () => {
    const storage = new MemoryStorage()
    const config = (iterations: number) => ({
      name: 'gen',
      config: {
        'connector.class': 'io.confluent.kafka.connect.datagen.DatagenConnector',
        'kafka.topic': 'pageviews',
        quickstart: 'pageviews',
        'max.interval': 0,
        iterations,
        'random.seed': 42,
        'tasks.max': 2,
      },
    })
    const first = await Bus.open({ storage, autoCreateTopics: true })
    const run1 = await openWorker(first)
    await run1.worker.createConnector(config(50))
    await run1.until('gen', 100)
    await run1.worker.close()
    expect(run1.worker.offsets('gen').map((o) => o.offset['current.iteration'])).toEqual([50, 50])
    await first.close()

    const second = await Bus.open({ storage, autoCreateTopics: true })
    const run2 = await openWorker(second)
    await run2.worker.createConnector(config(80))
    await run2.until('gen', 60)
    await run2.worker.close()
    const values = (await topicLines(second, 'pageviews')).map(
      (text) => JSON.parse(text) as { viewtime: number },
    )
    expect(values).toHaveLength(160)
    // Task 0's stream is datagen({ seed: 42 })'s, in order, with no record twice.
    const expected = datagen({ quickstart: 'pageviews', seed: 42, iterations: 80 })
      .take(80)
      .map((r) => r.value)
    const read = await second
      .topic('pageviews')
      .partition(0)
      .read(0, 1 << 20)
    const task0 = read
      .filter((r) => r.headers['task.id']?.toString() === '0')
      .map((r) => JSON.parse(r.value!.toString()))
    expect(task0).toEqual(expected)
    await second.close()
  })

  it('errors.tolerance=none: a transform error fails the task; restartConnector brings it back', async () => {
    const bus = await openBus()
    await bus.createTopic('events')
    const { plugin } = recordingSink()
    const { worker, states, errors } = await openWorker(bus, { plugins: { Recording: plugin } })
    await worker.createConnector({
      name: 'rec',
      config: {
        'connector.class': 'Recording',
        topics: 'events',
        transforms: 'mask',
        'transforms.mask.type': 'MaskField$Value',
        'transforms.mask.fields': 'secret',
      },
    })
    await bus.producer().send('events', { value: '"not a map"' })
    await waitUntil(() => states.some((s) => s.state === 'FAILED'))
    expect(errors).toMatchObject([
      { stage: 'TRANSFORMATION', className: 'MaskField$Value', tolerated: false },
    ])
    expect(worker.status('rec')).toMatchObject({
      state: 'FAILED',
      tasks: [{ state: 'FAILED', error: expect.stringContaining('Only Map objects') }],
    })
    await worker.restartConnector('rec')
    await waitUntil(() => states.filter((s) => s.state === 'FAILED').length === 2)
  })

  it('errors.tolerance=all: skips the record and dead-letters it with stage and class', async () => {
    const bus = await openBus()
    await bus.createTopic('events')
    const { plugin, put } = recordingSink()
    const { worker, until, errors } = await openWorker(bus, { plugins: { Recording: plugin } })
    await worker.createConnector({
      name: 'rec',
      config: {
        'connector.class': 'Recording',
        topics: 'events',
        transforms: 'mask',
        'transforms.mask.type': 'org.apache.kafka.connect.transforms.MaskField$Value',
        'transforms.mask.fields': 'secret',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'events-dlq',
        'errors.deadletterqueue.context.headers.enable': true,
      },
    })
    await bus
      .producer()
      .send('events', [{ value: '{"secret":"s","a":1}' }, { value: '[1,2]' }, { value: '{"secret":"t"}' }])
    await until('rec', 2)
    expect(put.map((p) => p.record.value)).toEqual([{ secret: '', a: 1 }, { secret: '' }])
    expect(errors).toMatchObject([
      { stage: 'TRANSFORMATION', tolerated: true, deadLettered: true, origin: { offset: 1 } },
    ])
    const [dead] = await bus.topic('events-dlq').partition(0).read(0)
    expect(dead!.value!.toString()).toBe('[1,2]')
    expect(dead!.headers['__connect.errors.stage']!.toString()).toBe('TRANSFORMATION')
    expect(dead!.headers['__connect.errors.class.name']!.toString()).toBe(
      'org.apache.kafka.connect.transforms.MaskField$Value',
    )
  })

  it('retries a retriable failure with backoff on the bus clock, for up to errors.retry.timeout', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    await bus.createTopic('events')
    let attempts = 0
    const flaky: TransformationFactory = () => ({
      apply(record) {
        attempts++
        if (attempts < 3) throw new LogbusError('REQUEST_TIMED_OUT', 'not yet', { retriable: true })
        return record
      },
    })
    const { plugin, put } = recordingSink()
    const { worker, until } = await openWorker(bus, {
      plugins: { Recording: plugin },
      transforms: { Flaky: flaky },
    })
    await worker.createConnector({
      name: 'rec',
      config: {
        'connector.class': 'Recording',
        topics: 'events',
        transforms: 'f',
        'transforms.f.type': 'Flaky',
        'errors.retry.timeout': 5000,
        'value.converter': 'string',
      },
    })
    await bus.producer().send('events', { value: 'x' })
    await waitUntil(() => attempts === 1)
    await clock.advance(299)
    expect(attempts).toBe(1)
    await clock.advance(1) // the first retry after 300 ms
    await waitUntil(() => attempts === 2)
    await clock.advance(600) // then 600 ms
    await until('rec', 1)
    expect(attempts).toBe(3)
    expect(put.map((p) => p.record.value)).toEqual(['x'])
  })

  it('gives up when the next retry would pass errors.retry.timeout, then applies the tolerance', async () => {
    const clock = new FakeClock()
    const bus = await openBus({ clock })
    await bus.createTopic('events')
    let attempts = 0
    const failing: TransformationFactory = () => ({
      apply() {
        attempts++
        throw new LogbusError('REQUEST_TIMED_OUT', 'never', { retriable: true })
      },
    })
    const { plugin } = recordingSink()
    const { worker, states } = await openWorker(bus, {
      plugins: { Recording: plugin },
      transforms: { Failing: failing },
    })
    await worker.createConnector({
      name: 'rec',
      config: {
        'connector.class': 'Recording',
        topics: 'events',
        transforms: 'f',
        'transforms.f.type': 'Failing',
        'errors.retry.timeout': 500,
      },
    })
    await bus.producer().send('events', { value: '1' })
    await waitUntil(() => attempts === 1)
    await clock.advance(300)
    // 300 ms in, the next wait (600 ms) would end past the 500 ms budget: the task fails now.
    await waitUntil(() => states.some((s) => s.state === 'FAILED'))
    expect(attempts).toBe(2)
  })

  it('refuses bad configurations with InvalidConfigError and creates nothing', async () => {
    const bus = await openBus()
    const { worker } = await openWorker(bus)
    const bad = async (config: Record<string, string | number>, message: string) => {
      await expect(worker.createConnector({ name: 'bad', config })).rejects.toThrow(InvalidConfigError)
      await expect(worker.createConnector({ name: 'bad', config })).rejects.toThrow(message)
    }
    await bad({ 'connector.class': 'Nope' }, 'unknown connector "Nope"')
    await bad({ 'connector.class': 'FileStreamSink', file: 'x' }, 'give either topics')
    await bad({ 'connector.class': 'FileStreamSource', topic: 't' }, 'file')
    await bad(
      {
        'connector.class': 'FileStreamSink',
        file: 'x',
        topics: 'a',
        'errors.deadletterqueue.topic.name': 'a',
      },
      'must not be one of the topics',
    )
    await bad({ 'connector.class': 'FileStreamSink', file: 'x', topics: 'a', 'tasks.max': 0 }, 'tasks.max')
    await bad(
      { 'connector.class': 'FileStreamSink', file: 'x', topics: 'a', 'value.converter': 'avro' },
      'unknown converter',
    )
    await bad(
      { 'connector.class': 'DatagenSource', 'kafka.topic': 't', quickstart: 'nope' },
      'unknown quickstart',
    )
    expect(worker.connectors()).toEqual([])
    expect(bus.listTopics()).toEqual(['connect-offsets'])
  })

  it('a source task’s poll errors: retriable ones are retried, others fail the task; offsets stored are those of written records', async () => {
    const bus = await openBus({ autoCreateTopics: true })
    let polls = 0
    const committed: SourceRecord[] = []
    const plugin: ConnectorPlugin = {
      type: 'source',
      delivery: 'at-least-once',
      createTask: () => ({
        start() {},
        poll() {
          polls++
          if (polls === 1) throw new LogbusError('REQUEST_TIMED_OUT', 'flaky', { retriable: true })
          if (polls === 2)
            return [{ sourcePartition: { s: 1 }, sourceOffset: { n: 1 }, topic: 'out', value: 'one' }]
          throw new Error('broken')
        },
        commitRecord: (record) => void committed.push(record),
        stop() {},
      }),
    }
    const { worker, states } = await openWorker(bus, { plugins: { Mine: plugin } })
    await worker.createConnector({
      name: 'mine',
      config: { 'connector.class': 'Mine', 'value.converter': 'string' },
    })
    await waitUntil(() => states.some((s) => s.state === 'FAILED'), { timeoutMs: 5000 })
    expect(polls).toBe(3)
    expect(committed.map((r) => r.value)).toEqual(['one'])
    expect(await topicLines(bus, 'out')).toEqual(['one'])
    expect(worker.offsets('mine')).toEqual([{ partition: { s: 1 }, offset: { n: 1 } }])
    expect(worker.status('mine').tasks[0]!.error).toContain('broken')
  })
})

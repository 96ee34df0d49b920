import type { Message, Producer, RecordMetadata, TopicDeclarations } from '../index'
import type { DeadLetterQueue } from './dead-letter'
import { ErrorHandler, SKIPPED } from './error-handler'
import { asError, ConnectTaskError, isRetriable } from './errors'
import { canonicalJson, type SourceOffset, type SourcePartition, type SourceRecord } from './record'
import { type ConnectorSetup, type RunnerHost, sleep } from './runner-host'
import type { SourceTask, SourceTaskContext } from './task'
import { TaskRunner } from './task-runner'

const FIRST_RETRY_DELAY_MS = 300

interface Outgoing {
  record: SourceRecord
  topic: string
  message: Message<unknown, unknown>
}

/**
 * Runs one source task (Kafka's WorkerSourceTask): poll, transform, convert, write to topics, and store
 * the source offsets of written records in the offsets topic every `offset.flush.interval.ms` and when
 * the task stops. An offset is stored only after its record and every record polled before it were
 * written, so a restart never skips a record: delivery is at-least-once (what came after the last
 * stored offset is read again).
 */
export class SourceTaskRunner extends TaskRunner {
  readonly #abort = new AbortController()
  readonly #errors: ErrorHandler
  readonly #pending = new Map<string, { partition: SourcePartition; offset: SourceOffset }>()
  readonly #rawTopics = new Map<string, boolean>()
  readonly #partitionKeys = new WeakMap<SourcePartition, string>()
  #producer: Producer<TopicDeclarations> | undefined
  #flushing: Promise<void> = Promise.resolve()
  #flushTimer: ReturnType<RunnerHost['clock']['setTimeout']> | undefined
  #done: Promise<void> = Promise.resolve()
  #started = false

  constructor(
    host: RunnerHost,
    connector: ConnectorSetup,
    id: number,
    private readonly config: ConnectorSetup['config'],
    private readonly task: SourceTask,
  ) {
    super(host, connector, id)
    this.#errors = new ErrorHandler(
      connector.name,
      id,
      connector.errors,
      host.clock,
      this.#abort.signal,
      undefined as DeadLetterQueue | undefined,
      (report) => host.emit('recordError', { ...report, connector: connector.name, task: id }),
    )
  }

  /** Starts the task; resolves once its `start` returned (or it failed). */
  async start(): Promise<void> {
    const { host, connector } = this
    const context: SourceTaskContext = {
      ...this.taskContext(this.config, this.#abort.signal),
      offset: (partition) => host.offsets.get(connector.name, partition),
    }
    try {
      await this.task.start(context)
      this.#started = true
      this.#producer = host.bus.producer()
      this.setState('RUNNING')
    } catch (error) {
      this.markFailed(new ConnectTaskError(connector.name, this.id, 'TASK_POLL', error))
      await this.#close()
      return
    }
    this.#scheduleFlush()
    this.#done = this.#loop()
  }

  /** Stops polling, stores the offsets of what was written, and stops the task. Idempotent. */
  async stop(): Promise<void> {
    this.#abort.abort()
    await this.#done
  }

  /** Stores the offsets of the records written so far (and tells the task). */
  flush(): Promise<void> {
    const run = this.#flushing.then(() => this.#flushNow())
    this.#flushing = run.catch((error: unknown) => this.log('error', 'Could not store source offsets', error))
    return run
  }

  async #loop(): Promise<void> {
    try {
      while (!this.#abort.signal.aborted) {
        const records = await this.#poll()
        if (records === null || records.length === 0) {
          // A task that returns at once with nothing must not starve the event loop.
          await new Promise<void>((resolve) => setImmediate(resolve))
          continue
        }
        await this.#process(records)
      }
    } catch (error) {
      this.markFailed(
        error instanceof ConnectTaskError
          ? error
          : new ConnectTaskError(this.connector.name, this.id, 'TASK_POLL', error),
      )
    }
    await this.#close()
  }

  async #close(): Promise<void> {
    if (this.#flushTimer !== undefined) this.host.clock.clearTimeout(this.#flushTimer)
    await this.flush().catch(() => undefined)
    if (this.#started) await this.stopTask(this.task)
    await this.#producer?.close().catch(() => undefined)
    if (this.state !== 'FAILED') this.setState('STOPPED')
  }

  async #poll(): Promise<SourceRecord[] | null> {
    let delay = FIRST_RETRY_DELAY_MS
    for (;;) {
      try {
        return await this.task.poll()
      } catch (error) {
        // Kafka retries a RetriableException from poll for as long as the task runs.
        if (!isRetriable(error) || this.#abort.signal.aborted) {
          throw new ConnectTaskError(this.connector.name, this.id, 'TASK_POLL', error)
        }
        this.log('warn', 'poll failed, retrying', error)
        await sleep(this.host.clock, delay, this.#abort.signal)
        delay = Math.min(delay * 2, this.connector.errors.retryDelayMaxMs)
      }
    }
  }

  async #process(records: readonly SourceRecord[]): Promise<void> {
    const { chain, keyConverter, valueConverter } = this.connector
    const outgoing: Outgoing[] = []
    const metadata = new Map<SourceRecord, RecordMetadata | null>()
    for (const record of records) {
      let transformed: SourceRecord | null | typeof SKIPPED | Promise<SourceRecord | null | typeof SKIPPED> =
        record
      if (chain.size > 0) {
        transformed = this.#errors.run(
          'TRANSFORMATION',
          () => chain.currentStep,
          () => chain.apply(record),
        )
        if (transformed instanceof Promise) transformed = await transformed
      }
      if (transformed === null || transformed === SKIPPED) {
        metadata.set(record, null)
        continue
      }
      const out = transformed
      const raw = this.#isRaw(out.topic)
      let key = raw
        ? this.#errors.run('KEY_CONVERTER', keyConverter.name, () => keyConverter.fromConnectData(out.key))
        : out.key
      if (key instanceof Promise) key = await key
      let value = raw
        ? this.#errors.run('VALUE_CONVERTER', valueConverter.name, () =>
            valueConverter.fromConnectData(out.value),
          )
        : out.value
      if (value instanceof Promise) value = await value
      if (key === SKIPPED || value === SKIPPED) {
        metadata.set(record, null)
        continue
      }
      outgoing.push({
        record,
        topic: out.topic,
        message: {
          key: key ?? null,
          value,
          headers: out.headers,
          partition: out.partition,
          timestamp: out.timestamp,
        },
      })
    }
    for (const [record, meta] of await this.#send(outgoing)) metadata.set(record, meta)
    // Every record of this poll is written or dropped: their offsets may be stored, in poll order.
    for (const record of records) {
      if (record.sourceOffset !== null && record.sourceOffset !== undefined) {
        this.#pending.set(this.#partitionKey(record.sourcePartition), {
          partition: record.sourcePartition,
          offset: record.sourceOffset,
        })
      }
      this.task.commitRecord?.(record, metadata.get(record) ?? null)
    }
    if (outgoing.length > 0) this.counted('source', outgoing.length)
  }

  /** Writes records, grouped by topic in order; failures go through the error policy. */
  async #send(outgoing: readonly Outgoing[]): Promise<Map<SourceRecord, RecordMetadata | null>> {
    const result = new Map<SourceRecord, RecordMetadata | null>()
    const byTopic = new Map<string, Outgoing[]>()
    for (const item of outgoing) {
      const list = byTopic.get(item.topic)
      if (list === undefined) byTopic.set(item.topic, [item])
      else list.push(item)
    }
    const producer = this.#producer!
    // Topics are named at run time: the producer's per-topic typing does not apply here.
    const sendMany = producer.send.bind(producer) as unknown as (
      topic: string,
      messages: Message<unknown, unknown>[],
    ) => Promise<RecordMetadata[]>
    const sendOne = producer.send.bind(producer) as unknown as (
      topic: string,
      message: Message<unknown, unknown>,
    ) => Promise<RecordMetadata>
    await Promise.all(
      [...byTopic].map(async ([topic, items]) => {
        let metas: RecordMetadata[]
        try {
          metas = await sendMany(
            topic,
            items.map((i) => i.message),
          )
        } catch (error) {
          if (this.#errors.tolerance === 'none' && !isRetriable(error)) {
            this.host.emit('recordError', {
              stage: 'KAFKA_PRODUCE',
              className: 'Producer',
              error: asError(error),
              tolerated: false,
              deadLettered: false,
              connector: this.connector.name,
              task: this.id,
            })
            throw new ConnectTaskError(this.connector.name, this.id, 'KAFKA_PRODUCE', error)
          }
          // One at a time, so that only the records that cannot be written are skipped.
          for (const item of items) {
            const one = await this.#errors.runAsync('KAFKA_PRODUCE', 'Producer', () =>
              sendOne(topic, item.message),
            )
            result.set(item.record, one === SKIPPED ? null : one)
          }
          return
        }
        for (const [i, item] of items.entries()) result.set(item.record, metas[i] ?? null)
      }),
    )
    return result
  }

  /** The canonical key of a source partition; tasks usually reuse one object per partition, so it is cached. */
  #partitionKey(partition: SourcePartition): string {
    let key = this.#partitionKeys.get(partition)
    if (key === undefined) {
      key = canonicalJson(partition)
      this.#partitionKeys.set(partition, key)
    }
    return key
  }

  /** Whether a topic stores bytes (a raw topic, or one not created yet): then the converters apply. */
  #isRaw(topic: string): boolean {
    let raw = this.#rawTopics.get(topic)
    if (raw === undefined) {
      const bus = this.host.bus
      if (!bus.listTopics().includes(topic)) return true
      raw = bus.topic(topic).valueCodec.name === 'raw'
      this.#rawTopics.set(topic, raw)
    }
    return raw
  }

  async #flushNow(): Promise<void> {
    if (this.#pending.size === 0) return
    const entries = [...this.#pending.values()]
    this.#pending.clear()
    try {
      await this.host.offsets.write(this.connector.name, entries)
    } catch (error) {
      // Keep them for the next flush, unless a newer offset of the same partition came meanwhile.
      for (const entry of entries) {
        const key = canonicalJson(entry.partition)
        if (!this.#pending.has(key)) this.#pending.set(key, entry)
      }
      throw error
    }
    await this.task.commit?.()
    this.host.emit('sourceCommit', { connector: this.connector.name, task: this.id, offsets: entries })
  }

  #scheduleFlush(): void {
    this.#flushTimer = this.host.clock.setTimeout(
      () => {
        this.#flushTimer = undefined
        if (this.#abort.signal.aborted) return
        void this.flush()
          .catch(() => undefined)
          .then(() => {
            if (!this.#abort.signal.aborted) this.#scheduleFlush()
          })
      },
      this.host.offsetFlushIntervalMs,
      { unref: true },
    )
  }
}

import type {
  BatchPayload,
  CommittedOffset,
  Consumer,
  LogRecord,
  Producer,
  TopicDeclarations,
  TopicPartition,
} from '../index'
import { DeadLetterQueue } from './dead-letter'
import { ErrorHandler, SKIPPED } from './error-handler'
import { ConnectTaskError, isRetriable } from './errors'
import type { ConnectHeaders, SinkRecord } from './record'
import { type ConnectorSetup, Lane, type RunnerHost, sleep } from './runner-host'
import type { SinkTask, SinkTaskContext } from './task'
import { TaskRunner } from './task-runner'

const FIRST_RETRY_DELAY_MS = 300
type AnyRecord = LogRecord<unknown, unknown>

const tpKey = (topic: string, partition: number): string => `${partition}:${topic}`

/**
 * Runs one sink task (Kafka's WorkerSinkTask) as a member of the consumer group `connect-<name>`:
 * records are converted, transformed and `put` in offset order; every `offset.flush.interval.ms` (and
 * when partitions are revoked or the task stops) the task's `flush`/`preCommit` runs and then the
 * offsets after the records put are committed. A flush that fails rewinds to the last committed
 * offsets, so nothing that was not flushed is committed: at-least-once, or exactly-once for a task that
 * stores offsets with its data and seeks to them in `open`.
 */
export class SinkTaskRunner extends TaskRunner {
  readonly #abort = new AbortController()
  readonly #lane = new Lane()
  readonly #errors: ErrorHandler
  /** The next offset of every partition whose records were put. */
  readonly #current = new Map<string, CommittedOffset>()
  readonly #committed = new Map<string, number>()
  /** Seeks the task asked for on partitions not assigned yet. */
  readonly #seeks = new Map<string, CommittedOffset>()
  readonly #originals = new WeakMap<SinkRecord, AnyRecord>()
  #consumer: Consumer<AnyRecord> | undefined
  #producer: Producer<TopicDeclarations> | undefined
  #commitTimer: ReturnType<RunnerHost['clock']['setTimeout']> | undefined
  #commitRequested = false
  #nextCommitAt = 0
  #putTimeoutMs: number | undefined
  #stopping = false
  #closingConsumer = false
  #started = false
  #shutdown: Promise<void> | undefined

  constructor(
    host: RunnerHost,
    connector: ConnectorSetup,
    id: number,
    private readonly config: ConnectorSetup['config'],
    private readonly task: SinkTask,
    private readonly subscription: readonly string[] | RegExp,
    deadLetterTopic: { topic: string; contextHeaders: boolean } | undefined,
  ) {
    super(host, connector, id)
    let deadLetters: DeadLetterQueue | undefined
    if (deadLetterTopic !== undefined) {
      this.#producer = host.bus.producer()
      deadLetters = new DeadLetterQueue(
        host.bus,
        this.#producer,
        deadLetterTopic.topic,
        connector.name,
        deadLetterTopic.contextHeaders,
      )
    }
    this.#errors = new ErrorHandler(
      connector.name,
      id,
      connector.errors,
      host.clock,
      this.#abort.signal,
      deadLetters,
      (report) => host.emit('recordError', { ...report, connector: connector.name, task: id }),
    )
  }

  get groupId(): string {
    return `connect-${this.connector.name}`
  }

  /** Starts the task and joins the group; resolves once it has its first assignment (or failed). */
  async start(): Promise<void> {
    const { host, connector } = this
    const context: SinkTaskContext = {
      ...this.taskContext(this.config, this.#abort.signal),
      offset: (offsets) => {
        for (const o of offsets) this.#seek(o)
      },
      assignment: () => this.#consumer?.assignment() ?? [],
      pause: (partitions) => this.#consumer?.pause([...partitions]),
      resume: (partitions) => this.#consumer?.resume([...partitions]),
      requestCommit: () => {
        this.#commitRequested = true
      },
      timeout: (ms) => {
        this.#putTimeoutMs = ms
      },
      errantRecordReporter: {
        report: (record, error) =>
          this.#errors.tolerate(
            'TASK_PUT',
            'SinkTask',
            error,
            this.#originals.get(record) ?? asConsumed(record),
          ),
      },
    }
    try {
      await this.task.start(context)
      this.#started = true
      const consumer = host.bus.consumer({
        groupId: this.groupId,
        topics: this.subscription instanceof RegExp ? this.subscription : [...this.subscription],
        fromBeginning: true, // Kafka Connect's sink consumers start at the earliest offset
        autoCommit: false,
        clientId: `connector-consumer-${connector.name}-${this.id}`,
        retry: { retries: 0 },
        onFailure: 'crash',
        restartOnFailure: false,
        onAssign: (partitions) => this.#lane.run(() => this.#open(partitions)),
        onRevoke: (partitions) => this.#lane.run(() => this.#close(partitions)),
      }) as unknown as Consumer<AnyRecord>
      this.#consumer = consumer
      consumer.on('crash', ({ error }) =>
        this.#fail(new ConnectTaskError(connector.name, this.id, 'KAFKA_CONSUME', error)),
      )
      this.#nextCommitAt = host.clock.now() + host.offsetFlushIntervalMs
      await consumer.run({ eachBatch: (batch) => this.#handle(batch) })
      if (this.state === 'UNASSIGNED') this.setState('RUNNING')
      this.#scheduleCommit()
    } catch (error) {
      this.#fail(
        error instanceof ConnectTaskError
          ? error
          : new ConnectTaskError(connector.name, this.id, 'TASK_PUT', error),
      )
    }
  }

  /** Stops: the put in flight finishes, offsets are flushed and committed, the member leaves. Idempotent. */
  async stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true
      // Waits of the put in flight end now; what it did not finish is not committed, so it comes again.
      this.#abort.abort()
      const consumer = this.#consumer
      if (consumer !== undefined && this.state !== 'FAILED') {
        try {
          consumer.pause(consumer.assignment())
        } catch {
          // Closed already (the bus closed): nothing to pause.
        }
        await this.#lane.run(() => this.#commit(undefined)).catch(() => undefined)
      }
    }
    await this.#stopAll()
  }

  #stopAll(): Promise<void> {
    this.#shutdown ??= (async () => {
      if (this.#commitTimer !== undefined) this.host.clock.clearTimeout(this.#commitTimer)
      this.#closingConsumer = true
      await this.#consumer?.close().catch(() => undefined)
      await this.#lane.idle()
      if (this.#started) await this.stopTask(this.task)
      await this.#producer?.close().catch(() => undefined)
      if (this.state !== 'FAILED') this.setState('STOPPED')
    })()
    return this.#shutdown
  }

  #handle(batch: BatchPayload<AnyRecord>): Promise<void> | void {
    if (this.#stopping || this.state === 'FAILED') return
    return this.#lane
      .run(async () => {
        if (this.#stopping || this.state === 'FAILED') return
        const records = await this.#convert(batch.records)
        if (records.length > 0) await this.#put(records)
        const last = batch.records.at(-1)
        if (last !== undefined) {
          this.#current.set(tpKey(batch.topic, batch.partition), {
            topic: batch.topic,
            partition: batch.partition,
            offset: last.offset + 1,
          })
        }
        if (records.length > 0) this.counted('sink', records.length)
        if (this.#commitRequested || this.host.clock.now() >= this.#nextCommitAt)
          await this.#commit(undefined)
      })
      .catch((error: unknown) => {
        if (this.#stopping) return // interrupted by stop(): these records are not committed
        this.#fail(
          error instanceof ConnectTaskError
            ? error
            : new ConnectTaskError(this.connector.name, this.id, 'TASK_PUT', error),
        )
      })
  }

  /** Consumed records → sink records: converted (raw topics), transformed; failures per the error policy. */
  async #convert(consumed: readonly AnyRecord[]): Promise<SinkRecord[]> {
    const { chain, keyConverter, valueConverter } = this.connector
    const out: SinkRecord[] = []
    for (const raw of consumed) {
      let key = Buffer.isBuffer(raw.key)
        ? this.#errors.run(
            'KEY_CONVERTER',
            keyConverter.name,
            () => keyConverter.toConnectData(raw.key as Buffer),
            raw,
          )
        : raw.key
      if (key instanceof Promise) key = await key
      let value =
        Buffer.isBuffer(raw.value) || raw.value === null
          ? this.#errors.run(
              'VALUE_CONVERTER',
              valueConverter.name,
              () => valueConverter.toConnectData(raw.value as Buffer | null),
              raw,
            )
          : raw.value
      if (value instanceof Promise) value = await value
      if (key === SKIPPED || value === SKIPPED) continue
      const record: SinkRecord = {
        topic: raw.topic,
        partition: raw.partition,
        offset: raw.offset,
        timestamp: raw.timestamp,
        key,
        value,
        headers: raw.headers as ConnectHeaders,
      }
      let transformed: SinkRecord | null | typeof SKIPPED | Promise<SinkRecord | null | typeof SKIPPED> =
        record
      if (chain.size > 0) {
        transformed = this.#errors.run(
          'TRANSFORMATION',
          () => chain.currentStep,
          () => chain.apply(record),
          raw,
        )
        if (transformed instanceof Promise) transformed = await transformed
      }
      if (transformed === null || transformed === SKIPPED) continue
      this.#originals.set(transformed, raw)
      out.push(transformed)
    }
    return out
  }

  /** `put`, retried with backoff while it fails with retriable errors (Kafka redelivers the batch). */
  async #put(records: SinkRecord[]): Promise<void> {
    let delay = FIRST_RETRY_DELAY_MS
    for (;;) {
      try {
        await this.task.put(records)
        return
      } catch (error) {
        if (error instanceof ConnectTaskError || !isRetriable(error) || this.#abort.signal.aborted)
          throw error
        this.log('warn', 'put failed, retrying', error)
        const wait = this.#putTimeoutMs ?? delay
        this.#putTimeoutMs = undefined
        await sleep(this.host.clock, wait, this.#abort.signal)
        delay = Math.min(delay * 2, this.connector.errors.retryDelayMaxMs)
      }
    }
  }

  /** Flushes the task and commits the offsets after what it put (of `partitions`, or all). */
  async #commit(partitions: readonly TopicPartition[] | undefined): Promise<void> {
    this.#commitRequested = false
    this.#nextCommitAt = this.host.clock.now() + this.host.offsetFlushIntervalMs
    const consumer = this.#consumer
    if (consumer === undefined || this.state === 'FAILED') return
    const current = [...this.#current.values()]
    let offsets: CommittedOffset[]
    try {
      if (this.task.preCommit !== undefined) offsets = await this.task.preCommit(current)
      else {
        await this.task.flush?.(current)
        offsets = current
      }
    } catch (error) {
      this.log('error', 'flush failed: rewinding to the last committed offsets', error)
      this.#rewind()
      return
    }
    const wanted =
      partitions === undefined ? undefined : new Set(partitions.map((p) => tpKey(p.topic, p.partition)))
    const changed = offsets.filter((o) => {
      const key = tpKey(o.topic, o.partition)
      return (wanted === undefined || wanted.has(key)) && this.#committed.get(key) !== o.offset
    })
    if (changed.length === 0) return
    try {
      await consumer.commit(changed)
    } catch (error) {
      // A rebalance is running: the next owner starts from the last committed offsets.
      this.log('warn', 'offset commit failed', error)
      return
    }
    for (const o of changed) this.#committed.set(tpKey(o.topic, o.partition), o.offset)
    this.host.emit('sinkCommit', { connector: this.connector.name, task: this.id, offsets: changed })
  }

  /** After a failed flush: consume again from the last committed offsets, as Kafka Connect does. */
  #rewind(): void {
    for (const [key, current] of this.#current) {
      const committed = this.#committed.get(key)
      if (committed !== undefined && committed < current.offset) this.#seek({ ...current, offset: committed })
      else if (committed === undefined) this.#current.delete(key)
    }
  }

  #seek(offset: CommittedOffset): void {
    const consumer = this.#consumer
    const key = tpKey(offset.topic, offset.partition)
    const assigned = consumer
      ?.assignment()
      .some((tp) => tp.topic === offset.topic && tp.partition === offset.partition)
    if (consumer === undefined || assigned !== true) {
      this.#seeks.set(key, offset)
      return
    }
    consumer.seek(offset)
    this.#current.set(key, { ...offset })
  }

  async #open(partitions: TopicPartition[]): Promise<void> {
    if (this.state === 'FAILED') return
    try {
      await this.task.open?.(partitions)
    } catch (error) {
      this.#fail(new ConnectTaskError(this.connector.name, this.id, 'TASK_PUT', error))
      return
    }
    for (const tp of partitions) {
      const key = tpKey(tp.topic, tp.partition)
      const seek = this.#seeks.get(key)
      if (seek !== undefined) {
        this.#seeks.delete(key)
        this.#consumer?.seek(seek)
        this.#current.set(key, { ...seek })
      }
    }
  }

  async #close(partitions: TopicPartition[]): Promise<void> {
    if (!this.#closingConsumer) await this.#commit(partitions)
    try {
      await this.task.close?.(partitions)
    } catch (error) {
      this.log('warn', 'Task close failed', error)
    }
    for (const tp of partitions) this.#current.delete(tpKey(tp.topic, tp.partition))
  }

  #scheduleCommit(): void {
    this.#commitTimer = this.host.clock.setTimeout(
      () => {
        this.#commitTimer = undefined
        if (this.#stopping || this.state === 'FAILED') return
        void this.#lane
          .run(() => this.#commit(undefined))
          .catch(() => undefined)
          .then(() => {
            if (!this.#stopping && this.state !== 'FAILED') this.#scheduleCommit()
          })
      },
      this.host.offsetFlushIntervalMs,
      { unref: true },
    )
  }

  #fail(error: Error): void {
    if (!this.markFailed(error)) return
    this.#abort.abort()
    // Out of the handler first: a consumer cannot close from inside its own handler.
    setImmediate(() => void this.#stopAll())
  }
}

/** A record the task built itself, as the consumed record it stands for (for the dead-letter queue). */
function asConsumed(record: SinkRecord): AnyRecord {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key ?? null,
    value: record.value,
    headers: record.headers as AnyRecord['headers'],
  }
}

import { randomUUID } from 'node:crypto'
import {
  type BatchPayload,
  type Bus,
  type ClockTimer,
  type CommittedOffset,
  type Consumer,
  InvalidStateError,
  type LogRecord,
  type Message,
  type Producer,
  type RecordRun,
  type TopicDeclarations,
  type TopicPartition,
  type WaitOptions,
} from '../../index'
import type { StreamsEvents, StreamsMetrics, TopologyDescription } from '../events'
import type { ResolvedStreamsOptions } from '../options'
import type { ChangelogMessage } from '../state/store'
import type { TopologyBuilder } from '../topology/builder'
import type { AnyTopic } from '../topology/node'
import { describePlan, type Plan, planTopology } from '../topology/plan'
import { RecordFailures } from './failures'
import { type Emit, Outputs, producerSink, type RecordSink } from './outputs'
import { RecordMerger } from './record-merger'
import { Task, type TaskHost } from './task'
import { taskAssignor } from './task-assignor'
import { restoreTask } from './task-restore'
import { openTopics, type StreamsTopics } from './topics'
import { TransactionalSink } from './transactions'

type AnyRecord = LogRecord<unknown, unknown>

/** Past this many unsent bytes a batch handler waits for the producer (backpressure on the input). */
const BACKPRESSURE_BYTES = 8 << 20

/** What the runtime tells the application it belongs to. */
export interface RuntimeHost {
  emit<E extends keyof StreamsEvents>(event: E, payload: StreamsEvents[E]): void
  /** The group settled on an assignment (`true`) or started moving tasks (`false`). */
  stable(stable: boolean): void
  /** The application must stop with this error. */
  fail(error: Error): void
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`

/**
 * Runs a topology on one bus: one consumer (a member of the group `applicationId`) reads every
 * source topic, tasks process what it delivers, one producer writes outputs and changelogs, and a
 * commit every `commitIntervalMs` makes state, outputs and input offsets durable in that order.
 */
export class StreamsRuntime implements TaskHost {
  readonly applicationId: string
  readonly metrics: StreamsMetrics = {
    processedRecords: 0,
    droppedRecords: 0,
    skippedRecords: 0,
    restoredRecords: 0,
    commits: 0,
  }
  #plan: Plan | undefined
  #topics: StreamsTopics = { views: new Map(), changelogs: new Set() }
  readonly #tasks = new Map<string, Task>()
  readonly #byPartition = new Map<string, Task>()
  #consumer: Consumer<AnyRecord> | undefined
  #producer: Producer | undefined
  #outputs: Outputs | undefined
  /** Exactly-once: the transactions every write goes through. */
  #transactions: TransactionalSink | undefined
  readonly #exactlyOnce: boolean
  readonly #commitIntervalMs: number
  readonly #merger: RecordMerger
  readonly #failures: RecordFailures
  #timer: ClockTimer | undefined
  #committing: Promise<void> = Promise.resolve()
  #fatal: Error | undefined
  /** The abort of the open transaction after a failure: stopping waits for it. */
  #aborting: Promise<void> | undefined
  #stopping = false

  constructor(
    private readonly bus: Bus<TopicDeclarations>,
    private readonly options: ResolvedStreamsOptions,
    private readonly builder: TopologyBuilder,
    private readonly host: RuntimeHost,
  ) {
    this.applicationId = options.applicationId
    this.#exactlyOnce = options.processingGuarantee !== 'at_least_once'
    this.#commitIntervalMs = options.commitIntervalMs ?? (this.#exactlyOnce ? 100 : 30_000)
    this.#merger = new RecordMerger({
      hasPending: (topic, partition) => this.#hasPending(topic, partition),
      process: (task, run, index) => {
        if (!this.#processOne(task, run, index)) return false
        task.positions.set(run.topic, run.offsetAt(index) + 1)
        return true
      },
      processed: () => this.#outputs?.flush(),
    })
    const runtime = this
    this.#failures = new RecordFailures({
      applicationId: this.applicationId,
      options,
      metrics: this.metrics,
      get views() {
        return runtime.#topics.views
      },
      exactlyOnce: this.#exactlyOnce,
      emit: (event, payload) => host.emit(event, payload),
      fail: (error) => this.#fail(error),
      outputs: () => this.#outputs!,
      sink: () => producerSink(this.#producer!),
      internal: (topic) =>
        typeof topic !== 'string' &&
        (this.#topics.changelogs.has(topic) || this.#plan!.repartitionTopics.has(topic.name)),
    })
  }

  get plan(): Plan | undefined {
    return this.#plan
  }

  /** The tasks this instance runs now. */
  get tasks(): IterableIterator<Task> {
    return this.#tasks.values()
  }

  async start(): Promise<void> {
    const bus = this.bus
    const plan = planTopology(this.builder, (name) => bus.topic(name).partitionCount)
    this.#plan = plan
    this.#topics = await openTopics(bus, plan)
    // Exactly-once: one transactional producer per instance (Kafka's exactly_once_v2), its id unique.
    const producer = bus.producer({
      lingerMs: 0,
      batchBytes: 1 << 20,
      transactionalId: this.#exactlyOnce ? `${this.applicationId}-${randomUUID()}` : undefined,
    })
    this.#producer = producer
    let sink: RecordSink = producerSink(producer)
    if (this.#exactlyOnce) sink = this.#transactions = new TransactionalSink(producer)
    this.#outputs = new Outputs(sink, (error, topic, messages) =>
      this.#failures.production(error, topic, messages),
    )
    const merging = plan.subtopologies.some((sub) => sub.sources.size > 1)
    const totalPartitions = plan.subtopologies.reduce(
      (n, sub) => n + [...sub.partitions.values()].reduce((a, b) => a + b, 0),
      0,
    )
    const deserialization = this.options.deserializationExceptionHandler
    const consumer = bus.consumer({
      groupId: this.applicationId,
      clientId: this.options.clientId ?? this.applicationId,
      topics: plan.subtopologies.flatMap((sub) =>
        [...sub.sources.keys()].map((name) => this.#topics.views.get(name)!),
      ),
      assignor: taskAssignor(() => plan.subtopologies.map((sub) => [...sub.sources.keys()])),
      autoCommit: false,
      fromBeginning: true,
      isolation: this.#exactlyOnce ? 'read_committed' : 'read_uncommitted',
      // A task that merges partitions holds one handler per partition while it waits for another.
      partitionsConsumedConcurrently: merging ? Math.min(1024, Math.max(1, totalPartitions)) : 1,
      retry: { retries: 0 },
      onFailure:
        deserialization === 'fail' ? 'crash' : deserialization === 'continue' ? 'skip' : deserialization,
      restartOnFailure: false,
      onAssign: (partitions) => this.#assigned(partitions),
      onRevoke: (partitions) => this.#revoked(partitions),
    }) as Consumer<AnyRecord>
    this.#consumer = consumer
    consumer.on('crash', ({ error }) => this.#fail(error))
    consumer.on('groupJoin', () => this.host.stable(true))
    consumer.on('failure', ({ topic, partition, offset, error, action }) =>
      this.#failures.undecodable(topic, partition, offset, error, action === 'dead-lettered'),
    )
    await consumer.run({ eachBatch: this.#onBatch, eachBatchAutoResolve: false })
    this.#schedule()
  }

  /** Commits now: changelogs, then outputs flushed, then input offsets (see the README's contract). */
  commit(): Promise<void> {
    const run = this.#committing.then(() => this.#commit())
    this.#committing = run.catch(() => undefined)
    return run
  }

  /** Resolves once every assigned partition is processed to its end and the outputs are stored. */
  async caughtUp(options?: WaitOptions): Promise<void> {
    const consumer = this.#consumer
    const producer = this.#producer
    if (consumer === undefined || producer === undefined)
      throw new InvalidStateError('The application is not running')
    for (;;) {
      if (this.#fatal !== undefined) throw this.#fatal
      // With exactly-once, what the application wrote is readable (to itself too) once committed.
      if (this.#exactlyOnce) await this.commit()
      this.#outputs!.flush()
      await producer.flush()
      await Promise.all(this.#failures.resends)
      await consumer.caughtUp(options)
      this.#outputs!.flush()
      await producer.flush()
      if (this.#exactlyOnce) await this.commit()
      if (this.#fatal !== undefined) throw this.#fatal
      const behind = consumer.assignment().some(({ topic, partition }) => {
        const position = consumer.position({ topic, partition }) ?? 0
        return position < this.#readableEnd(topic, partition)
      })
      if (!behind) return
    }
  }

  /** Stops: a last commit (unless the application failed), then the consumer leaves, the producer flushes. */
  async stop(commit: boolean): Promise<void> {
    this.#stopping = true
    if (this.#timer !== undefined) this.bus.clock.clearTimeout(this.#timer)
    this.#merger.release()
    if (commit && this.#fatal === undefined && this.#consumer !== undefined) {
      // A last commit that fails leaves the application in ERROR: what it did since is not durable.
      await this.commit().catch((error: unknown) => this.#fail(asError(error)))
    }
    await this.#consumer?.close()
    await this.#aborting
    await this.#producer?.close()
  }

  describe(): TopologyDescription {
    return describePlan(
      this.#plan ?? planTopology(this.builder, (name) => this.bus.topic(name).partitionCount),
    )
  }

  emitter(topic: string | AnyTopic): Emit {
    return this.#outputs!.emitter(
      typeof topic === 'string' ? (this.#topics.views.get(topic) ?? topic) : topic,
    )
  }

  late(task: Task, processor: string, key: unknown, timestamp: number, streamTime: number): void {
    this.metrics.droppedRecords++
    const record = task.current
    this.host.emit('lateRecord', {
      topic: record?.topic ?? '',
      partition: task.partition,
      offset: record?.offset ?? -1,
      processor,
      key,
      timestamp,
      streamTime,
    })
  }

  readonly #onBatch = (payload: BatchPayload<AnyRecord>): Promise<void> | undefined => {
    if (this.#stopping) return undefined
    const task = this.#byPartition.get(tpKey(payload.topic, payload.partition))
    if (task === undefined) return undefined
    if (task.merges) return this.#merger.enqueue(task, payload)
    let last = -1
    let halted = false
    for (const run of payload.runs) {
      let done = run.from
      while (done < run.to && !this.#stopping) {
        const failure: { error?: unknown } = {}
        const stopped = task.processRun(run, done, failure)
        this.metrics.processedRecords += stopped - done
        done = stopped
        if (done === run.to) break
        // A processor threw on record `done`: the handler decides whether processing goes on after it.
        if (!this.#failures.processing(task, run.record(done), failure.error)) {
          halted = true
          break
        }
        this.metrics.processedRecords++
        done++
      }
      if (done > run.from) last = run.offsetAt(done - 1)
      if (halted || done < run.to) break
    }
    if (last >= 0) {
      task.positions.set(payload.topic, last + 1)
      payload.resolveOffset(last)
    }
    this.#outputs!.flush()
    if (this.#producer!.bufferedBytes > BACKPRESSURE_BYTES) return this.#producer!.flush()
    return undefined
  }

  /** Processes record `index` of a run through its task; false when processing must stop. */
  #processOne(task: Task, run: RecordRun, index: number): boolean {
    const failure: { error?: unknown } = {}
    if (task.processRun(run, index, failure, index + 1) === index) {
      if (!this.#failures.processing(task, run.record(index), failure.error)) return false
    }
    this.metrics.processedRecords++
    return !this.#stopping
  }

  async #assigned(partitions: TopicPartition[]): Promise<void> {
    this.host.stable(false)
    const plan = this.#plan!
    const created: Task[] = []
    for (const { topic, partition } of partitions) {
      const sub = plan.bySource.get(topic)
      if (sub === undefined) continue
      const id = `${sub.id}_${partition}`
      let task = this.#tasks.get(id)
      if (task === undefined) {
        task = new Task(this, sub, partition)
        this.#tasks.set(id, task)
        created.push(task)
      }
      this.#byPartition.set(tpKey(topic, partition), task)
    }
    for (const task of created) {
      await restoreTask(task, {
        bus: this.bus,
        applicationId: this.applicationId,
        views: this.#topics.views,
        exactlyOnce: this.#exactlyOnce,
        changelogTopic: (store) => this.builder.changelogTopic(store),
        restored: (store, partition, records) => {
          this.metrics.restoredRecords += records
          this.host.emit('restored', { store, partition, records })
        },
      })
    }
  }

  async #revoked(partitions: TopicPartition[]): Promise<void> {
    this.host.stable(false)
    const gone = new Set<Task>()
    for (const { topic, partition } of partitions) {
      const task = this.#byPartition.get(tpKey(topic, partition))
      if (task !== undefined) gone.add(task)
    }
    if (gone.size === 0) return
    // What the tasks did is made durable before their partitions move: the next owner restores it.
    // (A stopping application committed already, and its consumer takes no commit while it closes.)
    if (this.#fatal === undefined && !this.#stopping)
      await this.commit().catch((error: unknown) => this.#fail(asError(error)))
    for (const task of gone) {
      this.#merger.forget(task)
      this.#tasks.delete(task.id)
      for (const topic of task.sub.sources.keys()) this.#byPartition.delete(tpKey(topic, task.partition))
    }
  }

  async #commit(): Promise<void> {
    const consumer = this.#consumer
    const producer = this.#producer
    const outputs = this.#outputs
    if (
      consumer === undefined ||
      producer === undefined ||
      outputs === undefined ||
      this.#fatal !== undefined
    )
      return
    // One synchronous step: these offsets and these changelog values describe the same records.
    const offsets: CommittedOffset[] = []
    const tasks = [...this.#tasks.values()]
    for (const task of tasks) {
      for (const [topic, next] of task.positions) {
        if (task.committed.get(topic) !== next)
          offsets.push({ topic, partition: task.partition, offset: next })
      }
      for (const [spec, store] of task.stores) {
        if (spec.restoreFrom !== 'changelog') continue
        const changes: ChangelogMessage[] = []
        store.drainChanges(task.partition, changes)
        outputs.addAll(
          this.#topics.views.get(this.builder.changelogTopic(spec.name))!,
          changes as Message<unknown, unknown>[],
        )
      }
    }
    outputs.flush()
    if (this.#transactions !== undefined) {
      // One transaction: changelogs, outputs and offsets become visible together, or not at all.
      await this.#transactions.commit(this.applicationId, offsets)
    } else {
      await producer.flush()
      while (this.#failures.resends.size > 0) await Promise.all(this.#failures.resends)
      if (this.#fatal !== undefined) throw this.#fatal
      if (offsets.length > 0) await consumer.commit(offsets)
    }
    if (offsets.length > 0) {
      for (const { topic, partition, offset } of offsets)
        this.#byPartition.get(tpKey(topic, partition))?.committed.set(topic, offset)
      await this.#purge(offsets)
    }
    this.metrics.commits++
    this.host.emit('commit', { offsets })
  }

  /** Repartition records the group committed past are read by nobody else: delete them (as Kafka does). */
  async #purge(offsets: CommittedOffset[]): Promise<void> {
    const repartitions = this.#plan!.repartitionTopics
    for (const { topic, partition, offset } of offsets) {
      if (repartitions.has(topic))
        await this.bus.deleteRecords(topic, [{ partition, offset }]).catch(() => undefined)
    }
  }

  #schedule(): void {
    this.#timer = this.bus.clock.setTimeout(
      () => {
        this.#timer = undefined
        if (this.#stopping) return
        this.commit()
          .catch((error: unknown) => this.#fail(asError(error)))
          .finally(() => {
            if (!this.#stopping) this.#schedule()
          })
      },
      this.#commitIntervalMs,
      { unref: true },
    )
  }

  #hasPending(topic: string, partition: number): boolean {
    const position = this.#consumer?.position({ topic, partition })
    return position !== undefined && position < this.#readableEnd(topic, partition)
  }

  /** Where this application's consumer can read up to: read_committed stops at the last stable offset. */
  #readableEnd(topic: string, partition: number): number {
    const p = this.#topics.views.get(topic)!.partition(partition)
    return this.#exactlyOnce ? p.lastStableOffset : p.logEndOffset
  }

  #fail(error: Error): void {
    if (this.#fatal !== undefined) return
    this.#fatal = error
    this.#stopping = true
    this.#merger.release()
    // Nothing since the last commit becomes visible: a restart processes it again, exactly once.
    if (this.#transactions !== undefined) {
      this.#outputs?.discard()
      this.#aborting = this.#transactions.abort().catch(() => undefined)
    }
    this.host.fail(error)
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

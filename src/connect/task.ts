import type { Clock, CommittedOffset, RecordMetadata, TopicPartition } from '../index'
import type { ConfigReader, ConnectorConfig } from './config'
import type { SinkRecord, SourceOffset, SourcePartition, SourceRecord } from './record'

/**
 * What a connector promises about each record, stated per connector: `exactly-once` when a record's
 * effect and the position after it are stored together (a sink that keeps consumed offsets in its own
 * transaction), `at-least-once` otherwise (a crash may repeat what came after the last stored position).
 *
 * @example
 * ```ts
 * const guarantee: DeliveryGuarantee = 'exactly-once'
 * ```
 */
export type DeliveryGuarantee = 'exactly-once' | 'at-least-once'

/**
 * What every task gets from the runtime.
 *
 * @example
 * ```ts
 * const start = (context: TaskContext) => console.log(context.connector, context.taskId)
 * ```
 */
export interface TaskContext {
  readonly connector: string
  readonly taskId: number
  /** The task's configuration (from its connector's `taskConfigs`). */
  readonly config: ConnectorConfig
  /** Typed reads of `config` whose errors name the property. */
  readonly read: ConfigReader
  /** The bus's clock: use it for waits, so tests can drive them. */
  readonly clock: Clock
  /** Aborted when the task is being stopped: a `poll()` or `put()` that waits should stop waiting. */
  readonly signal: AbortSignal
}

/**
 * What a source task gets from the runtime: its context, and the offsets stored for its partitions.
 *
 * @example
 * ```ts
 * const resumeAt = context.offset({ filename: 'in.txt' })?.position ?? 0
 * ```
 */
export interface SourceTaskContext extends TaskContext {
  /** The last stored offset of a source partition (Kafka's OffsetStorageReader), or null. */
  offset(partition: SourcePartition): SourceOffset | null
}

/**
 * Reads from an outside system into topics (Kafka Connect's SourceTask). The runtime calls `start`,
 * then `poll` in a loop — each call returns the records read since the last one, waiting a little when
 * there are none (and returning once `context.signal` aborts) — and `stop` at the end. A record's
 * `sourceOffset` is stored once it (and every record before it) was written.
 *
 * @example
 * ```ts
 * const task: SourceTask = {
 *   start(context) { this.context = context },
 *   async poll() { return [{ sourcePartition: { s: 1 }, sourceOffset: { n: 1 }, topic: 't', value: 'x' }] },
 *   stop() {},
 * }
 * ```
 */
export interface SourceTask {
  start(context: SourceTaskContext): Promise<void> | void
  poll(): Promise<SourceRecord[] | null> | SourceRecord[] | null
  stop(): Promise<void> | void
  /** Called after the offsets of written records were stored. */
  commit?(): Promise<void> | void
  /** Called once per record that was written (with where it landed), or dropped by a transform (null). */
  commitRecord?(record: SourceRecord, metadata: RecordMetadata | null): void
}

/**
 * Reports a record a sink task could not handle (Kafka's ErrantRecordReporter): with
 * `errors.tolerance=all` it goes to the dead-letter topic (if one is set) and the task goes on; with
 * `none` the returned promise rejects and the task fails.
 *
 * @example
 * ```ts
 * await context.errantRecordReporter.report(record, new Error('rejected by the server'))
 * ```
 */
export interface ErrantRecordReporter {
  report(record: SinkRecord, error: unknown): Promise<void>
}

/**
 * What a sink task gets from the runtime (Kafka's SinkTaskContext).
 *
 * @example
 * ```ts
 * context.offset([{ topic: 'lines', partition: 0, offset: 42 }]) // resume from an offset stored elsewhere
 * ```
 */
export interface SinkTaskContext extends TaskContext {
  /** Asks the runtime to consume these partitions from these offsets (from `open`, or later). */
  offset(offsets: readonly CommittedOffset[]): void
  /** The partitions this task consumes now. */
  assignment(): TopicPartition[]
  pause(partitions: readonly TopicPartition[]): void
  resume(partitions: readonly TopicPartition[]): void
  /** Asks for an offset commit (flush, then commit) as soon as possible. */
  requestCommit(): void
  /** How long to wait before retrying a `put` that failed with a retriable error (default: the backoff). */
  timeout(ms: number): void
  readonly errantRecordReporter: ErrantRecordReporter
}

/**
 * Writes records of topics to an outside system (Kafka Connect's SinkTask). `put` gets records in
 * offset order per partition; `flush` must make everything put so far durable before the runtime
 * commits those offsets; `preCommit` may say which offsets to commit instead (a sink that stores
 * offsets with its data returns what it stored). A `put` that throws an error whose `retriable` is true
 * is retried with the same records; any other error fails the task.
 *
 * @example
 * ```ts
 * const task: SinkTask = {
 *   start() {},
 *   put(records) { for (const r of records) console.log(r.value) },
 *   stop() {},
 * }
 * ```
 */
export interface SinkTask {
  start(context: SinkTaskContext): Promise<void> | void
  /** Partitions were assigned to this task (before their records are put). */
  open?(partitions: TopicPartition[]): Promise<void> | void
  put(records: SinkRecord[]): Promise<void> | void
  flush?(offsets: CommittedOffset[]): Promise<void> | void
  preCommit?(offsets: CommittedOffset[]): Promise<CommittedOffset[]> | CommittedOffset[]
  /** Partitions are leaving this task (after their offsets were committed). */
  close?(partitions: TopicPartition[]): Promise<void> | void
  stop(): Promise<void> | void
}

interface ConnectorPluginBase {
  /** What the connector promises per record (stated in the README's table of connectors). */
  readonly delivery: DeliveryGuarantee
  /** Checks the connector's configuration (throw InvalidConfigError); called before any task starts. */
  validate?(read: ConfigReader): void
  /** The configurations of its tasks, at most `maxTasks` (`tasks.max`); default: one, the connector's own. */
  taskConfigs?(config: ConnectorConfig, maxTasks: number): ConnectorConfig[]
}

/**
 * A source connector plugin (Kafka's SourceConnector): how many tasks, and how to make one.
 *
 * @example
 * ```ts
 * const plugin: SourceConnectorPlugin = { type: 'source', delivery: 'at-least-once', createTask: () => new MyTask() }
 * ```
 */
export interface SourceConnectorPlugin extends ConnectorPluginBase {
  readonly type: 'source'
  createTask(): SourceTask
}

/**
 * A sink connector plugin (Kafka's SinkConnector).
 *
 * @example
 * ```ts
 * const plugin: SinkConnectorPlugin = { type: 'sink', delivery: 'at-least-once', createTask: () => new MySinkTask() }
 * ```
 */
export interface SinkConnectorPlugin extends ConnectorPluginBase {
  readonly type: 'sink'
  createTask(): SinkTask
}

/**
 * A connector plugin, named in a configuration by `connector.class`.
 *
 * @example
 * ```ts
 * const plugins: Record<string, ConnectorPlugin> = { MySource: mySourcePlugin }
 * ```
 */
export type ConnectorPlugin = SourceConnectorPlugin | SinkConnectorPlugin

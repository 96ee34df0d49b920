import {
  type Bus,
  type Clock,
  InvalidConfigError,
  InvalidStateError,
  type TopicDeclarations,
  TypedEmitter,
} from '../index'
import { type ConfigReader, configReader, normalizeConfig, type RawConnectorConfig } from './config'
import { BUILT_IN_CONNECTORS } from './connectors/built-ins'
import { converterFor } from './converters'
import { readErrorPolicy } from './error-handler'
import type { ConnectEvents, TaskState } from './events'
import { DEFAULT_OFFSET_PARTITIONS, DEFAULT_OFFSET_TOPIC, OffsetStore } from './offset-store'
import type { SourceOffset, SourcePartition } from './record'
import type { ConnectLogEntry, ConnectorSetup, RunnerHost } from './runner-host'
import { SinkTaskRunner } from './sink-runner'
import { SourceTaskRunner } from './source-runner'
import type { ConnectorPlugin, DeliveryGuarantee } from './task'
import { buildTransformChain } from './transforms/registry'
import type { PredicateFactory, TransformationFactory } from './transforms/transform'

/**
 * Kafka Connect's default `offset.flush.interval.ms`.
 *
 * @example
 * ```ts
 * await ConnectWorker.open(bus, { offsetFlushIntervalMs: DEFAULT_OFFSET_FLUSH_INTERVAL_MS / 12 })
 * ```
 */
export const DEFAULT_OFFSET_FLUSH_INTERVAL_MS = 60_000

/**
 * Options of a ConnectWorker: Kafka Connect's worker settings, and the plugins it knows besides the
 * built-in ones.
 *
 * @example
 * ```ts
 * const options: ConnectWorkerOptions = { offsetFlushIntervalMs: 5_000, defaults: { 'value.converter': 'string' } }
 * ```
 */
export interface ConnectWorkerOptions {
  /** `offset.storage.topic`: where source offsets are kept. Default `connect-offsets`. */
  offsetStorageTopic?: string
  /** `offset.storage.partitions` of that topic when it is created. Default 25, Kafka's. */
  offsetStoragePartitions?: number
  /** `offset.flush.interval.ms`: how often offsets are stored (source) and committed (sink). Default 60000. */
  offsetFlushIntervalMs?: number
  /** Connector plugins by `connector.class` name, besides the built-in ones. */
  plugins?: Readonly<Record<string, ConnectorPlugin>>
  /** Transformations by `type` name, besides Kafka's built-in ones. */
  transforms?: Readonly<Record<string, TransformationFactory>>
  /** Predicates by `type` name, besides Kafka's built-in ones. */
  predicates?: Readonly<Record<string, PredicateFactory>>
  /** Properties every connector gets unless its own configuration sets them (converters, `errors.*`). */
  defaults?: RawConnectorConfig
  /** Where log lines go (task failures, retries, `errors.log.enable`). Default: warnings and errors to stderr. */
  logger?: (entry: ConnectLogEntry) => void
}

/**
 * A connector to create: its name and configuration, as Kafka Connect's REST API takes them.
 *
 * @example
 * ```ts
 * const spec: ConnectorSpec = { name: 'lines', config: { 'connector.class': 'FileStreamSource', file: 'in.txt', topic: 'lines' } }
 * ```
 */
export interface ConnectorSpec {
  name: string
  config: RawConnectorConfig
}

/**
 * A connector's status, as Kafka Connect's `GET /connectors/{name}/status` reports it.
 *
 * @example
 * ```ts
 * const { tasks } = worker.status('lines')
 * ```
 */
export interface ConnectorStatus {
  name: string
  type: 'source' | 'sink'
  connectorClass: string
  delivery: DeliveryGuarantee
  state: 'RUNNING' | 'FAILED'
  /** Each task's state, records written (source) or put (sink) since it started, and its error. */
  tasks: { id: number; state: TaskState; records: number; error?: string }[]
}

type Runner = SourceTaskRunner | SinkTaskRunner

interface Instance {
  spec: ConnectorSpec
  setup: ConnectorSetup
  plugin: ConnectorPlugin
  connectorClass: string
  runners: Runner[]
}

function defaultLogger(entry: ConnectLogEntry): void {
  if (entry.level === 'info') return
  const where =
    entry.connector === undefined
      ? ''
      : ` [${entry.connector}${entry.task === undefined ? '' : `-${entry.task}`}]`
  process.stderr.write(`logbus connect ${entry.level}${where}: ${entry.message}\n`)
}

/**
 * Kafka Connect's runtime in one process (a standalone worker): runs source and sink connectors
 * against a bus, keeps source offsets in the `connect-offsets` topic, and gives each sink connector a
 * consumer group `connect-<name>` whose members are its tasks. Connectors are named by `connector.class`:
 * the built-in `FileStreamSource`, `FileStreamSink`, `DatagenSource`, `HttpSink`, `SqliteSink` (and
 * Kafka's and Confluent's class names for them), or plugins given in the options.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { ConnectWorker } from 'logbus/connect'
 *
 * const bus = await Bus.open({ autoCreateTopics: true })
 * const worker = await ConnectWorker.open(bus)
 * await worker.createConnector({
 *   name: 'orders-gen',
 *   config: { 'connector.class': 'DatagenSource', quickstart: 'orders', 'kafka.topic': 'orders', 'max.interval': 0, iterations: 100 },
 * })
 * await worker.close()
 * await bus.close()
 * ```
 */
export class ConnectWorker extends TypedEmitter<ConnectEvents> {
  readonly #bus: Bus<TopicDeclarations>
  readonly #offsets: OffsetStore
  readonly #options: ConnectWorkerOptions
  readonly #host: RunnerHost
  readonly #connectors = new Map<string, Instance>()
  #closing: Promise<void> | undefined

  private constructor(bus: Bus<TopicDeclarations>, offsets: OffsetStore, options: ConnectWorkerOptions) {
    super()
    this.#bus = bus
    this.#offsets = offsets
    this.#options = options
    const logger = options.logger ?? defaultLogger
    const flushInterval = options.offsetFlushIntervalMs ?? DEFAULT_OFFSET_FLUSH_INTERVAL_MS
    if (!Number.isSafeInteger(flushInterval) || flushInterval < 1) {
      throw new InvalidConfigError('connect.offsetFlushIntervalMs', 'must be a positive integer')
    }
    this.#host = {
      bus,
      clock: bus.clock,
      offsets,
      offsetFlushIntervalMs: flushInterval,
      emit: (event, payload) => this.emit(event, payload),
      log: (entry) => logger(entry),
    }
  }

  /**
   * Opens a worker on a bus: creates the offsets topic when missing and reads the stored offsets.
   *
   * @example
   * ```ts
   * const worker = await ConnectWorker.open(bus, { offsetFlushIntervalMs: 1000 })
   * ```
   */
  static async open<D extends TopicDeclarations>(
    typedBus: Bus<D>,
    options: ConnectWorkerOptions = {},
  ): Promise<ConnectWorker> {
    // Connectors name topics at run time: the bus's per-name typing does not apply to them.
    const bus = typedBus as unknown as Bus<TopicDeclarations>
    const offsets = await OffsetStore.open(
      bus,
      options.offsetStorageTopic ?? DEFAULT_OFFSET_TOPIC,
      options.offsetStoragePartitions ?? DEFAULT_OFFSET_PARTITIONS,
    )
    return new ConnectWorker(bus, offsets, options)
  }

  /**
   * The clock the worker's tasks use (the bus's).
   *
   * @example
   * ```ts
   * const now = worker.clock.now()
   * ```
   */
  get clock(): Clock {
    return this.#bus.clock
  }

  /**
   * Creates and starts a connector: checks its configuration (an InvalidConfigError changes nothing),
   * then starts its tasks; resolves once every task has started (or failed: see `status`).
   *
   * @example
   * ```ts
   * await worker.createConnector({ name: 'out', config: { 'connector.class': 'FileStreamSink', file: 'out.txt', topics: 'lines' } })
   * ```
   */
  async createConnector(spec: ConnectorSpec): Promise<ConnectorStatus> {
    this.#assertOpen()
    if (typeof spec?.name !== 'string' || spec.name.trim() === '') {
      throw new InvalidConfigError('connector.name', 'must be a non-empty string')
    }
    if (this.#connectors.has(spec.name)) {
      throw new InvalidConfigError('connector.name', `a connector named "${spec.name}" already exists`)
    }
    const instance = this.#prepare(spec)
    this.#connectors.set(spec.name, instance)
    await this.#startTasks(instance)
    return this.status(spec.name)
  }

  /**
   * Checks connector configurations without creating anything (Kafka's `PUT
   * /connector-plugins/{class}/config/validate`); throws the first InvalidConfigError.
   *
   * @example
   * ```ts
   * await worker.validate([{ name: 'in', config: { 'connector.class': 'FileStreamSource', file: 'in.txt', topic: 'lines' } }])
   * ```
   */
  async validate(specs: readonly ConnectorSpec[]): Promise<void> {
    for (const spec of specs) this.#prepare(spec)
  }

  /**
   * Stops a connector's tasks (storing or committing what they did) and removes it. Its source offsets
   * stay, so a connector created again with the same name resumes.
   *
   * @example
   * ```ts
   * await worker.deleteConnector('lines')
   * ```
   */
  async deleteConnector(name: string): Promise<void> {
    const instance = this.#instance(name)
    this.#connectors.delete(name)
    await Promise.all(instance.runners.map((runner) => runner.stop()))
  }

  /**
   * Stops and starts a connector's tasks again, with the same configuration (how a FAILED task is
   * brought back).
   *
   * @example
   * ```ts
   * await worker.restartConnector('lines')
   * ```
   */
  async restartConnector(name: string): Promise<ConnectorStatus> {
    const instance = this.#instance(name)
    await Promise.all(instance.runners.map((runner) => runner.stop()))
    instance.runners = []
    await this.#startTasks(instance)
    return this.status(name)
  }

  /**
   * The names of the connectors, sorted.
   *
   * @example
   * ```ts
   * worker.connectors() // ['lines-in', 'lines-out']
   * ```
   */
  connectors(): string[] {
    return [...this.#connectors.keys()].sort()
  }

  /**
   * A connector's status and its tasks' states.
   *
   * @example
   * ```ts
   * expect(worker.status('lines').tasks.every((t) => t.state === 'RUNNING')).toBe(true)
   * ```
   */
  status(name: string): ConnectorStatus {
    const { spec, plugin, connectorClass, runners } = this.#instance(name)
    const tasks = runners.map((r) => ({
      id: r.id,
      state: r.state,
      records: r.total,
      ...(r.error === undefined ? {} : { error: r.error.message }),
    }))
    return {
      name: spec.name,
      type: plugin.type,
      connectorClass,
      delivery: plugin.delivery,
      state:
        tasks.some((t) => t.state === 'FAILED') && tasks.every((t) => t.state !== 'RUNNING')
          ? 'FAILED'
          : 'RUNNING',
      tasks,
    }
  }

  /**
   * The stored source offsets of a connector (Kafka's `GET /connectors/{name}/offsets`).
   *
   * @example
   * ```ts
   * worker.offsets('lines') // [{ partition: { filename: 'in.txt' }, offset: { position: 1024 } }]
   * ```
   */
  offsets(name: string): { partition: SourcePartition; offset: SourceOffset }[] {
    return this.#offsets.list(name)
  }

  /**
   * Forgets a source connector's stored offsets (Kafka's `DELETE /connectors/{name}/offsets`), so that
   * it starts over; only while no connector of that name runs.
   *
   * @example
   * ```ts
   * await worker.resetOffsets('lines')
   * ```
   */
  async resetOffsets(name: string): Promise<void> {
    this.#assertOpen()
    if (this.#connectors.has(name)) {
      throw new InvalidStateError(`Connector "${name}" is running: delete it before resetting its offsets`)
    }
    await this.#offsets.reset(name)
  }

  /**
   * Stops every connector (storing and committing what their tasks did), then the worker. Idempotent;
   * close the worker before its bus.
   *
   * @example
   * ```ts
   * await worker.close()
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const names = [...this.#connectors.keys()]
      await Promise.all(names.map((name) => this.deleteConnector(name)))
      await this.#offsets.close()
      this.removeAllListeners()
    })()
    return this.#closing
  }

  /**
   * Same as `close()`, for `await using` (Node 22+).
   *
   * @example
   * ```ts
   * await worker[Symbol.asyncDispose]()
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new InvalidStateError('The Connect worker is closed')
  }

  #instance(name: string): Instance {
    const instance = this.#connectors.get(name)
    if (instance === undefined) throw new InvalidStateError(`No connector named "${name}"`)
    return instance
  }

  /** Checks a configuration and builds everything its tasks share; throws before anything starts. */
  #prepare(spec: ConnectorSpec): Instance {
    const where = `connector.${spec.name}`
    const config = normalizeConfig({ ...this.#options.defaults, ...spec.config, name: spec.name }, where)
    const read = configReader(config, where)
    const connectorClass = read.string('connector.class')
    const plugins = this.#options.plugins ?? {}
    const plugin = Object.hasOwn(plugins, connectorClass)
      ? plugins[connectorClass]
      : Object.hasOwn(BUILT_IN_CONNECTORS, connectorClass)
        ? BUILT_IN_CONNECTORS[connectorClass]
        : undefined
    if (plugin === undefined) {
      return read.fail(
        'connector.class',
        `unknown connector "${connectorClass}"; built in: ${[...new Set(Object.keys(BUILT_IN_CONNECTORS).filter((k) => !k.includes('.')))].join(', ')}`,
      )
    }
    read.int('tasks.max', 1, 1)
    if (plugin.type === 'sink') this.#checkSinkConfig(read)
    plugin.validate?.(read)
    const setup: ConnectorSetup = {
      name: spec.name,
      config,
      read,
      chain: buildTransformChain(read, where, this.#options.transforms, this.#options.predicates),
      keyConverter: converterFor(read, 'key.converter'),
      valueConverter: converterFor(read, 'value.converter'),
      errors: readErrorPolicy(read),
    }
    return { spec, setup, plugin, connectorClass, runners: [] }
  }

  #checkSinkConfig(read: ConfigReader): void {
    const topics = read.list('topics')
    const regex = read.optionalString('topics.regex')
    if (topics.length > 0 === (regex !== undefined)) {
      read.fail('topics', 'give either topics (a list) or topics.regex')
    }
    if (regex !== undefined) {
      try {
        new RegExp(regex)
      } catch (cause) {
        read.fail('topics.regex', `is not a valid regular expression: ${(cause as Error).message}`)
      }
    }
    const dlq = read.optionalString('errors.deadletterqueue.topic.name')
    if (dlq !== undefined && topics.includes(dlq)) {
      read.fail('errors.deadletterqueue.topic.name', 'must not be one of the topics the connector consumes')
    }
  }

  async #startTasks(instance: Instance): Promise<void> {
    const { setup, plugin } = instance
    const maxTasks = setup.read.int('tasks.max', 1, 1)
    const taskConfigs = (plugin.taskConfigs?.(setup.config, maxTasks) ?? [setup.config]).slice(0, maxTasks)
    if (plugin.type === 'source') {
      instance.runners = taskConfigs.map(
        (config, id) =>
          new SourceTaskRunner(
            this.#host,
            setup,
            id,
            normalizeConfig(config, `${setup.name}.task.${id}`),
            plugin.createTask(),
          ),
      )
    } else {
      const regex = setup.read.optionalString('topics.regex')
      const subscription = regex === undefined ? setup.read.list('topics') : new RegExp(`^(?:${regex})$`)
      const dlqTopic = setup.read.optionalString('errors.deadletterqueue.topic.name')
      const deadLetters =
        dlqTopic === undefined
          ? undefined
          : {
              topic: dlqTopic,
              contextHeaders: setup.read.bool('errors.deadletterqueue.context.headers.enable', false),
            }
      instance.runners = taskConfigs.map(
        (config, id) =>
          new SinkTaskRunner(
            this.#host,
            setup,
            id,
            normalizeConfig(config, `${setup.name}.task.${id}`),
            plugin.createTask(),
            subscription,
            deadLetters,
          ),
      )
    }
    await Promise.all(instance.runners.map((runner) => runner.start()))
  }
}

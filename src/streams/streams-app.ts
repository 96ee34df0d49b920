import {
  type Bus,
  ClosedError,
  InvalidStateError,
  type Topic,
  type TopicDeclarations,
  type TopicNamed,
  TypedEmitter,
  type WaitOptions,
} from '../index'
import type { DslContext, TableQueries } from './dsl/context'
import { KStream } from './dsl/kstream'
import { KTable } from './dsl/ktable'
import type { MaterializedOptions, NamedOptions, TopicKey, TopicValue } from './dsl/types'
import type { StreamsEvents, StreamsMetrics, StreamsState, TopologyDescription } from './events'
import { parseStreamsOptions, type StreamsOptions } from './options'
import { StreamsRuntime } from './runtime/runtime'
import { compareKeys } from './state/key-id'
import { sourceTableStore } from './state/specs'
import { TopologyBuilder } from './topology/builder'
import type { TableNode, TableRow } from './topology/node'
import { StreamSourceNode, TableSourceNode } from './topology/sources'
import type { WindowedTableNode } from './topology/window-aggregate'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/**
 * A Kafka Streams–style application over a bus: build its topology (`stream`, `table` and the
 * operations on them), then `start()` it. An application id is a consumer group: several instances
 * (in this process, on this bus) share the work task by task, each task with its state.
 *
 * @example
 * ```ts
 * import { Bus, string } from 'logbus'
 * import { streams } from 'logbus/streams'
 *
 * const bus = await Bus.open({ topics: { lines: { value: string() }, counts: { value: string() } } })
 * const app = streams(bus, { applicationId: 'wordcount' })
 * const counts = app
 *   .stream('lines')
 *   .flatMapValues((line) => line.toLowerCase().split(/\W+/))
 *   .groupBy((_, word) => word)
 *   .count({ name: 'counts' })
 * counts.toStream().mapValues(String).to('counts')
 * await app.start()
 * await bus.producer().send('lines', { value: 'all streams lead to kafka' })
 * await app.caughtUp()
 * console.log(counts.get('kafka')) // 1
 * await app.close()
 * await bus.close()
 * ```
 */
export class StreamsApp<
  D extends TopicDeclarations = Record<never, never>,
> extends TypedEmitter<StreamsEvents> {
  /** The application id (Kafka's `application.id`). */
  readonly applicationId: string
  readonly #bus: Bus<D>
  readonly #builder: TopologyBuilder
  readonly #ctx: DslContext
  readonly #runtime: StreamsRuntime
  #state: StreamsState = 'CREATED'
  #starting: Promise<void> | undefined
  #closing: Promise<void> | undefined

  /** @internal Use `streams(bus, options)`. */
  constructor(bus: Bus<D>, options: StreamsOptions) {
    super()
    const resolved = parseStreamsOptions(options)
    this.applicationId = resolved.applicationId
    this.#bus = bus
    this.#builder = new TopologyBuilder(resolved.applicationId)
    this.#runtime = new StreamsRuntime(bus as unknown as Bus<TopicDeclarations>, resolved, this.#builder, {
      emit: (event, payload) => this.emit(event, payload),
      stable: (stable) => {
        if (this.#state === 'RUNNING' || this.#state === 'REBALANCING')
          this.#setState(stable ? 'RUNNING' : 'REBALANCING')
      },
      fail: (error) => {
        this.#setState('ERROR')
        this.emit('error', { error })
        setImmediate(() => void this.#runtime.stop(false).catch(() => undefined))
      },
    })
    this.#ctx = { builder: this.#builder, queries: this.#queries() }
  }

  /**
   * A stream of a topic's records (Kafka's `builder.stream`), typed by the topic's codecs: a declared
   * topic by name, or a `Topic` view. Keys are null for records without one.
   *
   * @example
   * ```ts
   * const orders = app.stream('orders') // KStream<string | null, Order>
   * ```
   */
  stream<N extends string>(
    topic: N,
    options?: NamedOptions,
  ): KStream<TopicKey<TopicNamed<D, N>> | null, TopicValue<TopicNamed<D, N>>, D>
  stream<T extends AnyTopic>(topic: T, options?: NamedOptions): KStream<TopicKey<T> | null, TopicValue<T>, D>
  stream(topic: string | AnyTopic, options?: NamedOptions): KStream<unknown, unknown, D> {
    const source = this.#builder.sourceTopic(topic)
    const name = options?.name ?? this.#builder.generatedName('KSTREAM-SOURCE')
    return new KStream(this.#ctx, this.#builder.add(new StreamSourceNode(name, [source])), false)
  }

  /**
   * A table of a topic (Kafka's `builder.table`): the latest value per key, a null value deleting it;
   * records with a null key are ignored. The topic is the table's changelog: after a restart the table
   * is restored from it, up to the application's committed offset, before processing resumes.
   *
   * @example
   * ```ts
   * const users = app.table('users', { name: 'users-store' }) // KTable<string, User>
   * ```
   */
  table<N extends string>(
    topic: N,
    options?: MaterializedOptions,
  ): KTable<TopicKey<TopicNamed<D, N>>, NonNullable<TopicValue<TopicNamed<D, N>>>, D>
  table<T extends AnyTopic>(
    topic: T,
    options?: MaterializedOptions,
  ): KTable<TopicKey<T>, NonNullable<TopicValue<T>>, D>
  table(topic: string | AnyTopic, options?: MaterializedOptions): KTable<unknown, unknown, D> {
    const source = this.#builder.sourceTopic(topic)
    const name = options?.name ?? this.#builder.generatedName('KTABLE-SOURCE-STATE-STORE')
    const store = this.#builder.addStore(sourceTableStore(name))
    return new KTable(this.#ctx, this.#builder.add(new TableSourceNode(name, source, store)))
  }

  /**
   * Starts the application: checks the topology (source topics exist, joined topics are
   * co-partitioned), creates its internal topics, joins the group `applicationId`, restores the state
   * of the tasks it is given, and processes. Resolves once it runs. The topology is fixed from here.
   *
   * @example
   * ```ts
   * await app.start()
   * ```
   */
  start(): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new ClosedError('StreamsApp'))
    this.#starting ??= (async () => {
      this.#builder.seal()
      this.#setState('REBALANCING')
      try {
        await this.#runtime.start()
      } catch (error) {
        this.#setState('ERROR')
        await this.#runtime.stop(false).catch(() => undefined)
        throw error
      }
      if (this.#state === 'REBALANCING') this.#setState('RUNNING')
    })()
    return this.#starting
  }

  /**
   * Stops: commits what was processed (state, outputs, offsets), leaves the group (its tasks move to
   * other instances) and releases everything. Idempotent; every call after it throws ClosedError.
   *
   * @example
   * ```ts
   * await app.close()
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#starting?.catch(() => undefined)
      const failed = this.#state === 'ERROR'
      if (!failed) this.#setState('PENDING_SHUTDOWN')
      await this.#runtime.stop(!failed)
      if (this.#state !== 'ERROR') this.#setState('NOT_RUNNING')
      this.removeAllListeners()
    })()
    return this.#closing
  }

  /**
   * Same as `close()`, for `await using` (Node 22+).
   *
   * @example
   * ```ts
   * await app[Symbol.asyncDispose]()
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /**
   * Resolves once this instance has processed every record in its partitions up to their ends —
   * including what it wrote to its own repartition topics — and its outputs are stored. A test hook
   * (it does not commit); takes `{ timeoutMs, signal }`.
   *
   * @example
   * ```ts
   * await bus.producer().send('lines', { value: 'hello kafka' })
   * await app.caughtUp()
   * ```
   */
  caughtUp(options?: WaitOptions): Promise<void> {
    this.#assertRunning()
    return this.#runtime.caughtUp(options)
  }

  /**
   * Commits now, as the commit interval does: changelogs written, outputs stored, then input offsets.
   *
   * @example
   * ```ts
   * await app.commit()
   * ```
   */
  commit(): Promise<void> {
    this.#assertRunning()
    return this.#runtime.commit()
  }

  /**
   * The application's state.
   *
   * @example
   * ```ts
   * if (app.state === 'ERROR') await app.close()
   * ```
   */
  get state(): StreamsState {
    return this.#state
  }

  /**
   * Counters since start: processed, late (dropped), skipped, restored records, commits.
   *
   * @example
   * ```ts
   * console.log(app.metrics().droppedRecords)
   * ```
   */
  metrics(): StreamsMetrics {
    return { ...this.#runtime.metrics }
  }

  /**
   * The sub-topologies, their sources, processors, stores and task counts, and the internal topics.
   * Before `start()` it needs the source topics to exist.
   *
   * @example
   * ```ts
   * console.log(JSON.stringify(app.describe(), null, 2))
   * ```
   */
  describe(): TopologyDescription {
    return this.#runtime.describe()
  }

  #setState(to: StreamsState): void {
    const from = this.#state
    if (from === to) return
    this.#state = to
    this.emit('stateChange', { from, to })
  }

  #assertRunning(): void {
    if (this.#closing !== undefined) throw new ClosedError('StreamsApp')
    if (this.#starting === undefined)
      throw new InvalidStateError('The application has not been started: call start()')
  }

  #queries(): TableQueries {
    const local = <T>(
      node: TableNode,
      each: (ctx: import('./topology/node').TaskContext) => Iterable<T>,
    ): T[] => {
      if (this.#closing !== undefined) throw new ClosedError('StreamsApp')
      const sub = this.#runtime.plan?.byNode.get(node)
      if (sub === undefined)
        throw new InvalidStateError('Tables answer queries once the application has started')
      const out: T[] = []
      for (const task of this.#runtime.tasks) if (task.sub === sub) out.push(...each(task.ctx))
      return out
    }
    const byKey = (rows: TableRow[]): TableRow[] => rows.sort((a, b) => compareKeys(a.key, b.key))
    return {
      get: (node, key) => {
        const [found] = local(node, (ctx) => {
          const row = node.getter(ctx)(key)
          return row === undefined ? [] : [{ key, value: row.value, timestamp: row.timestamp }]
        })
        return found
      },
      rows: (node) => byKey(local(node, (ctx) => node.rows(ctx))),
      fetch: (node: WindowedTableNode, key, from, to) =>
        local(node, (ctx) => node.fetch(ctx, key, from, to)).sort(byWindowStart),
      fetchAll: (node: WindowedTableNode, from, to) => local(node, (ctx) => node.fetchAll(ctx, from, to)),
    }
  }

  /** @internal The bus the application runs on. */
  get bus(): Bus<D> {
    return this.#bus
  }
}

function byWindowStart(a: TableRow, b: TableRow): number {
  return (
    (a.key as { window: { start: number } }).window.start -
    (b.key as { window: { start: number } }).window.start
  )
}

/**
 * A streams application over `bus` (see {@link StreamsApp}). Topics declared on the bus type the
 * streams and tables made from them by name.
 *
 * @example
 * ```ts
 * const app = streams(bus, { applicationId: 'pageviews-per-region' })
 * ```
 */
export function streams<D extends TopicDeclarations>(bus: Bus<D>, options: StreamsOptions): StreamsApp<D> {
  return new StreamsApp(bus, options)
}

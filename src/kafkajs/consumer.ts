import {
  type Assignor,
  assignorProtocol,
  type BatchPayload,
  type Bus,
  type Clock,
  type CommittedOffset,
  type ConsumerGroup,
  type Consumer as CoreConsumer,
  type TopicPartition as CoreTopicPartition,
  type RecordRun,
} from '../index'
import { AssignerProtocol, assignorsFor, toAssignment } from './assigners'
import {
  type ClientContext,
  clusterState,
  ensureTopic,
  findTopic,
  isRetriable,
  type MemberHandle,
  partitionMetadata,
  type ResolvedRetry,
  RetryTimes,
  resolveRetry,
} from './cluster'
import { EARLIEST_OFFSET, LATEST_OFFSET } from './constants'
import {
  isRebalancing,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  protocolError,
  toKafkaJSError,
} from './errors'
import { Instrumentation } from './instrumentation'
import { KeepAlive } from './keep-alive'
import type {
  Batch,
  Consumer,
  ConsumerConfig,
  ConsumerEventPayloads,
  ConsumerEvents,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  EachBatchHandler,
  EachMessageHandler,
  GroupDescription,
  IBatchProcessEvent,
  IHeaders,
  KafkaMessage,
  Logger,
  Offsets,
  OffsetsByTopicPartition,
  RemoveInstrumentationEventListener,
  TopicOffsets,
  TopicPartitionOffset,
  TopicPartitionOffsetAndMetadata,
  TopicPartitions,
} from './types'

const CONSUMER_EVENTS: ConsumerEvents = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
}

/** Matches no topic: a member that subscribed to nothing still joins, as in KafkaJS. */
const NO_TOPIC = /(?!)/

/** The node id of the one in-process broker. */
const NODE_ID = 0

let consumers = 0

/**
 * The function every handler of one consumer runs under, named for that consumer. `stop()` from inside
 * a handler must not wait for it; V8's stack traces name the awaiting async functions ("at async …"),
 * so the stack at `stop()` shows whether one of this consumer's handlers is running it, even after
 * awaits. An AsyncLocalStorage would say the same, but on Node 20 it turns on promise hooks for every
 * promise of the whole process.
 */
function handlerBoundary(): { name: string; run(task: () => Promise<void>): Promise<void> } {
  const name = `logbusKafkaJSHandler_${++consumers}_`
  const run = async (task: () => Promise<void>): Promise<void> => {
    await task()
  }
  Object.defineProperty(run, 'name', { value: name })
  return { name, run }
}

function calledFrom(boundary: { name: string }): boolean {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = Number.POSITIVE_INFINITY
  const stack = new Error().stack ?? ''
  Error.stackTraceLimit = limit
  return stack.includes(`${boundary.name} `)
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`

const notInitialized = (): KafkaJSNonRetriableError =>
  new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first')

/** KafkaJS's pause state: whole topics (with resumed exceptions) and single partitions. */
class PauseState {
  readonly #topics = new Map<string, { all: boolean; paused: Set<number>; resumed: Set<number> }>()

  #state(topic: string): { all: boolean; paused: Set<number>; resumed: Set<number> } {
    let state = this.#topics.get(topic)
    if (state === undefined) {
      state = { all: false, paused: new Set(), resumed: new Set() }
      this.#topics.set(topic, state)
    }
    return state
  }

  pause(topic: string, partitions: number[] | undefined): void {
    const state = this.#state(topic)
    if (partitions === undefined) {
      state.paused.clear()
      state.resumed.clear()
      state.all = true
    } else {
      for (const partition of partitions) {
        state.paused.add(partition)
        state.resumed.delete(partition)
      }
      state.all = false
    }
  }

  resume(topic: string, partitions: number[] | undefined): void {
    const state = this.#state(topic)
    if (partitions === undefined) {
      state.paused.clear()
      state.resumed.clear()
      state.all = false
    } else {
      for (const partition of partitions) {
        state.paused.delete(partition)
        if (state.all) state.resumed.add(partition)
      }
    }
  }

  isPaused(topic: string, partition: number): boolean {
    const state = this.#topics.get(topic)
    if (state === undefined) return false
    return (state.all && !state.resumed.has(partition)) || state.paused.has(partition)
  }
}

/** What exists from the moment `run()` is called (KafkaJS creates its ConsumerGroup synchronously). */
interface GroupSetup {
  readonly pauses: PauseState
  /** Bumped by every seek: a batch that sees it change is stale. */
  readonly seeks: Map<string, number>
  /** Seeks of partitions not assigned yet (applied when they are, as KafkaJS does at its next fetch). */
  readonly pendingSeeks: Map<string, { topic: string; partition: number; offset: number }>
}

/** Everything about one `run()`, until `stop()` (KafkaJS's ConsumerGroup + Runner). */
interface RunState {
  readonly core: CoreConsumer
  readonly bus: Bus
  /** The bus's clock, read once per delivered message (a field, not the bus's getter). */
  readonly clock: Clock
  readonly group: ConsumerGroup
  readonly autoCommit: boolean
  readonly autoCommitInterval: number | null
  readonly autoCommitThreshold: number | null
  readonly eachBatchAutoResolve: boolean
  /** How long after a crash the member rejoins (KafkaJS's last retry time). */
  readonly restartDelay: number
  readonly eachMessage: EachMessageHandler | null
  readonly eachBatch: EachBatchHandler | null
  running: boolean
  joinedOnce: boolean
  /** Crashed and restarting: KafkaJS reconnects (CONNECT) before it joins again. */
  restarting: boolean
  joinStartedAt: number
  lastCommit: number
  lastHeartbeat: number
  /** Next offset to commit of each partition something was resolved on in this generation. */
  readonly resolved: Map<string, { topic: string; partition: number; offset: number }>
  /** Failed deliveries in a row per partition. */
  readonly attempts: Map<string, RetryTimes>
  /** Bumped by every seek: a batch that sees it change is stale. */
  readonly seeks: Map<string, number>
  /** Seeks of partitions not assigned yet (applied when they are, as KafkaJS does at its next fetch). */
  readonly pendingSeeks: Map<string, { topic: string; partition: number; offset: number }>
  readonly pauses: PauseState
  /** Retry waits in progress; woken to re-check whether they should end early. */
  readonly sleepers: Set<() => void>
  readonly cleanups: Array<() => void>
  crashError: Error | undefined
}

/** KafkaJS's message: string offset and timestamp, and a header map of its own (arrays for repeated keys). */
/** The records of a batch mostly share one timestamp: its string is made once. */
class TimestampText {
  #last = Number.NaN
  #text = ''

  of(timestamp: number): string {
    if (timestamp !== this.#last) {
      this.#last = timestamp
      this.#text = String(timestamp)
    }
    return this.#text
  }
}

function toMessage(run: RecordRun, i: number, timestamps: TimestampText): KafkaMessage {
  const headers: IHeaders = {}
  const recordHeaders = run.headersAt(i)
  for (const name in recordHeaders) {
    const value = recordHeaders[name]!
    const copy = Buffer.isBuffer(value) ? value : [...value]
    if (name === '__proto__')
      Object.defineProperty(headers, name, { value: copy, enumerable: true, writable: true })
    else headers[name] = copy
  }
  return {
    key: run.keyAt(i) as Buffer | null,
    value: run.valueAt(i) as Buffer | null,
    timestamp: timestamps.of(run.timestampAt(i)),
    attributes: 0,
    offset: String(run.offsetAt(i)),
    headers,
  }
}

/** KafkaJS's batch, and the offsets of its messages as numbers (what resolving takes). */
function toBatch(
  topic: string,
  partition: number,
  highWatermark: number,
  runs: readonly RecordRun[],
): { batch: Batch; offsets: number[] } {
  // Built from the runs of stored columns: no record object is made only to be converted.
  const timestamps = new TimestampText()
  const messages: KafkaMessage[] = []
  const offsets: number[] = []
  for (const run of runs) {
    for (let i = run.from; i < run.to; i++) {
      messages.push(toMessage(run, i, timestamps))
      offsets.push(run.offsetAt(i))
    }
  }
  const first = messages[0]?.offset ?? null
  const last = messages.at(-1)?.offset ?? String(highWatermark - 1)
  const batch: Batch = {
    topic,
    partition,
    highWatermark: String(highWatermark),
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => first,
    lastOffset: () => last,
    offsetLag: () => String(highWatermark - 1 - Number(last)),
    offsetLagLow: () => (first === null ? '0' : String(highWatermark - 1 - Number(first))),
  }
  return { batch, offsets }
}

function parseOffset(offset: unknown): number {
  const text = typeof offset === 'bigint' ? offset.toString() : String(offset)
  if (!/^-?\d+$/.test(text.trim())) {
    throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${String(offset)}`)
  }
  const value = Number(text)
  if (!Number.isSafeInteger(value)) {
    throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${String(offset)}`)
  }
  return value
}

function groupByTopic(offsets: readonly CommittedOffset[]): TopicOffsets[] {
  const byTopic = new Map<string, TopicOffsets>()
  for (const { topic, partition, offset } of offsets) {
    let entry = byTopic.get(topic)
    if (entry === undefined) {
      entry = { topic, partitions: [] }
      byTopic.set(topic, entry)
    }
    entry.partitions.push({ partition, offset: String(offset) })
  }
  return [...byTopic.values()]
}

function originalCause(error: Error): Error {
  let current = error
  const seen = new Set<Error>()
  while (current.cause instanceof Error && !seen.has(current.cause)) {
    seen.add(current)
    current = current.cause
  }
  return current
}

/**
 * The group described the way KafkaJS's DescribeGroups returns it: members' metadata and assignments
 * encoded with Kafka's consumer protocol.
 */
export function describeGroupOf(bus: Bus, groupId: string): GroupDescription {
  const description = bus.group(groupId).describe()
  const state = clusterState(bus)
  const handles = [...state.members]
  const stored = state.assignments.get(groupId)
  const encoded = stored?.protocol === description.protocol ? stored.byMember : undefined
  return {
    errorCode: 0,
    groupId,
    state: description.state,
    protocol: description.protocol,
    protocolType: description.state === 'Dead' ? '' : 'consumer',
    members: description.members.map((member) => {
      const handle = handles.find((h) => h.core()?.memberId === member.memberId)
      const topics = handle?.subscribedTopics() ?? [...new Set(member.assignment.map((tp) => tp.topic))]
      const assignment = toAssignment(member.assignment)
      return {
        memberId: member.memberId,
        clientId: member.clientId,
        clientHost: '/127.0.0.1',
        memberMetadata:
          handle?.metadata(description.protocol) ??
          AssignerProtocol.MemberMetadata.encode({ version: 0, topics }),
        // What the leader's assigner encoded, as Kafka stores it; logbus's own assignors encode nothing.
        memberAssignment:
          encoded?.get(member.memberId) ??
          AssignerProtocol.MemberAssignment.encode({ version: 0, assignment }),
      }
    }),
  }
}

/**
 * The facade's consumer: KafkaJS's `Consumer` over a logbus group member. Each `run()` creates one
 * logbus consumer, which `stop()` closes; KafkaJS's runner (batches, resolving, auto-commit, retries,
 * crash and restart) is reproduced here on top of it.
 */
export class KafkaJSConsumer implements Consumer {
  readonly events: ConsumerEvents = CONSUMER_EVENTS
  readonly #ctx: ClientContext
  readonly #groupId: string
  readonly #logger: Logger
  readonly #emitter: Instrumentation<ConsumerEventPayloads>
  readonly #retry: ResolvedRetry
  readonly #assignors: Assignor[]
  readonly #sessionTimeout: number
  readonly #rebalanceTimeout: number
  readonly #heartbeatInterval: number
  readonly #maxBytesPerPartition: number
  readonly #isolation: 'read_committed' | 'read_uncommitted'
  readonly #autoCreate: boolean
  /** Subscribed topic → fromBeginning, in subscription order. */
  readonly #subscriptions = new Map<string, boolean>()
  readonly #handle: MemberHandle
  /** Set synchronously by `run()`, as KafkaJS's consumer group is: seeks and pauses count from then. */
  #setup: GroupSetup | undefined
  #run: RunState | undefined
  #stopping: Promise<void> | undefined
  /** The bus, once connected: what the assigners see of the cluster. */
  #bus: Bus | undefined
  readonly #alive = new KeepAlive()
  readonly #handlers = handlerBoundary()

  constructor(ctx: ClientContext, config: ConsumerConfig) {
    const { groupId } = config ?? ({} as ConsumerConfig)
    if (!groupId) throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.')
    this.#ctx = ctx
    this.#groupId = groupId
    this.#logger = ctx.logger.namespace('Consumer')
    this.#emitter = new Instrumentation<ConsumerEventPayloads>(
      CONSUMER_EVENTS,
      'consumer',
      this.#logger,
      () => this.#bus?.clock.now() ?? Date.now(),
    )
    this.#retry = resolveRetry(ctx.retry, config.retry ?? { retries: 5 })
    this.#assignors = assignorsFor(config.partitionAssigners, {
      groupId,
      logger: this.#logger,
      cluster: {
        findTopicPartitionMetadata: (topic) => {
          const found = this.#bus === undefined ? undefined : findTopic(this.#bus, topic)
          return found === undefined ? [] : partitionMetadata(found.partitionCount)
        },
      },
      assigned: (protocol, byMember) => {
        if (this.#bus !== undefined) clusterState(this.#bus).assignments.set(groupId, { protocol, byMember })
      },
    })
    this.#sessionTimeout = config.sessionTimeout ?? 30_000
    this.#rebalanceTimeout = config.rebalanceTimeout ?? 60_000
    this.#heartbeatInterval = config.heartbeatInterval ?? 3_000
    this.#maxBytesPerPartition = config.maxBytesPerPartition ?? 1_048_576
    // KafkaJS reads committed records only unless told otherwise (Kafka's own default is the opposite).
    this.#isolation = config.readUncommitted === true ? 'read_uncommitted' : 'read_committed'
    this.#autoCreate = config.allowAutoTopicCreation ?? true
    if (this.#heartbeatInterval >= this.#sessionTimeout) {
      throw new KafkaJSNonRetriableError(
        `Consumer heartbeatInterval (${this.#heartbeatInterval}) must be lower than sessionTimeout (${this.#sessionTimeout}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`,
      )
    }
    this.#handle = {
      groupId,
      core: () => this.#run?.core,
      subscribedTopics: () => [...this.#subscriptions.keys()],
      metadata: (protocol) => {
        const assignor = this.#assignors.find((a) => assignorProtocol(a) === protocol)
        const metadata = assignor?.subscriptionUserData?.({ topics: [...this.#subscriptions.keys()] })
        return metadata === undefined ? undefined : Buffer.from(metadata)
      },
    }
  }

  async connect(): Promise<void> {
    this.#connected(await this.#ctx.bus())
    this.#emitter.emit('consumer.connect', null)
  }

  async disconnect(): Promise<void> {
    try {
      await this.stop()
      this.#alive.release()
      this.#emitter.emit('consumer.disconnect', null)
    } catch (error) {
      const e = toKafkaJSError(error)
      this.#logger.error(`Caught error when disconnecting the consumer: ${e.message}`, {
        stack: e.stack,
        groupId: this.#groupId,
      })
      throw e
    }
  }

  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.#setup !== undefined) {
      throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running')
    }
    const {
      topic,
      topics,
      fromBeginning = false,
    } = (subscription ?? {}) as Partial<ConsumerSubscribeTopics & ConsumerSubscribeTopic>
    if (!topic && !topics) throw new KafkaJSNonRetriableError('Missing required argument "topics"')
    if (topics != null && !Array.isArray(topics)) {
      throw new KafkaJSNonRetriableError('Argument "topics" must be an array')
    }
    const wanted: Array<string | RegExp> = topics ?? [topic as string | RegExp]
    for (const entry of wanted) {
      if (typeof entry !== 'string' && !(entry instanceof RegExp)) {
        throw new KafkaJSNonRetriableError(
          `Invalid topic ${String(entry)} (${typeof entry}), the topic name has to be a String or a RegExp`,
        )
      }
    }
    const bus = await this.#ctx.bus()
    const names: string[] = []
    for (const entry of wanted) {
      if (entry instanceof RegExp) {
        // Matched against the topics that exist now, as KafkaJS does with the cluster's metadata.
        const pattern = new RegExp(entry.source, entry.flags.replace(/[gy]/g, ''))
        names.push(...bus.listTopics().filter((name) => pattern.test(name)))
      } else {
        await ensureTopic(bus, entry, this.#autoCreate, this.#ctx.numPartitions)
        names.push(entry)
      }
    }
    for (const name of names) this.#subscriptions.set(name, fromBeginning)
  }

  async run(config?: ConsumerRunConfig): Promise<void> {
    if (this.#setup !== undefined) {
      this.#logger.warn('consumer#run was called, but the consumer is already running', {
        groupId: this.#groupId,
      })
      return
    }
    const {
      autoCommit = true,
      autoCommitInterval = null,
      autoCommitThreshold = null,
      eachBatchAutoResolve = true,
      partitionsConsumedConcurrently = 1,
      eachBatch = null,
      eachMessage = null,
    } = config ?? {}
    const setup: GroupSetup = { pauses: new PauseState(), seeks: new Map(), pendingSeeks: new Map() }
    this.#setup = setup
    let bus: Bus
    try {
      bus = await this.#ctx.bus()
    } catch (error) {
      if (this.#setup === setup) this.#setup = undefined
      throw toKafkaJSError(error)
    }
    // Stopped meanwhile.
    if (this.#setup !== setup) return
    this.#connected(bus)
    // As bytes, whatever codecs a topic was declared with on a bus of the user's own.
    const topics = [...this.#subscriptions.keys()].map((name) => findTopic(bus, name) ?? name)
    const fromBeginning = [...this.#subscriptions.values()]
    const allFromBeginning = fromBeginning.length > 0 && fromBeginning.every(Boolean)
    // KafkaJS restarts after the wait its last retry would have had.
    const restartDelay = RetryTimes.after(this.#retry, this.#retry.retries)
    let core: CoreConsumer
    try {
      core = bus.consumer({
        groupId: this.#groupId,
        topics: topics.length > 0 ? topics : NO_TOPIC,
        fromBeginning: allFromBeginning,
        autoCommit,
        autoCommitIntervalMs: Math.max(1, Math.floor(autoCommitInterval ?? 5_000)),
        clientId: this.#ctx.clientId,
        assignor: this.#assignors,
        sessionTimeoutMs: this.#sessionTimeout,
        heartbeatIntervalMs: this.#heartbeatInterval,
        // KafkaJS has no poll timeout: a long batch keeps its member; rebalanceTimeout bounds revokes.
        maxPollIntervalMs: null,
        rebalanceTimeoutMs: this.#rebalanceTimeout,
        partitionsConsumedConcurrently,
        maxBytesPerPartition: this.#maxBytesPerPartition,
        isolation: this.#isolation,
        // KafkaJS's runner retries a failing handler itself (below); past that, the member crashes and
        // restarts after the wait KafkaJS's would have had.
        onFailure: 'crash',
        retry: { retries: 0, initialRetryTimeMs: restartDelay, maxRetryTimeMs: restartDelay, multiplier: 1 },
        // The hooks run once the member joins, after `run` below is set.
        restartOnFailure: (error) => this.#shouldRestart(run, error),
        onAssign: (partitions) => this.#onAssign(run, partitions),
        onRevoke: (partitions) => this.#onRevoke(run, partitions),
      })
    } catch (error) {
      this.#setup = undefined
      throw toKafkaJSError(error)
    }
    const now = bus.clock.now()
    const run: RunState = {
      core,
      bus,
      clock: bus.clock,
      group: bus.group(this.#groupId),
      autoCommit,
      autoCommitInterval,
      autoCommitThreshold,
      eachBatchAutoResolve,
      restartDelay,
      eachMessage,
      eachBatch,
      running: true,
      joinedOnce: false,
      restarting: false,
      joinStartedAt: now,
      lastCommit: now,
      lastHeartbeat: now,
      resolved: new Map(),
      attempts: new Map(),
      seeks: setup.seeks,
      pendingSeeks: setup.pendingSeeks,
      pauses: setup.pauses,
      sleepers: new Set(),
      cleanups: [],
      crashError: undefined,
    }
    this.#run = run
    clusterState(bus).members.add(this.#handle)
    this.#listen(run)
    this.#logger.info('Starting', { groupId: this.#groupId })
    this.#emitter.emit('consumer.connect', null)
    try {
      await run.core.run({ eachBatch: (payload) => this.#onBatch(run, payload), eachBatchAutoResolve: false })
    } catch (error) {
      if (this.#run !== run) return
      const e = toKafkaJSError(error)
      this.#logger.error(`Crash: ${e.name}: ${e.message}`, { groupId: this.#groupId, stack: e.stack })
      this.#run = undefined
      this.#setup = undefined
      this.#alive.release()
      await this.#teardown(run)
      this.#emitter.emit('consumer.stop', null)
      this.#emitter.emit('consumer.disconnect', null)
      this.#emitter.emit('consumer.crash', { error: e, groupId: this.#groupId, restart: false })
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop().finally(() => {
      this.#stopping = undefined
    })
    return this.#stopping
  }

  async commitOffsets(topicPartitions: Array<TopicPartitionOffsetAndMetadata>): Promise<void> {
    const offsets: CommittedOffset[] = []
    for (const { topic, partition, offset, metadata = null } of topicPartitions ?? []) {
      if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`)
      if (Number.isNaN(Number(partition))) {
        throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${partition}`)
      }
      const value = parseOffset(offset)
      if (value < 0) throw new KafkaJSNonRetriableError('Offset must not be a negative number')
      if (metadata !== null && typeof metadata !== 'string') {
        throw new KafkaJSNonRetriableError(
          `Invalid offset metadata, expected string or null, received ${String(metadata)}`,
        )
      }
      offsets.push({ topic, partition: Number(partition), offset: value })
    }
    if (this.#setup === undefined) throw notInitialized()
    // As KafkaJS's runner: nothing to commit through until the member has joined.
    const run = this.#run
    if (run === undefined || !run.running) return
    await this.#commit(run, offsets)
  }

  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`)
    if (Number.isNaN(Number(partition))) {
      throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${partition}`)
    }
    const value = parseOffset(offset)
    if (value < 0 && value !== EARLIEST_OFFSET && value !== LATEST_OFFSET) {
      throw new KafkaJSNonRetriableError('Offset must not be a negative number')
    }
    const setup = this.#setup
    if (setup === undefined) throw notInitialized()
    const p = Number(partition)
    const key = tpKey(topic, p)
    setup.seeks.set(key, (setup.seeks.get(key) ?? 0) + 1)
    const run = this.#run
    if (run === undefined || run.core.position({ topic, partition: p }) === undefined) {
      // Applied when the partition is assigned, as KafkaJS does at its next fetch.
      setup.pendingSeeks.set(key, { topic, partition: p, offset: value })
    } else {
      setup.pendingSeeks.delete(key)
      this.#applySeek(run, topic, p, value)
    }
    if (run !== undefined) this.#wake(run)
  }

  async describeGroup(): Promise<GroupDescription> {
    return describeGroupOf(await this.#ctx.bus(), this.#groupId)
  }

  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    this.#checkTopicPartitions(topics, 'pause')
    const setup = this.#setup
    if (setup === undefined) throw notInitialized()
    this.#logger.info(`Pausing fetching from ${topics.length} topics`, { topicPartitions: topics })
    for (const { topic, partitions } of topics) setup.pauses.pause(topic, partitions)
    const run = this.#run
    if (run === undefined) return
    this.#applyPauses(run, run.core.assignment())
    this.#wake(run)
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    this.#checkTopicPartitions(topics, 'resume')
    const setup = this.#setup
    if (setup === undefined) throw notInitialized()
    this.#logger.info(`Resuming fetching from ${topics.length} topics`, { topicPartitions: topics })
    for (const { topic, partitions } of topics) setup.pauses.resume(topic, partitions)
    const run = this.#run
    if (run !== undefined) this.#applyPauses(run, run.core.assignment())
  }

  paused(): TopicPartitions[] {
    const run = this.#run
    if (run === undefined) return []
    const byTopic = new Map<string, number[]>()
    for (const { topic, partition } of run.core.assignment()) {
      if (!run.pauses.isPaused(topic, partition)) continue
      let list = byTopic.get(topic)
      if (list === undefined) {
        list = []
        byTopic.set(topic, list)
      }
      list.push(partition)
    }
    return [...byTopic].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.sort((a, b) => a - b),
    }))
  }

  on<E extends keyof ConsumerEventPayloads>(
    eventName: E,
    listener: (event: ConsumerEventPayloads[E]) => void,
  ): RemoveInstrumentationEventListener<E> {
    return this.#emitter.on(eventName, listener)
  }

  logger(): Logger {
    return this.#logger
  }

  #connected(bus: Bus): void {
    this.#bus = bus
    this.#alive.hold(bus)
  }

  async #stop(): Promise<void> {
    this.#setup = undefined
    const run = this.#run
    if (run !== undefined) {
      this.#run = undefined
      run.running = false
      this.#wake(run)
      if (calledFrom(this.#handlers)) {
        // Called from this consumer's own handler: the close waits for that handler, so do not wait for
        // it, and start it once the handler's synchronous part has returned (the core refuses a close
        // from there, which would wait for itself).
        void Promise.resolve()
          .then(() => this.#teardown(run))
          .then(() => this.#emitter.emit('consumer.stop', null))
          .catch((error: unknown) => this.#logger.error('Failed to stop the consumer', { error }))
      } else {
        await this.#teardown(run)
        this.#emitter.emit('consumer.stop', null)
      }
    }
    this.#logger.info('Stopped', { groupId: this.#groupId })
  }

  /** Closes the logbus consumer (committing with autoCommit, leaving the group) and drops listeners. */
  async #teardown(run: RunState): Promise<void> {
    run.running = false
    try {
      await run.core.close()
    } finally {
      for (const cleanup of run.cleanups.splice(0)) cleanup()
      clusterState(run.bus).members.delete(this.#handle)
    }
  }

  #listen(run: RunState): void {
    const { core, group } = run
    run.cleanups.push(
      core.on('groupJoin', ({ memberId, assignment }) => {
        if (run.restarting) {
          run.restarting = false
          this.#emitter.emit('consumer.connect', null)
        }
        run.joinedOnce = true
        const assigned = new Set(assignment.map((tp) => tpKey(tp.topic, tp.partition)))
        for (const key of [...run.resolved.keys()]) if (!assigned.has(key)) run.resolved.delete(key)
        const memberAssignment = toAssignment(assignment)
        const leaderId = group.describe().members[0]?.memberId ?? memberId
        const payload = {
          duration: run.clock.now() - run.joinStartedAt,
          groupId: this.#groupId,
          isLeader: leaderId === memberId,
          leaderId,
          groupProtocol: group.describe().protocol,
          memberId,
          memberAssignment,
        }
        this.#emitter.emit('consumer.group_join', payload)
        this.#logger.info('Consumer has joined the group', payload)
      }),
      core.on('commit', ({ offsets }) => {
        run.lastCommit = run.clock.now()
        this.#emitter.emit('consumer.commit_offsets', {
          groupId: this.#groupId,
          memberId: core.memberId,
          groupGenerationId: group.generation,
          topics: groupByTopic(offsets),
        })
      }),
      core.on('crash', ({ error, restart }) => {
        const e = run.crashError ?? toKafkaJSError(error)
        run.crashError = undefined
        this.#logger.error(`Crash: ${e.name}: ${e.message}`, { groupId: this.#groupId, stack: e.stack })
        // KafkaJS disconnects before it reports the crash, and reconnects when it restarts.
        this.#emitter.emit('consumer.stop', null)
        this.#emitter.emit('consumer.disconnect', null)
        this.#emitter.emit('consumer.crash', { error: e, groupId: this.#groupId, restart })
        if (restart) {
          run.restarting = true
          run.joinStartedAt = run.clock.now()
          this.#logger.error(`Restarting the consumer in ${run.restartDelay}ms`, {
            groupId: this.#groupId,
          })
        } else if (this.#run === run) {
          // KafkaJS disconnects a consumer that will not restart: nothing holds the process any more.
          this.#run = undefined
          this.#setup = undefined
          this.#alive.release()
          void this.#teardown(run).catch(() => undefined)
        }
      }),
      group.on('error', ({ error }) => {
        // The leader ran the assigner: it says why nobody got partitions this round.
        if (group.describe().members[0]?.memberId !== core.memberId) return
        this.#logger.error(`Group assignment failed: ${error.message}`, {
          groupId: this.#groupId,
          memberId: core.memberId,
          stack: error.stack,
        })
      }),
      group.on('stateChange', ({ state }) => {
        if (state !== 'PreparingRebalance') return
        this.#wake(run)
        // Not for the member's own (re)join: KafkaJS reports a rebalance it finds while it is a member.
        if (!run.joinedOnce || !run.running || run.restarting || core.memberId === '') return
        run.joinStartedAt = run.clock.now()
        this.#emitter.emit('consumer.rebalancing', { groupId: this.#groupId, memberId: core.memberId })
      }),
    )
  }

  async #shouldRestart(run: RunState, error: Error): Promise<boolean> {
    const cause = (error as { code?: unknown }).code === 'HANDLER_FAILED' ? error.cause : error
    const e = cause instanceof Error ? toKafkaJSError(cause) : toKafkaJSError(error)
    run.crashError = e
    const retriable =
      e.name === 'KafkaJSNumberOfRetriesExceeded' ||
      (originalCause(e) as { retriable?: unknown }).retriable === true
    if (!retriable) return false
    const decide = this.#retry.restartOnFailure
    if (decide === undefined) return true
    try {
      return await decide(e)
    } catch (failure) {
      this.#logger.error(
        'Caught error when invoking user-provided "restartOnFailure" callback. Defaulting to restarting.',
        {
          error: failure instanceof Error ? failure.message : String(failure),
          cause: e.message,
          groupId: this.#groupId,
        },
      )
      return true
    }
  }

  #onAssign(run: RunState, partitions: CoreTopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const key = tpKey(topic, partition)
      const pending = run.pendingSeeks.get(key)
      if (pending !== undefined) {
        run.pendingSeeks.delete(key)
        this.#applySeek(run, topic, partition, pending.offset)
      } else if (
        this.#subscriptions.get(topic) === true &&
        run.group.committedOffset(topic, partition) === undefined
      ) {
        // fromBeginning is per topic in KafkaJS; the logbus consumer has one policy, so apply it here.
        const start = findTopic(run.bus, topic)?.partitions[partition]?.logStartOffset
        if (start !== undefined) run.core.seek({ topic, partition, offset: start })
      }
    }
    this.#applyPauses(run, partitions)
  }

  #onRevoke(run: RunState, partitions: CoreTopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const key = tpKey(topic, partition)
      run.resolved.delete(key)
      run.attempts.delete(key)
    }
  }

  /** Makes the logbus consumer's pauses of `partitions` match KafkaJS's pause state. */
  #applyPauses(run: RunState, partitions: readonly CoreTopicPartition[]): void {
    const paused = new Set(run.core.paused().map((tp) => tpKey(tp.topic, tp.partition)))
    for (const { topic, partition } of partitions) {
      const want = run.pauses.isPaused(topic, partition)
      if (want === paused.has(tpKey(topic, partition))) continue
      if (want) run.core.pause([{ topic, partition }])
      else run.core.resume([{ topic, partition }])
    }
  }

  #applySeek(run: RunState, topic: string, partition: number, offset: number): void {
    const p = findTopic(run.bus, topic)?.partitions[partition]
    if (p === undefined) return
    // KafkaJS resolves -1 with ListOffsets at its isolation level: the last stable offset for read_committed.
    const latest = this.#isolation === 'read_committed' ? p.lastStableOffset : p.logEndOffset
    const target = offset === EARLIEST_OFFSET ? p.logStartOffset : offset === LATEST_OFFSET ? latest : offset
    run.core.seek({ topic, partition, offset: target })
    const key = tpKey(topic, partition)
    run.attempts.delete(key)
    if (run.autoCommit) {
      // KafkaJS commits a seek's offset at once with autoCommit, and keeps it as resolved without.
      run.resolved.delete(key)
      run.core
        .commit([{ topic, partition, offset: target }])
        .catch((error: unknown) =>
          this.#logger.warn('Failed to commit the seek offset', { topic, partition, offset: target, error }),
        )
    } else {
      run.resolved.set(key, { topic, partition, offset: target })
    }
  }

  #checkTopicPartitions(topics: Array<{ topic: string; partitions?: number[] }>, verb: string): void {
    for (const entry of topics ?? []) {
      if (!entry?.topic) {
        throw new KafkaJSNonRetriableError(`Invalid topic ${String(entry?.topic ?? entry)}`)
      }
      if (
        entry.partitions !== undefined &&
        (!Array.isArray(entry.partitions) || entry.partitions.some((p) => Number.isNaN(Number(p))))
      ) {
        throw new KafkaJSNonRetriableError(
          `Array of valid partitions required to ${verb} specific partitions instead of ${String(entry.partitions)}`,
        )
      }
    }
  }

  #wake(run: RunState): void {
    for (const wake of [...run.sleepers]) wake()
  }

  /** One fetched batch of one partition, handed over by the logbus consumer: KafkaJS's runner. */
  async #onBatch(run: RunState, payload: BatchPayload): Promise<void> {
    if (!run.running) return
    const { topic, partition, runs } = payload
    const key = tpKey(topic, partition)
    const seekAtStart = run.seeks.get(key) ?? 0
    const seeked = (): boolean => (run.seeks.get(key) ?? 0) !== seekAtStart
    const fetchStarted = run.clock.now()
    this.#emitter.emit('consumer.fetch_start', { nodeId: NODE_ID })
    // A read_committed member reads up to the last stable offset; KafkaJS's batch reports the high watermark.
    const highWatermark =
      this.#isolation === 'read_committed'
        ? (findTopic(run.bus, topic)?.partitions[partition]?.logEndOffset ?? payload.highWatermark)
        : payload.highWatermark
    const { batch, offsets } = toBatch(topic, partition, highWatermark, runs)
    this.#emitter.emit('consumer.fetch', {
      numberOfBatches: 0,
      duration: run.clock.now() - fetchStarted,
      nodeId: NODE_ID,
    })
    const info: IBatchProcessEvent = {
      topic,
      partition,
      highWatermark: batch.highWatermark,
      offsetLag: batch.offsetLag(),
      offsetLagLow: batch.offsetLagLow(),
      batchSize: batch.messages.length,
      firstOffset: batch.firstOffset() ?? batch.lastOffset(),
      lastOffset: batch.lastOffset(),
    }
    const topicPartition = { topic, partition }
    const resolve = (offset: number): void => {
      if (seeked()) return
      payload.resolveOffset(offset)
      // Stopping: the logbus consumer commits what was resolved as it closes; nothing else needs it.
      if (!run.running) return
      const position = run.core.position(topicPartition)
      if (position === undefined) return
      // Resolved per message: the entry is updated in place (it is copied wherever it is handed out).
      const entry = run.resolved.get(key)
      if (entry === undefined) run.resolved.set(key, { topic, partition, offset: position })
      else if (position > entry.offset) entry.offset = position
    }
    const started = run.clock.now()
    this.#emitter.emit('consumer.start_batch_process', info)
    // What KafkaJS names in "Error when calling …": the message that failed, or the batch's first.
    const failing = { offset: batch.firstOffset() }
    try {
      await this.#handlers.run(async () => {
        if (run.eachMessage !== null) {
          await this.#processEachMessage(run, payload, batch, offsets, resolve, seeked, failing)
        } else if (run.eachBatch !== null) {
          await this.#processEachBatch(run, payload, batch, offsets, resolve, seeked)
        }
      })
    } catch (error) {
      if (run.autoCommit) await this.#commitProcessed(run)
      await this.#failed(
        run,
        payload,
        error,
        run.eachMessage !== null ? 'eachMessage' : 'eachBatch',
        failing.offset,
      )
      return
    }
    run.attempts.delete(key)
    this.#emitter.emit('consumer.end_batch_process', { ...info, duration: run.clock.now() - started })
    if (run.autoCommit) await this.#commitProcessed(run)
    try {
      await this.#heartbeat(run)
    } catch (error) {
      await this.#failed(run, payload, error, 'heartbeat', null)
      return
    }
  }

  async #processEachMessage(
    run: RunState,
    payload: BatchPayload,
    batch: Batch,
    offsets: readonly number[],
    resolve: (offset: number) => void,
    seeked: () => boolean,
    failing: { offset: string | null },
  ): Promise<void> {
    const { topic, partition } = batch
    const pause = this.#pauseOf(topic, partition)
    const heartbeat = (): Promise<void> => this.#heartbeat(run)
    for (let i = 0; i < batch.messages.length; i++) {
      if (!run.running || seeked() || payload.isStale()) break
      const message = batch.messages[i]!
      failing.offset = message.offset
      await run.eachMessage!({ topic, partition, message, heartbeat, pause })
      resolve(offsets[i]!)
      // Awaited only when there is something to do: two promises per message otherwise.
      const now = run.clock.now()
      if (this.#heartbeatDue(run, now)) await this.#heartbeat(run)
      if (run.autoCommit && this.#commitDue(run, now)) await this.#commitProcessed(run)
      if (run.pauses.isPaused(topic, partition)) break
    }
  }

  async #processEachBatch(
    run: RunState,
    payload: BatchPayload,
    batch: Batch,
    offsets: readonly number[],
    resolve: (offset: number) => void,
    seeked: () => boolean,
  ): Promise<void> {
    const { topic, partition } = batch
    await run.eachBatch!({
      batch,
      resolveOffset: (offset) => resolve(parseOffset(offset)),
      heartbeat: () => this.#heartbeat(run),
      pause: this.#pauseOf(topic, partition),
      commitOffsetsIfNecessary: async (offsets?: Offsets) => {
        if (offsets !== undefined) {
          await this.#commit(
            run,
            offsets.topics.flatMap((t) =>
              t.partitions.map((p) => ({
                topic: t.topic,
                partition: p.partition,
                offset: parseOffset(p.offset),
              })),
            ),
          )
        } else {
          await this.#commitIfNecessary(run)
        }
      },
      uncommittedOffsets: () => this.#uncommitted(run),
      isRunning: () => run.running,
      // KafkaJS: stale once a seek is pending for the partition. Revoked counts too; a pause does not.
      isStale: () => seeked() || (run.running && payload.isStale() && !run.pauses.isPaused(topic, partition)),
    })
    if (run.eachBatchAutoResolve && offsets.length > 0) resolve(offsets.at(-1)!)
  }

  #pauseOf(topic: string, partition: number): () => () => void {
    return () => {
      this.pause([{ topic, partitions: [partition] }])
      return () => this.resume([{ topic, partitions: [partition] }])
    }
  }

  /**
   * A handler failed. As KafkaJS's runner: retriable errors are retried (the partition's unresolved
   * records are fetched again after the wait); past `retries`, or for a non-retriable error, the
   * member crashes (the logbus consumer commits what was resolved, leaves, and restarts or not).
   */
  async #failed(
    run: RunState,
    payload: BatchPayload,
    caught: unknown,
    handler: string,
    offset: string | null,
  ): Promise<void> {
    const error = caught instanceof Error ? caught : new Error(String(caught))
    const { topic, partition } = payload
    if (isRebalancing(error)) {
      // KafkaJS's runner: the member rejoins; what was not resolved goes to the partition's next owner.
      this.#logger.warn('The group is rebalancing, re-joining', {
        groupId: this.#groupId,
        memberId: run.core.memberId,
        error: error.message,
      })
      return
    }
    if (!(error instanceof KafkaJSError)) {
      this.#logger.error(`Error when calling ${handler}`, {
        topic,
        partition,
        offset,
        stack: error.stack,
        error,
      })
    }
    if (!run.running) return
    if (!isRetriable(error)) throw new KafkaJSNonRetriableError(error, { cause: error.cause ?? error })
    const key = tpKey(topic, partition)
    let times = run.attempts.get(key)
    if (times === undefined) {
      times = new RetryTimes(this.#retry)
      run.attempts.set(key, times)
    }
    const wait = times.current
    if (times.count >= this.#retry.retries) {
      run.attempts.delete(key)
      throw new KafkaJSNumberOfRetriesExceeded(error, { retryCount: times.count, retryTime: wait })
    }
    times.advance()
    await this.#sleep(run, wait, () => !run.running || payload.isStale())
  }

  /** Waits `ms`, or less once `done()` holds (checked whenever the member is woken). */
  #sleep(run: RunState, ms: number, done: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        run.bus.clock.clearTimeout(timer)
        run.sleepers.delete(check)
        resolve()
      }
      const check = (): void => {
        if (done()) finish()
      }
      const timer = run.bus.clock.setTimeout(finish, ms)
      run.sleepers.add(check)
    })
  }

  /**
   * KafkaJS's heartbeat. While the group rebalances, it fails with REBALANCE_IN_PROGRESS (after
   * committing what was resolved, as KafkaJS's runner does), as Kafka answers a member's heartbeat; a
   * handler that lets the error through gives its unresolved messages up to the partition's next owner.
   * Otherwise HEARTBEAT is emitted at most every `heartbeatInterval`.
   */
  async #heartbeat(run: RunState): Promise<void> {
    if (this.#rebalancePending(run)) {
      if (run.autoCommit) await this.#commitProcessed(run)
      throw protocolError('REBALANCE_IN_PROGRESS')
    }
    const now = run.clock.now()
    if (!this.#heartbeatTimeDue(run, now)) return
    run.lastHeartbeat = now
    this.#emitter.emit('consumer.heartbeat', {
      groupId: this.#groupId,
      memberId: run.core.memberId,
      groupGenerationId: run.group.generation,
    })
  }

  /** The group rebalances and this member, running and joined, has to rejoin. */
  #rebalancePending(run: RunState): boolean {
    // Not CompletingRebalance: a member fetches as soon as it has its new assignment (Kafka's SyncGroup).
    return run.running && run.joinedOnce && !run.restarting && run.group.state === 'PreparingRebalance'
  }

  /** KafkaJS's commitOffsetsIfNecessary: commit once `autoCommitInterval` or `autoCommitThreshold` is reached. */
  async #commitIfNecessary(run: RunState): Promise<void> {
    if (this.#commitDue(run, run.clock.now())) await this.#commitProcessed(run)
  }

  #commitDue(run: RunState, now: number): boolean {
    const timeoutReached = run.autoCommitInterval != null && now >= run.lastCommit + run.autoCommitInterval
    return (
      timeoutReached ||
      (run.autoCommitThreshold != null && this.#resolvedCount(run) >= run.autoCommitThreshold)
    )
  }

  /** Whether {@link #heartbeat} has anything to do: a rebalance to announce, or a heartbeat to emit. */
  #heartbeatDue(run: RunState, now: number): boolean {
    return this.#rebalancePending(run) || this.#heartbeatTimeDue(run, now)
  }

  /** A joined member's heartbeat interval has passed since its last heartbeat. */
  #heartbeatTimeDue(run: RunState, now: number): boolean {
    return now >= run.lastHeartbeat + this.#heartbeatInterval && run.core.memberId !== ''
  }

  /** Commits every resolved offset; a failure (the member was removed meanwhile) is logged, not thrown. */
  async #commitProcessed(run: RunState): Promise<void> {
    // Stopping: the logbus consumer commits as it closes (with autoCommit).
    if (!run.running) return
    try {
      await run.core.commit()
      run.lastCommit = run.clock.now()
    } catch (error) {
      this.#logger.warn('Failed to commit offsets', {
        groupId: this.#groupId,
        error: toKafkaJSError(error).message,
      })
    }
  }

  async #commit(run: RunState, offsets: CommittedOffset[]): Promise<void> {
    try {
      await run.core.commit(offsets)
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }

  #resolvedCount(run: RunState): number {
    let count = 0
    for (const { topic, partition, offset } of run.resolved.values()) {
      count += Math.max(0, offset - (run.group.committedOffset(topic, partition) ?? 0))
    }
    return count
  }

  #uncommitted(run: RunState): OffsetsByTopicPartition {
    const changed: CommittedOffset[] = []
    for (const entry of run.resolved.values()) {
      if (entry.offset !== run.group.committedOffset(entry.topic, entry.partition)) changed.push({ ...entry })
    }
    return { topics: groupByTopic(changed) }
  }
}

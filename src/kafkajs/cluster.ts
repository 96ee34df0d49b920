import { randomUUID } from 'node:crypto'
import { type Bus, type Clock, type Consumer as CoreConsumer, raw, type Topic } from '../index'
import { coreCode, KafkaJSNumberOfRetriesExceeded, protocolError, toKafkaJSError } from './errors'
import type { AclEntry, Logger, PartitionMetadata, RetryOptions } from './types'

/** What the facade keeps per bus, shared by every Kafka instance on it: the broker-side state logbus lacks. */
export interface ClusterState {
  readonly clusterId: string
  /** Live facade consumers (members), for group descriptions. */
  readonly members: Set<MemberHandle>
  /** Topic configs logbus has no field for (e.g. `compression.type`): accepted, stored, not enforced. */
  readonly extraTopicConfigs: Map<string, Map<string, string>>
  readonly acls: AclEntry[]
  /** groupId → the encoded assignments its leader's KafkaJS assigner last returned, by member id. */
  readonly assignments: Map<string, { protocol: string; byMember: ReadonlyMap<string, Buffer> }>
}

/** A facade consumer as other clients of the bus see it. */
export interface MemberHandle {
  readonly groupId: string
  /** The running core consumer, if the member is running. */
  core(): CoreConsumer | undefined
  subscribedTopics(): string[]
  /** What the member's own assigner of `protocol` says in its subscription (KafkaJS's `protocol()`). */
  metadata(protocol: string): Buffer | undefined
}

const states = new WeakMap<Bus, ClusterState>()

/** The facade's state of `bus`, created on first use and shared by every Kafka instance on that bus. */
export function clusterState(bus: Bus): ClusterState {
  let state = states.get(bus)
  if (state === undefined) {
    state = {
      clusterId: `logbus-${randomUUID()}`,
      members: new Set(),
      extraTopicConfigs: new Map(),
      acls: [],
      assignments: new Map(),
    }
    states.set(bus, state)
  }
  return state
}

/** What a Kafka instance hands its producers, consumers and admins. */
export interface ClientContext {
  bus(): Promise<Bus>
  readonly logger: Logger
  readonly clientId: string
  readonly retry: RetryOptions | undefined
  readonly numPartitions: number
  brokers(): Promise<string[]>
}

/** Raw views of topics declared with codecs, by their declared view (a recreated topic gets a new one). */
const rawViews = new WeakMap<object, Topic>()

/**
 * The topic as Kafka's bytes, or undefined if it does not exist. A topic without codecs is its own
 * view; one declared with codecs (on a bus given in `logbus: { bus }`) is seen through `raw()`, so
 * facade clients always send and receive bytes, as KafkaJS clients do.
 */
export function findTopic(bus: Bus, name: string): Topic | undefined {
  let declared: Topic
  try {
    declared = bus.topic(name)
  } catch (error) {
    if (coreCode(error) === 'UNKNOWN_TOPIC_OR_PARTITION') return undefined
    throw toKafkaJSError(error)
  }
  if (declared.keyCodec === raw() && declared.valueCodec === raw()) return declared
  let view = rawViews.get(declared)
  if (view === undefined) {
    view = bus.topic(name, { key: raw(), value: raw() }) as unknown as Topic
    rawViews.set(declared, view)
  }
  return view
}

/**
 * The topic, created with the broker's default partition count if it does not exist and auto-creation
 * is allowed (Kafka's `auto.create.topics.enable`, on by default); otherwise KafkaJS's
 * UNKNOWN_TOPIC_OR_PARTITION error.
 */
export async function ensureTopic(
  bus: Bus,
  name: string,
  autoCreate: boolean,
  numPartitions: number,
): Promise<Topic> {
  const existing = findTopic(bus, name)
  if (existing !== undefined) return existing
  if (!autoCreate) throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${name}"`)
  try {
    await bus.createTopic(name, { partitions: numPartitions, ifNotExists: true })
  } catch (error) {
    throw toKafkaJSError(error)
  }
  const created = findTopic(bus, name)
  if (created === undefined) throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${name}"`)
  return created
}

const metadataCache = new Map<number, PartitionMetadata[]>()

/** The metadata of a topic with `count` partitions: one broker, node 0, leads and replicates each. */
export function partitionMetadata(count: number): PartitionMetadata[] {
  let cached = metadataCache.get(count)
  if (cached === undefined) {
    cached = Array.from({ length: count }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      offlineReplicas: [],
    }))
    if (count <= 1024) metadataCache.set(count, cached)
  }
  return cached.map((p) => ({ ...p, replicas: [0], isr: [0], offlineReplicas: [] }))
}

/**
 * KafkaJS's retry defaults (`src/retry/defaults.js`), and the ones it uses when `NODE_ENV` is `test`
 * at load (`src/retry/defaults.test.js`): test runners set it, so code under test retries as it does
 * with KafkaJS there.
 */
const RETRY_DEFAULTS =
  process.env.NODE_ENV === 'test'
    ? { maxRetryTime: 1_000, initialRetryTime: 50, factor: 0.02, multiplier: 1.5, retries: 15 }
    : { maxRetryTime: 30_000, initialRetryTime: 300, factor: 0.2, multiplier: 2, retries: 5 }

/** Retry options with KafkaJS's defaults applied. */
export interface ResolvedRetry {
  maxRetryTime: number
  initialRetryTime: number
  /** Randomisation: each wait is drawn within ± factor of its nominal value. */
  factor: number
  multiplier: number
  retries: number
  restartOnFailure: ((e: Error) => Promise<boolean>) | undefined
}

/** Merges retry options (later layers win, as KafkaJS merges the client's and the producer's) over KafkaJS's defaults. */
export function resolveRetry(...layers: Array<RetryOptions | undefined>): ResolvedRetry {
  const merged: RetryOptions = Object.assign({}, ...layers.filter((l) => l !== undefined))
  return {
    maxRetryTime: merged.maxRetryTime ?? RETRY_DEFAULTS.maxRetryTime,
    initialRetryTime: merged.initialRetryTime ?? RETRY_DEFAULTS.initialRetryTime,
    factor: merged.factor ?? RETRY_DEFAULTS.factor,
    multiplier: merged.multiplier ?? RETRY_DEFAULTS.multiplier,
    retries: merged.retries ?? RETRY_DEFAULTS.retries,
    restartOnFailure: merged.restartOnFailure,
  }
}

/** A time within ± `factor` of `time`, rounded up: KafkaJS's randomisation (`randomFromRetryTime`). */
function randomized(retry: ResolvedRetry, time: number): number {
  const delta = retry.factor * time
  return Math.ceil(time - delta + Math.random() * 2 * delta)
}

/**
 * The waits of one KafkaJS retrier (`src/retry/index.js`): the first is `initialRetryTime` randomised,
 * each next one the previous one randomised again, times `multiplier`, at most `maxRetryTime`. With
 * `factor: 0` the schedule is exact.
 *
 * @example
 * ```ts
 * const times = new RetryTimes(resolveRetry({ initialRetryTime: 100, factor: 0, multiplier: 1.5 }))
 * times.current // 100; after times.advance(): 150, then 225
 * ```
 */
export class RetryTimes {
  readonly #retry: ResolvedRetry
  /** Failed attempts so far. */
  count = 0
  /** The wait before the next attempt. */
  current: number

  constructor(retry: ResolvedRetry) {
    this.#retry = retry
    this.current = randomized(retry, retry.initialRetryTime)
  }

  advance(): void {
    this.count++
    this.current = Math.min(
      randomized(this.#retry, this.current) * this.#retry.multiplier,
      this.#retry.maxRetryTime,
    )
  }

  /** The wait after `attempts` failures, from a fresh schedule: where KafkaJS restarts a crashed consumer. */
  static after(retry: ResolvedRetry, attempts: number): number {
    const times = new RetryTimes(retry)
    while (times.count < attempts) times.advance()
    return times.current
  }
}

const UNRECOVERABLE = ['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError']

/** KafkaJS's rule: an error is retried unless it says `retriable: false` or is a programming error. */
export function isRetriable(error: Error): boolean {
  const retriable = (error as { retriable?: unknown }).retriable
  return retriable !== false && !UNRECOVERABLE.includes(error.name)
}

/**
 * KafkaJS's retrier: runs `fn`, retrying retriable errors on KafkaJS's schedule; past
 * `retries`, rejects with KafkaJSNumberOfRetriesExceeded (its cause the last error). A non-retriable
 * error is rethrown at once, as KafkaJS's `bail` does.
 */
export async function withRetries<T>(clock: Clock, retry: ResolvedRetry, fn: () => Promise<T>): Promise<T> {
  const times = new RetryTimes(retry)
  for (;;) {
    try {
      return await fn()
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught))
      if (!isRetriable(error)) throw error
      const wait = times.current
      if (times.count >= retry.retries) {
        throw new KafkaJSNumberOfRetriesExceeded(error, { retryCount: times.count, retryTime: wait })
      }
      times.advance()
      await new Promise<void>((resolve) => clock.setTimeout(resolve, wait))
    }
  }
}

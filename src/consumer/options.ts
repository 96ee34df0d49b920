import * as z from 'zod'
import { InvalidConfigError } from '../errors'
import type { Assignor } from '../group/assignor'
import type { TopicPartition } from '../record/log-record'
import { Topic } from '../topic/topic'
import { lazySchema } from '../util/options'

/**
 * How a failing handler is retried before the member crashes: attempt `n` (from 0) waits
 * `min(initialRetryTimeMs * multiplier^n, maxRetryTimeMs)`. No jitter: logbus is deterministic.
 *
 * @example
 * ```ts
 * bus.consumer({ groupId: 'g', topics: ['t'], retry: { retries: 3, initialRetryTimeMs: 50 } })
 * ```
 */
export interface RetryOptions {
  /** Retries after the first failure. Default 5. */
  retries?: number
  /** Default 300 (KafkaJS's). Need not be a whole number. */
  initialRetryTimeMs?: number
  /** Default 30000. Need not be a whole number. */
  maxRetryTimeMs?: number
  /** Default 2; at least 1, and may be fractional (1.5). */
  multiplier?: number
}

/**
 * One partition a consumer is given explicitly (Kafka's `assign()`), and where to start on it.
 *
 * @example
 * ```ts
 * const part: AssignedPartition = { topic: 'orders', partition: 0, offset: 42 }
 * ```
 */
export interface AssignedPartition {
  topic: string | Topic<unknown, unknown, unknown, unknown>
  partition: number
  /** Where to start; default: the group's committed offset (with a `groupId`), else `autoOffsetReset`. */
  offset?: number
}

/**
 * What a consumer does with a record whose handler still fails after `retry.retries` retries:
 * - `'pause'` (the default): pause that partition, the record next in line, and emit `failure`; the
 *   others keep flowing. `resume()` tries it again, `seek()` past it skips it.
 * - `'skip'`: count it as processed, emit `failure`, go on.
 * - `{ deadLetter: topic }`: send it to that (existing) topic, with the error and where it came from
 *   in `logbus.dlt.*` headers, then count it as processed and go on.
 * - `'crash'`: stop the member with a HandlerError; `restartOnFailure` decides whether it rejoins
 *   (KafkaJS's behaviour: the same record comes back after the restart).
 *
 * @example
 * ```ts
 * bus.consumer({ groupId: 'billing', topics: ['orders'], onFailure: { deadLetter: 'orders.dlt' } })
 * ```
 */
export type FailurePolicy = 'pause' | 'skip' | 'crash' | { deadLetter: string }

/**
 * Options of `bus.consumer()`. With a `groupId` the consumer is a member of that group: the group
 * shares the partitions of `topics` among its members and keeps their committed offsets. Without one
 * it reads every partition of `topics` by itself (a fan-out subscription, as an event-bus listener
 * wants: every such consumer gets every record), or exactly the partitions of `assign` (Kafka's
 * `assign()`), and commits nothing unless it has a `groupId` to commit to.
 *
 * @example
 * ```ts
 * const worker = bus.consumer({ groupId: 'billing', topics: ['orders'], fromBeginning: true })
 * const listener = bus.consumer({ topics: ['orders'] })
 * const reader = bus.consumer({ assign: [{ topic: 'orders', partition: 0, offset: 0 }] })
 * ```
 */
export interface ConsumerOptions {
  /** The group this consumer is a member of (Kafka's group.id); without it the consumer is on its own. */
  groupId?: string
  /**
   * Topic names, typed topics (`Topic` views: records arrive in their codecs' types), or a RegExp: new
   * matching topics are picked up (by a rebalance, in a group).
   */
  topics?: string | ReadonlyArray<string | Topic<unknown, unknown, unknown, unknown>> | RegExp
  /** Explicit partitions instead of `topics` (Kafka's `assign()`): no rebalancing, positions of your choice. */
  assign?: ReadonlyArray<AssignedPartition>
  /** What happens to a record whose handler keeps failing. Default `'pause'`. */
  onFailure?: FailurePolicy
  /**
   * Kafka's isolation.level: `'read_committed'` sees transactional records only once their transaction
   * commits (never an aborted one), and nothing past the first transaction still open;
   * `'read_uncommitted'` (the default, as Kafka's) sees every record as it is written. Neither ever
   * sees the transaction markers.
   */
  isolation?: 'read_committed' | 'read_uncommitted'
  /** Where to start on a partition without a committed offset: the log start instead of the end. */
  fromBeginning?: boolean
  /** Kafka's auto.offset.reset; defaults to `'earliest'` with `fromBeginning`, else `'latest'`.
   * `'none'` crashes the member where there is no valid committed offset. */
  autoOffsetReset?: 'earliest' | 'latest' | 'none'
  /** Commit processed offsets every `autoCommitIntervalMs`, on revoke and on close. Default true. */
  autoCommit?: boolean
  /** Default 5000 (Kafka's auto.commit.interval.ms). */
  autoCommitIntervalMs?: number
  /** Static membership id (Kafka's group.instance.id). */
  instanceId?: string
  /** A name for this member in `describe()`. Default `'logbus'`. */
  clientId?: string
  /** A Kafka assignor by protocol name, or an assignor function. Default `'range'`, Kafka's default.
   * A list names several in preference order, as Kafka's `partition.assignment.strategy`: the group
   * runs one that every member supports (the one most members prefer), so a group can move from one
   * assignor to another member by member. */
  assignor?: AssignorChoice | readonly AssignorChoice[]
  /** Kafka's session.timeout.ms: a member not heard from for this long is removed; a static member
   * that closed keeps its partitions this long. Default 45000. */
  sessionTimeoutMs?: number
  /** Kafka's heartbeat.interval.ms. Must be below sessionTimeoutMs. Default 3000. */
  heartbeatIntervalMs?: number
  /** Kafka's max.poll.interval.ms: a handler that has not returned after this long gets its member
   * removed from the group (its partitions move; its late commits are rejected), and the member
   * rejoins once the handler returns. Also the time a member may take to revoke, unless
   * `rebalanceTimeoutMs` says otherwise. Default 300000. `null` turns the poll timeout off (KafkaJS has
   * none); revokes are then bounded by `rebalanceTimeoutMs`. */
  maxPollIntervalMs?: number | null
  /** How long a member may take to revoke during a rebalance before it is removed (KafkaJS's
   * rebalanceTimeout). Default: `maxPollIntervalMs`, or 300000 when that is null. */
  rebalanceTimeoutMs?: number
  /** Called with newly assigned partitions before they are fetched (a `seek` here is honoured). */
  onAssign?: (partitions: TopicPartition[]) => Promise<void> | void
  /** Called with revoked partitions after the handler in flight returned and (with auto-commit)
   * their offsets were committed, before they move to another member. `consumer.commit()` works here,
   * also when the revoke is `close()`'s (as a Kafka consumer may commit from onPartitionsRevoked while
   * it closes). */
  onRevoke?: (partitions: TopicPartition[]) => Promise<void> | void
  /** How many partitions are handled at the same time, each in order (KafkaJS's option). Default 1. */
  partitionsConsumedConcurrently?: number
  /** Bytes read from a partition per fetch (Kafka's max.partition.fetch.bytes). Default 1 MiB. */
  maxBytesPerPartition?: number
  retry?: RetryOptions
  /** After a crash, rejoin (true, the default, as KafkaJS) or stay stopped. A function decides per error. */
  restartOnFailure?: boolean | ((error: Error) => boolean | Promise<boolean>)
}

/**
 * One assignor, by Kafka's protocol name or as a function.
 *
 * @example
 * ```ts
 * const choice: AssignorChoice = 'cooperative-sticky'
 * ```
 */
export type AssignorChoice = 'range' | 'roundrobin' | 'cooperative-sticky' | Assignor

export const consumerOptionsSchema = lazySchema(() => {
  const oneAssignor = z.union([
    z.enum(['range', 'roundrobin', 'cooperative-sticky']),
    z.custom<Assignor>((value) => typeof value === 'function', 'must be an assignor name or function'),
  ])

  const assignorOption = z.union([
    oneAssignor,
    z.array(oneAssignor).min(1, 'must name at least one assignor'),
  ])

  const listener = z.custom<(partitions: TopicPartition[]) => Promise<void> | void>(
    (value) => typeof value === 'function',
    'must be a function',
  )
  return z.strictObject({
    groupId: z.string().min(1, 'must be a non-empty string').optional(),
    topics: z
      .union([
        z.string().min(1),
        z
          .array(
            z.union([
              z.string().min(1),
              z.custom<Topic<unknown, unknown, unknown, unknown>>(
                (v) => v instanceof Topic,
                'must be a topic name or a Topic',
              ),
            ]),
          )
          .min(1, 'must name at least one topic'),
        z.instanceof(RegExp),
      ])
      .optional(),
    assign: z
      .array(
        z.strictObject({
          topic: z.union([
            z.string().min(1),
            z.custom<Topic<unknown, unknown, unknown, unknown>>(
              (v) => v instanceof Topic,
              'must be a topic name or a Topic',
            ),
          ]),
          partition: z.number().int().min(0),
          offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
        }),
      )
      .min(1, 'must name at least one partition')
      .optional(),
    onFailure: z
      .union([z.enum(['pause', 'skip', 'crash']), z.strictObject({ deadLetter: z.string().min(1) })])
      .default('pause'),
    isolation: z.enum(['read_committed', 'read_uncommitted']).default('read_uncommitted'),
    fromBeginning: z.boolean().default(false),
    autoOffsetReset: z.enum(['earliest', 'latest', 'none']).optional(),
    autoCommit: z.boolean().default(true),
    autoCommitIntervalMs: z.number().int().min(1).default(5_000),
    instanceId: z.string().min(1).optional(),
    clientId: z.string().min(1).default('logbus'),
    assignor: assignorOption.default('range'),
    sessionTimeoutMs: z.number().int().min(1).default(45_000),
    heartbeatIntervalMs: z.number().int().min(1).default(3_000),
    maxPollIntervalMs: z.number().int().min(1).nullable().default(300_000),
    rebalanceTimeoutMs: z.number().int().min(1).optional(),
    onAssign: listener.optional(),
    onRevoke: listener.optional(),
    partitionsConsumedConcurrently: z.number().int().min(1).max(1024).default(1),
    maxBytesPerPartition: z
      .number()
      .int()
      .min(1)
      .default(1 << 20),
    retry: z
      .strictObject({
        retries: z.number().int().min(0).default(5),
        // Milliseconds need not be whole: schedules derived from a fractional multiplier are not.
        initialRetryTimeMs: z.number().min(0).default(300),
        maxRetryTimeMs: z.number().min(0).default(30_000),
        multiplier: z.number().min(1).default(2),
      })
      .default({ retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000, multiplier: 2 }),
    restartOnFailure: z
      .union([
        z.boolean(),
        z.custom<(error: Error) => boolean | Promise<boolean>>(
          (v) => typeof v === 'function',
          'must be a boolean or function',
        ),
      ])
      .default(true),
  })
})

export type ResolvedConsumerOptions = z.output<ReturnType<typeof consumerOptionsSchema>>

/** Checks between options that zod's per-field schema cannot express. */
export function checkConsumerOptions(options: ResolvedConsumerOptions): void {
  if ((options.topics === undefined) === (options.assign === undefined)) {
    throw new InvalidConfigError('consumer.topics', 'give either topics or assign (explicit partitions)')
  }
  if (options.groupId === undefined && options.instanceId !== undefined) {
    throw new InvalidConfigError('consumer.instanceId', 'static membership needs a groupId')
  }
  if (options.heartbeatIntervalMs >= options.sessionTimeoutMs) {
    throw new InvalidConfigError('consumer.heartbeatIntervalMs', 'must be lower than sessionTimeoutMs')
  }
}

/** Attempt `n` (from 0) of a retry schedule. */
export function retryDelay(retry: ResolvedConsumerOptions['retry'], attempt: number): number {
  return Math.min(retry.initialRetryTimeMs * retry.multiplier ** attempt, retry.maxRetryTimeMs)
}

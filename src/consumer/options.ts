import { z } from 'zod'
import { InvalidConfigError } from '../errors'
import type { Assignor } from '../group/assignor'
import type { TopicPartition } from '../record/log-record'

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
 * Options of `bus.consumer()`. `groupId` and `topics` are required.
 *
 * @example
 * ```ts
 * const consumer = bus.consumer({ groupId: 'billing', topics: ['orders'], fromBeginning: true })
 * ```
 */
export interface ConsumerOptions {
  groupId: string
  /** Topic names, or a RegExp: new matching topics are picked up by a rebalance. */
  topics: string | string[] | RegExp
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
   * their offsets were committed, before they move to another member. */
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

const oneAssignor = z.union([
  z.enum(['range', 'roundrobin', 'cooperative-sticky']),
  z.custom<Assignor>((value) => typeof value === 'function', 'must be an assignor name or function'),
])

const assignorOption = z.union([oneAssignor, z.array(oneAssignor).min(1, 'must name at least one assignor')])

const listener = z.custom<(partitions: TopicPartition[]) => Promise<void> | void>(
  (value) => typeof value === 'function',
  'must be a function',
)

export const consumerOptionsSchema = z.strictObject({
  groupId: z.string().min(1, 'must be a non-empty string'),
  topics: z.union([
    z.string().min(1),
    z.array(z.string().min(1)).min(1, 'must name at least one topic'),
    z.instanceof(RegExp),
  ]),
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

export type ResolvedConsumerOptions = z.output<typeof consumerOptionsSchema>

/** Checks between options that zod's per-field schema cannot express. */
export function checkConsumerOptions(options: ResolvedConsumerOptions): void {
  if (options.heartbeatIntervalMs >= options.sessionTimeoutMs) {
    throw new InvalidConfigError('consumer.heartbeatIntervalMs', 'must be lower than sessionTimeoutMs')
  }
}

/** Attempt `n` (from 0) of a retry schedule. */
export function retryDelay(retry: ResolvedConsumerOptions['retry'], attempt: number): number {
  return Math.min(retry.initialRetryTimeMs * retry.multiplier ** attempt, retry.maxRetryTimeMs)
}

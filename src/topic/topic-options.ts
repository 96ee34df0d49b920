import * as z from 'zod'
import { type Codec, type CodecInput, type CodecOutput, RAW, type RawInput, string } from '../record/codec'
import type { TopicConfig } from '../storage/storage'
import { lazySchema, parseOptions } from '../util/options'
import type { Topic } from './topic'

/**
 * Options of `createTopic` and of a topic declared in `Bus.open({ topics })`. Names and defaults follow
 * Kafka's topic configs. `key` and `value` type the topic: without them it is raw (Kafka's bytes).
 *
 * @example
 * ```ts
 * await bus.createTopic('orders', { partitions: 6, retentionMs: 24 * 3600_000, value: json(Order) })
 * ```
 */
export interface TopicOptions {
  /** Default 1 (Kafka's num.partitions). */
  partitions?: number
  /** Delete records older than this; null keeps them forever. Default 7 days (Kafka's retention.ms). */
  retentionMs?: number | null
  /** Delete the oldest segments past this size per partition; null (the default) is unlimited. */
  retentionBytes?: number | null
  /** Roll to a new segment file at this size (file storage). Default 1 GiB (Kafka's segment.bytes). */
  segmentBytes?: number
  /**
   * Kafka's cleanup.policy. `'delete'` (the default) drops old segments by `retentionMs`/`retentionBytes`;
   * `'compact'` keeps the last record of every key (a `null` value is a tombstone, itself removed
   * `deleteRetentionMs` after compaction first kept it) and ignores time and size retention;
   * `'compact,delete'` does both. Records of a compacted topic must have a key. See the README's
   * "Log compaction".
   */
  cleanupPolicy?: CleanupPolicy
  /** How long a compacted tombstone (and a transaction marker) stays readable after compaction first
   * kept it, so that consumers see the delete. Default 1 day (Kafka's delete.retention.ms). */
  deleteRetentionMs?: number
  /** Compaction runs once the uncompacted ("dirty") bytes are at least this share of the cleanable
   * log, between 0 and 1. Default 0.5 (Kafka's min.cleanable.dirty.ratio). */
  minCleanableDirtyRatio?: number
  /** A record stays uncompacted at least this long after its timestamp. Default 0 (Kafka's
   * min.compaction.lag.ms). */
  minCompactionLagMs?: number
  /** The largest record accepted, in bytes. Default 1 MiB. */
  maxMessageBytes?: number
  /** How keys are held and delivered. Default: `string()` on a topic with a `value` codec, else raw. */
  key?: Codec<unknown, never>
  /** How values are held and delivered (`json(schema)`, `string()`, `buffer()`, custom). Default raw. */
  value?: Codec<unknown, never>
  /** Return the existing topic instead of rejecting with TopicExistsError (Kafka's --if-not-exists). */
  ifNotExists?: boolean
}

/**
 * Kafka's cleanup.policy values: delete old segments, keep the last record per key, or both.
 *
 * @example
 * ```ts
 * await bus.createTopic('users', { cleanupPolicy: 'compact' satisfies CleanupPolicy })
 * ```
 */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete'

/**
 * The codec a topic's keys get from its options.
 *
 * @example
 * ```ts
 * type K = KeyCodecOf<{ value: Codec<string> }> // Codec<string, string>
 * ```
 */
export type KeyCodecOf<O> = O extends { key: Codec<infer K, infer KIn> }
  ? Codec<K, KIn>
  : O extends { value: Codec<infer _V, infer _VIn> }
    ? Codec<string, string>
    : Codec<Buffer, RawInput>

/**
 * The codec a topic's values get from its options.
 *
 * @example
 * ```ts
 * type V = ValueCodecOf<{ value: Codec<string> }> // Codec<string, string>
 * ```
 */
export type ValueCodecOf<O> = O extends { value: Codec<infer V, infer VIn> }
  ? Codec<V, VIn>
  : Codec<Buffer | null, RawInput | null>

/**
 * The typed topic that options declare.
 *
 * @example
 * ```ts
 * type Orders = TopicOf<{ value: Codec<Order> }> // Topic<string, Order, string, Order>
 * ```
 */
export type TopicOf<O> = Topic<
  CodecOutput<KeyCodecOf<O>>,
  CodecOutput<ValueCodecOf<O>>,
  CodecInput<KeyCodecOf<O>>,
  CodecInput<ValueCodecOf<O>>
>

/**
 * Topics declared when a bus opens, by name: created if missing, and typed by name from then on
 * (`producer.send('orders', …)` checks the value's type).
 *
 * @example
 * ```ts
 * const bus = await Bus.open({ topics: { orders: { partitions: 6, value: json(Order) } } })
 * ```
 */
export type TopicDeclarations = Record<string, Omit<TopicOptions, 'ifNotExists'>>

/**
 * The topic a name stands for on a bus with declarations `D`: typed when declared, raw otherwise.
 *
 * @example
 * ```ts
 * type Orders = TopicNamed<{ orders: { value: Codec<Order> } }, 'orders'>
 * ```
 */
export type TopicNamed<D, N extends string> = N extends keyof D ? TopicOf<D[N]> : Topic

const DAY_MS = 24 * 60 * 60 * 1000

const codecSchema = lazySchema(() =>
  z.custom<Codec<unknown, unknown>>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Codec<unknown>).parse === 'function' &&
      typeof (value as Codec<unknown>).encode === 'function' &&
      typeof (value as Codec<unknown>).decode === 'function' &&
      typeof (value as Codec<unknown>).sizeOf === 'function',
    'must be a codec (json(), string(), buffer(), or an object with parse, encode, decode and sizeOf)',
  ),
)

const cleanupPolicySchema = lazySchema(() =>
  z
    .enum(['delete', 'compact', 'compact,delete', 'delete,compact'], {
      error: "must be 'delete', 'compact' or 'compact,delete'",
    })
    .transform((policy): CleanupPolicy => (policy === 'delete,compact' ? 'compact,delete' : policy)),
)

/** The compaction settings a topic stored before logbus had compaction gets: Kafka's defaults. */
const COMPACTION_DEFAULTS = {
  deleteRetentionMs: DAY_MS,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
} as const

/**
 * A stored topic config with every field present: one saved by an older logbus lacks the compaction
 * settings, and gets Kafka's defaults for them.
 */
export function completeTopicConfig(config: TopicConfig): TopicConfig {
  return { ...COMPACTION_DEFAULTS, ...config, cleanupPolicy: config.cleanupPolicy ?? 'delete' }
}

/** Whether a topic's policy compacts (`'compact'` or `'compact,delete'`). */
export function compacts(config: Pick<TopicConfig, 'cleanupPolicy'>): boolean {
  return config.cleanupPolicy !== 'delete'
}

/** Whether a topic's policy deletes by time and size (`'delete'` or `'compact,delete'`). */
export function deletes(config: Pick<TopicConfig, 'cleanupPolicy'>): boolean {
  return config.cleanupPolicy !== 'compact'
}

const topicOptionsSchema = lazySchema(() =>
  z.strictObject({
    partitions: z.number().int().max(100_000).default(1),
    retentionMs: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(7 * DAY_MS),
    retentionBytes: z.number().int().min(1).nullable().default(null),
    segmentBytes: z
      .number()
      .int()
      .min(1024)
      .max(0x7fffffff)
      .default(1024 * 1024 * 1024),
    cleanupPolicy: cleanupPolicySchema().default('delete'),
    deleteRetentionMs: z.number().int().min(0).default(DAY_MS),
    minCleanableDirtyRatio: z.number().min(0).max(1).default(0.5),
    minCompactionLagMs: z.number().int().min(0).default(0),
    maxMessageBytes: z
      .number()
      .int()
      .min(1)
      .default(1024 * 1024),
    key: codecSchema().optional(),
    value: codecSchema().optional(),
    ifNotExists: z.boolean().default(false),
  }),
)

/** What `createTopic` options resolve to: the config storage keeps, and the codecs. */
export interface ResolvedTopicOptions {
  config: TopicConfig
  keyCodec: Codec<unknown, unknown>
  valueCodec: Codec<unknown, unknown>
  ifNotExists: boolean
}

/** Validates topic options once (InvalidConfigError naming the field) and applies the defaults. */
export function resolveTopicOptions(options: unknown, scope = 'topic'): ResolvedTopicOptions {
  const { key, value, ifNotExists, ...config } = parseOptions(topicOptionsSchema(), options, scope)
  const valueCodec = value ?? RAW
  const keyCodec = key ?? (value === undefined ? RAW : string())
  return { config, keyCodec: keyCodec as Codec<unknown, unknown>, valueCodec, ifNotExists }
}

/**
 * The topic configs `bus.alterTopicConfig` changes (partitions and segment size are fixed).
 *
 * @example
 * ```ts
 * const change: Partial<Pick<TopicConfig, AlterableConfig>> = { cleanupPolicy: 'compact' }
 * await bus.alterTopicConfig('users', change)
 * ```
 */
export type AlterableConfig =
  | 'retentionMs'
  | 'retentionBytes'
  | 'maxMessageBytes'
  | 'cleanupPolicy'
  | 'deleteRetentionMs'
  | 'minCleanableDirtyRatio'
  | 'minCompactionLagMs'

export const alterableConfigSchema = lazySchema(() =>
  z.strictObject({
    cleanupPolicy: cleanupPolicySchema().optional(),
    retentionMs: z.number().int().min(1).nullable().optional(),
    retentionBytes: z.number().int().min(1).nullable().optional(),
    maxMessageBytes: z.number().int().min(1).optional(),
    deleteRetentionMs: z.number().int().min(0).optional(),
    minCleanableDirtyRatio: z.number().min(0).max(1).optional(),
    minCompactionLagMs: z.number().int().min(0).optional(),
  }),
)

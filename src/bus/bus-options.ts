import * as z from 'zod'
import type { ConsumerOptions } from '../consumer/options'
import type { LogRecord } from '../record/log-record'
import type { Storage } from '../storage/storage'
import type { Topic } from '../topic/topic'
import type { TopicDeclarations, TopicNamed, TopicOf } from '../topic/topic-options'
import type { Clock } from '../util/clock'
import { lazySchema } from '../util/options'

/**
 * Options of `Bus.open()`. Without options, the bus keeps everything in memory.
 *
 * @example
 * ```ts
 * const bus = await Bus.open({ storage: new MemoryStorage() })
 * ```
 */
export interface BusOptions<D extends TopicDeclarations = Record<never, never>> {
  /** Where logs, topics and offsets live. Default: a new `MemoryStorage`. */
  storage?: Storage
  /** A directory for a durable file log: the same as `storage: new FileStorage({ dir, fsync })` from `logbus/file`. */
  dir?: string
  /** With `dir`: when appends are durable. Default `'always'` (see FileStorage). */
  fsync?: 'always' | 'interval' | 'never'
  /** With `dir`: take the directory's lock over from an owner that may be alive (see FileStorage). */
  breakLock?: boolean
  /** The source of time and timers; tests inject a fake one so timeouts need no real waiting. */
  clock?: Clock
  /** How often retention and compaction run in the background (Kafka's log.retention.check.interval.ms;
   * Kafka's cleaner threads check for compaction on their own, every 15 s). Default 300000. */
  retentionCheckIntervalMs?: number
  /**
   * Topics this bus works with, typed by name: created when missing (an existing topic keeps the
   * configuration it has), and from then on `bus.topic('orders')`, `producer.send('orders', …)` and
   * `bus.consumer({ topics: ['orders'] })` use their codecs.
   */
  topics?: D
  /**
   * Kafka's `auto.create.topics.enable` (KafkaJS's `allowAutoTopicCreation`): a send to, or a
   * subscription of, a topic that does not exist creates it, raw, with `partitions` partitions (Kafka's
   * `num.partitions`, default 1). Off by default: a typo then fails instead of creating a topic.
   */
  autoCreateTopics?: boolean | { partitions?: number }
}

/**
 * Events of a bus.
 *
 * @example
 * ```ts
 * bus.on('topicCreated', ({ topic }) => console.log('created', topic))
 * ```
 */
export interface BusEvents {
  topicCreated: { topic: string; partitions: number }
  topicDeleted: { topic: string }
  partitionsCreated: { topic: string; partitions: number }
  close: Record<string, never>
}

/**
 * The record type a consumer of `topics` receives on a bus with declarations `D`.
 *
 * @example
 * ```ts
 * type R = RecordsOf<{ orders: { value: Codec<Order> } }, ['orders']> // LogRecord<string, Order>
 * ```
 */
export type RecordsOf<D, T> = [T] extends [undefined]
  ? LogRecord
  : NonNullable<ConsumerOptions['topics']> extends T
    ? LogRecord
    : RecordsOfTopics<D, T>

type RecordsOfTopics<D, T> = T extends RegExp
  ? LogRecord | { [N in keyof D]: RecordOfTopic<TopicOf<D[N]>> }[keyof D]
  : T extends string
    ? RecordOfTopic<TopicNamed<D, T>>
    : T extends ReadonlyArray<infer E>
      ? E extends string
        ? RecordOfTopic<TopicNamed<D, E>>
        : RecordOfTopic<E>
      : never

/**
 * The record type a consumer of one topic receives.
 *
 * @example
 * ```ts
 * type R = RecordOfTopic<Topic<string, Order>> // LogRecord<string, Order>
 * ```
 */
export type RecordOfTopic<T> =
  T extends Topic<infer K, infer V, infer _KIn, infer _VIn> ? LogRecord<K, V> : never

/** Makes a key that `Allowed` does not have a type error, as an object literal's excess property is. */
export type NoExtraKeys<O, Allowed> = Record<Exclude<keyof O, keyof Allowed>, never>

export const busOptionsSchema = lazySchema(() =>
  z.strictObject({
    storage: z
      .custom<Storage>(
        (value) =>
          typeof value === 'object' && value !== null && typeof (value as Storage).openLog === 'function',
        'must implement the Storage interface',
      )
      .optional(),
    clock: z
      .custom<Clock>(
        (value) =>
          typeof value === 'object' && value !== null && typeof (value as Clock).setTimeout === 'function',
        'must implement now, setTimeout and clearTimeout',
      )
      .optional(),
    dir: z.string().min(1, 'must be a directory path').optional(),
    fsync: z.enum(['always', 'interval', 'never']).optional(),
    breakLock: z.boolean().optional(),
    retentionCheckIntervalMs: z.number().int().min(1).default(300_000),
    topics: z.record(z.string(), z.unknown()).optional(),
    autoCreateTopics: z
      .union([z.boolean(), z.strictObject({ partitions: z.number().int().min(1).max(100_000).optional() })])
      .default(false),
  }),
)

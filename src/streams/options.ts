import * as z from 'zod'
import { InvalidConfigError } from '../index'

/**
 * What happens to a record that cannot be read or processed:
 * - `'fail'` (the default, Kafka's `LogAndFail`): the application stops in state `ERROR` without
 *   committing the record, which is processed again after a restart.
 * - `'continue'` (Kafka's `LogAndContinue`): the record is logged, counted and skipped.
 * - `{ deadLetter: topic }`: the record (key and value as bytes, its headers, and `logbus.dlt.*`
 *   headers naming where it came from and the error) is sent to that existing topic, then skipped.
 *
 * @example
 * ```ts
 * streams(bus, { applicationId: 'billing', processingExceptionHandler: { deadLetter: 'billing.dlt' } })
 * ```
 */
export type RecordErrorHandler = 'fail' | 'continue' | { deadLetter: string }

/**
 * Where an application logs what it skipped (the default writes to `console.warn`).
 *
 * @example
 * ```ts
 * const logger: StreamsLogger = { warn: (message, context) => log.warn(context, message) }
 * ```
 */
export interface StreamsLogger {
  /** A record was skipped: `message` says why, `context` where it came from and the error. */
  warn(message: string, context: Record<string, unknown>): void
}

/**
 * Options of `streams(bus, options)`, named after Kafka Streams' configs.
 *
 * @example
 * ```ts
 * const app = streams(bus, { applicationId: 'wordcount', commitIntervalMs: 1_000 })
 * ```
 */
export interface StreamsOptions {
  /**
   * Kafka's `application.id`: the consumer group of every instance of the application, and the prefix
   * of its internal topics (`<applicationId>-<name>-repartition`, `-changelog`). Topic-name characters.
   */
  applicationId: string
  /**
   * Kafka's `processing.guarantee`: `'at_least_once'` (the default), or `'exactly_once_v2'`
   * (`'exactly_once'` is the same): each commit is one transaction of outputs, changelogs and input
   * offsets, and the application reads `read_committed`. See the README's "Streams and tables".
   */
  processingGuarantee?: 'at_least_once' | 'exactly_once_v2' | 'exactly_once'
  /**
   * Kafka's `commit.interval.ms`: how often state, outputs and input offsets are committed. Default
   * 30000, or 100 with exactly-once (where outputs become visible only when committed), as Kafka's.
   */
  commitIntervalMs?: number
  /** A record whose key or value its topic's codecs cannot decode. Default `'fail'`. */
  deserializationExceptionHandler?: RecordErrorHandler
  /** A record one of the application's functions threw for. Default `'fail'`. */
  processingExceptionHandler?: RecordErrorHandler
  /** An output record the topic rejected (a codec, a size limit). Default `'fail'`. */
  productionExceptionHandler?: 'fail' | 'continue'
  /** Where skipped records are logged. Default: `console.warn`. */
  logger?: StreamsLogger
  /** Names this instance in its group (Kafka's `client.id`). Default `<applicationId>`. */
  clientId?: string
}

const handler = z.union([z.enum(['fail', 'continue']), z.strictObject({ deadLetter: z.string().min(1) })])

export const streamsOptionsSchema = z.strictObject({
  applicationId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[a-zA-Z0-9._-]+$/, 'may hold only [a-zA-Z0-9._-] (it prefixes topic names)'),
  processingGuarantee: z.enum(['at_least_once', 'exactly_once_v2', 'exactly_once']).default('at_least_once'),
  commitIntervalMs: z.number().int().min(1).optional(),
  deserializationExceptionHandler: handler.default('fail'),
  processingExceptionHandler: handler.default('fail'),
  productionExceptionHandler: z.enum(['fail', 'continue']).default('fail'),
  logger: z
    .custom<StreamsLogger>(
      (value) =>
        typeof value === 'object' && value !== null && typeof (value as StreamsLogger).warn === 'function',
      'must have a warn(message, context) method',
    )
    .optional(),
  clientId: z.string().min(1).optional(),
})

export type ResolvedStreamsOptions = z.output<typeof streamsOptionsSchema>

/** Validates options where they enter: the first problem as an InvalidConfigError naming the field. */
export function parseStreamsOptions(input: unknown): ResolvedStreamsOptions {
  const result = streamsOptionsSchema.safeParse(input ?? {}, { jitless: true })
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const keys = issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : []
  const path = [...issue.path, ...keys].map(String).join('.')
  throw new InvalidConfigError(path === '' ? 'streams' : `streams.${path}`, issue.message)
}

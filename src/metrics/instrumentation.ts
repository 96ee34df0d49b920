import type { LogRecord } from '../record/log-record'
import type { Message, RecordMetadata } from '../record/message'

/**
 * What a send looks like to an instrumentation: one `send` call (or one topic of a `sendBatch`), before
 * its messages are checked.
 *
 * @example
 * ```ts
 * const send = (context: SendContext) => console.log(context.topic, context.messages.length)
 * ```
 */
export interface SendContext {
  readonly topic: string
  readonly messages: readonly Message<unknown, unknown>[]
  /** The producer's transactional id, when it sends in a transaction. */
  readonly transactionalId: string | undefined
}

/**
 * What an instrumentation returns for a send: messages to send instead (the same number, in the same
 * order: e.g. copies with a `traceparent` header), and a callback told how the send ended.
 *
 * @example
 * ```ts
 * const scope: SendScope = { end: (error, metadata) => console.log(error ?? metadata) }
 * ```
 */
export interface SendScope {
  readonly messages?: readonly Message<unknown, unknown>[]
  end?(error: unknown, metadata: readonly RecordMetadata[] | undefined): void
}

/**
 * One handler call as an instrumentation sees it: one record for `eachMessage` (and for-await), the
 * batch for `eachBatch`.
 *
 * @example
 * ```ts
 * const describe = (c: ProcessContext) => `${c.groupId ?? '-'} ${c.topic}-${c.partition} ×${c.records.length}`
 * ```
 */
export interface ProcessContext {
  readonly groupId: string | undefined
  readonly topic: string
  readonly partition: number
  readonly kind: 'message' | 'batch'
  readonly records: readonly LogRecord<unknown, unknown>[]
}

/**
 * Hooks the bus calls around sends and handler calls, for tracing (the OpenTelemetry adapter of
 * `logbus/otel` is one). Without an instrumentation nothing is called and nothing is allocated; with
 * one, `send` runs once per send call (not per record) and `process` once per handler call. An
 * instrumentation that throws is ignored: it never fails a send or a handler.
 *
 * @example
 * ```ts
 * const stop = bus.instrument({
 *   send: ({ topic, messages }) => {
 *     const started = performance.now()
 *     return {
 *       messages: messages.map((m) => ({ ...m, headers: { ...m.headers, 'sent-by': 'billing' } })),
 *       end: (error) => console.log(topic, error ? 'failed' : 'stored', performance.now() - started),
 *     }
 *   },
 *   process: (context, run) => {
 *     console.log('handling', context.topic, context.records.length)
 *     return run()
 *   },
 * })
 * stop()
 * ```
 */
export interface Instrumentation {
  send?(context: SendContext): SendScope | undefined
  /** Must call `run` exactly once and return what it returns (a promise, or undefined for a synchronous handler). */
  process?(context: ProcessContext, run: () => Promise<void> | void): Promise<void> | void
}

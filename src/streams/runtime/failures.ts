import { HandlerError, type LogRecord, type Message } from '../../index'
import type { StreamsEvents, StreamsMetrics } from '../events'
import type { ResolvedStreamsOptions } from '../options'
import type { AnyTopic } from '../topology/node'
import { deadLetter } from './dead-letter'
import type { Outputs, RecordSink } from './outputs'
import type { Task } from './task'

type AnyRecord = LogRecord<unknown, unknown>

/** What the failure policies need from the application. */
export interface FailureHost {
  readonly applicationId: string
  readonly options: ResolvedStreamsOptions
  readonly metrics: StreamsMetrics
  readonly views: ReadonlyMap<string, AnyTopic>
  readonly exactlyOnce: boolean
  emit<E extends keyof StreamsEvents>(event: E, payload: StreamsEvents[E]): void
  /** Stops the application with this error. */
  fail(error: Error): void
  outputs(): Outputs
  /** The producer's sink, outside any transaction: for the resends of an at-least-once application. */
  sink(): RecordSink
  /** Whether a topic is one the application made (a changelog or repartition topic). */
  internal(topic: string | AnyTopic): boolean
}

/**
 * What happens to records that fail, per the application's handlers: a record that does not decode
 * (the consumer applies the policy; this reports it), a record a processor threw for, an output the
 * topic refused. Keeps the resends under way, which a commit waits for.
 */
export class RecordFailures {
  readonly resends = new Set<Promise<unknown>>()

  constructor(private readonly host: FailureHost) {}

  /** A record that does not decode was skipped or dead-lettered by the consumer. */
  undecodable(topic: string, partition: number, offset: number, error: unknown, deadLettered: boolean): void {
    const action = deadLettered ? 'dead-lettered' : 'skipped'
    this.host.metrics.skippedRecords++
    this.log(`Skipped a record that does not decode (${action})`, { topic, partition, offset, error })
    this.host.emit('skippedRecord', { topic, partition, offset, reason: 'deserialization', action, error })
  }

  /** A processor threw for `record`; returns whether processing goes on after it. */
  processing(task: Task, record: AnyRecord, error: unknown): boolean {
    const handler = this.host.options.processingExceptionHandler
    const { topic, partition, offset } = record
    if (handler === 'fail') {
      this.host.fail(
        new HandlerError(topic, partition, offset, error, `Processing failed in task ${task.id} on`),
      )
      return false
    }
    this.host.metrics.skippedRecords++
    if (handler === 'continue') {
      this.log('Skipped a record whose processing failed', { topic, partition, offset, error })
      this.host.emit('skippedRecord', {
        topic,
        partition,
        offset,
        reason: 'processing',
        action: 'skipped',
        error,
      })
      return true
    }
    const letter = deadLetter(record, this.host.views.get(topic)!, this.host.applicationId, error)
    this.host.outputs().add(handler.deadLetter, letter.key, letter.value, record.timestamp, letter.headers)
    this.host.emit('skippedRecord', {
      topic,
      partition,
      offset,
      reason: 'processing',
      action: 'dead-lettered',
      error,
    })
    return true
  }

  /** A send of `messages` to `topic` failed (all or nothing: none of them was written). */
  production(error: unknown, topic: string | AnyTopic, messages: readonly Message<unknown, unknown>[]): void {
    const host = this.host
    // A transaction, a changelog or a repartition topic cannot skip a record: the state would lie.
    if (host.internal(topic) || host.exactlyOnce || host.options.productionExceptionHandler === 'fail') {
      host.fail(error instanceof Error ? error : new Error(String(error)))
      return
    }
    if (messages.length > 1) {
      // Each alone, so that only the records the topic refuses are skipped.
      for (const message of messages) {
        const tracked = host
          .sink()
          .send(topic, [message])
          .catch((e: unknown) => this.production(e, topic, [message]))
          .finally(() => this.resends.delete(tracked))
        this.resends.add(tracked)
      }
      return
    }
    const name = typeof topic === 'string' ? topic : topic.name
    host.metrics.skippedRecords++
    this.log('Skipped an output record the topic rejected', { topic: name, error })
    host.emit('skippedRecord', {
      topic: name,
      partition: -1,
      offset: -1,
      reason: 'production',
      action: 'skipped',
      error,
    })
  }

  log(message: string, context: Record<string, unknown>): void {
    const { logger } = this.host.options
    if (logger !== undefined) logger.warn(message, { applicationId: this.host.applicationId, ...context })
    else console.warn(`[logbus/streams ${this.host.applicationId}] ${message}`, context)
  }
}

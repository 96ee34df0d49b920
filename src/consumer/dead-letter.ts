import type { HandlerError } from '../errors'
import { RAW } from '../record/codec'
import type { LogRecord } from '../record/log-record'
import type { Message, MessageHeaders } from '../record/message'
import { toBuffer } from '../record/record-batch'
import type { PartitionState } from './partition-state'

/**
 * Where the `logbus.dlt.*` headers of a dead-lettered record come from: the record's origin and the
 * error that sent it there (the same information Spring Kafka's and Kafka Connect's dead-letter
 * headers carry, under logbus's own names).
 *
 * @example
 * ```ts
 * const origin = record.headers['logbus.dlt.original-topic']?.toString()
 * ```
 */
export const DEAD_LETTER_HEADERS = {
  topic: 'logbus.dlt.original-topic',
  partition: 'logbus.dlt.original-partition',
  offset: 'logbus.dlt.original-offset',
  timestamp: 'logbus.dlt.original-timestamp',
  group: 'logbus.dlt.original-consumer-group',
  errorClass: 'logbus.dlt.exception-class',
  errorMessage: 'logbus.dlt.exception-message',
  errorStack: 'logbus.dlt.exception-stacktrace',
} as const

/**
 * The message a failed record becomes in the dead-letter topic: its key and value as bytes (through
 * the codecs it was read with, so that the dead-letter topic needs no schema), its headers, and the
 * origin and error headers.
 */
export function deadLetterMessage(
  record: LogRecord<unknown, unknown>,
  error: HandlerError,
  state: PartitionState,
  groupId: string | undefined,
): Message<unknown, unknown> {
  const cause = error.cause instanceof Error ? error.cause : undefined
  const headers: MessageHeaders = { ...(record.headers as MessageHeaders) }
  headers[DEAD_LETTER_HEADERS.topic] = record.topic
  headers[DEAD_LETTER_HEADERS.partition] = String(record.partition)
  headers[DEAD_LETTER_HEADERS.offset] = String(record.offset)
  headers[DEAD_LETTER_HEADERS.timestamp] = String(record.timestamp)
  if (groupId !== undefined) headers[DEAD_LETTER_HEADERS.group] = groupId
  headers[DEAD_LETTER_HEADERS.errorClass] = cause?.name ?? 'Error'
  headers[DEAD_LETTER_HEADERS.errorMessage] = cause?.message ?? String(error.cause)
  if (cause?.stack !== undefined) headers[DEAD_LETTER_HEADERS.errorStack] = cause.stack
  return {
    key: asBytes(record.key, state.keyCodec),
    value: asBytes(record.value, state.valueCodec),
    headers,
    timestamp: record.timestamp,
  }
}

function asBytes(value: unknown, codec: { encode(value: unknown): Uint8Array | string }): Buffer | null {
  if (value === null || value === undefined) return null
  return codec === RAW ? (value as Buffer) : toBuffer(codec.encode(value))
}

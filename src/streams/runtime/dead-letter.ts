import { DEAD_LETTER_HEADERS, type LogRecord, type MessageHeaders, type Topic } from '../../index'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/**
 * A record for a dead-letter topic: its key and value as bytes (through the codecs it was read
 * with), its headers, and where it came from and why it failed in `logbus.dlt.*` headers — the
 * headers a consumer's dead-letter policy writes, so one tool reads both.
 */
export function deadLetter(
  record: LogRecord<unknown, unknown>,
  source: AnyTopic,
  applicationId: string,
  error: unknown,
): { key: Uint8Array | string | null; value: Uint8Array | string | null; headers: MessageHeaders } {
  const failure = error instanceof Error ? error : new Error(String(error))
  const bytes = (value: unknown, encode: (v: never) => Uint8Array | string): Uint8Array | string | null =>
    value === null || value === undefined ? null : encode(value as never)
  return {
    key: bytes(record.key, source.keyCodec.encode.bind(source.keyCodec)),
    value: bytes(record.value, source.valueCodec.encode.bind(source.valueCodec)),
    headers: {
      ...record.headers,
      [DEAD_LETTER_HEADERS.topic]: record.topic,
      [DEAD_LETTER_HEADERS.partition]: String(record.partition),
      [DEAD_LETTER_HEADERS.offset]: String(record.offset),
      [DEAD_LETTER_HEADERS.timestamp]: String(record.timestamp),
      [DEAD_LETTER_HEADERS.group]: applicationId,
      [DEAD_LETTER_HEADERS.errorClass]: failure.name,
      [DEAD_LETTER_HEADERS.errorMessage]: failure.message,
      [DEAD_LETTER_HEADERS.errorStack]: failure.stack ?? '',
    },
  }
}

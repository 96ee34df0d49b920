import {
  type Clock,
  type Message as CoreMessage,
  encodeRecordBatch,
  RecordBatch,
  type RecordHeaders,
  raw,
  type Topic,
} from '../index'
import { CompressionCodecs, CompressionTypes } from './constants'
import { KafkaJSNonRetriableError } from './errors'
import type { CompressionCodec } from './types'

/** Kafka's RecordBatch v2 header (baseOffset to recordsCount): what a producer compresses follows it. */
const RECORD_BATCH_HEADER_BYTES = 61

/**
 * The codec of a compression type, as KafkaJS looks it up at send (`CompressionCodecs[type]()`):
 * undefined for None, KafkaJS's error for a type without a codec (Snappy, LZ4 and ZSTD until one is
 * registered).
 *
 * @example
 * ```ts
 * const codec = codecOf(CompressionTypes.GZIP)
 * ```
 */
export function codecOf(compression: number | undefined): CompressionCodec | undefined {
  if (compression === undefined || compression === CompressionTypes.None) return undefined
  const create = CompressionCodecs[compression as keyof typeof CompressionCodecs] as
    | (() => CompressionCodec)
    | undefined
  if (create === undefined) throw new KafkaJSNonRetriableError(`Unsupported compression type ${compression}`)
  return create()
}

/**
 * Runs one send through its compression codec as KafkaJS's producer does: each partition's records,
 * encoded as Kafka's RecordBatch v2 records, are given to `compress` (as `encoder.buffer`), and what
 * it returns to `decompress`, as a consumer would. The records are stored uncompressed (the core has
 * no compressed batches), so the codec must give back exactly what it was given: a codec that does
 * not fails the send, where KafkaJS's consumers would fail to read the batch.
 *
 * @example
 * ```ts
 * await compressThrough(codec, bus.clock, [{ topic, messages }])
 * ```
 */
export async function compressThrough(
  codec: CompressionCodec,
  clock: Clock,
  entries: ReadonlyArray<{ topic: Topic; messages: readonly CoreMessage[] }>,
): Promise<void> {
  const now = clock.now()
  for (const { topic, messages } of entries) {
    const byPartition = new Map<number, CoreMessage[]>()
    for (const message of messages) {
      const partition = message.partition ?? 0
      const list = byPartition.get(partition)
      if (list === undefined) byPartition.set(partition, [message])
      else list.push(message)
    }
    for (const [partition, list] of byPartition) {
      // A message the core will reject is left to it: the send fails there, with the core's reason.
      if (!list.every(isWellFormed)) continue
      const records = encodeRecordBatch(batchOf(list, now)).subarray(RECORD_BATCH_HEADER_BYTES)
      const compressed = await codec.compress({ buffer: records })
      const restored = await codec.decompress(Buffer.from(compressed))
      if (!Buffer.from(restored).equals(records)) {
        throw new KafkaJSNonRetriableError(
          `The compression codec's decompress did not give back what its compress was given (topic "${topic.name}", partition ${partition})`,
        )
      }
    }
  }
}

/** The batch a producer would write for `messages`, as Kafka's bytes. */
function batchOf(messages: readonly CoreMessage[], now: number): RecordBatch {
  const timestamps = messages.map((m) => m.timestamp ?? now)
  let maxTimestamp = timestamps[0] ?? now
  for (const t of timestamps) if (t > maxTimestamp) maxTimestamp = t
  return RecordBatch.fromColumns(
    { keyCodec: raw(), valueCodec: raw() },
    {
      keys: messages.map((m) => bytes(m.key ?? null)),
      values: messages.map((m) => bytes(m.value)),
      headers: messages.map((m) => headersOf(m.headers)),
      timestamps,
      offsetDeltas: null,
      start: 0,
    },
    {
      count: messages.length,
      firstTimestamp: timestamps[0] ?? now,
      maxTimestamp,
      sizeBytes: 0,
    },
  )
}

const isBytes = (value: unknown): value is string | Uint8Array =>
  typeof value === 'string' || value instanceof Uint8Array

function isWellFormed(message: CoreMessage): boolean {
  const { key = null, value, headers } = message
  if ((key !== null && !isBytes(key)) || (value !== null && !isBytes(value))) return false
  if (headers === undefined || headers === null) return true
  if (typeof headers !== 'object') return false
  return Object.values(headers).every(
    (v) => v === undefined || isBytes(v) || (Array.isArray(v) && v.every(isBytes)),
  )
}

function bytes(value: string | Uint8Array | null): Buffer | null {
  return value === null ? null : Buffer.from(value)
}

function headersOf(headers: CoreMessage['headers']): RecordHeaders | undefined {
  if (headers === undefined) return undefined
  const out: Record<string, Buffer | Buffer[]> = Object.create(null)
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name] =
      typeof value === 'string' || value instanceof Uint8Array
        ? Buffer.from(value)
        : value.map((v) => Buffer.from(v))
  }
  return out
}

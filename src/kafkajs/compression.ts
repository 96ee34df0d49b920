import type { Bus } from '../bus/bus'
import type { Topic } from '../bus/topic'
import { buildRecord, type Message as CoreMessage, type RawValue } from '../producer/message'
import { BATCH_HEADER_BYTES, encodeRecordBatch } from '../storage/file/record-batch'
import { findTopic } from './cluster'
import { CompressionCodecs, CompressionTypes } from './constants'
import { KafkaJSNonRetriableError } from './errors'
import type { CompressionCodec } from './types'

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
 * await compressThrough(codec, bus, [{ topic: 'orders', messages }])
 * ```
 */
export async function compressThrough(
  codec: CompressionCodec,
  bus: Bus,
  batches: ReadonlyArray<{
    topic: string
    messages: ReadonlyArray<{ message: CoreMessage<RawValue>; partition: number }>
  }>,
): Promise<void> {
  const now = Date.now()
  for (const { topic: name, messages } of batches) {
    const topic = findTopic(bus, name)
    if (topic === undefined) continue
    const byPartition = new Map<number, CoreMessage<RawValue>[]>()
    for (const { message, partition } of messages) {
      const list = byPartition.get(partition)
      if (list === undefined) byPartition.set(partition, [message])
      else list.push(message)
    }
    for (const [partition, list] of byPartition) {
      const records = list.map((message) =>
        buildRecord(topic as Topic<unknown>, message, now, () => partition),
      )
      const encoded = encodeRecordBatch(records, 0).subarray(BATCH_HEADER_BYTES)
      const compressed = await codec.compress({ buffer: encoded })
      const restored = await codec.decompress(Buffer.from(compressed))
      if (!Buffer.from(restored).equals(encoded)) {
        throw new KafkaJSNonRetriableError(
          `The compression codec's decompress did not give back what its compress was given (topic "${name}", partition ${partition})`,
        )
      }
    }
  }
}

import * as z from 'zod'
import { lazySchema } from '../util/options'
import type { Partitioner } from './partitioner'

/**
 * Options of `bus.producer()`; every field is optional. Names follow Kafka's producer configs.
 *
 * @example
 * ```ts
 * const producer = bus.producer({ lingerMs: 5, batchBytes: 64 * 1024, bufferBytes: 8 << 20, maxBlockMs: 1000 })
 * ```
 */
export interface ProducerOptions {
  /** How long a partition's batch may wait for more records (Kafka's linger.ms). 0, the default,
   * batches what is sent in the same tick: no added latency, batching under load. */
  lingerMs?: number
  /** A batch is appended as soon as it holds this many bytes (Kafka's batch.size). Default 16384. */
  batchBytes?: number
  /** Bytes accepted but not yet stored; past it, `send` waits (Kafka's buffer.memory). Default 32 MiB. */
  bufferBytes?: number
  /** How long `send` waits for buffer space before it rejects with BufferExhaustedError
   * (Kafka's max.block.ms). Default 60000. */
  maxBlockMs?: number
  /** `'default'` (Kafka's: murmur2 of the key, round-robin without a key), `'round-robin'`, or a function. */
  partitioner?: 'default' | 'round-robin' | Partitioner
  /**
   * Makes the producer transactional (Kafka's transactional.id): it writes only inside
   * `producer.transaction()`, and a newer producer with the same id fences this one.
   */
  transactionalId?: string
  /** How long a transaction may stay open before the bus aborts it (Kafka's transaction.timeout.ms). Default 60000. */
  transactionTimeoutMs?: number
}

export const producerOptionsSchema = lazySchema(() =>
  z.strictObject({
    lingerMs: z.number().int().min(0).default(0),
    batchBytes: z.number().int().min(1).default(16_384),
    bufferBytes: z
      .number()
      .int()
      .min(1)
      .default(32 * 1024 * 1024),
    maxBlockMs: z.number().int().min(0).default(60_000),
    partitioner: z
      .union([
        z.enum(['default', 'round-robin']),
        z.custom<Partitioner>(
          (value) => typeof value === 'function',
          'must be "default", "round-robin" or a function',
        ),
      ])
      .default('default'),
    transactionalId: z.string().min(1, 'must be a non-empty string').optional(),
    transactionTimeoutMs: z.number().int().min(1).default(60_000),
  }),
)

export type ResolvedProducerOptions = z.output<ReturnType<typeof producerOptionsSchema>>

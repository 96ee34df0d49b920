import { murmur2 } from '../index'
import type { ICustomPartitioner, PartitionerArgs } from './types'

const SEED = 0x9747b28c
const M = 0x5bd1e995
const R = 24

/** Kafka's `Utils.toPositive`: clears the sign bit. */
function toPositive(n: number): number {
  return n & 0x7fffffff
}

/**
 * KafkaJS 1.x's murmur2 ("legacy"): the same steps as Kafka's, but multiplying as JavaScript numbers
 * (not 32-bit integers) and reading a last partial block of 4 bytes as a whole one. Its results differ
 * from Java's for most keys; LegacyPartitioner must reproduce them exactly, so this keeps every step.
 *
 * @example
 * ```ts
 * const partition = (legacyMurmur2(Buffer.from('key')) & 0x7fffffff) % partitionCount
 * ```
 */
export function legacyMurmur2(data: Uint8Array): number {
  const length = data.length
  const byte = (i: number): number => data[i] ?? 0
  let h = SEED ^ length
  const blocks = length / 4
  for (let i = 0; i < blocks; i++) {
    const at = i * 4
    let k = byte(at) + (byte(at + 1) << 8) + (byte(at + 2) << 16) + (byte(at + 3) << 24)
    k *= M
    k ^= k >>> R
    k *= M
    h *= M
    h ^= k
  }
  const tail = length & ~3
  const rest = length % 4
  if (rest === 3) h ^= byte(tail + 2) << 16
  if (rest >= 2) h ^= byte(tail + 1) << 8
  if (rest >= 1) {
    h ^= byte(tail)
    h *= M
  }
  h ^= h >>> 13
  h *= M
  h ^= h >>> 15
  return h
}

function keyBytes(key: Buffer | string): Uint8Array {
  return Buffer.isBuffer(key) ? key : Buffer.from(String(key))
}

/**
 * KafkaJS's partitioning strategy over a hash: an explicit partition wins; a keyed message goes to
 * `toPositive(hash(key)) % partitions`; a keyless one round-robins over the topic's partitions.
 * KafkaJS starts each topic's round-robin at a random partition; the facade starts at partition 0, so
 * that runs are deterministic.
 */
function partitionerOver(hash: (key: Uint8Array) => number): ICustomPartitioner {
  return () => {
    const counters = new Map<string, number>()
    return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
      if (message.partition !== null && message.partition !== undefined) return message.partition
      if (message.key !== null && message.key !== undefined) {
        return toPositive(hash(keyBytes(message.key))) % partitionMetadata.length
      }
      const next = ((counters.get(topic) ?? -1) + 1) | 0
      counters.set(topic, next)
      const available = partitionMetadata.filter((p) => p.leader >= 0)
      if (available.length > 0) return available[toPositive(next) % available.length]!.partitionId
      return toPositive(next) % partitionMetadata.length
    }
  }
}

const defaultPartitioner = partitionerOver(murmur2)

/**
 * KafkaJS's partitioners. `DefaultPartitioner` (KafkaJS 2's default, also exported as the deprecated
 * `JavaCompatiblePartitioner`) puts a key on the same partition as Kafka's Java client and KafkaJS;
 * `LegacyPartitioner` reproduces KafkaJS 1.x's partitioning.
 *
 * @example
 * ```ts
 * const producer = kafka.producer({ createPartitioner: Partitioners.LegacyPartitioner })
 * ```
 */
export const Partitioners: {
  DefaultPartitioner: ICustomPartitioner
  LegacyPartitioner: ICustomPartitioner
  /** @deprecated Use DefaultPartitioner: KafkaJS renamed it in 2.0.0. */
  JavaCompatiblePartitioner: ICustomPartitioner
} = {
  DefaultPartitioner: defaultPartitioner,
  LegacyPartitioner: partitionerOver(legacyMurmur2),
  JavaCompatiblePartitioner: defaultPartitioner,
}

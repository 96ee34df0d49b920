import { promisify } from 'node:util'
import { gunzip, gzip } from 'node:zlib'
import { KafkaJSNotImplemented } from './errors'
import type { CompressionCodec } from './types'

/**
 * Compression types, as in KafkaJS. A send with one runs each partition's records through its codec
 * (GZIP built in, others registered in `CompressionCodecs`), compress then decompress; the records
 * are stored uncompressed.
 *
 * @example
 * ```ts
 * await producer.send({ topic: 'orders', compression: CompressionTypes.GZIP, messages: [{ value: 'x' }] })
 * ```
 */
export const CompressionTypes = { None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 } as const
/**
 * The type of {@link CompressionTypes}'s values.
 *
 * @example
 * ```ts
 * const none: CompressionTypes = CompressionTypes.None
 * ```
 */
export type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes]

const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)

const gzipCodec = (): CompressionCodec => ({
  compress: (encoder) => gzipAsync(encoder.buffer),
  decompress: (buffer) => gunzipAsync(buffer),
})

const notImplemented = (name: string) => (): CompressionCodec => {
  throw new KafkaJSNotImplemented(`${name} compression not implemented`)
}

/**
 * Codec factories by compression type. GZIP is built in; register others as with KafkaJS
 * (`CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec`).
 *
 * @example
 * ```ts
 * CompressionCodecs[CompressionTypes.ZSTD] = () => ({ compress: async (e) => e.buffer, decompress: async (b) => b })
 * ```
 */
export const CompressionCodecs: Record<
  | typeof CompressionTypes.GZIP
  | typeof CompressionTypes.Snappy
  | typeof CompressionTypes.LZ4
  | typeof CompressionTypes.ZSTD,
  () => CompressionCodec
> = {
  [CompressionTypes.GZIP]: gzipCodec,
  [CompressionTypes.Snappy]: notImplemented('Snappy'),
  [CompressionTypes.LZ4]: notImplemented('LZ4'),
  [CompressionTypes.ZSTD]: notImplemented('ZSTD'),
}

/**
 * Kafka's config resource types (`describeConfigs`, `alterConfigs`).
 *
 * @example
 * ```ts
 * await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders' }] })
 * ```
 */
export const ConfigResourceTypes = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const
/**
 * The type of {@link ConfigResourceTypes}'s values.
 *
 * @example
 * ```ts
 * const topic: ConfigResourceTypes = ConfigResourceTypes.TOPIC
 * ```
 */
export type ConfigResourceTypes = (typeof ConfigResourceTypes)[keyof typeof ConfigResourceTypes]

/**
 * Where a config value comes from, in `describeConfigs`.
 *
 * @example
 * ```ts
 * const overridden = entry.configSource === ConfigSource.TOPIC_CONFIG
 * ```
 */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const
/**
 * The type of {@link ConfigSource}'s values.
 *
 * @example
 * ```ts
 * const source: ConfigSource = ConfigSource.DEFAULT_CONFIG
 * ```
 */
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource]

/**
 * Kafka's ACL resource types.
 *
 * @example
 * ```ts
 * const resourceType = AclResourceTypes.TOPIC
 * ```
 */
export const AclResourceTypes = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
} as const
/**
 * The type of {@link AclResourceTypes}'s values.
 *
 * @example
 * ```ts
 * const t: AclResourceTypes = AclResourceTypes.GROUP
 * ```
 */
export type AclResourceTypes = (typeof AclResourceTypes)[keyof typeof AclResourceTypes]

/**
 * KafkaJS 1.x's `ResourceTypes`, deprecated there and gone from 2.x: Kafka's resource types, the values
 * of `AclResourceTypes` (use `ConfigResourceTypes` for configs; `ResourceTypes.TOPIC` is the same 2).
 *
 * @example
 * ```ts
 * await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ResourceTypes.TOPIC, name: 'orders' }] })
 * ```
 */
export const ResourceTypes = AclResourceTypes
/**
 * The type of {@link ResourceTypes}'s values.
 *
 * @example
 * ```ts
 * const topic: ResourceTypes = ResourceTypes.TOPIC
 * ```
 */
export type ResourceTypes = AclResourceTypes

/**
 * Kafka's ACL operations.
 *
 * @example
 * ```ts
 * const operation = AclOperationTypes.WRITE
 * ```
 */
export const AclOperationTypes = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const
/**
 * The type of {@link AclOperationTypes}'s values.
 *
 * @example
 * ```ts
 * const op: AclOperationTypes = AclOperationTypes.READ
 * ```
 */
export type AclOperationTypes = (typeof AclOperationTypes)[keyof typeof AclOperationTypes]

/**
 * Kafka's ACL permission types.
 *
 * @example
 * ```ts
 * const permissionType = AclPermissionTypes.ALLOW
 * ```
 */
export const AclPermissionTypes = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const
/**
 * The type of {@link AclPermissionTypes}'s values.
 *
 * @example
 * ```ts
 * const p: AclPermissionTypes = AclPermissionTypes.DENY
 * ```
 */
export type AclPermissionTypes = (typeof AclPermissionTypes)[keyof typeof AclPermissionTypes]

/**
 * Kafka's ACL resource pattern types.
 *
 * @example
 * ```ts
 * const resourcePatternType = ResourcePatternTypes.PREFIXED
 * ```
 */
export const ResourcePatternTypes = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const
/**
 * The type of {@link ResourcePatternTypes}'s values.
 *
 * @example
 * ```ts
 * const p: ResourcePatternTypes = ResourcePatternTypes.LITERAL
 * ```
 */
export type ResourcePatternTypes = (typeof ResourcePatternTypes)[keyof typeof ResourcePatternTypes]

/**
 * KafkaJS's special offset for the earliest offset of a partition.
 *
 * @example
 * ```ts
 * consumer.seek({ topic: 'orders', partition: 0, offset: String(EARLIEST_OFFSET) })
 * ```
 */
export const EARLIEST_OFFSET = -2

/**
 * KafkaJS's special offset for the log end of a partition.
 *
 * @example
 * ```ts
 * consumer.seek({ topic: 'orders', partition: 0, offset: String(LATEST_OFFSET) })
 * ```
 */
export const LATEST_OFFSET = -1

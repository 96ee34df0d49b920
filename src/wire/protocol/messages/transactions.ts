import type { MessageSchema } from '../schema'

const topicPartitions = [
  { name: 'name', type: 'string', versions: '0+' },
  { name: 'partitions', type: '[]int32', versions: '0+' },
] as const

const partitionResults = [
  { name: 'partitionIndex', type: 'int32', versions: '0+' },
  { name: 'partitionErrorCode', type: 'int16', versions: '0+' },
] as const

/**
 * AddPartitionsToTxn (key 24): add partitions to a producer's transaction. v3 is flexible; v4 batches
 * several transactions (broker to broker), so clients use v0–v3 and v4+ moves their fields into
 * `transactions`.
 *
 * @example
 * ```ts
 * messageCodec(AddPartitionsToTxnRequestSchema, 3)
 * ```
 */
export const AddPartitionsToTxnRequestSchema = {
  apiKey: 24,
  type: 'request',
  name: 'AddPartitionsToTxnRequest',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    {
      name: 'transactions',
      type: '[]AddPartitionsToTxnTransaction',
      versions: '4+',
      fields: [
        { name: 'transactionalId', type: 'string', versions: '4+' },
        { name: 'producerId', type: 'int64', versions: '4+' },
        { name: 'producerEpoch', type: 'int16', versions: '4+' },
        { name: 'verifyOnly', type: 'bool', versions: '4+', default: false },
        { name: 'topics', type: '[]AddPartitionsToTxnTopic', versions: '4+', fields: topicPartitions },
      ],
    },
    { name: 'v3AndBelowTransactionalId', type: 'string', versions: '0-3' },
    { name: 'v3AndBelowProducerId', type: 'int64', versions: '0-3' },
    { name: 'v3AndBelowProducerEpoch', type: 'int16', versions: '0-3' },
    { name: 'v3AndBelowTopics', type: '[]AddPartitionsToTxnTopic', versions: '0-3', fields: topicPartitions },
  ],
} as const satisfies MessageSchema

/**
 * The AddPartitionsToTxn response: an error per partition (per transaction from v4).
 *
 * @example
 * ```ts
 * messageCodec(AddPartitionsToTxnResponseSchema, 3)
 * ```
 */
export const AddPartitionsToTxnResponseSchema = {
  apiKey: 24,
  type: 'response',
  name: 'AddPartitionsToTxnResponse',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '4+', ignorable: true },
    {
      name: 'resultsByTransaction',
      type: '[]AddPartitionsToTxnResult',
      versions: '4+',
      fields: [
        { name: 'transactionalId', type: 'string', versions: '4+' },
        {
          name: 'topicResults',
          type: '[]AddPartitionsToTxnTopicResult',
          versions: '4+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            {
              name: 'resultsByPartition',
              type: '[]AddPartitionsToTxnPartitionResult',
              versions: '0+',
              fields: partitionResults,
            },
          ],
        },
      ],
    },
    {
      name: 'resultsByTopicV3AndBelow',
      type: '[]AddPartitionsToTxnTopicResult',
      versions: '0-3',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'resultsByPartition',
          type: '[]AddPartitionsToTxnPartitionResult',
          versions: '0+',
          fields: partitionResults,
        },
      ],
    },
  ],
} as const satisfies MessageSchema

/**
 * AddOffsetsToTxn (key 25): add a group's offsets topic partition to a transaction. v3 is flexible.
 *
 * @example
 * ```ts
 * messageCodec(AddOffsetsToTxnRequestSchema, 3)
 * ```
 */
export const AddOffsetsToTxnRequestSchema = {
  apiKey: 25,
  type: 'request',
  name: 'AddOffsetsToTxnRequest',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+' },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
    { name: 'groupId', type: 'string', versions: '0+' },
  ],
} as const satisfies MessageSchema

/**
 * The AddOffsetsToTxn response: an error code.
 *
 * @example
 * ```ts
 * messageCodec(AddOffsetsToTxnResponseSchema, 3)
 * ```
 */
export const AddOffsetsToTxnResponseSchema = {
  apiKey: 25,
  type: 'response',
  name: 'AddOffsetsToTxnResponse',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
  ],
} as const satisfies MessageSchema

/**
 * EndTxn (key 26): commit or abort. v3 is flexible; v5 returns the (bumped) producer id and epoch.
 *
 * @example
 * ```ts
 * messageCodec(EndTxnRequestSchema, 3)
 * ```
 */
export const EndTxnRequestSchema = {
  apiKey: 26,
  type: 'request',
  name: 'EndTxnRequest',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+' },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
    { name: 'committed', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSchema

/**
 * The EndTxn response: an error code (and the producer id and epoch from v5).
 *
 * @example
 * ```ts
 * messageCodec(EndTxnResponseSchema, 3)
 * ```
 */
export const EndTxnResponseSchema = {
  apiKey: 26,
  type: 'response',
  name: 'EndTxnResponse',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '5+', default: -1n, ignorable: true },
    { name: 'producerEpoch', type: 'int16', versions: '5+', default: -1, ignorable: true },
  ],
} as const satisfies MessageSchema

/**
 * TxnOffsetCommit (key 28): commit offsets inside a transaction. v2 adds the leader epoch, v3 is
 * flexible and adds the group generation and member for fencing.
 *
 * @example
 * ```ts
 * messageCodec(TxnOffsetCommitRequestSchema, 3)
 * ```
 */
export const TxnOffsetCommitRequestSchema = {
  apiKey: 28,
  type: 'request',
  name: 'TxnOffsetCommitRequest',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '0+' },
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+' },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '3+', default: -1 },
    { name: 'memberId', type: 'string', versions: '3+', default: '' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    {
      name: 'topics',
      type: '[]TxnOffsetCommitRequestTopic',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]TxnOffsetCommitRequestPartition',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'committedOffset', type: 'int64', versions: '0+' },
            { name: 'committedLeaderEpoch', type: 'int32', versions: '2+', default: -1, ignorable: true },
            { name: 'committedMetadata', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSchema

/**
 * The TxnOffsetCommit response: an error per partition.
 *
 * @example
 * ```ts
 * messageCodec(TxnOffsetCommitResponseSchema, 3)
 * ```
 */
export const TxnOffsetCommitResponseSchema = {
  apiKey: 28,
  type: 'response',
  name: 'TxnOffsetCommitResponse',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'topics',
      type: '[]TxnOffsetCommitResponseTopic',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]TxnOffsetCommitResponsePartition',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSchema

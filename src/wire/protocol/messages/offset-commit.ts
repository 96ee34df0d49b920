import type { MessageSchema } from '../schema'

/**
 * OffsetCommit (key 8). v1 adds generation and member, v2–v4 a retention time, v6 the leader epoch,
 * v7 the static instance id, v8 is flexible, v9 accepts KIP-848 member epochs.
 *
 * @example
 * ```ts
 * messageCodec(OffsetCommitRequestSchema, 8)
 * ```
 */
export const OffsetCommitRequestSchema = {
  apiKey: 8,
  type: 'request',
  name: 'OffsetCommitRequest',
  validVersions: '0-9',
  flexibleVersions: '8+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationIdOrMemberEpoch', type: 'int32', versions: '1+', default: -1, ignorable: true },
    { name: 'memberId', type: 'string', versions: '1+', ignorable: true },
    {
      name: 'groupInstanceId',
      type: 'string',
      versions: '7+',
      nullableVersions: '7+',
      default: null,
      ignorable: true,
    },
    { name: 'retentionTimeMs', type: 'int64', versions: '2-4', default: -1n, ignorable: true },
    {
      name: 'topics',
      type: '[]OffsetCommitRequestTopic',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]OffsetCommitRequestPartition',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'committedOffset', type: 'int64', versions: '0+' },
            { name: 'committedLeaderEpoch', type: 'int32', versions: '6+', default: -1, ignorable: true },
            { name: 'commitTimestamp', type: 'int64', versions: '1', default: -1n, ignorable: true },
            { name: 'committedMetadata', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSchema

/**
 * The OffsetCommit response: an error code per partition.
 *
 * @example
 * ```ts
 * messageCodec(OffsetCommitResponseSchema, 8)
 * ```
 */
export const OffsetCommitResponseSchema = {
  apiKey: 8,
  type: 'response',
  name: 'OffsetCommitResponse',
  validVersions: '0-9',
  flexibleVersions: '8+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+', ignorable: true },
    {
      name: 'topics',
      type: '[]OffsetCommitResponseTopic',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]OffsetCommitResponsePartition',
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

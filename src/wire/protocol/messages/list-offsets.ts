import type { MessageSchema } from '../schema'

/**
 * ListOffsets (key 2). v1 returns one offset per partition, v2 adds the isolation level, v4 the leader
 * epoch, v6 is flexible, v7–v9 add special timestamps (-3 max timestamp, -4 local start, -5 tiered),
 * v10 a timeout.
 *
 * @example
 * ```ts
 * messageCodec(ListOffsetsRequestSchema, 7)
 * ```
 */
export const ListOffsetsRequestSchema = {
  apiKey: 2,
  type: 'request',
  name: 'ListOffsetsRequest',
  validVersions: '0-10',
  flexibleVersions: '6+',
  fields: [
    { name: 'replicaId', type: 'int32', versions: '0+' },
    { name: 'isolationLevel', type: 'int8', versions: '2+' },
    {
      name: 'topics',
      type: '[]ListOffsetsTopic',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]ListOffsetsPartition',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'currentLeaderEpoch', type: 'int32', versions: '4+', default: -1, ignorable: true },
            { name: 'timestamp', type: 'int64', versions: '0+' },
            { name: 'maxNumOffsets', type: 'int32', versions: '0', default: 1 },
          ],
        },
      ],
    },
    { name: 'timeoutMs', type: 'int32', versions: '10+', ignorable: true },
  ],
} as const satisfies MessageSchema

/**
 * The ListOffsets response: per partition the offset (and timestamp) found, or an error; v0 returns a
 * list of old-style offsets instead.
 *
 * @example
 * ```ts
 * messageCodec(ListOffsetsResponseSchema, 7)
 * ```
 */
export const ListOffsetsResponseSchema = {
  apiKey: 2,
  type: 'response',
  name: 'ListOffsetsResponse',
  validVersions: '0-10',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    {
      name: 'topics',
      type: '[]ListOffsetsTopicResponse',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]ListOffsetsPartitionResponse',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'oldStyleOffsets', type: '[]int64', versions: '0', ignorable: false },
            { name: 'timestamp', type: 'int64', versions: '1+', default: -1n, ignorable: false },
            { name: 'offset', type: 'int64', versions: '1+', default: -1n, ignorable: false },
            { name: 'leaderEpoch', type: 'int32', versions: '4+', default: -1 },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSchema

import type { MessageSchema } from '../schema'

const leaderIdAndEpoch = [
  { name: 'leaderId', type: 'int32', versions: '10+', default: -1 },
  { name: 'leaderEpoch', type: 'int32', versions: '10+', default: -1 },
] as const

/**
 * Produce (key 0). v3 adds the transactional id and RecordBatch v2, v9 is flexible, v13 names topics by
 * id instead of by name.
 *
 * @example
 * ```ts
 * messageCodec(ProduceRequestSchema, 9)
 * ```
 */
export const ProduceRequestSchema = {
  apiKey: 0,
  type: 'request',
  name: 'ProduceRequest',
  validVersions: '0-13',
  flexibleVersions: '9+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    { name: 'acks', type: 'int16', versions: '0+' },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    {
      name: 'topicData',
      type: '[]TopicProduceData',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0-12' },
        { name: 'topicId', type: 'uuid', versions: '13+' },
        {
          name: 'partitionData',
          type: '[]PartitionProduceData',
          versions: '0+',
          fields: [
            { name: 'index', type: 'int32', versions: '0+' },
            { name: 'records', type: 'records', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSchema

/**
 * The Produce response: per partition the base offset or an error; v10+ may carry the current leader and
 * node endpoints as tagged fields.
 *
 * @example
 * ```ts
 * messageCodec(ProduceResponseSchema, 9)
 * ```
 */
export const ProduceResponseSchema = {
  apiKey: 0,
  type: 'response',
  name: 'ProduceResponse',
  validVersions: '0-13',
  flexibleVersions: '9+',
  fields: [
    {
      name: 'responses',
      type: '[]TopicProduceResponse',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0-12' },
        { name: 'topicId', type: 'uuid', versions: '13+' },
        {
          name: 'partitionResponses',
          type: '[]PartitionProduceResponse',
          versions: '0+',
          fields: [
            { name: 'index', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'baseOffset', type: 'int64', versions: '0+' },
            { name: 'logAppendTimeMs', type: 'int64', versions: '2+', default: -1n, ignorable: true },
            { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1n, ignorable: true },
            {
              name: 'recordErrors',
              type: '[]BatchIndexAndErrorMessage',
              versions: '8+',
              ignorable: true,
              fields: [
                { name: 'batchIndex', type: 'int32', versions: '8+' },
                {
                  name: 'batchIndexErrorMessage',
                  type: 'string',
                  versions: '8+',
                  nullableVersions: '8+',
                  default: null,
                },
              ],
            },
            {
              name: 'errorMessage',
              type: 'string',
              versions: '8+',
              nullableVersions: '8+',
              default: null,
              ignorable: true,
            },
            {
              name: 'currentLeader',
              type: 'LeaderIdAndEpoch',
              versions: '10+',
              taggedVersions: '10+',
              tag: 0,
              fields: leaderIdAndEpoch,
            },
          ],
        },
      ],
    },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    {
      name: 'nodeEndpoints',
      type: '[]NodeEndpoint',
      versions: '10+',
      taggedVersions: '10+',
      tag: 0,
      fields: [
        { name: 'nodeId', type: 'int32', versions: '10+' },
        { name: 'host', type: 'string', versions: '10+' },
        { name: 'port', type: 'int32', versions: '10+' },
        { name: 'rack', type: 'string', versions: '10+', nullableVersions: '10+', default: null },
      ],
    },
  ],
} as const satisfies MessageSchema

import type { MessageSchema } from '../schema'

/**
 * SyncGroup (key 14), the classic group protocol: the leader sends the assignment it computed. v3 adds
 * the static instance id, v4 is flexible, v5 the protocol type and name.
 *
 * @example
 * ```ts
 * messageCodec(SyncGroupRequestSchema, 4)
 * ```
 */
export const SyncGroupRequestSchema = {
  apiKey: 14,
  type: 'request',
  name: 'SyncGroupRequest',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    {
      name: 'protocolType',
      type: 'string',
      versions: '5+',
      nullableVersions: '5+',
      default: null,
      ignorable: true,
    },
    {
      name: 'protocolName',
      type: 'string',
      versions: '5+',
      nullableVersions: '5+',
      default: null,
      ignorable: true,
    },
    {
      name: 'assignments',
      type: '[]SyncGroupRequestAssignment',
      versions: '0+',
      fields: [
        { name: 'memberId', type: 'string', versions: '0+' },
        { name: 'assignment', type: 'bytes', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSchema

/**
 * The SyncGroup response: this member's assignment.
 *
 * @example
 * ```ts
 * messageCodec(SyncGroupResponseSchema, 4)
 * ```
 */
export const SyncGroupResponseSchema = {
  apiKey: 14,
  type: 'response',
  name: 'SyncGroupResponse',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'protocolType',
      type: 'string',
      versions: '5+',
      nullableVersions: '5+',
      default: null,
      ignorable: true,
    },
    {
      name: 'protocolName',
      type: 'string',
      versions: '5+',
      nullableVersions: '5+',
      default: null,
      ignorable: true,
    },
    { name: 'assignment', type: 'bytes', versions: '0+' },
  ],
} as const satisfies MessageSchema

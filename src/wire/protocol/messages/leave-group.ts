import type { MessageSchema } from '../schema'

/**
 * LeaveGroup (key 13). v3 lets several (static) members leave at once, v4 is flexible, v5 adds a reason.
 *
 * @example
 * ```ts
 * messageCodec(LeaveGroupRequestSchema, 4)
 * ```
 */
export const LeaveGroupRequestSchema = {
  apiKey: 13,
  type: 'request',
  name: 'LeaveGroupRequest',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0-2' },
    {
      name: 'members',
      type: '[]MemberIdentity',
      versions: '3+',
      fields: [
        { name: 'memberId', type: 'string', versions: '3+' },
        { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
        {
          name: 'reason',
          type: 'string',
          versions: '5+',
          nullableVersions: '5+',
          default: null,
          ignorable: true,
        },
      ],
    },
  ],
} as const satisfies MessageSchema

/**
 * The LeaveGroup response: an error code, and per member from v3.
 *
 * @example
 * ```ts
 * messageCodec(LeaveGroupResponseSchema, 4)
 * ```
 */
export const LeaveGroupResponseSchema = {
  apiKey: 13,
  type: 'response',
  name: 'LeaveGroupResponse',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'members',
      type: '[]MemberResponse',
      versions: '3+',
      fields: [
        { name: 'memberId', type: 'string', versions: '3+' },
        { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+' },
        { name: 'errorCode', type: 'int16', versions: '3+' },
      ],
    },
  ],
} as const satisfies MessageSchema

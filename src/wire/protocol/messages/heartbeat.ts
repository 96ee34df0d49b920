import type { MessageSchema } from '../schema'

/**
 * Heartbeat (key 12), the classic group protocol. v3 adds the static instance id, v4 is flexible.
 *
 * @example
 * ```ts
 * messageCodec(HeartbeatRequestSchema, 4)
 * ```
 */
export const HeartbeatRequestSchema = {
  apiKey: 12,
  type: 'request',
  name: 'HeartbeatRequest',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
  ],
} as const satisfies MessageSchema

/**
 * The Heartbeat response: an error code (REBALANCE_IN_PROGRESS asks the member to rejoin).
 *
 * @example
 * ```ts
 * messageCodec(HeartbeatResponseSchema, 4)
 * ```
 */
export const HeartbeatResponseSchema = {
  apiKey: 12,
  type: 'response',
  name: 'HeartbeatResponse',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
  ],
} as const satisfies MessageSchema

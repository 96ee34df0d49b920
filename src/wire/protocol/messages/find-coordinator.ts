import type { MessageSchema } from '../schema'

/**
 * FindCoordinator (key 10). v1 adds the key type (0 group, 1 transaction), v3 is flexible, v4 batches
 * several keys.
 *
 * @example
 * ```ts
 * messageCodec(FindCoordinatorRequestSchema, 3)
 * ```
 */
export const FindCoordinatorRequestSchema = {
  apiKey: 10,
  type: 'request',
  name: 'FindCoordinatorRequest',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    { name: 'key', type: 'string', versions: '0-3' },
    { name: 'keyType', type: 'int8', versions: '1+', default: 0 },
    { name: 'coordinatorKeys', type: '[]string', versions: '4+' },
  ],
} as const satisfies MessageSchema

/**
 * The FindCoordinator response: the coordinator's node (one per key from v4).
 *
 * @example
 * ```ts
 * messageCodec(FindCoordinatorResponseSchema, 3)
 * ```
 */
export const FindCoordinatorResponseSchema = {
  apiKey: 10,
  type: 'response',
  name: 'FindCoordinatorResponse',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0-3' },
    {
      name: 'errorMessage',
      type: 'string',
      versions: '1-3',
      nullableVersions: '1-3',
      default: null,
      ignorable: true,
    },
    { name: 'nodeId', type: 'int32', versions: '0-3' },
    { name: 'host', type: 'string', versions: '0-3' },
    { name: 'port', type: 'int32', versions: '0-3' },
    {
      name: 'coordinators',
      type: '[]Coordinator',
      versions: '4+',
      fields: [
        { name: 'key', type: 'string', versions: '4+' },
        { name: 'nodeId', type: 'int32', versions: '4+' },
        { name: 'host', type: 'string', versions: '4+' },
        { name: 'port', type: 'int32', versions: '4+' },
        { name: 'errorCode', type: 'int16', versions: '4+' },
        { name: 'errorMessage', type: 'string', versions: '4+', nullableVersions: '4+', ignorable: true },
      ],
    },
  ],
} as const satisfies MessageSchema

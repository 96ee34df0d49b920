import type { MessageSchema } from '../schema'

/**
 * DeleteGroups (key 42). v2 is flexible.
 *
 * @example
 * ```ts
 * messageCodec(DeleteGroupsRequestSchema, 2)
 * ```
 */
export const DeleteGroupsRequestSchema = {
  apiKey: 42,
  type: 'request',
  name: 'DeleteGroupsRequest',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [{ name: 'groupsNames', type: '[]string', versions: '0+' }],
} as const satisfies MessageSchema

/**
 * The DeleteGroups response: an error code per group.
 *
 * @example
 * ```ts
 * messageCodec(DeleteGroupsResponseSchema, 2)
 * ```
 */
export const DeleteGroupsResponseSchema = {
  apiKey: 42,
  type: 'response',
  name: 'DeleteGroupsResponse',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      type: '[]DeletableGroupResult',
      versions: '0+',
      fields: [
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSchema

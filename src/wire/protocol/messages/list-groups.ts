import type { MessageSchema } from '../schema'

/**
 * ListGroups (key 16). v3 is flexible, v4 filters by state, v5 by group type (classic, consumer).
 *
 * @example
 * ```ts
 * messageCodec(ListGroupsRequestSchema, 4)
 * ```
 */
export const ListGroupsRequestSchema = {
  apiKey: 16,
  type: 'request',
  name: 'ListGroupsRequest',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'statesFilter', type: '[]string', versions: '4+' },
    { name: 'typesFilter', type: '[]string', versions: '5+' },
  ],
} as const satisfies MessageSchema

/**
 * The ListGroups response: every group's id and protocol type (state from v4, type from v5).
 *
 * @example
 * ```ts
 * messageCodec(ListGroupsResponseSchema, 4)
 * ```
 */
export const ListGroupsResponseSchema = {
  apiKey: 16,
  type: 'response',
  name: 'ListGroupsResponse',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'groups',
      type: '[]ListedGroup',
      versions: '0+',
      fields: [
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'protocolType', type: 'string', versions: '0+' },
        { name: 'groupState', type: 'string', versions: '4+', ignorable: true },
        { name: 'groupType', type: 'string', versions: '5+', ignorable: true },
      ],
    },
  ],
} as const satisfies MessageSchema

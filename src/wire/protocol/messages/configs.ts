import type { MessageSchema } from '../schema'

/**
 * DescribeConfigs (key 32). v1 adds synonyms and the config source, v3 documentation and types, v4 is
 * flexible.
 *
 * @example
 * ```ts
 * messageCodec(DescribeConfigsRequestSchema, 4)
 * ```
 */
export const DescribeConfigsRequestSchema = {
  apiKey: 32,
  type: 'request',
  name: 'DescribeConfigsRequest',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    {
      name: 'resources',
      type: '[]DescribeConfigsResource',
      versions: '0+',
      fields: [
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        { name: 'configurationKeys', type: '[]string', versions: '0+', nullableVersions: '0+' },
      ],
    },
    { name: 'includeSynonyms', type: 'bool', versions: '1+', default: false },
    { name: 'includeDocumentation', type: 'bool', versions: '3+', default: false },
  ],
} as const satisfies MessageSchema

/**
 * The DescribeConfigs response: per resource its config entries.
 *
 * @example
 * ```ts
 * messageCodec(DescribeConfigsResponseSchema, 4)
 * ```
 */
export const DescribeConfigsResponseSchema = {
  apiKey: 32,
  type: 'response',
  name: 'DescribeConfigsResponse',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      type: '[]DescribeConfigsResult',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        {
          name: 'configs',
          type: '[]DescribeConfigsResourceResult',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
            { name: 'readOnly', type: 'bool', versions: '0+' },
            { name: 'isDefault', type: 'bool', versions: '0', ignorable: true },
            { name: 'configSource', type: 'int8', versions: '1+', default: -1, ignorable: true },
            { name: 'isSensitive', type: 'bool', versions: '0+' },
            {
              name: 'synonyms',
              type: '[]DescribeConfigsSynonym',
              versions: '1+',
              ignorable: true,
              fields: [
                { name: 'name', type: 'string', versions: '1+' },
                { name: 'value', type: 'string', versions: '1+', nullableVersions: '0+' },
                { name: 'source', type: 'int8', versions: '1+' },
              ],
            },
            { name: 'configType', type: 'int8', versions: '3+', default: 0, ignorable: true },
            {
              name: 'documentation',
              type: 'string',
              versions: '3+',
              nullableVersions: '0+',
              ignorable: true,
            },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSchema

/**
 * AlterConfigs (key 33): replace resources' whole config sets. v2 is flexible.
 *
 * @example
 * ```ts
 * messageCodec(AlterConfigsRequestSchema, 2)
 * ```
 */
export const AlterConfigsRequestSchema = {
  apiKey: 33,
  type: 'request',
  name: 'AlterConfigsRequest',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    {
      name: 'resources',
      type: '[]AlterConfigsResource',
      versions: '0+',
      fields: [
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        {
          name: 'configs',
          type: '[]AlterableConfig',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSchema

const alterResponseFields = [
  { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
  {
    name: 'responses',
    type: '[]AlterConfigsResourceResponse',
    versions: '0+',
    fields: [
      { name: 'errorCode', type: 'int16', versions: '0+' },
      { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      { name: 'resourceType', type: 'int8', versions: '0+' },
      { name: 'resourceName', type: 'string', versions: '0+' },
    ],
  },
] as const

/**
 * The AlterConfigs response: an error per resource.
 *
 * @example
 * ```ts
 * messageCodec(AlterConfigsResponseSchema, 2)
 * ```
 */
export const AlterConfigsResponseSchema = {
  apiKey: 33,
  type: 'response',
  name: 'AlterConfigsResponse',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: alterResponseFields,
} as const satisfies MessageSchema

/**
 * IncrementalAlterConfigs (key 44): set, delete, append to or subtract from single config entries
 * (operation 0–3). v1 is flexible.
 *
 * @example
 * ```ts
 * messageCodec(IncrementalAlterConfigsRequestSchema, 1)
 * ```
 */
export const IncrementalAlterConfigsRequestSchema = {
  apiKey: 44,
  type: 'request',
  name: 'IncrementalAlterConfigsRequest',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    {
      name: 'resources',
      type: '[]AlterConfigsResource',
      versions: '0+',
      fields: [
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        {
          name: 'configs',
          type: '[]AlterableConfig',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'configOperation', type: 'int8', versions: '0+' },
            { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSchema

/**
 * The IncrementalAlterConfigs response: an error per resource.
 *
 * @example
 * ```ts
 * messageCodec(IncrementalAlterConfigsResponseSchema, 1)
 * ```
 */
export const IncrementalAlterConfigsResponseSchema = {
  apiKey: 44,
  type: 'response',
  name: 'IncrementalAlterConfigsResponse',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: alterResponseFields,
} as const satisfies MessageSchema

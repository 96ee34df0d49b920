import type { MessageSchema } from '../schema'

/**
 * DescribeLogDirs (key 35): the log directories of a broker and the size of each partition in them.
 * A null topic list asks for every partition. v2 is flexible; v3 and v4 change only the response.
 *
 * @example
 * ```ts
 * messageCodec(DescribeLogDirsRequestSchema, 4)
 * ```
 */
export const DescribeLogDirsRequestSchema = {
  apiKey: 35,
  type: 'request',
  name: 'DescribeLogDirsRequest',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    {
      name: 'topics',
      type: '[]DescribableLogDirTopic',
      versions: '0+',
      nullableVersions: '0+',
      fields: [
        { name: 'topic', type: 'string', versions: '0+' },
        { name: 'partitions', type: '[]int32', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSchema

/**
 * The DescribeLogDirs response: per log directory, its partitions with their size in bytes; v3 adds a
 * top-level error code, v4 the directory's total and usable bytes.
 *
 * @example
 * ```ts
 * messageCodec(DescribeLogDirsResponseSchema, 4)
 * ```
 */
export const DescribeLogDirsResponseSchema = {
  apiKey: 35,
  type: 'response',
  name: 'DescribeLogDirsResponse',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '3+', ignorable: true },
    {
      name: 'results',
      type: '[]DescribeLogDirsResult',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'logDir', type: 'string', versions: '0+' },
        {
          name: 'topics',
          type: '[]DescribeLogDirsTopic',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            {
              name: 'partitions',
              type: '[]DescribeLogDirsPartition',
              versions: '0+',
              fields: [
                { name: 'partitionIndex', type: 'int32', versions: '0+' },
                { name: 'partitionSize', type: 'int64', versions: '0+' },
                { name: 'offsetLag', type: 'int64', versions: '0+' },
                { name: 'isFutureKey', type: 'bool', versions: '0+' },
              ],
            },
          ],
        },
        { name: 'totalBytes', type: 'int64', versions: '4+', default: -1n, ignorable: true },
        { name: 'usableBytes', type: 'int64', versions: '4+', default: -1n, ignorable: true },
      ],
    },
  ],
} as const satisfies MessageSchema

import type { MessageSchema } from '../schema'

/**
 * InitProducerId (key 22): a producer id and epoch for an idempotent or transactional producer. v2 is
 * flexible, v3 lets a producer bump its epoch by sending its current id and epoch.
 *
 * @example
 * ```ts
 * messageCodec(InitProducerIdRequestSchema, 2)
 * ```
 */
export const InitProducerIdRequestSchema = {
  apiKey: 22,
  type: 'request',
  name: 'InitProducerIdRequest',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '3+', default: -1n },
    { name: 'producerEpoch', type: 'int16', versions: '3+', default: -1 },
  ],
} as const satisfies MessageSchema

/**
 * The InitProducerId response: the producer id and epoch, or an error.
 *
 * @example
 * ```ts
 * messageCodec(InitProducerIdResponseSchema, 2)
 * ```
 */
export const InitProducerIdResponseSchema = {
  apiKey: 22,
  type: 'response',
  name: 'InitProducerIdResponse',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+', default: -1n },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
  ],
} as const satisfies MessageSchema

import type { MessageSchema } from '../schema'

/**
 * SaslHandshake (key 17): the client names its mechanism. v1 means the SASL exchange then runs in
 * SaslAuthenticate requests instead of raw frames.
 *
 * @example
 * ```ts
 * messageCodec(SaslHandshakeRequestSchema, 1)
 * ```
 */
export const SaslHandshakeRequestSchema = {
  apiKey: 17,
  type: 'request',
  name: 'SaslHandshakeRequest',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [{ name: 'mechanism', type: 'string', versions: '0+' }],
} as const satisfies MessageSchema

/**
 * The SaslHandshake response: an error code and the mechanisms the server enables.
 *
 * @example
 * ```ts
 * messageCodec(SaslHandshakeResponseSchema, 1)
 * ```
 */
export const SaslHandshakeResponseSchema = {
  apiKey: 17,
  type: 'response',
  name: 'SaslHandshakeResponse',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'mechanisms', type: '[]string', versions: '0+' },
  ],
} as const satisfies MessageSchema

/**
 * SaslAuthenticate (key 36): one step of the SASL exchange. v1 adds the session lifetime to the
 * response, v2 is flexible.
 *
 * @example
 * ```ts
 * messageCodec(SaslAuthenticateRequestSchema, 2)
 * ```
 */
export const SaslAuthenticateRequestSchema = {
  apiKey: 36,
  type: 'request',
  name: 'SaslAuthenticateRequest',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [{ name: 'authBytes', type: 'bytes', versions: '0+' }],
} as const satisfies MessageSchema

/**
 * The SaslAuthenticate response: the server's SASL bytes, or an error and its message.
 *
 * @example
 * ```ts
 * messageCodec(SaslAuthenticateResponseSchema, 2)
 * ```
 */
export const SaslAuthenticateResponseSchema = {
  apiKey: 36,
  type: 'response',
  name: 'SaslAuthenticateResponse',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'authBytes', type: 'bytes', versions: '0+' },
    { name: 'sessionLifetimeMs', type: 'int64', versions: '1+', default: 0n, ignorable: true },
  ],
} as const satisfies MessageSchema

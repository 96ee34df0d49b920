/**
 * Kafka's binary protocol: bytes to typed requests, typed responses to bytes. No sockets, no broker
 * logic — a server uses it like this:
 *
 * ```ts
 * const frames = new FrameReader({ maxFrameBytes })          // one per connection
 * socket.on('data', (chunk) => {
 *   let requests: DecodedRequest[]
 *   try {
 *     requests = frames.push(chunk).map(decodeRequest)
 *   } catch (err) {
 *     // ApiVersions at a version we do not know: answer v0 with UNSUPPORTED_VERSION and our ranges.
 *     if (err instanceof ProtocolError && err.kind === 'unsupported-version' && err.header?.apiKey === 18)
 *       return socket.write(encodeApiVersionsFallback(err.header.correlationId ?? 0))
 *     return socket.destroy() // malformed, oversize, unknown API: close this connection only
 *   }
 *   for (const request of requests) {
 *     switch (request.apiKey) {
 *       case ApiKeys.Heartbeat: // request.body is typed as the Heartbeat request
 *         socket.write(encodeResponse(ApiKeys.Heartbeat, request.apiVersion, request.header.correlationId, { errorCode: 0 }))
 *     }
 *   }
 * })
 * ```
 *
 * **Messages as data.** Each API's request and response is described in `messages/*.ts` in the form of
 * Kafka's own definitions (`clients/src/main/resources/common/message/*.json`): fields with `versions`,
 * `nullableVersions`, `taggedVersions`/`tag`, `ignorable`, typed `default`s, nested structs and arrays,
 * and the message's `validVersions`/`flexibleVersions`, transcribed (camelCase names) for the versions
 * clients use — from v0 (KafkaJS, old librdkafka) up to the Kafka 4.x maxima. `codec.ts` is the one
 * generic codec: it compiles a schema, per version, into read/write closures once and caches them.
 * Flexible versions get compact lengths (unsigned varint of length + 1) and tagged-field sections; a
 * field outside a version decodes as its default and may only be encoded there with its default value
 * unless it is `ignorable`, as in Kafka's generated classes.
 *
 * **Types from the data.** The schemas are `as const` objects, and mapped types (`MessageOf`,
 * `RequestBody<K>`, `ResponseInput<K>`) turn them into the decoded and encodable object types — no
 * generator script and no generated files to keep in sync; a schema edit changes the types at once.
 * Decoded objects hold every field; encoder input may leave any field out (its default is written).
 * int64 is `bigint`, uuid the 8-4-4-4-12 hex string, bytes and records are `Buffer` views into the frame
 * (record batches are never decoded here).
 *
 * **Safety.** Every read is bounds-checked; array counts and string/byte lengths are checked against
 * the bytes left before anything is allocated, so a frame costs at most what its size justifies.
 * Malformed input throws `ProtocolError` (a `LogbusError`, code `INVALID_REQUEST`, or
 * `UNSUPPORTED_VERSION`) and nothing else — a seeded fuzz test holds the decoders to that.
 *
 * **Headers.** Requests use header v1, or v2 (with tagged fields) in flexible versions; responses
 * header v0, or v1 in flexible versions — except ApiVersions, always v0.
 *
 * **Compression.** `compress`/`decompress` handle Kafka's codec ids 1–4 for a RecordBatch's records
 * section (gzip; snappy raw or xerial-framed; the LZ4 frame format; zstd), with an output limit.
 *
 * @example
 * ```ts
 * import { API_TABLE } from './wire/protocol'
 * for (const api of API_TABLE) console.log(`${api.apiKey} ${api.name} v${api.minVersion}-v${api.maxVersion}`)
 * ```
 * @module
 */

export {
  CompressionCodec,
  type CompressionCodecId,
  compress,
  type DecompressOptions,
  decompress,
  decompressSync,
} from '../../index'
export {
  API_TABLE,
  type ApiInfo,
  type ApiKeyNumber,
  ApiKeys,
  type ApiName,
  apiInfo,
  type RequestBody,
  type RequestInput,
  type ResponseBody,
  type ResponseInput,
} from './apis'
export { decodeMessage, encodeMessage, type MessageCodec, messageCodec } from './codec'
export { ZERO_UUID } from './defaults'
export {
  type KafkaErrorInfo,
  type KafkaErrorName,
  KafkaErrors,
  kafkaError,
  kafkaErrorOf,
} from './error-codes'
export { DEFAULT_MAX_FRAME_BYTES, FrameReader, type FrameReaderOptions } from './frame-reader'
export {
  type RequestHeader,
  readRequestHeader,
  readResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  writeRequestHeader,
  writeResponseHeader,
} from './header'
export { type PartialRequestHeader, ProtocolError, type ProtocolErrorKind } from './protocol-error'
export { Reader } from './reader'
export {
  type DecodedRequest,
  decodeRequest,
  decodeResponse,
  encodeApiVersionsFallback,
  encodeRequest,
  encodeResponse,
  encodeResponseChunks,
  FRAME_PREFIX_BYTES,
  supportedApiVersions,
} from './request'
export type {
  DefaultValue,
  FieldSchema,
  MessageInputOf,
  MessageOf,
  MessageSchema,
  ScalarType,
  ScalarValue,
  StructInput,
  StructOf,
} from './schema'
export { inVersions, parseVersions, type VersionRange } from './versions'
export { Writer } from './writer'

import {
  API_TABLE,
  type ApiKeyNumber,
  apiInfo,
  type RequestBody,
  type RequestInput,
  type ResponseBody,
  type ResponseInput,
} from './apis'
import { decodeMessage, encodeMessage } from './codec'
import {
  type RequestHeader,
  readRequestHeader,
  readResponseHeader,
  writeRequestHeader,
  writeResponseHeader,
} from './header'
import { ProtocolError } from './protocol-error'
import { Reader } from './reader'
import { Writer } from './writer'

/**
 * A decoded request, discriminated by `apiKey` so a `switch` narrows `body` to that API's type.
 *
 * @example
 * ```ts
 * const request: DecodedRequest = decodeRequest(frame)
 * if (request.apiKey === ApiKeys.Heartbeat) request.body.generationId
 * ```
 */
export type DecodedRequest = {
  [K in ApiKeyNumber]: {
    readonly apiKey: K
    readonly apiVersion: number
    readonly header: RequestHeader
    readonly body: RequestBody<K>
  }
}[ApiKeyNumber]

/** The 4-byte size prefix of every frame. */
export const FRAME_PREFIX_BYTES = 4

/**
 * Decodes one request frame (the bytes after the size prefix): header, then the body at the header's
 * API version. Malformed bytes, unknown keys and unsupported versions throw `ProtocolError`; bytes left
 * over after the body are ignored, as Kafka's broker does. Byte and records fields are views into
 * `frame`.
 *
 * @example
 * ```ts
 * for (const frame of frames.push(chunk)) {
 *   const request = decodeRequest(frame)
 *   if (request.apiKey === ApiKeys.Metadata) console.log(request.body.topics)
 * }
 * ```
 */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const reader = new Reader(frame)
  const header = readRequestHeader(reader)
  const api = apiInfo(header.apiKey)!
  const body = decodeMessage(api.request, header.apiVersion, frame, { start: reader.position, strict: false })
  return { apiKey: header.apiKey, apiVersion: header.apiVersion, header, body } as DecodedRequest
}

function framed(writer: Writer, write: (w: Writer) => void): Writer {
  writer.int32(0)
  write(writer)
  return writer
}

function withSize(chunks: Buffer[], total: number): Buffer[] {
  // The first chunk starts with the int32 placeholder written by `framed`.
  chunks[0]!.writeInt32BE(total - FRAME_PREFIX_BYTES, 0)
  return chunks
}

/**
 * Encodes a response frame as pieces for a vectored write (`socket.cork()`, one `write` per piece,
 * `uncork()`): size prefix, response header (v0, or v1 in flexible versions, v0 always for
 * ApiVersions) and body. Large byte fields (record batches) are not copied.
 *
 * @example
 * ```ts
 * for (const piece of encodeResponseChunks(1, 11, correlationId, fetchBody)) socket.write(piece)
 * ```
 */
export function encodeResponseChunks<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseInput<K>,
): Buffer[] {
  const api = apiInfo(apiKey)
  if (api === undefined) throw new ProtocolError('unknown-api', `Unknown API key ${apiKey}`)
  const writer = framed(new Writer(), (w) => {
    writeResponseHeader(w, apiKey, apiVersion, correlationId)
    encodeMessage(api.response, apiVersion, body, w)
  })
  return withSize(writer.chunks(), writer.length)
}

/**
 * Encodes a response frame into one buffer, size prefix included, ready for `socket.write`.
 *
 * @example
 * ```ts
 * socket.write(encodeResponse(ApiKeys.Heartbeat, 4, correlationId, { errorCode: 0 }))
 * ```
 */
export function encodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseInput<K>,
): Buffer {
  const chunks = encodeResponseChunks(apiKey, apiVersion, correlationId, body)
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}

/**
 * Kafka's answer to an ApiVersions request at a version the broker does not know: an ApiVersions v0
 * response with UNSUPPORTED_VERSION (35) and the broker's ranges, so the client retries with a version
 * both sides support.
 *
 * @example
 * ```ts
 * socket.write(encodeApiVersionsFallback(err.header.correlationId ?? 0))
 * ```
 */
export function encodeApiVersionsFallback(
  correlationId: number,
  apiKeys: readonly { apiKey: number; minVersion: number; maxVersion: number }[] = supportedApiVersions(),
): Buffer {
  return encodeResponse(18, 0, correlationId, { errorCode: 35, apiKeys: [...apiKeys] })
}

/**
 * The `apiKeys` list of an ApiVersions response: every API of the table with its range.
 *
 * @example
 * ```ts
 * encodeResponse(18, 3, id, { errorCode: 0, apiKeys: supportedApiVersions() })
 * ```
 */
export function supportedApiVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return API_TABLE.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))
}

/**
 * Encodes a request frame, size prefix included (the client side: tests, tools, a proxy).
 *
 * @example
 * ```ts
 * const frame = encodeRequest({ apiKey: 18, apiVersion: 3, correlationId: 1, clientId: 'app' }, {})
 * ```
 */
export function encodeRequest<K extends ApiKeyNumber>(
  header: RequestHeader & { apiKey: K },
  body: RequestInput<K>,
): Buffer {
  const api = apiInfo(header.apiKey)
  if (api === undefined) throw new ProtocolError('unknown-api', `Unknown API key ${header.apiKey}`)
  const writer = framed(new Writer(), (w) => {
    writeRequestHeader(w, header)
    encodeMessage(api.request, header.apiVersion, body, w)
  })
  return Buffer.concat(withSize(writer.chunks(), writer.length))
}

/**
 * Decodes a response frame (the bytes after the size prefix) of a request sent at `apiVersion`.
 *
 * @example
 * ```ts
 * const { correlationId, body } = decodeResponse(ApiKeys.Heartbeat, 4, frame)
 * ```
 */
export function decodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): { correlationId: number; body: ResponseBody<K> } {
  const api = apiInfo(apiKey)
  if (api === undefined) throw new ProtocolError('unknown-api', `Unknown API key ${apiKey}`)
  const reader = new Reader(frame)
  const correlationId = readResponseHeader(reader, apiKey, apiVersion)
  const body = decodeMessage(api.response, apiVersion, frame, { start: reader.position })
  return { correlationId, body: body as ResponseBody<K> }
}

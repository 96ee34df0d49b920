import { type ApiInfo, apiInfo } from './apis'
import { ProtocolError } from './protocol-error'
import type { Reader } from './reader'
import type { Writer } from './writer'

/**
 * A request header (v1/v2; v0 is only ControlledShutdown v0, which this layer does not serve).
 *
 * @example
 * ```ts
 * const header: RequestHeader = { apiKey: 3, apiVersion: 9, correlationId: 1, clientId: 'app' }
 * ```
 */
export interface RequestHeader {
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
  /** Null when the client sent a null string. */
  readonly clientId: string | null
}

function isFlexible(api: ApiInfo, apiVersion: number): boolean {
  return api.flexibleFrom !== null && apiVersion >= api.flexibleFrom
}

/**
 * The request header version for an API version: 2 (with tagged fields) in flexible versions, else 1.
 *
 * @example
 * ```ts
 * requestHeaderVersion(3, 9) // 2
 * ```
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 1 | 2 {
  const api = apiInfo(apiKey)
  return api !== undefined && isFlexible(api, apiVersion) ? 2 : 1
}

/**
 * The response header version: 1 (with tagged fields) in flexible versions, else 0 — and always 0 for
 * ApiVersions, so a client can read the answer before it knows which versions the broker speaks.
 *
 * @example
 * ```ts
 * responseHeaderVersion(18, 3) // 0
 * ```
 */
export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  const api = apiInfo(apiKey)
  if (api === undefined || api.name === 'ApiVersions') return 0
  return isFlexible(api, apiVersion) ? 1 : 0
}

/** Skips a tagged-field section: no header tagged field is defined for requests or responses. */
function skipTaggedFields(reader: Reader): void {
  const count = reader.uvarint()
  for (let i = 0; i < count; i++) {
    reader.uvarint()
    reader.skip(reader.uvarint(), 'header tagged field')
  }
}

/**
 * Reads a request header. The client id is a nullable int16-length string even in header v2 (Kafka
 * keeps it non-compact for compatibility). Unknown keys and unsupported versions throw
 * `ProtocolError` with the header read so far; for an unsupported ApiVersions version the whole
 * header is read so the server can answer with the v0 fallback.
 *
 * @example
 * ```ts
 * const header = readRequestHeader(new Reader(frame))
 * ```
 */
export function readRequestHeader(reader: Reader): RequestHeader {
  const apiKey = reader.int16()
  const apiVersion = reader.int16()
  const api = apiInfo(apiKey)
  if (api === undefined) {
    throw new ProtocolError('unknown-api', `Unknown API key ${apiKey}`, { header: { apiKey, apiVersion } })
  }
  const correlationId = reader.int32()
  const clientIdLength = reader.int16()
  if (clientIdLength < -1) throw new ProtocolError('malformed', `Bad client id length ${clientIdLength}`)
  const clientId = clientIdLength === -1 ? null : reader.utf8(clientIdLength)
  // A version above the range still says whether the client used header v2: flexible ranges are open.
  if (isFlexible(api, apiVersion)) skipTaggedFields(reader)
  const header = { apiKey, apiVersion, correlationId, clientId }
  if (apiVersion < api.minVersion || apiVersion > api.maxVersion) {
    throw new ProtocolError(
      'unsupported-version',
      `${api.name} version ${apiVersion} is not supported (${api.minVersion}-${api.maxVersion})`,
      { header },
    )
  }
  return header
}

/**
 * Writes a request header (v1 or v2 as the API version asks).
 *
 * @example
 * ```ts
 * writeRequestHeader(writer, { apiKey: 3, apiVersion: 9, correlationId: 1, clientId: 'app' })
 * ```
 */
export function writeRequestHeader(writer: Writer, header: RequestHeader): void {
  writer.int16(header.apiKey)
  writer.int16(header.apiVersion)
  writer.int32(header.correlationId)
  if (header.clientId === null) writer.int16(-1)
  else {
    const n = Buffer.byteLength(header.clientId)
    writer.int16(n)
    writer.utf8(header.clientId, n)
  }
  if (requestHeaderVersion(header.apiKey, header.apiVersion) === 2) writer.uvarint(0)
}

/**
 * Writes a response header: the correlation id, plus an empty tagged-field section in v1.
 *
 * @example
 * ```ts
 * writeResponseHeader(writer, 3, 9, 42)
 * ```
 */
export function writeResponseHeader(
  writer: Writer,
  apiKey: number,
  apiVersion: number,
  correlationId: number,
): void {
  writer.int32(correlationId)
  if (responseHeaderVersion(apiKey, apiVersion) === 1) writer.uvarint(0)
}

/**
 * Reads a response header and returns its correlation id.
 *
 * @example
 * ```ts
 * const correlationId = readResponseHeader(reader, 3, 9)
 * ```
 */
export function readResponseHeader(reader: Reader, apiKey: number, apiVersion: number): number {
  const correlationId = reader.int32()
  if (responseHeaderVersion(apiKey, apiVersion) === 1) skipTaggedFields(reader)
  return correlationId
}

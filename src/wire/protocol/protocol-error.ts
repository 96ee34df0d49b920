import { LogbusError } from '../../index'

/**
 * What went wrong with a frame or a message:
 * - `malformed`: bytes that do not decode (truncated, a length past the end, a bad varint);
 * - `oversize-frame`: a size prefix above the limit, or negative;
 * - `unknown-api`: an API key this protocol layer does not know;
 * - `unsupported-version`: a known API at a version outside its range;
 * - `unencodable`: a value that cannot be written at the asked version (a server-side bug).
 *
 * @example
 * ```ts
 * const kind: ProtocolErrorKind = 'malformed'
 * ```
 */
export type ProtocolErrorKind =
  | 'malformed'
  | 'oversize-frame'
  | 'unknown-api'
  | 'unsupported-version'
  | 'unencodable'

/**
 * The request header as far as it could be read before the error; the server needs it to answer an
 * unsupported ApiVersions request with Kafka's v0 fallback.
 *
 * @example
 * ```ts
 * const seen: PartialRequestHeader = { apiKey: 18, apiVersion: 9, correlationId: 1, clientId: 'app' }
 * ```
 */
export interface PartialRequestHeader {
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId?: number
  readonly clientId?: string | null
}

/**
 * Bytes from the wire that are not a valid Kafka frame or message, or a value that cannot be encoded.
 * Its `code` is Kafka's `INVALID_REQUEST` (42), or `UNSUPPORTED_VERSION` (35) for a version outside the
 * supported range. A server closes the one connection that sent it (as Kafka does), except for the
 * ApiVersions fallback, where `header` says what to answer.
 *
 * @example
 * ```ts
 * try {
 *   decodeRequest(frame)
 * } catch (err) {
 *   if (err instanceof ProtocolError && err.kind === 'unsupported-version' && err.header?.apiKey === 18) {
 *     socket.write(encodeApiVersionsFallback(err.header.correlationId ?? 0))
 *   } else socket.destroy()
 * }
 * ```
 */
export class ProtocolError extends LogbusError {
  override readonly name = 'ProtocolError'
  readonly kind: ProtocolErrorKind
  readonly header: PartialRequestHeader | undefined

  constructor(
    kind: ProtocolErrorKind,
    message: string,
    options?: { header?: PartialRequestHeader; cause?: unknown },
  ) {
    super(
      kind === 'unsupported-version' ? 'UNSUPPORTED_VERSION' : 'INVALID_REQUEST',
      message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    )
    this.kind = kind
    this.header = options?.header
  }
}

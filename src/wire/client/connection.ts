import { connect, isIP, type Socket } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { ClosedError, InvalidConfigError, type LogbusError, TimeoutError } from '../../index'
import {
  type ApiKeyNumber,
  ApiKeys,
  type ApiName,
  apiInfo,
  DEFAULT_MAX_FRAME_BYTES,
  decodeResponse,
  encodeRequest,
  FrameReader,
  KafkaErrors,
  ProtocolError,
  type RequestInput,
  type ResponseBody,
} from '../protocol'
import type { SaslMechanism } from '../sasl/mechanism'
import { AuthenticationError, NetworkError, throwIfError } from './broker-error'
import { type ApiVersionRange, CLIENT_API_VERSIONS, negotiateVersions, versionFor } from './negotiation'
import type { SaslExchange } from './sasl-authenticator'

/**
 * TLS settings of a connection (Kafka's `ssl.*`): `node:tls`'s client options — `ca` (the certificates
 * to trust instead of Node's bundled ones), `cert` and `key` (a client certificate, for brokers that
 * require one), `passphrase`, `servername`, `rejectUnauthorized`, `checkServerIdentity`, `minVersion`, …
 * Host names are checked as Kafka's `ssl.endpoint.identification.algorithm=https` does; pass
 * `checkServerIdentity: () => undefined` to skip that check (its empty value) and keep the chain's.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 *
 * const tls: TlsSettings = { ca: [readFileSync('ca.pem')], servername: 'kafka.internal' }
 * ```
 */
export type TlsSettings = Omit<ConnectionOptions, 'host' | 'port' | 'path' | 'socket' | 'timeout'>

/**
 * How a connection logs in (Kafka's `sasl.mechanism` and the JAAS config's user and password).
 *
 * @example
 * ```ts
 * const sasl: SaslCredentials = { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' }
 * ```
 */
export interface SaslCredentials {
  mechanism: SaslMechanism
  username: string
  password: string
}

/**
 * Where and how to connect to one broker.
 *
 * @example
 * ```ts
 * const options: BrokerConnectionOptions = { host: '127.0.0.1', port: 9092, clientId: 'tools' }
 * ```
 */
export interface BrokerConnectionOptions {
  host: string
  port: number
  /** The client id in every request header (Kafka's `client.id`); default `logbus`. */
  clientId?: string
  /** How long connecting may take; default 10 000 ms. */
  connectTimeoutMs?: number
  /** How long a request may wait for its response (Kafka's `request.timeout.ms`); default 30 000 ms. */
  requestTimeoutMs?: number
  /** The largest response frame accepted; default 100 MiB. */
  maxFrameBytes?: number
  /**
   * The highest version to use of some APIs, below what both sides speak (a broker known to mishandle a
   * newer version; tests of older versions). An API capped below what the client needs is not used.
   */
  maxVersions?: Partial<Record<ApiName, number>>
  /**
   * TLS (Kafka's SSL and SASL_SSL): `true` trusts Node's bundled certificate authorities, settings
   * choose others. Default: plain TCP.
   */
  tls?: true | TlsSettings
  /**
   * SASL (Kafka's SASL_PLAINTEXT, and SASL_SSL with `tls`): every connection logs in after ApiVersions
   * with SaslHandshake v1 and SaslAuthenticate, and again before a session the broker limits ends
   * (KIP-368). Default: none.
   */
  sasl?: SaslCredentials
}

/**
 * Options of one request: a version cap (for a caller that needs an older version, e.g. names rather
 * than topic ids) and a longer timeout (for a long poll).
 *
 * @example
 * ```ts
 * const options: SendOptions = { maxVersion: 12, timeoutMs: 35_000 }
 * ```
 */
export interface SendOptions {
  maxVersion?: number
  timeoutMs?: number
}

/**
 * A response and the version it was asked at (fields differ between versions).
 *
 * @example
 * ```ts
 * const { version, body } = await connection.send(ApiKeys.ListGroups, () => ({}))
 * ```
 */
export interface Answer<K extends ApiKeyNumber> {
  version: number
  body: ResponseBody<K>
}

/** A SASL login of the connection, resolving with the session's lifetime in ms (0: none). */
type Login = (exchange: SaslExchange) => Promise<number>

interface Pending {
  apiKey: ApiKeyNumber
  version: number
  resolve(body: unknown): void
  reject(error: LogbusError): void
  timer: NodeJS.Timeout
}

const SOFTWARE_NAME = 'logbus'
/** Kafka's Java client sends "unknown" when it cannot tell its version either. */
const SOFTWARE_VERSION = 'unknown'

/**
 * One TCP connection to one Kafka broker: requests framed with a correlation id each, any number in
 * flight (the broker answers them in order), each with a timeout. On open it asks the broker's
 * ApiVersions — at the highest version this client knows, again at the broker's highest if the broker
 * answers UNSUPPORTED_VERSION — and from then on `send` uses, per API, the highest version both sides
 * speak. A broken connection fails every request in flight with a `NetworkError` and every later one;
 * a request timeout closes the connection, as Kafka's clients do (later answers could not be matched).
 * With `tls` the connection is TLS from its first byte; with `sasl` it logs in before `open` resolves
 * (PLAIN, or SCRAM-SHA-256/512 with the server's signature checked), and again before a session the
 * broker limits ends, holding other requests back meanwhile. A failed login or TLS handshake is an
 * `AuthenticationError`, and the connection is closed.
 *
 * @example
 * ```ts
 * import { ApiKeys, BrokerConnection } from 'logbus/wire'
 *
 * const connection = await BrokerConnection.open({ host: '127.0.0.1', port: 9092 })
 * const { body } = await connection.send(ApiKeys.ListGroups, () => ({}))
 * console.log(body.groups.map((g) => g.groupId))
 * await connection.close()
 * ```
 */
export class BrokerConnection {
  /** `host:port` (IPv6 hosts in brackets), as errors name the broker. */
  readonly address: string
  readonly #socket: Socket
  readonly #frames: FrameReader
  readonly #clientId: string
  readonly #requestTimeoutMs: number
  readonly #maxVersions: Partial<Record<ApiName, number>>
  readonly #pending = new Map<number, Pending>()
  #nextCorrelationId = 0
  #failure: LogbusError | undefined
  #closed: Promise<void>
  #brokerApis: readonly ApiVersionRange[] = []
  #versions = new Map<number, number>()
  readonly #login: Login | undefined
  /** While a login runs again, other requests wait: the broker reads the frame after each step as the next. */
  #reauthenticating: Promise<void> | undefined
  #reauthenticationTimer: NodeJS.Timeout | undefined

  private constructor(
    socket: Socket,
    address: string,
    options: BrokerConnectionOptions,
    login: Login | undefined,
  ) {
    this.#socket = socket
    this.#login = login
    this.address = address
    this.#clientId = options.clientId ?? 'logbus'
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.#maxVersions = options.maxVersions ?? {}
    this.#frames = new FrameReader({ maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES })
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.#fail(
        isTlsFailure(error)
          ? new AuthenticationError(
              'SSL_AUTHENTICATION_FAILED',
              `TLS with ${address} failed: ${error.message}`,
              { cause: error },
            )
          : new NetworkError(address, `Connection to ${address} failed: ${reasonOf(error)}`, {
              cause: error,
            }),
      ),
    )
    socket.on('close', () =>
      this.#fail(new NetworkError(address, `Connection to ${address} was closed by the broker`)),
    )
  }

  /**
   * Connects and negotiates versions; a `NetworkError` when the broker cannot be reached, a
   * `ProtocolError` when it does not speak a version of ApiVersions this client reads.
   */
  static async open(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    const address = formatAddress(options.host, options.port)
    // Loaded only for a connection that logs in: SCRAM needs node:crypto, which plain TCP does not.
    const login =
      options.sasl === undefined ? undefined : (await import('./sasl-authenticator')).saslLogin(options.sasl)
    const timeoutMs = options.connectTimeoutMs ?? 10_000
    const socket = await connectSocket(options.host, options.port, address, timeoutMs, options.tls)
    const connection = new BrokerConnection(socket, address, options, login)
    try {
      await connection.#negotiate()
      await connection.#logIn()
    } catch (error) {
      await connection.close()
      throw error
    }
    return connection
  }

  /** The APIs and versions the broker listed in its ApiVersions response. */
  get brokerApiVersions(): readonly ApiVersionRange[] {
    return this.#brokerApis
  }

  /** Whether the connection still works (not closed, not broken). */
  get usable(): boolean {
    return this.#failure === undefined
  }

  /**
   * The version `send` uses for an API (at most `max`); `ProtocolError('unsupported-version')` when the
   * broker and this client share none.
   */
  version(apiKey: ApiKeyNumber, max?: number): number {
    return versionFor(this.#versions, this.#brokerApis, apiKey, this.address, max)
  }

  /** Whether the broker speaks an API at a version this client writes (at most `max`). */
  supports(apiKey: ApiKeyNumber, max?: number): boolean {
    try {
      this.version(apiKey, max)
      return true
    } catch {
      return false
    }
  }

  /**
   * Sends one request at the negotiated version (`build` makes its body for that version) and resolves
   * with the response. Error codes in the body are the caller's to read.
   */
  async send<K extends ApiKeyNumber>(
    apiKey: K,
    build: (version: number) => RequestInput<K>,
    options: SendOptions = {},
  ): Promise<Answer<K>> {
    while (this.#reauthenticating !== undefined) await this.#reauthenticating
    return this.#send(apiKey, build, options)
  }

  async #send<K extends ApiKeyNumber>(
    apiKey: K,
    build: (version: number) => RequestInput<K>,
    options: SendOptions = {},
  ): Promise<Answer<K>> {
    const version = this.version(apiKey, options.maxVersion)
    const body = await this.#request(apiKey, version, build(version), options.timeoutMs)
    return { version, body: body as ResponseBody<K> }
  }

  /** Closes the connection (idempotent); requests in flight fail with `ClosedError`. */
  close(): Promise<void> {
    this.#fail(new ClosedError(`The connection to ${this.address}`))
    return this.#closed
  }

  /**
   * Logs in (with `sasl`), and when the broker gives the session a lifetime (Kafka's
   * connections.max.reauth.ms), logs in again on the same connection before it ends, as Kafka's
   * clients do (KIP-368): at a random point between 85% and 95% of it. A failed login again breaks
   * the connection with its error.
   */
  async #logIn(): Promise<void> {
    if (this.#login === undefined) return
    const lifetimeMs = await this.#login({
      address: this.address,
      send: (apiKey, build, options) => this.#send(apiKey, build, options),
    })
    if (lifetimeMs <= 0 || this.#failure !== undefined) return
    this.#reauthenticationTimer = setTimeout(
      () => {
        this.#reauthenticating = this.#logIn()
          .catch((error: unknown) => this.#fail(error as LogbusError))
          .finally(() => {
            this.#reauthenticating = undefined
          })
      },
      lifetimeMs * (0.85 + 0.1 * Math.random()),
    )
    // An open connection does not keep the process alive on its own account.
    this.#reauthenticationTimer.unref()
  }

  async #negotiate(): Promise<void> {
    const ours = CLIENT_API_VERSIONS.find((api) => api.apiKey === ApiKeys.ApiVersions)!
    let version = Math.min(ours.maxVersion, this.#maxVersions.ApiVersions ?? ours.maxVersion)
    for (let attempt = 0; ; attempt++) {
      const body = (await this.#request(
        ApiKeys.ApiVersions,
        version,
        version >= 3 ? { clientSoftwareName: SOFTWARE_NAME, clientSoftwareVersion: SOFTWARE_VERSION } : {},
      )) as ResponseBody<18>
      const theirs = body.apiKeys.find((api) => api.apiKey === ApiKeys.ApiVersions)
      if (body.errorCode === KafkaErrors.UNSUPPORTED_VERSION && attempt === 0 && theirs !== undefined) {
        // The broker answered in v0 with its own range: ask again at the highest it speaks.
        version = Math.min(version, theirs.maxVersion)
        continue
      }
      throwIfError(body.errorCode)
      this.#brokerApis = body.apiKeys.map(({ apiKey, minVersion, maxVersion }) => ({
        apiKey,
        minVersion,
        maxVersion,
      }))
      this.#versions = negotiateVersions(this.#brokerApis, capped(CLIENT_API_VERSIONS, this.#maxVersions))
      return
    }
  }

  #request(
    apiKey: ApiKeyNumber,
    version: number,
    body: unknown,
    timeoutMs = this.#requestTimeoutMs,
  ): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    this.#nextCorrelationId = (this.#nextCorrelationId + 1) & 0x7fffffff
    const correlationId = this.#nextCorrelationId
    const frame = encodeRequest(
      { apiKey, apiVersion: version, correlationId, clientId: this.#clientId },
      body as never,
    )
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const name = apiInfo(apiKey)?.name ?? `API ${apiKey}`
        this.#fail(new TimeoutError(`${this.address} did not answer ${name} within ${timeoutMs} ms`))
      }, timeoutMs)
      // The socket keeps the process alive while a request is out; the timer must not on its own.
      timer.unref()
      this.#pending.set(correlationId, { apiKey, version, resolve, reject, timer })
      this.#socket.write(frame)
    })
  }

  #onData(chunk: Buffer): void {
    let frames: Buffer[]
    try {
      frames = this.#frames.push(chunk)
    } catch (error) {
      this.#fail(error as LogbusError)
      return
    }
    for (const frame of frames) {
      const correlationId = frame.length >= 4 ? frame.readInt32BE(0) : -1
      const pending = this.#pending.get(correlationId)
      if (pending === undefined) {
        this.#fail(
          new ProtocolError(
            'malformed',
            `${this.address} answered a request it was not sent (${correlationId})`,
          ),
        )
        return
      }
      this.#pending.delete(correlationId)
      clearTimeout(pending.timer)
      try {
        pending.resolve(decodeBody(pending.apiKey, pending.version, frame))
      } catch (error) {
        // A response that does not decode leaves the stream in doubt: nothing after it is trusted.
        pending.reject(error as LogbusError)
        this.#fail(error as LogbusError)
        return
      }
    }
  }

  /** The first failure wins: it fails what is in flight and everything after it. */
  #fail(error: LogbusError): void {
    if (this.#failure !== undefined) return
    this.#failure = error
    clearTimeout(this.#reauthenticationTimer)
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer)
      pending.reject(error)
    }
    this.#pending.clear()
    this.#socket.destroy()
  }
}

/** The client's ranges with the caps applied. */
function capped(
  client: readonly ApiVersionRange[],
  caps: Partial<Record<ApiName, number>>,
): ApiVersionRange[] {
  return client.map((api) => {
    const cap = caps[apiInfo(api.apiKey)!.name]
    return cap === undefined ? api : { ...api, maxVersion: Math.min(api.maxVersion, cap) }
  })
}

/**
 * A response body. ApiVersions is special: a broker that does not speak the version asked answers in
 * v0 with UNSUPPORTED_VERSION (Kafka's rule), so its error code is read first to pick the version to
 * decode with.
 */
function decodeBody(apiKey: ApiKeyNumber, version: number, frame: Buffer): unknown {
  if (apiKey === ApiKeys.ApiVersions && version > 0 && frame.length >= 6) {
    if (frame.readInt16BE(4) === KafkaErrors.UNSUPPORTED_VERSION) return decodeResponse(apiKey, 0, frame).body
  }
  return decodeResponse(apiKey, version, frame).body
}

/**
 * A TCP connection, or with `tls` a TLS one once its handshake is done: the broker's certificate
 * checked against `ca` (or Node's bundled authorities) and, unless `checkServerIdentity` says
 * otherwise, against the host name. A handshake that fails is an `AuthenticationError`
 * (SSL_AUTHENTICATION_FAILED), as Kafka's clients throw SslAuthenticationException; settings Node
 * refuses (a key that is not PEM) an InvalidConfigError. A failure is reported once the socket is
 * closed: nothing of it is left.
 */
async function connectSocket(
  host: string,
  port: number,
  address: string,
  timeoutMs: number,
  tls: true | TlsSettings | undefined,
): Promise<Socket> {
  // node:tls only for a TLS connection: loading it is a measurable part of the CLI's start-up.
  const secure = tls === undefined ? undefined : (await import('node:tls')).connect
  return new Promise((resolve, reject) => {
    let socket: Socket
    try {
      socket =
        secure === undefined
          ? connect({ host, port })
          : // SNI carries a host name, never an address (RFC 6066).
            secure({
              ...(isIP(host) === 0 ? { servername: host } : {}),
              ...(tls === true ? {} : tls),
              host,
              port,
            })
    } catch (error) {
      reject(new InvalidConfigError('tls', (error as Error).message))
      return
    }
    const fail = (error: LogbusError) => {
      clearTimeout(timer)
      socket.once('close', () => reject(error))
      socket.destroy()
    }
    const timer = setTimeout(
      () => fail(new NetworkError(address, `Cannot connect to ${address}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    )
    let tcpUp = false
    socket.once('connect', () => {
      tcpUp = true
    })
    socket.once(secure === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer)
      socket.removeAllListeners('error')
      socket.setNoDelay(true)
      resolve(socket)
    })
    socket.once('error', (error: NodeJS.ErrnoException) =>
      // Once TCP is up, whatever ends the handshake is TLS's failure, a reset too: a broker that does
      // not speak TLS on the port closes the connection on the ClientHello, which it reads as a frame.
      fail(
        secure !== undefined && (tcpUp || isTlsFailure(error))
          ? new AuthenticationError(
              'SSL_AUTHENTICATION_FAILED',
              `TLS handshake with ${address} failed: ${tlsReasonOf(error)}`,
              { cause: error },
            )
          : new NetworkError(address, `Cannot connect to ${address}: ${reasonOf(error)}`, { cause: error }),
      ),
    )
  })
}

/** Errors of TLS itself (OpenSSL's, certificate checks), as opposed to the network's. */
function isTlsFailure(error: NodeJS.ErrnoException): boolean {
  const code = error.code ?? ''
  return (
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED)/.test(
      code,
    )
  )
}

/** Why a handshake failed, in a few words where Node's are cryptic. */
function tlsReasonOf(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
    return 'the broker closed the connection (does it speak TLS on this port? does it want a client certificate?)'
  }
  return error.message
}

/** A socket error in a few words. */
function reasonOf(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ECONNRESET':
      return 'connection reset'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host'
    case 'ETIMEDOUT':
      return 'timed out'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable'
    default:
      return error.message
  }
}

/**
 * `host:port`, with an IPv6 host in brackets.
 *
 * @example
 * ```ts
 * formatAddress('::1', 9092) // '[::1]:9092'
 * ```
 */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

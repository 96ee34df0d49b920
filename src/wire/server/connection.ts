import type { Socket } from 'node:net'
import {
  ApiKeys,
  type DecodedRequest,
  decodeRequest,
  encodeApiVersionsFallback,
  encodeResponseChunks,
  FRAME_PREFIX_BYTES,
  FrameReader,
  ProtocolError,
} from '../protocol'
import { type Broker, type Handler, NO_RESPONSE, type RequestContext, type Session } from './context'
import { ADVERTISED_APIS, isAdvertised } from './versions'

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly broker: Broker
  handler(apiKey: number): Handler<never> | undefined
  /** Runs a raw SASL token (after SaslHandshake v0); resolves with the reply, or rejects to close. */
  rawSasl(token: Buffer, session: Session): Promise<Buffer>
  closed(connection: Connection): void
}

/** APIs a connection may call before it authenticated, when SASL is on. */
const BEFORE_AUTH = new Set<number>([ApiKeys.ApiVersions, ApiKeys.SaslHandshake, ApiKeys.SaslAuthenticate])

/** One request between its arrival and its response being written. */
interface Pending {
  /** The response frame's pieces, or null for none (acks=0). */
  response: Promise<Buffer[] | null>
}

/**
 * One client connection: frames in, requests handled (up to `maxInFlightRequestsPerConnection` at
 * once, started in arrival order), responses written in request order as Kafka's protocol requires.
 * Reading pauses while the in-flight limit is reached or the socket's write buffer is full (a slow
 * reader), so a connection holds a bounded number of requests and responses. A malformed or oversized
 * frame, a request for an API or version the server does not answer, or anything but the SASL
 * exchange before authentication closes the connection, with the reason logged.
 */
export class Connection {
  readonly #socket: Socket
  readonly #host: ConnectionHost
  readonly #frames: FrameReader
  readonly #queue: Pending[] = []
  readonly #abort = new AbortController()
  readonly session: Session
  #inFlight = 0
  #writing = false
  #closed = false
  #idleTimer: NodeJS.Timeout | undefined
  /** Resolves once no request is in flight (what an ordered close waits for). */
  #drained: (() => void) | undefined

  constructor(socket: Socket, host: ConnectionHost) {
    this.#socket = socket
    this.#host = host
    const options = host.broker.options
    this.#frames = new FrameReader({ maxFrameBytes: options.maxRequestBytes })
    this.session = {
      principal: 'User:ANONYMOUS',
      authenticated: options.sasl === undefined,
      mechanism: undefined,
      rawSasl: false,
      scram: undefined,
      clientHost: socket.remoteAddress ?? '',
    }
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('drain', () => this.#resumeIfReady())
    socket.on('end', () => {
      try {
        this.#frames.end()
      } catch (error) {
        this.#log('closed inside a frame', error)
      }
      this.#socket.end()
    })
    socket.on('error', () => this.close())
    socket.on('close', () => this.close())
    this.#touch()
  }

  /** Stops reading; resolves once the requests in flight are answered (what a server close waits for). */
  finish(): Promise<void> {
    this.#socket.pause()
    if (this.#queue.length === 0 || this.#closed) return Promise.resolve()
    return new Promise((resolve) => {
      this.#drained = resolve
    })
  }

  /** Closes the connection now; requests in flight are abandoned. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#idleTimer)
    this.#abort.abort()
    this.#socket.destroy()
    this.#drained?.()
    this.#host.closed(this)
  }

  #log(reason: string, error?: unknown): void {
    this.#host.broker.options.logger.warn(`connection from ${this.session.clientHost} ${reason}`, {
      error: error instanceof Error ? error.message : error,
    })
  }

  /** The idle clock restarts on every whole request and every response, never on stray bytes. */
  #touch(): void {
    clearTimeout(this.#idleTimer)
    this.#idleTimer = setTimeout(() => {
      this.#log('closed: idle')
      this.close()
    }, this.#host.broker.options.idleTimeoutMs)
    this.#idleTimer.unref()
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return
    let frames: Buffer[]
    try {
      frames = this.#frames.push(chunk)
    } catch (error) {
      this.#log('closed: bad frame', error)
      this.close()
      return
    }
    for (const frame of frames) {
      if (this.#closed) return
      this.#touch()
      this.#accept(frame)
    }
    this.#resumeIfReady()
  }

  #accept(frame: Buffer): void {
    if (this.session.rawSasl) {
      this.session.rawSasl = false
      this.#enqueue(
        this.#host.rawSasl(frame, this.session).then((reply) => {
          const size = Buffer.allocUnsafe(FRAME_PREFIX_BYTES)
          size.writeInt32BE(reply.length, 0)
          return [size, reply]
        }),
      )
      return
    }
    let request: DecodedRequest
    try {
      request = decodeRequest(frame)
    } catch (error) {
      const header = error instanceof ProtocolError ? error.header : undefined
      if (header?.apiKey === ApiKeys.ApiVersions && error instanceof ProtocolError) {
        // A newer ApiVersions than ours: answer v0 with our ranges, so the client retries lower.
        this.#enqueue(
          Promise.resolve([encodeApiVersionsFallback(header.correlationId ?? 0, [...ADVERTISED_APIS])]),
        )
        return
      }
      this.#log('closed: undecodable request', error)
      this.close()
      return
    }
    const { apiKey, apiVersion, header } = request
    if (!isAdvertised(apiKey, apiVersion)) {
      if (apiKey === ApiKeys.ApiVersions) {
        this.#enqueue(
          Promise.resolve([encodeApiVersionsFallback(header.correlationId, [...ADVERTISED_APIS])]),
        )
        return
      }
      this.#log(`closed: unsupported API ${apiKey} v${apiVersion}`)
      this.close()
      return
    }
    if (!this.session.authenticated && !BEFORE_AUTH.has(apiKey)) {
      this.#log(`closed: API ${apiKey} before SASL authentication`)
      this.close()
      return
    }
    const handler = this.#host.handler(apiKey)
    if (handler === undefined) {
      this.#log(`closed: no handler for API ${apiKey}`)
      this.close()
      return
    }
    const context: RequestContext = {
      broker: this.#host.broker,
      session: this.session,
      apiVersion,
      header,
      signal: this.#abort.signal,
    }
    const response = (async () => {
      const body = await (handler as Handler<typeof apiKey>)(request.body as never, context)
      if (body === NO_RESPONSE) return null
      return encodeResponseChunks(apiKey, apiVersion, header.correlationId, body as never)
    })()
    this.#enqueue(response)
  }

  #enqueue(response: Promise<Buffer[] | null>): void {
    this.#inFlight++
    const pending: Pending = { response }
    this.#queue.push(pending)
    response.then(
      () => this.#flush(),
      (error: unknown) => {
        this.#host.broker.options.logger.error('request failed; closing its connection', {
          error: error instanceof Error ? error.stack : error,
        })
        this.close()
      },
    )
  }

  /** Writes the responses that are ready, in request order. */
  async #flush(): Promise<void> {
    if (this.#writing) return
    this.#writing = true
    try {
      while (!this.#closed && this.#queue.length > 0) {
        const head = this.#queue[0]!
        const settled = await Promise.race([head.response, NOT_YET])
        if (settled === NOT_YET_VALUE) break
        this.#queue.shift()
        this.#inFlight--
        const chunks = settled as Buffer[] | null
        if (chunks !== null) {
          this.#socket.cork()
          for (const chunk of chunks) this.#socket.write(chunk)
          this.#socket.uncork()
          this.#touch()
        }
      }
    } catch {
      // The head failed: its rejection handler closes the connection.
    } finally {
      this.#writing = false
    }
    if (this.#queue.length === 0) {
      const drained = this.#drained
      this.#drained = undefined
      drained?.()
    }
    this.#resumeIfReady()
  }

  #resumeIfReady(): void {
    if (this.#closed || this.#drained !== undefined) return
    const full =
      this.#inFlight >= this.#host.broker.options.maxInFlightRequestsPerConnection ||
      this.#socket.writableNeedDrain
    if (full) this.#socket.pause()
    else this.#socket.resume()
  }
}

const NOT_YET_VALUE = Symbol('not yet')
/** Settles after any already-settled promise raced against it: a cheap "is it done?" probe. */
const NOT_YET = Promise.resolve(NOT_YET_VALUE)

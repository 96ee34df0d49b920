import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { type Bus, ClosedError, InvalidConfigError } from '../index'
import { ConsoleService } from './console/console-service'
import { JSON_TYPE, sendError, V2_JSON } from './http-io'
import { busRegistry, PROMETHEUS_CONTENT_TYPE } from './metrics/prometheus'
import { type HttpOptions, httpOptionsSchema, type ResolvedHttpOptions } from './options'
import type { RestContext } from './rest/rest-context'
import { TurnAppender } from './rest/turn-appender'
import { V2Consumers } from './rest/v2-consumers'
import { addV2TopicRoutes } from './rest/v2-topics'
import { addGroupRoutes } from './rest/v3-groups'
import { addRecordRoutes } from './rest/v3-records'
import { addTopicRoutes } from './rest/v3-topics'
import { RestError, restErrorOf } from './rest-error'
import { type RouteContext, Router, requestPath } from './router'
import { authenticate, checkRequestOrigin, isLoopback, TOKEN_COOKIE } from './security'

/**
 * A running HTTP server of a bus: the web console, Confluent's REST Proxy API and Prometheus metrics.
 * Closed by `close()`, and when its bus closes.
 *
 * @example
 * ```ts
 * const server = await serveHttp(bus, { port: 0 })
 * console.log(server.url) // http://127.0.0.1:43817
 * await server.close()
 * ```
 */
export class HttpServer {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  readonly #cleanups: Array<() => Promise<void> | void> = []
  #closing: Promise<void> | undefined
  /** Kept from when it listened: `address()` is null once closed, and the URL still names it. */
  #address: AddressInfo | undefined

  /** @internal Use `serveHttp`. */
  constructor(server: Server) {
    this.#server = server
    server.once('listening', () => {
      this.#address = server.address() as AddressInfo
    })
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
  }

  /**
   * The port it listens on (the one picked, with `port: 0`).
   *
   * @example
   * ```ts
   * console.log(server.port)
   * ```
   */
  get port(): number {
    return this.#address?.port ?? 0
  }

  /**
   * The address it listens on.
   *
   * @example
   * ```ts
   * console.log(server.host) // '127.0.0.1'
   * ```
   */
  get host(): string {
    return this.#address?.address ?? ''
  }

  /**
   * The server's base URL, e.g. `http://127.0.0.1:8080` (IPv6 addresses in brackets).
   *
   * @example
   * ```ts
   * const clusters = await fetch(`${server.url}/v3/clusters`).then((r) => r.json())
   * ```
   */
  get url(): string {
    const host = this.host
    const name =
      host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host
    return `http://${name}:${this.port}`
  }

  /**
   * Open connections, what `logbus_open_connections{listener="http"}` reports.
   *
   * @example
   * ```ts
   * console.log(server.connections)
   * ```
   */
  get connections(): number {
    return this.#sockets.size
  }

  /** @internal Runs at close, in reverse order of registration. */
  onClose(cleanup: () => Promise<void> | void): void {
    this.#cleanups.push(cleanup)
  }

  /**
   * Stops listening, ends live tails, closes REST consumer instances (committing as they do) and every
   * connection. Idempotent; the bus stays open.
   *
   * @example
   * ```ts
   * await server.close()
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()))
      for (const cleanup of this.#cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined)
      this.#server.closeIdleConnections()
      for (const socket of this.#sockets) socket.destroy()
      await stopped
    })()
    return this.#closing
  }

  /**
   * Same as `close()`, for `await using` (Node 22+).
   *
   * @example
   * ```ts
   * await server[Symbol.asyncDispose]()
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

function resolveOptions(options: HttpOptions | undefined): ResolvedHttpOptions {
  const result = httpOptionsSchema.safeParse(options ?? {}, { jitless: true })
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const path = [...issue.path, ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])].join('.')
  throw new InvalidConfigError(`http${path === '' ? '' : `.${path}`}`, issue.message)
}

/**
 * A request as a route gets it. A class, so that its lazy `url` is a getter of the prototype: an object
 * literal with a getter of its own costs several times the memory of a plain one, per request.
 */
class RouteRequest implements RouteContext {
  readonly #target: string
  #url: URL | undefined

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    target: string,
    readonly params: Readonly<Record<string, string>>,
  ) {
    this.#target = target
  }

  get url(): URL {
    this.#url ??= new URL(this.#target, 'http://localhost')
    return this.#url
  }
}

/**
 * Serves a bus over HTTP, in this process: the web console at `/`, Confluent's REST Proxy API (v3
 * under `/v3`, v2 consumers under `/consumers`, v2 produce under `/topics`) and Prometheus metrics at
 * `/metrics`. Listens on loopback (`127.0.0.1:8080`) unless told otherwise; see `HttpOptions` for auth
 * and limits. Resolves once listening.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { serveHttp } from 'logbus/http'
 *
 * const bus = await Bus.open()
 * const server = await serveHttp(bus, { port: 8080, auth: { token: 'secret' } })
 * console.log(`console at ${server.url}/?token=secret`)
 * ```
 */
export async function serveHttp(bus: Bus, options?: HttpOptions): Promise<HttpServer> {
  const resolved = resolveOptions(options)
  bus.listTopics() // a closed bus throws ClosedError here, before anything listens
  const router = new Router()
  const producer = bus.producer()
  const restContext: RestContext = { bus, producer, appender: new TurnAppender(), options: resolved }
  let consumers: V2Consumers | undefined
  if (resolved.rest) {
    addTopicRoutes(router, restContext)
    addRecordRoutes(router, restContext)
    addGroupRoutes(router, restContext)
    addV2TopicRoutes(router, restContext)
    consumers = new V2Consumers(restContext)
    consumers.addRoutes(router)
  }
  if (resolved.metrics) {
    const registry = busRegistry(bus)
    router.add('GET', '/metrics', async ({ res }) => {
      const text = await registry.metrics()
      res.writeHead(200, {
        'content-type': PROMETHEUS_CONTENT_TYPE,
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
      })
      res.end(text)
    })
  }
  const consoleService = resolved.console
    ? new ConsoleService(bus, resolved, restContext.producer)
    : undefined
  consoleService?.addRoutes(router)
  const originRules = { loopback: isLoopback(resolved.host), allowedOrigins: resolved.allowedOrigins }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.url ?? '/'
    const path = requestPath(target)
    const v2 = path.startsWith('/consumers') || path.startsWith('/topics')
    try {
      checkRequestOrigin(req, originRules)
      if (path === '/' && loginWithToken(req, res, new URL(target, 'http://localhost'), resolved)) return
      authenticate(req, res, resolved.auth)
      const match = router.match(req.method ?? 'GET', path)
      if (match.kind === 'none') throw new RestError(404, 404, 'HTTP 404 Not Found')
      if (match.kind === 'method') {
        res.setHeader('allow', match.allowed.join(', '))
        throw new RestError(405, 405, 'HTTP 405 Method Not Allowed')
      }
      await match.handler(new RouteRequest(req, res, target, match.params))
    } catch (error) {
      sendError(res, restErrorOf(error, v2 ? 'v2' : 'v3'), v2 ? V2_JSON : JSON_TYPE)
    }
  }

  const server = createServer({ maxHeaderSize: resolved.maxHeaderBytes }, (req, res) => {
    void handle(req, res)
  })
  // A malformed request (or a head over maxHeaderBytes) ends that connection, never the server.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy()
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
  })
  const http = new HttpServer(server)
  http.onClose(() => restContext.producer.close())
  if (consumers !== undefined) http.onClose(() => consumers.close())
  if (consoleService !== undefined) http.onClose(() => consoleService.close())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject)
      resolve()
    })
  }).catch(async (error: unknown) => {
    await http.close()
    throw error
  })
  const stopReporting = bus.reportConnections('http', () => http.connections)
  const stopOnBusClose = bus.on('close', () => void http.close())
  http.onClose(() => {
    stopOnBusClose()
    try {
      stopReporting()
    } catch (error) {
      if (!(error instanceof ClosedError)) throw error
    }
  })
  return http
}

/** `/?token=…` with the right token sets the console's cookie and strips the token from the address. */
function loginWithToken(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  options: ResolvedHttpOptions,
): boolean {
  const token = url.searchParams.get('token')
  if (req.method !== 'GET' || url.pathname !== '/' || token === null) return false
  const auth = options.auth
  if (auth === undefined || !('token' in auth)) return false
  req.headers.authorization = `Bearer ${token}`
  authenticate(req, res, auth)
  res.writeHead(303, {
    location: '/',
    'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
    'cache-control': 'no-store',
  })
  res.end()
  return true
}

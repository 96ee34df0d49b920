import * as z from 'zod'
import type { ConnectWorker } from '../connect'

/**
 * Who may use the server: a bearer token (`Authorization: Bearer <token>`, or the console's cookie,
 * set by opening `/?token=<token>` once), or a user and password (HTTP Basic, which browsers ask for).
 *
 * @example
 * ```ts
 * const auth: HttpAuth = { token: process.env.LOGBUS_TOKEN ?? 'change-me' }
 * const basic: HttpAuth = { username: 'admin', password: 'secret' }
 * ```
 */
export type HttpAuth = { token: string } | { username: string; password: string }

/**
 * Options of `serveHttp`.
 *
 * @example
 * ```ts
 * const options: HttpOptions = { port: 8080, auth: { token: 'secret' }, console: true, rest: true, metrics: true }
 * ```
 */
export interface HttpOptions {
  /** The TCP port; 0 picks a free one (see `server.port`). Default 8080. */
  port?: number
  /** The address to listen on. Default `127.0.0.1` (loopback only): give `0.0.0.0` to listen on every interface. */
  host?: string
  /** Require a token or a user and password on every request. Default: none (fine on loopback). */
  auth?: HttpAuth
  /** Serve the web console at `/`. Default true. */
  console?: boolean
  /** Serve Confluent's REST Proxy API (`/v3/…`, `/v2`'s `/topics` and `/consumers`). Default true. */
  rest?: boolean
  /** Serve Prometheus metrics at `/metrics`. Default true. */
  metrics?: boolean
  /** The cluster id the REST API reports (Confluent's `cluster_id`). Default `'logbus'`. */
  clusterId?: string
  /** The largest request body accepted, in bytes (a streamed produce request counts per record). Default 8 MiB. */
  maxBodyBytes?: number
  /** The largest request head (request line and headers), in bytes. Default 16 KiB. */
  maxHeaderBytes?: number
  /** A REST v2 consumer instance not used for this long is closed (Confluent's `consumer.instance.timeout.ms`). Default 300000. */
  consumerInstanceTimeoutMs?: number
  /** Origins, besides the server's own, whose pages may send mutating requests (`https://admin.example.com`). */
  allowedOrigins?: string[]
  /**
   * A Connect worker (`logbus/connect`) whose connectors and tasks the console shows, read-only, on its
   * Connectors page. Default: none.
   */
  connect?: Pick<ConnectWorker, 'connectors' | 'status'>
}

export const httpOptionsSchema = z.strictObject({
  port: z.number().int().min(0).max(65_535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  auth: z
    .union([
      z.strictObject({ token: z.string().min(1, 'must not be empty') }),
      z.strictObject({
        username: z
          .string()
          .min(1)
          .regex(/^[^:]*$/, 'must not contain ":"'),
        password: z.string(),
      }),
    ])
    .optional(),
  console: z.boolean().default(true),
  rest: z.boolean().default(true),
  metrics: z.boolean().default(true),
  clusterId: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"')
    .default('logbus'),
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .default(8 << 20),
  maxHeaderBytes: z
    .number()
    .int()
    .min(1024)
    .default(16 << 10),
  consumerInstanceTimeoutMs: z.number().int().min(1).default(300_000),
  allowedOrigins: z.array(z.string().url()).default([]),
  connect: z
    .custom<Pick<ConnectWorker, 'connectors' | 'status'>>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as { connectors?: unknown }).connectors === 'function' &&
        typeof (value as { status?: unknown }).status === 'function',
      'must be a ConnectWorker (with connectors() and status(name))',
    )
    .optional(),
})

export type ResolvedHttpOptions = z.output<typeof httpOptionsSchema>

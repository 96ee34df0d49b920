import type { SecureContextOptions, TlsOptions } from 'node:tls'
import * as z from 'zod'
import { InvalidConfigError } from '../../index'
import { SASL_MECHANISMS, type SaslMechanism } from '../sasl/mechanism'
import type { AclRule } from './acl'

/**
 * Where the server reports what happens to connections (a rejected frame, a failed login). Default:
 * warnings and errors to the console; `{ info() {}, warn() {}, error() {} }` keeps it quiet.
 *
 * @example
 * ```ts
 * const logger: WireLogger = { info: () => {}, warn: console.warn, error: console.error }
 * ```
 */
export interface WireLogger {
  info(message: string, details?: Record<string, unknown>): void
  warn(message: string, details?: Record<string, unknown>): void
  error(message: string, details?: Record<string, unknown>): void
}

/**
 * SASL authentication: the users and the mechanisms offered (all three by default). With it, a
 * connection can do nothing but ApiVersions, SaslHandshake and SaslAuthenticate until it logged in.
 *
 * @example
 * ```ts
 * const sasl: SaslOptions = { users: { alice: 'alice-secret' }, mechanisms: ['SCRAM-SHA-512'] }
 * ```
 */
export interface SaslOptions {
  /** username → password. */
  users: Record<string, string>
  mechanisms?: SaslMechanism[]
}

/**
 * Options of `listen(bus, options)` (and `bus.listen(options)`).
 *
 * @example
 * ```ts
 * const options: ListenOptions = { port: 9092, host: '127.0.0.1', advertisedHost: 'localhost' }
 * ```
 */
export interface ListenOptions {
  /** Default 9092; 0 picks a free port (see `server.address`). */
  port?: number
  /** Default `127.0.0.1`: loopback only. `0.0.0.0` listens on every interface. */
  host?: string
  /** The host clients are told to connect to (Metadata, FindCoordinator); default: `host`, or `localhost` for a wildcard. */
  advertisedHost?: string
  /** The port clients are told to connect to; default: the port listened on. */
  advertisedPort?: number
  /** Kafka's socket.request.max.bytes: a larger frame closes its connection. Default 100 MiB. */
  maxRequestBytes?: number
  /**
   * A connection that completes no request for this long is closed (Kafka's connections.max.idle.ms);
   * bytes that never make a whole request do not count. Default 600000.
   */
  idleTimeoutMs?: number
  /** Connections beyond this are closed at once. Default 10000. */
  maxConnections?: number
  /** Requests of one connection handled at once; reading pauses past it. Default 16. */
  maxInFlightRequestsPerConnection?: number
  /**
   * The heartbeat interval the consumer group protocol (KIP-848) tells members to keep (Kafka's
   * group.consumer.heartbeat.interval.ms); members learn a new assignment at their next heartbeat.
   * Default 5000.
   */
  consumerHeartbeatIntervalMs?: number
  /** The broker's node id in Metadata. Default 1. */
  nodeId?: number
  /** The cluster id in Metadata and DescribeCluster. Default: one made from the bus's storage. */
  clusterId?: string
  sasl?: SaslOptions
  /** TLS (`node:tls` options: at least `key` and `cert`). */
  tls?: TlsOptions & SecureContextOptions
  /**
   * Who may do what. Without rules every client may do everything; with them a request is allowed only
   * if a rule allows it. Principals are `User:<name>` (SASL) or `User:ANONYMOUS`.
   */
  acls?: AclRule[]
  logger?: WireLogger
}

function buildSchema() {
  return z.strictObject({
    port: z.number().int().min(0).max(65_535).default(9092),
    host: z.string().min(1).default('127.0.0.1'),
    advertisedHost: z.string().min(1).optional(),
    advertisedPort: z.number().int().min(1).max(65_535).optional(),
    maxRequestBytes: z
      .number()
      .int()
      .min(1024)
      .max(0x7fffffff)
      .default(100 * 1024 * 1024),
    idleTimeoutMs: z.number().int().min(1).default(600_000),
    maxConnections: z.number().int().min(1).default(10_000),
    maxInFlightRequestsPerConnection: z.number().int().min(1).max(10_000).default(16),
    consumerHeartbeatIntervalMs: z.number().int().min(1).max(0x7fffffff).default(5000),
    nodeId: z.number().int().min(0).max(0x7fffffff).default(1),
    clusterId: z.string().min(1).optional(),
    sasl: z
      .strictObject({
        users: z.record(z.string().min(1), z.string()),
        mechanisms: z
          .array(z.enum(SASL_MECHANISMS))
          .min(1)
          .default([...SASL_MECHANISMS]),
      })
      .optional(),
    tls: z.record(z.string(), z.unknown()).optional(),
    acls: z
      .array(
        z.strictObject({
          principal: z.string().min(1),
          resource: z.enum(['topic', 'group', 'cluster', 'transactionalId']),
          name: z.string().min(1).default('*'),
          patternType: z.enum(['literal', 'prefixed']).default('literal'),
          operations: z
            .array(z.enum(['read', 'write', 'describe', 'create', 'delete', 'alter', 'all']))
            .min(1),
          permission: z.enum(['allow', 'deny']).default('allow'),
        }),
      )
      .optional(),
    logger: z
      .custom<WireLogger>(
        (v) => typeof v === 'object' && v !== null && typeof (v as WireLogger).warn === 'function',
        'must have info, warn and error methods',
      )
      .optional(),
  })
}

let built: ReturnType<typeof buildSchema> | undefined
// Built at the first listen, not when the server's module loads: a process may never listen.
const schema = () => {
  built ??= buildSchema()
  return built
}

/** The options with their defaults. */
export type ResolvedListenOptions = Omit<z.output<ReturnType<typeof schema>>, 'tls' | 'logger' | 'acls'> & {
  tls: (TlsOptions & SecureContextOptions) | undefined
  logger: WireLogger
  acls: AclRule[] | undefined
}

const consoleLogger: WireLogger = {
  info: () => {},
  warn: (message, details) => console.warn(`logbus wire: ${message}`, details ?? ''),
  error: (message, details) => console.error(`logbus wire: ${message}`, details ?? ''),
}

/** Validates `listen`'s options (InvalidConfigError naming the field) and applies the defaults. */
export function resolveListenOptions(options: ListenOptions | undefined): ResolvedListenOptions {
  const result = schema().safeParse(options ?? {}, { jitless: true })
  if (!result.success) {
    const issue = result.error.issues[0]!
    const keys = issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : []
    const path = [...issue.path, ...keys].map(String).join('.')
    throw new InvalidConfigError(path === '' ? 'listen' : `listen.${path}`, issue.message)
  }
  const { tls, logger, acls, ...rest } = result.data
  return {
    ...rest,
    tls: tls as ResolvedListenOptions['tls'],
    logger: logger ?? consoleLogger,
    acls: acls as AclRule[] | undefined,
  }
}

import { createServer as createNetServer, type Server, type Socket } from 'node:net'
import { type Bus, ClosedError } from '../../index'
import { ClassicGroups } from '../groups/classic-groups'
import { ConsumerGroups } from '../groups/consumer-groups'
import { HANDLERS } from '../handlers'
import { nodeCrypto } from '../node-crypto'
import { Authorizer } from './acl'
import { Connection } from './connection'
import type { Broker, Handler, Session } from './context'
import { type ListenOptions, resolveListenOptions } from './options'
import { rawSaslExchange } from './sasl'
import { TopicIds } from './topic-ids'

/**
 * A Kafka-protocol server over a bus, from `listen(bus, options)` or `bus.listen(options)`.
 *
 * @example
 * ```ts
 * const server = await listen(bus, { port: 0 })
 * console.log(`kafka clients connect to ${server.address.host}:${server.address.port}`)
 * await server.close()
 * ```
 */
export interface WireServer {
  /** Where it listens (the port picked when `port` was 0). */
  readonly address: { host: string; port: number }
  /** The address clients are told to connect to. */
  readonly advertised: { host: string; port: number }
  /** Connections open now. */
  readonly connections: number
  /**
   * Stops accepting, waits for the requests in flight to be answered (a long poll answers at once),
   * then closes every connection. The group members of its clients leave their groups (a JoinGroup
   * in flight is answered NOT_COORDINATOR), so the bus's own members rebalance without waiting for
   * their session timeouts. Idempotent. The bus stays open: close it after.
   */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Serves Kafka's binary protocol over TCP on a bus: any Kafka client (KafkaJS, librdkafka and kcat,
 * kafka-python, the Java clients, …) connects, produces, fetches, joins groups and commits offsets,
 * sharing topics, records and committed offsets with the bus's in-process producers and consumers.
 * Binds loopback unless `host` says otherwise; optional SASL (PLAIN, SCRAM-SHA-256/512), TLS and ACLs.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { listen } from 'logbus/wire'
 *
 * const bus = await Bus.open({ autoCreateTopics: true })
 * const server = await listen(bus, { port: 0 })
 * console.log(server.address.port)
 * await server.close()
 * await bus.close()
 * ```
 */
export async function listen(bus: Bus, options?: ListenOptions): Promise<WireServer> {
  const resolved = resolveListenOptions(options)
  // Throws ClosedError for a closed bus before anything listens.
  bus.listTopics()
  const closing = new AbortController()
  const connections = new Set<Connection>()
  // node:tls only for a TLS listener: loading it is a measurable part of a plaintext server's start-up.
  const server: Server =
    resolved.tls === undefined
      ? createNetServer({ noDelay: true })
      : (await import('node:tls')).createServer(resolved.tls)
  server.maxConnections = resolved.maxConnections

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', (error) => resolved.logger.error('server error', { error: error.message }))
  const bound = server.address()
  const port = typeof bound === 'object' && bound !== null ? bound.port : resolved.port
  const wildcard = resolved.host === '0.0.0.0' || resolved.host === '::'
  // Made at its first use (a client's Metadata): hashing loads node:crypto, which costs the start-up.
  let clusterId = resolved.clusterId
  const clusterIdNow = () => {
    clusterId ??= clusterIdOf(`${resolved.host}:${port}`)
    return clusterId
  }
  const topicIds = new TopicIds(bus, clusterIdNow)
  const broker: Broker = {
    bus,
    options: resolved,
    nodeId: resolved.nodeId,
    host: resolved.advertisedHost ?? (wildcard ? 'localhost' : resolved.host),
    port: resolved.advertisedPort ?? port,
    get clusterId() {
      return clusterIdNow()
    },
    topicIds,
    consumerGroups: new ConsumerGroups(bus, topicIds),
    authorizer: new Authorizer(resolved.acls),
    groups: new ClassicGroups(bus),
    closing: closing.signal,
  }
  const host = {
    broker,
    handler: (apiKey: number) => HANDLERS.get(apiKey) as Handler<never> | undefined,
    rawSasl: (token: Buffer, session: Session) => rawSaslExchange(broker, session, token),
    closed: (connection: Connection) => {
      connections.delete(connection)
      broker.groups.connectionClosed(connection.session)
    },
  }
  const onConnection = (socket: Socket) => {
    if (closing.signal.aborted) {
      socket.destroy()
      return
    }
    connections.add(new Connection(socket, host))
  }
  server.on(resolved.tls === undefined ? 'connection' : 'secureConnection', onConnection)
  if (resolved.tls !== undefined) {
    server.on('tlsClientError', (error) =>
      resolved.logger.warn('TLS handshake failed', { error: error.message }),
    )
  }
  const onBusClose = bus.on('close', () => void close())

  let closed: Promise<void> | undefined
  const close = (): Promise<void> => {
    closed ??= (async () => {
      onBusClose()
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      closing.abort(new ClosedError('Server'))
      // Before the connections drain: a JoinGroup in flight waits on its group.
      broker.groups.close()
      broker.consumerGroups.close()
      await Promise.all([...connections].map((connection) => connection.finish()))
      for (const connection of [...connections]) connection.close()
      await stopped
    })()
    return closed
  }
  return {
    address: { host: resolved.host, port },
    advertised: { host: broker.host, port: broker.port },
    get connections() {
      return connections.size
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** A stable cluster id (22 characters, as Kafka's base64 UUIDs are) for an address. */
function clusterIdOf(seed: string): string {
  return nodeCrypto().createHash('sha256').update(`logbus:${seed}`).digest('base64url').slice(0, 22)
}

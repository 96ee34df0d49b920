import { ClosedError, InvalidConfigError } from '../../index'
import { ApiKeys, KafkaErrors, kafkaError, ZERO_UUID } from '../protocol'
import { errorFromKafka, NetworkError, throwIfError } from './broker-error'
import { BrokerConnection, type BrokerConnectionOptions, formatAddress } from './connection'

/**
 * Options of `KafkaClient.connect`.
 *
 * @example
 * ```ts
 * const options: KafkaClientOptions = { bootstrapServers: ['kafka-1:9092', 'kafka-2:9092'], clientId: 'tools' }
 * ```
 */
export interface KafkaClientOptions extends Omit<BrokerConnectionOptions, 'host' | 'port'> {
  /** `host:port` of one or more brokers (a comma-separated list too), tried in order. */
  bootstrapServers: string | readonly string[]
}

/**
 * A broker as Metadata lists it.
 *
 * @example
 * ```ts
 * const node: BrokerNode = { nodeId: 1, host: 'kafka-1', port: 9092 }
 * ```
 */
export interface BrokerNode {
  nodeId: number
  host: string
  port: number
}

/**
 * One partition in Metadata: its leader's node id (-1 while it has none) and its error code.
 *
 * @example
 * ```ts
 * const p: PartitionMetadata = { partition: 0, leader: 1, errorCode: 0 }
 * ```
 */
export interface PartitionMetadata {
  partition: number
  leader: number
  errorCode: number
}

/**
 * One topic in Metadata; `topicId` is the zero id from a broker that has none (Metadata before v10).
 *
 * @example
 * ```ts
 * const topic: TopicMetadata = {
 *   name: 'orders', topicId: '00000000-0000-0000-0000-000000000000', errorCode: 0, isInternal: false,
 *   partitions: [{ partition: 0, leader: 1, errorCode: 0 }],
 * }
 * ```
 */
export interface TopicMetadata {
  name: string
  topicId: string
  errorCode: number
  isInternal: boolean
  partitions: PartitionMetadata[]
}

/**
 * What Metadata says of the cluster: its brokers and the topics asked for, partitions by index.
 *
 * @example
 * ```ts
 * const { brokers, topics } = await client.metadata(['orders'])
 * ```
 */
export interface ClusterMetadata {
  clusterId: string | null
  controllerId: number
  brokers: BrokerNode[]
  topics: TopicMetadata[]
}

/** Kafka's ApiVersions-era retry budget for errors that clear up by themselves (a leader election). */
const RETRIES = 5
const BACKOFF_MS = 100

/**
 * A small Kafka client over the protocol layer: one connection per broker, opened as needed from the
 * brokers Metadata lists; requests routed to a partition's leader (`leader`), a group's coordinator
 * (`coordinator`, on a connection of its own so that heartbeats never queue behind a long fetch), or
 * the bootstrap broker for cluster-wide admin requests. Each connection negotiates its versions (see
 * `BrokerConnection`). With `tls` every connection is TLS (Kafka's SSL), with `sasl` every connection
 * logs in (SASL_PLAINTEXT; both: SASL_SSL) with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 — bootstrap,
 * leaders and coordinators alike, as Kafka's clients do, and again before a session the broker limits
 * (`connections.max.reauth.ms`, KIP-368) ends. A broker that refuses the login, or a TLS handshake
 * that fails, is an `AuthenticationError`. Not supported: GSSAPI (Kerberos) and OAUTHBEARER.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { ApiKeys, KafkaClient } from 'logbus/wire'
 *
 * const client = await KafkaClient.connect({
 *   bootstrapServers: 'localhost:9092',
 *   tls: { ca: [readFileSync('ca.pem')] },
 *   sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: process.env.KAFKA_PASSWORD ?? '' },
 * })
 * const { topics } = await client.metadata(null)
 * console.log(topics.map((t) => `${t.name}: ${t.partitions.length} partitions`))
 * const leader = await client.leader('orders', 0)
 * const { body } = await leader.send(ApiKeys.ListOffsets, () => ({
 *   replicaId: -1,
 *   topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
 * }))
 * await client.close()
 * ```
 */
export class KafkaClient {
  readonly #options: KafkaClientOptions
  readonly #bootstrap: BrokerConnection
  readonly #brokers = new Map<number, BrokerNode>()
  readonly #connections = new Map<number, Promise<BrokerConnection>>()
  readonly #coordinators = new Map<string, Promise<BrokerConnection>>()
  readonly #leaders = new Map<string, number>()
  #closed = false

  private constructor(options: KafkaClientOptions, bootstrap: BrokerConnection) {
    this.#options = options
    this.#bootstrap = bootstrap
  }

  /**
   * Connects to the first bootstrap server that answers (the error of the last one otherwise): an
   * `InvalidConfigError` for an address that is not `host:port`, a `NetworkError` when none answers.
   */
  static async connect(options: KafkaClientOptions): Promise<KafkaClient> {
    const addresses = parseBootstrapServers(options.bootstrapServers)
    let failure: unknown
    for (const { host, port } of addresses) {
      try {
        return new KafkaClient(options, await BrokerConnection.open({ ...options, host, port }))
      } catch (error) {
        failure = error
      }
    }
    throw failure
  }

  /** The connection to the bootstrap broker: where cluster-wide requests (admin, metadata) go. */
  get bootstrap(): BrokerConnection {
    this.#assertOpen()
    return this.#bootstrap
  }

  /**
   * Metadata of some topics (never auto-creating them), or of all for null; remembers the brokers and
   * each partition's leader for `leader` and `broker`.
   */
  async metadata(topics: readonly string[] | null): Promise<ClusterMetadata> {
    this.#assertOpen()
    const { version, body } = await this.#bootstrap.send(ApiKeys.Metadata, () => ({
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    }))
    if (version >= 13) throwIfError(body.errorCode)
    for (const b of body.brokers)
      this.#brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port })
    const result: TopicMetadata[] = body.topics.map((t) => ({
      name: t.name ?? '',
      topicId: t.topicId,
      errorCode: t.errorCode,
      isInternal: t.isInternal,
      partitions: t.partitions
        .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, errorCode: p.errorCode }))
        .sort((a, b) => a.partition - b.partition),
    }))
    for (const t of result)
      for (const p of t.partitions) this.#leaders.set(`${t.name}\u0000${p.partition}`, p.leader)
    return {
      clusterId: body.clusterId,
      controllerId: body.controllerId,
      brokers: [...this.#brokers.values()],
      topics: result,
    }
  }

  /**
   * One topic's metadata once every partition has a leader (retried a few times while an election
   * runs); `UnknownTopicError` when it does not exist.
   */
  async topic(name: string): Promise<TopicMetadata> {
    return retrying(async () => {
      const [topic] = (await this.metadata([name])).topics
      if (topic === undefined) throw errorFromKafka(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION, { topic: name })
      throwIfError(topic.errorCode, { topic: name })
      for (const p of topic.partitions) {
        if (p.leader < 0)
          throwIfError(KafkaErrors.LEADER_NOT_AVAILABLE, { topic: name, partition: p.partition })
        if (p.errorCode !== KafkaErrors.REPLICA_NOT_AVAILABLE) {
          throwIfError(p.errorCode, { topic: name, partition: p.partition })
        }
      }
      return topic
    })
  }

  /**
   * The connection to a broker by node id: opened once and reused (the bootstrap connection when it is
   * that broker), opened afresh after it broke.
   */
  async broker(nodeId: number): Promise<BrokerConnection> {
    this.#assertOpen()
    const known = this.#connections.get(nodeId)
    if (known !== undefined) {
      const connection = await known.catch(() => undefined)
      if (connection?.usable === true) return connection
      if (this.#connections.get(nodeId) === known) this.#connections.delete(nodeId)
    }
    const node = this.#brokers.get(nodeId)
    if (node === undefined) {
      throw new NetworkError(`node ${nodeId}`, `Broker ${nodeId} is not in the cluster's metadata`)
    }
    const opening =
      formatAddress(node.host, node.port) === this.#bootstrap.address
        ? Promise.resolve(this.#bootstrap)
        : BrokerConnection.open({ ...this.#options, host: node.host, port: node.port })
    this.#connections.set(nodeId, opening)
    opening.catch(() => {
      if (this.#connections.get(nodeId) === opening) this.#connections.delete(nodeId)
    })
    return opening
  }

  /** The connection to a partition's leader, as the last Metadata said (asked now if unknown). */
  async leader(topic: string, partition: number): Promise<BrokerConnection> {
    let leader = this.#leaders.get(`${topic}\u0000${partition}`)
    if (leader === undefined || leader < 0) {
      await this.topic(topic)
      leader = this.#leaders.get(`${topic}\u0000${partition}`)
      if (leader === undefined) throwIfError(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION, { topic, partition })
    }
    return this.broker(leader!)
  }

  /**
   * A connection of its own to a group's coordinator (FindCoordinator, retried while the coordinator
   * is loading or unknown); `forgetCoordinator` after NOT_COORDINATOR.
   */
  coordinator(groupId: string): Promise<BrokerConnection> {
    this.#assertOpen()
    const known = this.#coordinators.get(groupId)
    if (known !== undefined) return known
    const finding = retrying(() => this.#findCoordinator(groupId)).then((node) =>
      BrokerConnection.open({ ...this.#options, host: node.host, port: node.port }),
    )
    this.#coordinators.set(groupId, finding)
    finding.catch(() => this.#coordinators.delete(groupId))
    return finding
  }

  /** Drops a group's coordinator connection: the next `coordinator` finds it again. */
  async forgetCoordinator(groupId: string): Promise<void> {
    const known = this.#coordinators.get(groupId)
    this.#coordinators.delete(groupId)
    await known?.then((connection) => connection.close()).catch(() => undefined)
  }

  /** Closes every connection (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const connections = [...this.#connections.values(), ...this.#coordinators.values()]
    this.#connections.clear()
    this.#coordinators.clear()
    await Promise.allSettled(connections.map((c) => c.then((connection) => connection.close())))
    await this.#bootstrap.close()
  }

  async #findCoordinator(groupId: string): Promise<BrokerNode> {
    const { version, body } = await this.#bootstrap.send(ApiKeys.FindCoordinator, (v) =>
      v >= 4 ? { keyType: 0, coordinatorKeys: [groupId] } : { key: groupId, keyType: 0 },
    )
    const found =
      version >= 4
        ? body.coordinators[0]
        : {
            nodeId: body.nodeId,
            host: body.host,
            port: body.port,
            errorCode: body.errorCode,
            errorMessage: body.errorMessage,
          }
    if (found === undefined) throw errorFromKafka(KafkaErrors.COORDINATOR_NOT_AVAILABLE, { groupId })
    throwIfError(found.errorCode, { groupId, message: found.errorMessage })
    return { nodeId: found.nodeId, host: found.host, port: found.port }
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('KafkaClient')
  }
}

/**
 * Runs `attempt` again, a few times with a growing pause, while it fails with an error Kafka calls
 * retriable and that clears up by itself (a leader election, a coordinator loading); any other error,
 * or the last one, is thrown.
 *
 * @example
 * ```ts
 * const topic = await retrying(() => client.topic('orders'))
 * ```
 */
export async function retrying<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt()
    } catch (error) {
      if (tries >= RETRIES || !clearsUp(error)) throw error
      await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2 ** (tries - 1)))
    }
  }
}

const CLEARS_UP = new Set<number>([
  KafkaErrors.LEADER_NOT_AVAILABLE,
  KafkaErrors.NOT_LEADER_OR_FOLLOWER,
  KafkaErrors.COORDINATOR_LOAD_IN_PROGRESS,
  KafkaErrors.COORDINATOR_NOT_AVAILABLE,
  KafkaErrors.NOT_COORDINATOR,
  KafkaErrors.NOT_CONTROLLER,
  KafkaErrors.REPLICA_NOT_AVAILABLE,
  KafkaErrors.NOT_ENOUGH_REPLICAS,
  KafkaErrors.UNKNOWN_LEADER_EPOCH,
  KafkaErrors.FENCED_LEADER_EPOCH,
])

function clearsUp(error: unknown): boolean {
  const code = (error as { kafkaErrorCode?: unknown } | null)?.kafkaErrorCode
  return typeof code === 'number' && CLEARS_UP.has(code) && kafkaError(code).retriable
}

/**
 * `host:port` addresses (a list, or one string with commas) as hosts and ports; `[::1]:9092` for IPv6.
 *
 * @example
 * ```ts
 * parseBootstrapServers('a:9092,b:9093') // [{ host: 'a', port: 9092 }, { host: 'b', port: 9093 }]
 * ```
 */
export function parseBootstrapServers(servers: string | readonly string[]): { host: string; port: number }[] {
  const list = (typeof servers === 'string' ? [servers] : servers)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (list.length === 0) throw new InvalidConfigError('bootstrapServers', 'give at least one host:port')
  return list.map((address) => {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address)
    const port = Number(match?.[3])
    if (match === null || port < 1 || port > 65535) {
      throw new InvalidConfigError('bootstrapServers', `"${address}" is not host:port`)
    }
    return { host: match[1] ?? match[2]!, port }
  })
}

/**
 * `logbus/wire`: Kafka's binary protocol over TCP, so any Kafka client (KafkaJS, librdkafka and kcat,
 * kafka-python, the Java clients, …) uses a bus as it would a broker; the protocol layer itself
 * (APIs as data, framing, error codes) for tools that speak Kafka; and a small client of it
 * (`KafkaClient`, `BrokerConnection`) that talks to a logbus server or a Kafka cluster.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { listen } from 'logbus/wire'
 *
 * const bus = await Bus.open()
 * const server = await listen(bus, { port: 0 })
 * console.log(`bootstrap.servers=${server.address.host}:${server.address.port}`)
 * await server.close()
 * await bus.close()
 * ```
 */

export {
  AuthenticationError,
  type AuthenticationErrorCode,
  BrokerError,
  type ErrorSubject,
  errorFromKafka,
  NetworkError,
  throwIfError,
} from './wire/client/broker-error'
export {
  type Answer,
  BrokerConnection,
  type BrokerConnectionOptions,
  formatAddress,
  type SaslCredentials,
  type SendOptions,
  type TlsSettings,
} from './wire/client/connection'
export {
  type BrokerNode,
  type ClusterMetadata,
  KafkaClient,
  type KafkaClientOptions,
  type PartitionMetadata,
  parseBootstrapServers,
  retrying,
  type TopicMetadata,
} from './wire/client/kafka-client'
export {
  type ApiVersionRange,
  CLIENT_API_VERSIONS,
  negotiateVersions,
} from './wire/client/negotiation'
export {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type Subscription,
} from './wire/groups/consumer-protocol'
export * from './wire/protocol'
export type { SaslMechanism } from './wire/sasl/mechanism'
export type { AclOperation, AclResource, AclRule } from './wire/server/acl'
export type { ListenOptions, SaslOptions, WireLogger } from './wire/server/options'
export { listen, type WireServer } from './wire/server/server'
export { ADVERTISED_APIS, type AdvertisedApi } from './wire/server/versions'

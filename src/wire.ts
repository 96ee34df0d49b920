/**
 * `logbus/wire`: Kafka's binary protocol over TCP, so any Kafka client (KafkaJS, librdkafka and kcat,
 * kafka-python, the Java clients, …) uses a bus as it would a broker; and the protocol layer itself
 * (APIs as data, framing, error codes) for tools that speak Kafka.
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

export * from './wire/protocol'
export type { AclOperation, AclResource, AclRule } from './wire/server/acl'
export type { ListenOptions, SaslMechanism, SaslOptions, WireLogger } from './wire/server/options'
export { listen, type WireServer } from './wire/server/server'
export { ADVERTISED_APIS, type AdvertisedApi } from './wire/server/versions'

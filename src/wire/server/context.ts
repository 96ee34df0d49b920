import type { Bus } from '../../index'
import type { ClassicGroups } from '../groups/classic-groups'
import type { ConsumerGroups } from '../groups/consumer-groups'
import type { ApiKeyNumber, RequestBody, RequestHeader, ResponseInput } from '../protocol'
import type { AclOperation, AclResource, Authorizer } from './acl'
import type { ResolvedListenOptions } from './options'
import type { ScramState } from './sasl-scram'
import type { TopicIds } from './topic-ids'

/** What every handler shares: the bus, the broker's identity as clients see it, and its services. */
export interface Broker {
  readonly bus: Bus
  readonly options: ResolvedListenOptions
  readonly nodeId: number
  /** The advertised address (what Metadata and FindCoordinator answer). */
  readonly host: string
  readonly port: number
  readonly clusterId: string
  readonly authorizer: Authorizer
  readonly groups: ClassicGroups
  /** The consumer group protocol's members (KIP-848). */
  readonly consumerGroups: ConsumerGroups
  /** Topic ids (KIP-516), derived from names. */
  readonly topicIds: TopicIds
  /** Aborted when the server closes: long polls answer at once. */
  readonly closing: AbortSignal
}

/** One connection's login state. */
export interface Session {
  /** `User:<name>` once authenticated, `User:ANONYMOUS` without SASL. */
  principal: string
  authenticated: boolean
  /** The mechanism chosen by SaslHandshake, until SaslAuthenticate completes. */
  mechanism: string | undefined
  /** After SaslHandshake v0: the next frames are raw SASL tokens, not Kafka requests. */
  rawSasl: boolean
  /** The state of a SCRAM exchange between its two rounds. */
  scram: ScramState | undefined
  readonly clientHost: string
}

/** What a handler is given besides the request body. */
export interface RequestContext {
  readonly broker: Broker
  readonly session: Session
  readonly apiVersion: number
  readonly header: RequestHeader
  /** The connection closed (or the server is closing): a long poll answers now. */
  readonly signal: AbortSignal
}

/** A handler's answer: the response body, or NO_RESPONSE (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no response')

/** One API's handler. */
export type Handler<K extends ApiKeyNumber> = (
  body: RequestBody<K>,
  context: RequestContext,
) => ResponseInput<K> | typeof NO_RESPONSE | Promise<ResponseInput<K> | typeof NO_RESPONSE>

/** Whether the session's principal may do `operation` on a resource (always, without ACLs). */
export function allowed(
  context: RequestContext,
  resource: AclResource,
  name: string,
  operation: AclOperation,
): boolean {
  return context.broker.authorizer.allowed(context.session.principal, resource, name, operation)
}

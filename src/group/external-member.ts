import { InvalidConfigError, InvalidStateError, type LogbusError } from '../errors'
import type { TopicPartition } from '../record/log-record'
import type { CommittedOffset } from '../storage/storage'
import type { Assignment, Assignor, AssignorInput } from './assignor'
import type { GroupMember } from './member'

/**
 * One protocol (assignor) an external member supports, as Kafka's JoinGroup lists them.
 *
 * @example
 * ```ts
 * const protocol: ExternalProtocol = { name: 'range', topics: ['orders'] }
 * ```
 */
export interface ExternalProtocol {
  /** Kafka's protocol name (`range`, `roundrobin`, `cooperative-sticky`, …). */
  name: string
  /** The topics the member subscribes to (those that do not exist yet are left out until they do). */
  topics: string[]
  /** What the member sends with its subscription (Kafka's `Subscription.userData`). */
  userData?: Uint8Array | undefined
  /**
   * Computes the assignment when this member leads the group with this protocol: Kafka's classic
   * protocol, where the leader client assigns. Without it, a group this member leads assigns nothing.
   */
  assign?: (input: AssignorInput) => Promise<Assignment>
}

/**
 * A group member that lives outside the process (a Kafka client over the wire): the group drives it
 * through these callbacks, as it drives an in-process consumer.
 *
 * @example
 * ```ts
 * const options: ExternalMemberOptions = {
 *   clientId: 'app', sessionTimeoutMs: 45_000, rebalanceTimeoutMs: 300_000,
 *   protocols: [{ name: 'range', topics: ['orders'] }],
 *   revoke: async () => {}, assign: () => {}, removed: () => {},
 * }
 * ```
 */
export interface ExternalMemberOptions {
  /** Default: a new unique id. */
  memberId?: string
  /** Kafka's group.instance.id (static membership). */
  instanceId?: string
  clientId: string
  sessionTimeoutMs: number
  /** How long `revoke` may take before the member is removed (Kafka's rebalance timeout). */
  rebalanceTimeoutMs: number
  /** The protocols the member supports, in its order of preference; at least one. */
  protocols: ExternalProtocol[]
  /**
   * A rebalance began and the member must give up `partitions` (eager rebalancing: all it owns).
   * Resolve once it has (a Kafka client: once it rejoined); past `rebalanceTimeoutMs` it is removed.
   */
  revoke(partitions: TopicPartition[]): Promise<void>
  /** The member's whole assignment in `generation`. */
  assign(assignment: TopicPartition[], generation: number): Promise<void> | void
  /** The group removed the member (session timeout, rebalance timeout, or fenced by its instance id). */
  removed(reason: LogbusError): void
}

/**
 * The handle of an external member: what its client says to the group.
 *
 * @example
 * ```ts
 * const member = bus.group('billing').addMember(options)
 * await member.joined
 * member.heartbeat()
 * ```
 */
export interface ExternalMember {
  readonly memberId: string
  /** Settles once the member has its first assignment. */
  readonly joined: Promise<void>
  /** The member is alive (restarts its session); throws UnknownMemberError once the group removed it. */
  heartbeat(): void
  /** Replaces the member's protocols (a new subscription); the group rebalances if that changes anything. */
  update(protocols: ExternalProtocol[]): void
  /** Commits offsets as a member of `generation` (IllegalGenerationError for another one). */
  commit(generation: number, offsets: CommittedOffset[]): Promise<void>
  /** Leaves the group; the others rebalance. */
  leave(): void
}

let counter = 0

/** A member id as Kafka makes them: the client id and a unique suffix. */
export function newMemberId(clientId: string): string {
  counter++
  return `${clientId || 'member'}-${Date.now().toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 10)}`
}

/** Not public: the coordinator's view of an external member, its protocols replaceable. */
export class ExternalGroupMember implements GroupMember {
  readonly memberId: string
  readonly instanceId: string | undefined
  readonly clientId: string
  readonly rebalanceTimeoutMs: number
  readonly sessionTimeoutMs: number
  #protocols: ExternalProtocol[] = []
  #assignors: Assignor[] = []

  constructor(private readonly options: ExternalMemberOptions) {
    this.memberId = options.memberId ?? newMemberId(options.clientId)
    this.instanceId = options.instanceId
    this.clientId = options.clientId
    this.rebalanceTimeoutMs = positive(options.rebalanceTimeoutMs, 'rebalanceTimeoutMs')
    this.sessionTimeoutMs = positive(options.sessionTimeoutMs, 'sessionTimeoutMs')
    this.setProtocols(options.protocols)
  }

  get assignors(): readonly Assignor[] {
    return this.#assignors
  }

  setProtocols(protocols: ExternalProtocol[]): void {
    if (protocols.length === 0) throw new InvalidConfigError('protocols', 'needs at least one protocol')
    this.#protocols = protocols.map((p) => ({ ...p, topics: [...p.topics] }))
    this.#assignors = this.#protocols.map((protocol) =>
      Object.assign(
        (input: AssignorInput): Promise<Assignment> => {
          if (protocol.assign === undefined) {
            throw new InvalidStateError(`Member ${this.memberId} cannot assign protocol "${protocol.name}"`)
          }
          return protocol.assign(input)
        },
        {
          protocol: protocol.name,
          rebalance: 'eager' as const,
          subscriptionUserData: () => protocol.userData,
        },
      ),
    )
  }

  subscribedTopics(existing: readonly string[]): string[] {
    const wanted = new Set(this.#protocols[0]!.topics)
    return existing.filter((topic) => wanted.has(topic))
  }

  revoke(partitions: TopicPartition[]): Promise<void> {
    return this.options.revoke(partitions)
  }

  async assign(assignment: TopicPartition[], generation: number): Promise<void> {
    await this.options.assign(assignment, generation)
  }

  async expel(reason: LogbusError): Promise<void> {
    this.options.removed(reason)
  }
}

function positive(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidConfigError(field, 'must be a positive integer (ms)')
  }
  return value
}

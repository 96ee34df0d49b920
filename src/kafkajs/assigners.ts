import type { Assignor, AssignorInput, Assignment as CoreAssignment, TopicPartition } from '../index'
import { KafkaJSNonRetriableError } from './errors'
import type {
  Assigner,
  AssignerCluster,
  Assignment,
  ISerializer,
  Logger,
  MemberAssignment,
  MemberMetadata,
  PartitionAssigner,
} from './types'

/** Writes Kafka protocol primitives (big-endian INT16/INT32, STRING, BYTES, ARRAY). */
class Writer {
  readonly #chunks: Buffer[] = []

  int16(value: number): this {
    const b = Buffer.alloc(2)
    b.writeInt16BE(value)
    this.#chunks.push(b)
    return this
  }

  int32(value: number): this {
    const b = Buffer.alloc(4)
    b.writeInt32BE(value)
    this.#chunks.push(b)
    return this
  }

  string(value: string): this {
    const bytes = Buffer.from(value, 'utf8')
    this.int16(bytes.length)
    this.#chunks.push(bytes)
    return this
  }

  bytes(value: Buffer | null): this {
    if (value === null) return this.int32(-1)
    this.int32(value.length)
    this.#chunks.push(value)
    return this
  }

  array<T>(items: readonly T[], write: (item: T) => void): this {
    this.int32(items.length)
    for (const item of items) write(item)
    return this
  }

  get buffer(): Buffer {
    return Buffer.concat(this.#chunks)
  }
}

/** Reads what Writer writes; throws a RangeError past the end. */
class Reader {
  #offset = 0
  constructor(readonly buffer: Buffer) {}

  canRead(bytes: number): boolean {
    return this.#offset + bytes <= this.buffer.length
  }

  int16(): number {
    const value = this.buffer.readInt16BE(this.#offset)
    this.#offset += 2
    return value
  }

  int32(): number {
    const value = this.buffer.readInt32BE(this.#offset)
    this.#offset += 4
    return value
  }

  string(): string {
    const length = this.int16()
    if (length < 0) return ''
    const value = this.buffer.toString('utf8', this.#offset, this.#offset + length)
    this.#offset += length
    return value
  }

  bytes(): Buffer {
    if (!this.canRead(4)) return Buffer.alloc(0)
    const length = this.int32()
    if (length < 0) return Buffer.alloc(0)
    const value = Buffer.from(this.buffer.subarray(this.#offset, this.#offset + length))
    this.#offset += length
    return value
  }

  array<T>(read: () => T): T[] {
    const length = this.int32()
    const items: T[] = []
    for (let i = 0; i < length; i++) items.push(read())
    return items
  }
}

const memberMetadataCodec: ISerializer<MemberMetadata> & {
  encode(value: { version: number; topics: string[]; userData?: Buffer }): Buffer
} = {
  encode({ version, topics, userData = Buffer.alloc(0) }) {
    const w = new Writer().int16(version)
    w.array(topics, (topic) => w.string(topic))
    return w.bytes(userData).buffer
  },
  decode(buffer) {
    const r = new Reader(buffer)
    if (!r.canRead(2)) return null
    return { version: r.int16(), topics: r.array(() => r.string()), userData: r.bytes() }
  },
}

const memberAssignmentCodec: ISerializer<MemberAssignment> & {
  encode(value: { version: number; assignment: Assignment; userData?: Buffer }): Buffer
} = {
  encode({ version, assignment, userData = Buffer.alloc(0) }) {
    const w = new Writer().int16(version)
    w.array(Object.keys(assignment), (topic) => {
      w.string(topic)
      w.array(assignment[topic] ?? [], (partition) => w.int32(partition))
    })
    return w.bytes(userData).buffer
  },
  decode(buffer) {
    const r = new Reader(buffer)
    if (!r.canRead(2)) return null
    const version = r.int16()
    const assignment: Assignment = {}
    for (const { topic, partitions } of r.array(() => ({
      topic: r.string(),
      partitions: r.array(() => r.int32()),
    }))) {
      assignment[topic] = partitions
    }
    return { version, assignment, userData: r.bytes() }
  },
}

/**
 * Kafka's consumer protocol encodings of member metadata and member assignments, as found in
 * `describeGroup(s)`'s `memberMetadata` and `memberAssignment`.
 *
 * @example
 * ```ts
 * const { members } = await consumer.describeGroup()
 * const assignment = AssignerProtocol.MemberAssignment.decode(members[0]!.memberAssignment)?.assignment
 * ```
 */
export const AssignerProtocol: {
  MemberMetadata: typeof memberMetadataCodec
  MemberAssignment: typeof memberAssignmentCodec
} = { MemberMetadata: memberMetadataCodec, MemberAssignment: memberAssignmentCodec }

/**
 * Partitions by topic, in the order given.
 *
 * @example
 * ```ts
 * toAssignment([{ topic: 't', partition: 0 }, { topic: 't', partition: 2 }]) // → { t: [0, 2] }
 * ```
 */
export function toAssignment(partitions: readonly TopicPartition[]): Assignment {
  const assignment: Assignment = {}
  for (const { topic, partition } of partitions) {
    const list = assignment[topic]
    if (list === undefined) assignment[topic] = [partition]
    else list.push(partition)
  }
  return assignment
}

/**
 * The protocol name of KafkaJS's round-robin assigner, reported by `describeGroup(s)`.
 *
 * @example
 * ```ts
 * expect((await consumer.describeGroup()).protocol).toBe(ROUND_ROBIN_PROTOCOL)
 * ```
 */
export const ROUND_ROBIN_PROTOCOL = 'RoundRobinAssigner'

const roundRobin: PartitionAssigner = ({
  cluster,
}: {
  cluster: AssignerCluster
  groupId: string
  logger: Logger
}): Assigner => ({
  name: ROUND_ROBIN_PROTOCOL,
  version: 0,
  async assign({ members, topics }) {
    const sortedMembers = members.map(({ memberId }) => memberId).sort()
    const byMember = new Map<string, TopicPartition[]>()
    const partitions = topics.flatMap((topic) =>
      cluster.findTopicPartitionMetadata(topic).map((m) => ({ topic, partition: m.partitionId })),
    )
    partitions.forEach((tp, i) => {
      const memberId = sortedMembers[i % sortedMembers.length]!
      const list = byMember.get(memberId)
      if (list === undefined) byMember.set(memberId, [tp])
      else list.push(tp)
    })
    return [...byMember].map(([memberId, tps]) => ({
      memberId,
      memberAssignment: memberAssignmentCodec.encode({ version: 0, assignment: toAssignment(tps) }),
    }))
  },
  protocol({ topics }) {
    return { name: ROUND_ROBIN_PROTOCOL, metadata: memberMetadataCodec.encode({ version: 0, topics }) }
  },
})

/**
 * KafkaJS's partition assigners. `roundRobin` is KafkaJS's default; custom assigners written to
 * KafkaJS's protocol (`name`, `version`, `protocol({ topics })`, async `assign({ members, topics })`)
 * run too, alone or in a list of preferences.
 *
 * @example
 * ```ts
 * const consumer = kafka.consumer({ groupId: 'billing', partitionAssigners: [PartitionAssigners.roundRobin] })
 * ```
 */
export const PartitionAssigners: { roundRobin: PartitionAssigner } = { roundRobin }

/**
 * KafkaJS's round-robin, as a logbus assignor: the leader's subscribed topics' partitions, in
 * subscription then partition order, dealt to the members sorted by member id. A member is skipped for
 * a topic it does not subscribe to (KafkaJS would hand it over and the member would ignore it).
 *
 * @example
 * ```ts
 * bus.consumer({ groupId: 'g', topics: ['t'], assignor: kafkaJsRoundRobinAssignor })
 * ```
 */
export const kafkaJsRoundRobinAssignor: Assignor = Object.assign(
  ({ members, partitions }: Parameters<Assignor>[0]) => {
    const result: Record<string, TopicPartition[]> = {}
    for (const member of members) result[member.memberId] = []
    const leader = members[0]
    if (leader === undefined) return result
    const sorted = [...members].sort((a, b) =>
      a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0,
    )
    let i = 0
    for (const topic of leader.topics) {
      const count = partitions[topic] ?? 0
      for (let partition = 0; partition < count; partition++) {
        for (let tries = 0; tries < sorted.length; tries++) {
          const member = sorted[i++ % sorted.length]!
          if (member.topics.includes(topic)) {
            result[member.memberId]!.push({ topic, partition })
            break
          }
        }
      }
    }
    return result
  },
  { protocol: ROUND_ROBIN_PROTOCOL, rebalance: 'eager' as const },
)

/** What the facade gives the assigners of one consumer, and learns from them. */
export interface AssignerContext {
  readonly groupId: string
  readonly logger: Logger
  /** What the assigners see of the cluster (the topics' partitions), once the consumer knows its bus. */
  readonly cluster: AssignerCluster
  /** The encoded assignments a leader's assigner returned, by member id, as the group stores them. */
  assigned(protocol: string, assignments: ReadonlyMap<string, Buffer>): void
}

/**
 * Maps KafkaJS `partitionAssigners` (in preference order) to logbus assignors: each is created once
 * per consumer, as KafkaJS does, and run through KafkaJS's protocol. The group's coordinator selects
 * the protocol every member supports (the one most members prefer), then the leader's assigner runs
 * with each member's `memberMetadata` (what that member's own assigner's `protocol()` returned) and
 * the leader's topics. As in KafkaJS, a member ignores the topics it does not subscribe to.
 *
 * @example
 * ```ts
 * const assignors = assignorsFor(config.partitionAssigners, context)
 * ```
 */
export function assignorsFor(
  assigners: readonly PartitionAssigner[] | undefined,
  context: AssignerContext,
): Assignor[] {
  if (assigners === undefined || assigners.length === 0) return [kafkaJsRoundRobinAssignor]
  return assigners.map((create) => {
    if (create === roundRobin) return kafkaJsRoundRobinAssignor
    if (typeof create !== 'function') {
      throw new KafkaJSNonRetriableError(`Invalid partition assigner ${String(create)}: expected a function`)
    }
    const { groupId, logger, cluster } = context
    return fromKafkaJS(create({ cluster, groupId, logger }), context)
  })
}

/** One KafkaJS assigner instance as a logbus assignor (eager, as every KafkaJS assigner is). */
function fromKafkaJS(assigner: Assigner, context: AssignerContext): Assignor {
  if (!assigner || typeof assigner.name !== 'string' || typeof assigner.assign !== 'function') {
    throw new KafkaJSNonRetriableError('Invalid partition assigner: it needs a name, protocol() and assign()')
  }
  // KafkaJS calls protocol() and assign() as methods: assigners written as classes use `this`.
  const metadataOf = (topics: string[]): Buffer => assigner.protocol({ topics }).metadata
  const assign = async ({ members, partitions }: AssignorInput): Promise<CoreAssignment> => {
    const encoded = await assigner.assign({
      members: members.map((m) => ({
        memberId: m.memberId,
        memberMetadata: m.userData === undefined ? metadataOf(m.topics) : Buffer.from(m.userData),
      })),
      topics: members[0]?.topics ?? [],
    })
    const stored = new Map<string, Buffer>()
    const result: CoreAssignment = {}
    const byId = new Map(members.map((m) => [m.memberId, m]))
    for (const { memberId, memberAssignment } of encoded ?? []) {
      const member = byId.get(memberId)
      if (member === undefined) continue
      stored.set(memberId, memberAssignment)
      const assignment =
        memberAssignment === undefined ? null : memberAssignmentCodec.decode(memberAssignment)
      const owned: TopicPartition[] = []
      for (const [topic, list] of Object.entries(assignment?.assignment ?? {})) {
        // A member ignores what it does not subscribe to (KafkaJS warns and drops it), and a partition
        // the topic does not have.
        if (!member.topics.includes(topic)) {
          context.logger.warn('Consumer group received unsubscribed topics', {
            groupId: context.groupId,
            memberId,
            topic,
          })
          continue
        }
        const count = partitions[topic] ?? 0
        for (const partition of list) if (partition < count) owned.push({ topic, partition })
      }
      result[memberId] = owned
    }
    context.assigned(assigner.name, stored)
    return result
  }
  return Object.assign(assign, {
    protocol: assigner.name,
    rebalance: 'eager' as const,
    subscriptionUserData: ({ topics }: { topics: string[] }) => metadataOf(topics),
  })
}

/**
 * Custom partition assigners written to KafkaJS's protocol (consumer/assigners/roundRobinAssigner,
 * consumer/consumerGroup.js [PRIVATE.JOIN] and [PRIVATE.SYNC]): `protocol({ topics })` gives each
 * member's metadata, the coordinator selects a protocol every member supports, and the leader's
 * `assign({ members, topics })` decides.
 */
import { describe, expect, it } from 'vitest'
import {
  type Assigner,
  type AssignerCluster,
  AssignerProtocol,
  type GroupMember,
  type GroupMemberAssignment,
  type Logger,
  logLevel,
  type PartitionAssigner,
  PartitionAssigners,
} from '../../src/kafkajs/index'
import { testKafka, topicWith, uniqueName, waitUntil } from './harness'

const eachMessage = async (): Promise<void> => undefined

/**
 * "Everything to the member in the leader's zone", written as a KafkaJS user writes an assigner: a
 * class using `this`, the zone travelling as user data in the member metadata.
 */
class ZoneAssigner implements Assigner {
  readonly name = 'ZoneAssigner'
  readonly version = 1
  readonly seen: GroupMember[][] = []

  constructor(
    private readonly zone: string,
    private readonly config: { cluster: AssignerCluster; groupId: string; logger: Logger },
  ) {}

  protocol({ topics }: { topics: string[] }) {
    return {
      name: this.name,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: this.version,
        topics,
        userData: Buffer.from(this.zone),
      }),
    }
  }

  async assign({
    members,
    topics,
  }: {
    members: GroupMember[]
    topics: string[]
  }): Promise<GroupMemberAssignment[]> {
    this.seen.push(members)
    const zoneOf = (m: GroupMember) =>
      AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData.toString()
    const winner = members.find((m) => zoneOf(m) === this.zone) ?? members[0]!
    const assignment = Object.fromEntries(
      topics.map((topic) => [
        topic,
        this.config.cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId),
      ]),
    )
    return members.map(({ memberId }) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: this.version,
        assignment: memberId === winner.memberId ? assignment : {},
        userData: Buffer.from(`for ${memberId === winner.memberId ? 'winner' : 'loser'}`),
      }),
    }))
  }
}

function zoneAssigner(zone: string, instances: ZoneAssigner[] = []): PartitionAssigner {
  return (config) => {
    const assigner = new ZoneAssigner(zone, config)
    instances.push(assigner)
    return assigner
  }
}

describe('custom partition assigners (KafkaJS protocol)', () => {
  it('runs the leader’s assigner over every member’s own metadata, and describeGroup shows both', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 3, [])
    const groupId = uniqueName('g')
    const leaderAssigners: ZoneAssigner[] = []
    const east = client.consumer({ groupId, partitionAssigners: [zoneAssigner('east', leaderAssigners)] })
    const west = client.consumer({ groupId, partitionAssigners: [zoneAssigner('west')] })
    const joins: Array<{ memberId: string; groupProtocol: string; assignment: Record<string, number[]> }> = []
    for (const consumer of [east, west]) {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
        joins.push({
          memberId: payload.memberId,
          groupProtocol: payload.groupProtocol,
          assignment: payload.memberAssignment,
        }),
      )
      await consumer.subscribe({ topic })
      await consumer.run({ eachMessage })
    }
    const group = (await client.kafka.bus()).group(groupId)
    await group.settled()

    // The first member leads: its assigner saw both members, each with its own zone.
    const zones = leaderAssigners[0]!.seen
      .at(-1)!
      .map((m) => AssignerProtocol.MemberMetadata.decode(m.memberMetadata)!.userData.toString())
    expect(zones).toEqual(['east', 'west'])
    const description = await east.describeGroup()
    expect(description).toMatchObject({ errorCode: 0, groupId, state: 'Stable', protocol: 'ZoneAssigner' })
    const byZone = new Map(
      description.members.map((m) => [
        AssignerProtocol.MemberMetadata.decode(m.memberMetadata)!.userData.toString(),
        AssignerProtocol.MemberAssignment.decode(m.memberAssignment)!,
      ]),
    )
    // What the leader's assigner encoded, user data included, as Kafka stores it.
    expect(byZone.get('east')).toMatchObject({ version: 1, assignment: { [topic]: [0, 1, 2] } })
    expect(byZone.get('east')!.userData.toString()).toBe('for winner')
    expect(byZone.get('west')).toMatchObject({ assignment: {} })
    const last = joins.filter((j) => j.groupProtocol === 'ZoneAssigner').at(-1)
    expect(last).toBeDefined()
  })

  it('selects the first protocol every member supports: [Mine, roundRobin] with [roundRobin] runs roundRobin', async () => {
    const client = testKafka()
    const topic = await topicWith(client, 4, [])
    const groupId = uniqueName('g')
    const mine = client.consumer({
      groupId,
      partitionAssigners: [zoneAssigner('east'), PartitionAssigners.roundRobin],
    })
    const plain = client.consumer({ groupId })
    await mine.subscribe({ topic })
    await plain.subscribe({ topic })
    await mine.run({ eachMessage })
    await plain.run({ eachMessage })
    const bus = await client.kafka.bus()
    await bus.group(groupId).settled()
    const description = await mine.describeGroup()
    expect(description.protocol).toBe('RoundRobinAssigner')
    const counts = description.members.map(
      (m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)!.assignment[topic]!.length,
    )
    expect(counts).toEqual([2, 2])

    // Once every member prefers Mine, the group moves to it at the next rebalance.
    await plain.disconnect()
    const other = client.consumer({
      groupId,
      partitionAssigners: [zoneAssigner('west'), PartitionAssigners.roundRobin],
    })
    await other.subscribe({ topic })
    await other.run({ eachMessage })
    await bus.group(groupId).settled()
    expect((await mine.describeGroup()).protocol).toBe('ZoneAssigner')
  })

  it('drops what a member does not subscribe to, as a KafkaJS member ignores unsubscribed topics', async () => {
    const client = testKafka()
    const mineTopic = await topicWith(client, 1, [{ value: 'mine' }])
    const otherTopic = await topicWith(client, 1, [{ value: 'other' }])
    const groupId = uniqueName('g')
    // Gives every topic the leader knows of to everyone: a careless assigner.
    const everything: PartitionAssigner = ({ cluster }) => ({
      name: 'Everything',
      version: 0,
      protocol: ({ topics }) => ({
        name: 'Everything',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }),
      }),
      assign: async ({ members }) =>
        members.map(({ memberId }) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 0,
            assignment: Object.fromEntries(
              [mineTopic, otherTopic].map((t) => [
                t,
                cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId),
              ]),
            ),
          }),
        })),
    })
    const consumer = client.consumer({ groupId, partitionAssigners: [everything] })
    await consumer.subscribe({ topic: mineTopic, fromBeginning: true })
    const seen: string[] = []
    await consumer.run({ eachMessage: async ({ topic }) => void seen.push(topic) })
    await waitUntil(() => seen.length === 1)
    const bus = await client.kafka.bus()
    expect(bus.group(groupId).describe().members[0]!.assignment).toEqual([{ topic: mineTopic, partition: 0 }])
  })
})

describe('a failing custom assigner', () => {
  it('assigns nothing that round, and the leader logs why', async () => {
    const entries: string[] = []
    const client = testKafka({
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => void entries.push(entry.log.message),
    })
    const topic = await topicWith(client, 2, [])
    const groupId = uniqueName('g')
    const broken: PartitionAssigner = () => ({
      name: 'Broken',
      version: 0,
      protocol: ({ topics }) => ({
        name: 'Broken',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }),
      }),
      assign: async () => {
        throw new Error('no idea how to assign')
      },
    })
    const consumer = client.consumer({ groupId, partitionAssigners: [broken] })
    await consumer.subscribe({ topic })
    await consumer.run({ eachMessage })
    expect(entries).toContain('Group assignment failed: no idea how to assign')
    const bus = await client.kafka.bus()
    expect(bus.group(groupId).describe().members[0]!.assignment).toEqual([])
  })
})

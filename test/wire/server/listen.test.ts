import { createHash } from 'node:crypto'
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  type Assignor,
  Bus,
  ClosedError,
  type Consumer,
  InvalidConfigError,
  roundRobinAssignor,
} from '../../../src/index'
import { ADVERTISED_APIS, ApiKeys, KafkaErrors, listen } from '../../../src/wire'
import { encodeAssignment, encodeSubscription } from '../../../src/wire/groups/consumer-protocol'
import { uniqueName, waitUntil } from '../../support/bus'
import { closedBy, rawSocket, readFrame, roundTrip, serve } from '../support'

/** Whether a TCP connection to the port is refused (nothing listens). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}

describe('bus.listen', () => {
  it('binds loopback by default on the port 0 picked, and advertises that address', async () => {
    const { server } = await serve()
    expect(server.address.host).toBe('127.0.0.1')
    expect(server.address.port).toBeGreaterThan(0)
    expect(server.advertised).toEqual({ host: '127.0.0.1', port: server.address.port })
  })

  it('close is idempotent, drops every connection and stops listening', async () => {
    const { server } = await serve()
    const socket = await rawSocket(server.address.port)
    const closed = closedBy(socket)
    await Promise.all([server.close(), server.close()])
    await server.close()
    await closed
    expect(server.connections).toBe(0)
    expect(await refused(server.address.port)).toBe(true)
  })

  it('closes with the bus, and by Symbol.asyncDispose', async () => {
    const bus = await Bus.open()
    const server = await bus.listen({ port: 0 })
    await bus.close()
    expect(await refused(server.address.port)).toBe(true)
    const other = await Bus.open()
    let port = 0
    {
      await using disposable = await listen(other, { port: 0 })
      expect(disposable.connections).toBe(0)
      port = disposable.address.port
    }
    expect(await refused(port)).toBe(true)
    await other.close()
  })

  it('refuses a closed bus and bad options, listening on nothing', async () => {
    const bus = await Bus.open()
    await expect(bus.listen({ port: -1 })).rejects.toThrow(InvalidConfigError)
    await expect(bus.listen({ port: 0, nope: true } as never)).rejects.toThrow(/listen\.nope/)
    await bus.close()
    await expect(bus.listen({ port: 0 })).rejects.toThrow(ClosedError)
  })

  it('answers ApiVersions with the advertised ranges', async () => {
    const { server } = await serve()
    const socket = await rawSocket(server.address.port)
    const response = await roundTrip(socket, ApiKeys.ApiVersions, 3, {
      clientSoftwareName: 'raw',
      clientSoftwareVersion: '1',
    })
    expect(response.errorCode).toBe(0)
    expect(response.apiKeys.map((a) => [a.apiKey, a.minVersion, a.maxVersion])).toEqual(
      ADVERTISED_APIS.map((a) => [a.apiKey, a.minVersion, a.maxVersion]),
    )
  })

  it('names the cluster by its address (stable across restarts), or by the clusterId option', async () => {
    const { server } = await serve()
    const socket = await rawSocket(server.address.port)
    const metadata = await roundTrip(socket, ApiKeys.Metadata, 9, { topics: [] })
    const seed = `logbus:127.0.0.1:${server.address.port}`
    expect(metadata.clusterId).toBe(createHash('sha256').update(seed).digest('base64url').slice(0, 22))
    const described = await roundTrip(socket, ApiKeys.DescribeCluster, 0, {})
    expect(described.clusterId).toBe(metadata.clusterId)

    const named = await serve({ listen: { clusterId: 'cluster-1' } })
    const other = await rawSocket(named.server.address.port)
    expect((await roundTrip(other, ApiKeys.Metadata, 9, { topics: [] })).clusterId).toBe('cluster-1')
  })

  it('answers an ApiVersions newer than it knows with v0 and UNSUPPORTED_VERSION, keeping the connection', async () => {
    const { server } = await serve()
    const socket = await rawSocket(server.address.port)
    // ApiVersions v99, correlation id 7, null client id, no tagged fields, then a body the server cannot know.
    const frame = Buffer.from([0, 0, 0, 0, 0, 18, 0, 99, 0, 0, 0, 7, 0xff, 0xff, 0, 1, 2, 3])
    frame.writeInt32BE(frame.length - 4, 0)
    const response = readFrame(socket)
    socket.write(frame)
    const body = await response
    expect(body.readInt32BE(0)).toBe(7)
    expect(body.readInt16BE(4)).toBe(35)
    const again = await roundTrip(socket, ApiKeys.ApiVersions, 0, {})
    expect(again.errorCode).toBe(0)
  })
})

/** The group goes on with `local` alone, owning both partitions, well inside the wire members' timeouts. */
async function onlyMemberLeft(bus: Bus, groupId: string, local: Consumer): Promise<void> {
  await waitUntil(() => local.assignment().length === 2, { timeoutMs: 10_000, message: 'local owns both' })
  expect(
    bus
      .group(groupId)
      .describe()
      .members.map((m) => m.memberId),
  ).toEqual([local.memberId])
  await bus.close()
}

describe('closing with requests in flight', () => {
  it('answers a waiting long-poll Fetch at once, then closes', async () => {
    const { bus, server } = await serve()
    await bus.createTopic('quiet')
    const socket = await rawSocket(server.address.port)
    const fetched = roundTrip(socket, ApiKeys.Fetch, 11, {
      maxWaitMs: 600_000,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [
        { topic: 'quiet', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
      ],
    })
    // A round trip on a second connection, opened after the Fetch was sent, lets the server read it first.
    const other = await rawSocket(server.address.port)
    expect((await roundTrip(other, ApiKeys.ApiVersions, 3, {})).errorCode).toBe(0)
    // The Fetch is parked (nothing to read); close must answer it rather than wait out its 10 minutes.
    const closing = server.close()
    const response = await fetched
    expect(response.responses[0]!.partitions[0]!.errorCode).toBe(0)
    await closing
    expect(server.connections).toBe(0)
  })

  it('takes its members out of their groups, answering a parked JoinGroup NOT_COORDINATOR', async () => {
    const { bus, server } = await serve()
    const topic = uniqueName('held')
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const protocols = [
      {
        name: 'range',
        metadata: encodeSubscription({ topics: [topic], userData: null, ownedPartitions: [] }),
      },
    ]
    // Timeouts far past the test's: nothing here may wait for a session or a rebalance to expire.
    const join = {
      groupId,
      sessionTimeoutMs: 300_000,
      rebalanceTimeoutMs: 300_000,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols,
    }
    const joinAs = async (socket: Awaited<ReturnType<typeof rawSocket>>) => {
      const first = await roundTrip(socket, ApiKeys.JoinGroup, 5, { ...join, memberId: '' })
      expect(first.errorCode).toBe(KafkaErrors.MEMBER_ID_REQUIRED)
      return roundTrip(socket, ApiKeys.JoinGroup, 5, { ...join, memberId: first.memberId })
    }
    // A joins and leads; its SyncGroup takes both partitions.
    const a = await rawSocket(server.address.port)
    const joined = await joinAs(a)
    expect(joined.errorCode).toBe(0)
    const synced = await roundTrip(a, ApiKeys.SyncGroup, 3, {
      groupId,
      generationId: joined.generationId,
      memberId: joined.memberId,
      groupInstanceId: null,
      assignments: [
        {
          memberId: joined.memberId,
          assignment: encodeAssignment([
            { topic, partition: 0 },
            { topic, partition: 1 },
          ]),
        },
      ],
    })
    expect(synced.errorCode).toBe(0)
    // B's JoinGroup parks: the rebalance waits for A, which never rejoins.
    const b = await rawSocket(server.address.port)
    const parked = joinAs(b)
    await waitUntil(() => bus.group(groupId).describe().members.length === 2)
    // An in-process member waits behind the same rebalance: its run resolves once it has joined.
    const local = bus.consumer({ groupId, topics: [topic], assignor: 'range' })
    const running = local.run({ eachMessage: async () => {} })
    await waitUntil(() => bus.group(groupId).describe().members.length === 3)

    await server.close()
    await running
    expect((await parked).errorCode).toBe(KafkaErrors.NOT_COORDINATOR)
    await onlyMemberLeft(bus, groupId, local)
  })

  it('takes its KIP-848 members out of their groups too', async () => {
    const { bus, server } = await serve()
    const topic = uniqueName('held')
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 2 })
    const socket = await rawSocket(server.address.port)
    const heartbeat = (fields: Record<string, unknown>) =>
      roundTrip(socket, ApiKeys.ConsumerGroupHeartbeat, 0, {
        groupId,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: 300_000,
        subscribedTopicNames: null,
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: null,
        ...fields,
      })
    let answer = await heartbeat({
      memberId: '',
      memberEpoch: 0,
      subscribedTopicNames: [topic],
      topicPartitions: [],
    })
    const memberId = answer.memberId
    // The assignment comes with a later heartbeat, once the group's rebalance has run.
    while (answer.errorCode === 0 && answer.assignment === null) {
      answer = await heartbeat({ memberId, memberEpoch: answer.memberEpoch })
    }
    expect(answer.errorCode).toBe(0)
    expect(answer.assignment!.topicPartitions[0]!.partitions).toEqual([0, 1])
    // The member owns both partitions; it never heartbeats again, so it never gives them up.
    const owning = await heartbeat({
      memberId,
      memberEpoch: answer.memberEpoch,
      topicPartitions: answer.assignment!.topicPartitions,
    })
    expect(owning.errorCode).toBe(0)
    // The core's round robin under KIP-848's name for it, so both members share the group.
    const uniform = Object.assign((input: Parameters<Assignor>[0]) => roundRobinAssignor(input), {
      protocol: 'uniform',
    })
    const local = bus.consumer({ groupId, topics: [topic], assignor: uniform })
    const running = local.run({ eachMessage: async () => {} })
    await waitUntil(() => bus.group(groupId).describe().members.length === 2)

    await server.close()
    await running
    await onlyMemberLeft(bus, groupId, local)
  })
})

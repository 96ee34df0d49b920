import { describe, expect, it } from 'vitest'
import { type Assignor, roundRobinAssignor } from '../../../src/index'
import { ApiKeys, KafkaErrors } from '../../../src/wire'
import { encodeSubscription } from '../../../src/wire/groups/consumer-protocol'
import { uniqueName, waitUntil } from '../../support/bus'
import { kafkajsClient, rawSocket, roundTrip, serve } from '../support'

// One group, members in process and over the wire: they share it when they share an assignor protocol
// name (Kafka's rule for any two members); otherwise the wire member's JoinGroup is refused with
// INCONSISTENT_GROUP_PROTOCOL and the group goes on as it was.

const WAIT = { timeoutMs: 15_000 }

/** The in-process round robin under KafkaJS's protocol name, so both kinds of member agree. */
const kafkajsRoundRobin: Assignor = Object.assign(
  (input: Parameters<Assignor>[0]) => roundRobinAssignor(input),
  {
    protocol: 'RoundRobinAssigner',
  },
)

describe('groups with in-process and wire members', () => {
  it('share partitions, rebalance both ways, and deliver each record once', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('mixed')
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 4 })
    const seen = new Map<string, string>()
    const local = bus.consumer({ groupId, topics: [topic], fromBeginning: true, assignor: kafkajsRoundRobin })
    await local.run({ eachMessage: async (record) => void seen.set(String(record.value), 'local') })
    const remote = kafkajsClient(broker).consumer({ groupId, maxWaitTimeInMs: 100, heartbeatInterval: 100 })
    await remote.connect()
    await remote.subscribe({ topic, fromBeginning: true })
    await remote.run({
      eachMessage: async ({ message }) => void seen.set(message.value!.toString(), 'remote'),
    })
    await waitUntil(
      () => bus.group(groupId).describe().members.length === 2 && bus.group(groupId).state === 'Stable',
      WAIT,
    )
    expect(local.assignment()).toHaveLength(2)

    const producer = bus.producer()
    await producer.send(
      topic,
      Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    )
    await waitUntil(() => seen.size === 40, WAIT)
    expect(new Set(seen.values())).toEqual(new Set(['local', 'remote']))

    await local.close()
    await waitUntil(
      () => bus.group(groupId).describe().members.length === 1 && bus.group(groupId).state === 'Stable',
      WAIT,
    )
    await producer.send(
      topic,
      Array.from({ length: 8 }, (_, i) => ({ key: `k${i}`, value: `late ${i}` })),
    )
    await waitUntil(() => seen.size === 48, WAIT)
    expect([...seen].filter(([v]) => v.startsWith('late')).every(([, who]) => who === 'remote')).toBe(true)
    await remote.disconnect()
    await producer.close()
  })

  it('refuses a wire member without a protocol the group’s members support: INCONSISTENT_GROUP_PROTOCOL', async () => {
    const { bus, server } = await serve()
    const topic = uniqueName('strict')
    const groupId = uniqueName('g')
    await bus.createTopic(topic)
    const local = bus.consumer({ groupId, topics: [topic], assignor: 'range' })
    await local.run({ eachMessage: async () => {} })
    const socket = await rawSocket(server.address.port)
    const request = {
      groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [
        {
          name: 'RoundRobinAssigner',
          metadata: encodeSubscription({ topics: [topic], userData: null, ownedPartitions: [] }),
        },
      ],
    }
    // JoinGroup v4+: the first answer hands out the member id (MEMBER_ID_REQUIRED), then the member joins.
    const first = await roundTrip(socket, ApiKeys.JoinGroup, 5, request)
    expect(first.errorCode).toBe(KafkaErrors.MEMBER_ID_REQUIRED)
    const join = await roundTrip(socket, ApiKeys.JoinGroup, 5, { ...request, memberId: first.memberId })
    expect(join.errorCode).toBe(KafkaErrors.INCONSISTENT_GROUP_PROTOCOL)
    expect(bus.group(groupId).describe().members).toHaveLength(1)
    expect(local.assignment()).toEqual([{ topic, partition: 0 }])
    await local.close()
  })
})

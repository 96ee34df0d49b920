import {
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  stringDeserializers,
} from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { uniqueName, waitUntil } from '../../support/bus'
import { serve } from '../support'

// KIP-848's consumer group protocol (ConsumerGroupHeartbeat, server-side assignment), through
// @platformatic/kafka with groupProtocol 'consumer'.

const WAIT = { timeoutMs: 10_000 }

describe('the consumer group protocol (KIP-848)', () => {
  it('assigns on the server, rebalances as members join and leave, and commits by member epoch', async () => {
    const { bus, broker } = await serve({ listen: { consumerHeartbeatIntervalMs: 300 } })
    const topic = uniqueName('kip848')
    const groupId = uniqueName('g')
    await bus.createTopic(topic, { partitions: 4 })
    await bus.producer().send(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    )
    const seen = new Map<string, string>()
    const byMember = new Map<string, Set<string>>([
      ['a', new Set()],
      ['b', new Set()],
    ])
    const member = async (name: string) => {
      const consumer = new Consumer({
        groupId,
        clientId: name,
        bootstrapBrokers: [broker],
        deserializers: stringDeserializers,
        groupProtocol: 'consumer',
        maxWaitTime: 50,
      })
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
      })
      stream.on('data', (message) => {
        seen.set(message.value, name)
        byMember.get(name)!.add(message.value)
        void message.commit()
      })
      return consumer
    }
    const a = await member('a')
    await waitUntil(() => seen.size === 20, { ...WAIT, message: 'the first member reads everything' })
    expect(bus.group(groupId).describe()).toMatchObject({ protocol: 'uniform', state: 'Stable' })
    const b = await member('b')
    await waitUntil(
      () => {
        const members = bus.group(groupId).describe().members
        return members.length === 2 && members.every((m) => m.assignment.length === 2)
      },
      { ...WAIT, message: 'the server assigns two partitions each' },
    )
    // The members learn their new assignments at their next heartbeats.
    const owned = (c: Consumer<string, string, string, string>) =>
      (c.assignments ?? []).reduce((n, t) => n + t.partitions.length, 0)
    await waitUntil(() => owned(a) === 2 && owned(b) === 2, {
      ...WAIT,
      message: 'both members own two partitions',
    })
    await bus.producer().send(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `w${i}` })),
    )
    await waitUntil(() => seen.size === 40, { ...WAIT, message: 'every record read' })
    // Each member reads the partitions it was given (at least once: an eager rebalance may repeat some).
    await waitUntil(() => [...byMember.get('b')!].some((v) => v.startsWith('w')), {
      ...WAIT,
      message: 'b reads',
    })
    await a.close(true)
    await waitUntil(() => bus.group(groupId).describe().members.length === 1, {
      ...WAIT,
      message: 'the member left',
    })
    await waitUntil(() => bus.group(groupId).describe().members[0]!.assignment.length === 4, {
      ...WAIT,
      message: 'the other takes every partition',
    })
    await b.close(true)
    const group = bus.group(groupId)
    await waitUntil(
      () => [0, 1, 2, 3].reduce((n, p) => n + (group.committedOffset(topic, p) ?? 0), 0) === 40,
      { ...WAIT, message: 'every record committed' },
    )
  }, 60_000)
})

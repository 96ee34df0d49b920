import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { uniqueName } from '../../support/bus'
import { kafkajsClient, serve } from '../support'

// SASL, ACLs and TLS, through an unmodified KafkaJS client.

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url))
const users = { alice: 'alice-secret', bob: 'bob-secret' }

describe('wire security', () => {
  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`authenticates with SASL ${mechanism} and refuses a wrong password`, async () => {
      const { bus, broker } = await serve({ listen: { sasl: { users } } })
      const topic = uniqueName('sasl')
      await bus.createTopic(topic)
      const producer = kafkajsClient(broker, {
        sasl: { mechanism, username: 'alice', password: 'alice-secret' },
      } as never).producer()
      await producer.connect()
      await producer.send({ topic, messages: [{ value: mechanism }] })
      await producer.disconnect()
      expect(String((await bus.topic(topic).partition(0).read(0))[0]!.value)).toBe(mechanism)
      const intruder = kafkajsClient(broker, {
        sasl: { mechanism, username: 'alice', password: 'wrong' },
        retry: { retries: 0 },
      } as never).producer()
      await expect(intruder.connect()).rejects.toThrow(/SASL|authentication/i)
    })
  }

  it('enforces ACLs with Kafka’s authorization errors', async () => {
    const { bus, broker } = await serve({
      listen: {
        sasl: { users, mechanisms: ['PLAIN'] },
        acls: [
          {
            principal: 'User:alice',
            resource: 'topic',
            name: 'orders-',
            patternType: 'prefixed',
            operations: ['write'],
          },
          { principal: 'User:bob', resource: 'topic', name: '*', operations: ['read'] },
          { principal: 'User:bob', resource: 'group', name: '*', operations: ['read'] },
        ],
      },
    })
    const allowed = `orders-${uniqueName()}`
    const other = uniqueName('secret')
    await bus.createTopic(allowed)
    await bus.createTopic(other)
    const alice = kafkajsClient(broker, {
      sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' },
      retry: { retries: 0 },
    })
    const producer = alice.producer()
    await producer.connect()
    await producer.send({ topic: allowed, messages: [{ value: 'ok' }] })
    await expect(producer.send({ topic: other, messages: [{ value: 'no' }] })).rejects.toMatchObject({
      cause: { type: 'TOPIC_AUTHORIZATION_FAILED' },
    })
    await producer.disconnect()
    const admin = alice.admin()
    await admin.connect()
    await expect(admin.createTopics({ topics: [{ topic: uniqueName('x') }] })).rejects.toThrow()
    await expect(admin.deleteTopics({ topics: [allowed] })).rejects.toThrow()
    await admin.disconnect()
    expect(bus.listTopics()).toContain(allowed)
    expect(bus.topic(other).partition(0).logEndOffset).toBe(0)
  })

  it('serves TLS', async () => {
    const { bus, broker } = await serve({
      listen: { tls: { key: fixture('server.key'), cert: fixture('server.crt') } },
    })
    const topic = uniqueName('tls')
    await bus.createTopic(topic)
    const producer = kafkajsClient(broker, { ssl: { ca: [fixture('server.crt')] } }).producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'encrypted' }] })
    await producer.disconnect()
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(1)
  })
})

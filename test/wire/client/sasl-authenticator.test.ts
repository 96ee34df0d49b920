import { readFileSync } from 'node:fs'
import { describe, expect, it, onTestFinished } from 'vitest'
import { InvalidConfigError } from '../../../src/index'
import {
  ApiKeys,
  AuthenticationError,
  BrokerConnection,
  KafkaClient,
  type KafkaClientOptions,
  type SaslMechanism,
} from '../../../src/wire'
import { uniqueName, waitUntil } from '../../support/bus'
import { serve } from '../support'
import { leftOpenAfterFailure, rejection } from './support'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url))
const users = { alice: 'alice-secret', 'b=o,b': 'bob secret ✓' }

async function connect(options: KafkaClientOptions): Promise<KafkaClient> {
  const client = await KafkaClient.connect(options)
  onTestFinished(() => client.close())
  return client
}

/**
 * A SASL server whose ACLs let only alice and bob in: a connection that skipped the login could not
 * even ask Metadata (the server closes it). Its Metadata names `localhost`, so that the client opens
 * connections of its own to the leader and the coordinator (the bootstrap one is 127.0.0.1).
 */
async function saslServer(mechanisms?: SaslMechanism[], tls = false) {
  return serve({
    listen: {
      advertisedHost: 'localhost',
      sasl: { users, ...(mechanisms === undefined ? {} : { mechanisms }) },
      ...(tls ? { tls: { key: fixture('server.key'), cert: fixture('server.crt') } } : {}),
      acls: ['User:alice', 'User:b=o,b'].flatMap((principal) => [
        { principal, resource: 'topic' as const, operations: ['all' as const] },
        { principal, resource: 'group' as const, operations: ['all' as const] },
        { principal, resource: 'cluster' as const, operations: ['all' as const] },
      ]),
    },
  })
}

describe('SASL in KafkaClient', () => {
  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: logs in on the bootstrap, leader and coordinator connections`, async () => {
      const { bus, broker } = await saslServer([mechanism])
      const topic = uniqueName('sasl')
      await bus.createTopic(topic)
      for (const [username, password] of Object.entries(users)) {
        const client = await connect({ bootstrapServers: broker, sasl: { mechanism, username, password } })
        expect((await client.metadata([topic])).topics[0]?.name).toBe(topic)
        const leader = await client.leader(topic, 0)
        expect(leader).not.toBe(client.bootstrap)
        const { body } = await leader.send(ApiKeys.ListOffsets, () => ({
          replicaId: -1,
          isolationLevel: 0,
          topics: [
            { name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] },
          ],
        }))
        expect(body.topics[0]?.partitions[0]?.errorCode).toBe(0)
        const coordinator = await client.coordinator('billing')
        const groups = await coordinator.send(ApiKeys.ListGroups, () => ({
          statesFilter: [],
          typesFilter: [],
        }))
        expect(groups.body.errorCode).toBe(0)
      }
    })
  }

  it('SASL_SSL: logs in over TLS', async () => {
    const { bus, broker } = await saslServer(undefined, true)
    const topic = uniqueName('sasl-ssl')
    await bus.createTopic(topic)
    const client = await connect({
      bootstrapServers: broker,
      tls: { ca: [fixture('server.crt')] },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' },
    })
    expect((await client.metadata([topic])).topics[0]?.name).toBe(topic)
    const coordinator = await client.coordinator('billing')
    const groups = await coordinator.send(ApiKeys.ListGroups, () => ({ statesFilter: [], typesFilter: [] }))
    expect(groups.body.errorCode).toBe(0)
  })

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: a wrong password is SASL_AUTHENTICATION_FAILED, and the connection is closed`, async () => {
      const { server, broker } = await saslServer()
      const error = await rejection(
        KafkaClient.connect({
          bootstrapServers: broker,
          sasl: { mechanism, username: 'alice', password: 'wrong' },
        }),
      )
      expect(error).toBeInstanceOf(AuthenticationError)
      expect(error).toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', retriable: false })
      expect((error as Error).message).toMatch(
        new RegExp(`^SASL ${mechanism} authentication of alice to ${broker} failed: `),
      )
      await waitUntil(() => server.connections === 0, { message: 'the connection to close' })
      const left = await leftOpenAfterFailure({
        host: '127.0.0.1',
        port: server.address.port,
        sasl: { mechanism, username: 'alice', password: 'wrong' },
      })
      expect(left.code).toBe('SASL_AUTHENTICATION_FAILED')
      expect(left.resources.filter((kind) => /Timeout|TCP|TLS/.test(kind))).toEqual([])
    })
  }

  it('an unknown user is refused as a wrong password is', async () => {
    const { broker } = await saslServer()
    await expect(
      KafkaClient.connect({
        bootstrapServers: broker,
        sasl: { mechanism: 'SCRAM-SHA-256', username: 'mallory', password: 'x' },
      }),
    ).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' })
  })

  it('a mechanism the server does not offer is UNSUPPORTED_SASL_MECHANISM, naming the ones it does', async () => {
    const { server, broker } = await saslServer(['SCRAM-SHA-512', 'PLAIN'])
    const error = await rejection(
      BrokerConnection.open({
        host: '127.0.0.1',
        port: server.address.port,
        sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' },
      }),
    )
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(error).toMatchObject({
      code: 'UNSUPPORTED_SASL_MECHANISM',
      message: `${broker} does not offer SASL mechanism SCRAM-SHA-256 (it offers: SCRAM-SHA-512, PLAIN)`,
    })
    await waitUntil(() => server.connections === 0, { message: 'the connection to close' })
  })

  it('SASL asked of a server without it is ILLEGAL_SASL_STATE', async () => {
    const { server, broker } = await serve()
    await expect(
      KafkaClient.connect({
        bootstrapServers: broker,
        sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' },
      }),
    ).rejects.toMatchObject({ name: 'AuthenticationError', code: 'ILLEGAL_SASL_STATE' })
    await waitUntil(() => server.connections === 0, { message: 'the connection to close' })
  })

  it('credentials it cannot use are an InvalidConfigError, before anything is connected', async () => {
    const { server, broker } = await saslServer()
    const bad = [
      { mechanism: 'GSSAPI', username: 'alice', password: 'x' },
      { mechanism: 'PLAIN', username: '', password: 'x' },
      { mechanism: 'PLAIN', username: 'alice', password: 42 },
    ]
    for (const sasl of bad) {
      await expect(KafkaClient.connect({ bootstrapServers: broker, sasl: sasl as never })).rejects.toThrow(
        InvalidConfigError,
      )
    }
    expect(server.connections).toBe(0)
  })
})

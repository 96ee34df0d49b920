import { readFileSync } from 'node:fs'
import { describe, expect, it, onTestFinished } from 'vitest'
import { InvalidConfigError } from '../../../src/index'
import {
  ApiKeys,
  AuthenticationError,
  BrokerConnection,
  type BrokerConnectionOptions,
  KafkaClient,
  NetworkError,
} from '../../../src/wire'
import { uniqueName, waitUntil } from '../../support/bus'
import { serve } from '../support'
import { leftOpenAfterFailure, rejection } from './support'

// The fixture is a self-signed certificate for localhost and 127.0.0.1, with no key usage restricting
// it to servers: it is the server's certificate, its own CA, and a client certificate for mutual TLS.
const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url))
const serverTls = { key: fixture('server.key'), cert: fixture('server.crt') }
const trusted = { ca: [fixture('server.crt')] }

async function open(options: BrokerConnectionOptions): Promise<BrokerConnection> {
  const connection = await BrokerConnection.open(options)
  onTestFinished(() => connection.close())
  return connection
}

describe('TLS in BrokerConnection and KafkaClient', () => {
  it('talks to a TLS listener, on every connection the client opens', async () => {
    const { bus, broker } = await serve({ listen: { tls: serverTls, advertisedHost: 'localhost' } })
    const topic = uniqueName('tls')
    await bus.createTopic(topic)
    const client = await KafkaClient.connect({ bootstrapServers: broker, tls: trusted })
    onTestFinished(() => client.close())
    expect((await client.metadata([topic])).topics[0]?.name).toBe(topic)
    // `localhost` is the advertised host: a second connection, checked against the certificate's DNS name.
    const leader = await client.leader(topic, 0)
    expect(leader).not.toBe(client.bootstrap)
    const { body } = await leader.send(ApiKeys.ListGroups, () => ({ statesFilter: [], typesFilter: [] }))
    expect(body.errorCode).toBe(0)
  })

  it('refuses a certificate it does not trust: SSL_AUTHENTICATION_FAILED, nothing left open', async () => {
    const { server } = await serve({ listen: { tls: serverTls } })
    const error = await rejection(
      BrokerConnection.open({ host: '127.0.0.1', port: server.address.port, tls: true }),
    )
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(error).toMatchObject({ code: 'SSL_AUTHENTICATION_FAILED', retriable: false })
    expect((error as Error).message).toMatch(
      /^TLS handshake with 127\.0\.0\.1:\d+ failed: self.signed certificate/,
    )
    await waitUntil(() => server.connections === 0, { message: 'the connection to close' })
    const left = await leftOpenAfterFailure({ host: '127.0.0.1', port: server.address.port, tls: true })
    expect(left.code).toBe('SSL_AUTHENTICATION_FAILED')
    expect(left.resources.filter((kind) => /Timeout|TCP|TLS/.test(kind))).toEqual([])
  })

  it('a port nobody listens on is a NetworkError, as without TLS', async () => {
    const { server } = await serve()
    const port = server.address.port
    await server.close()
    await expect(BrokerConnection.open({ host: '127.0.0.1', port, tls: trusted })).rejects.toMatchObject({
      name: 'NetworkError',
      message: `Cannot connect to 127.0.0.1:${port}: connection refused`,
    })
  })

  it('checks the host name unless told not to (ssl.endpoint.identification.algorithm empty)', async () => {
    const { server } = await serve({ listen: { tls: serverTls } })
    const port = server.address.port
    const elsewhere = { ...trusted, servername: 'kafka.example.com' }
    await expect(BrokerConnection.open({ host: '127.0.0.1', port, tls: elsewhere })).rejects.toMatchObject({
      code: 'SSL_AUTHENTICATION_FAILED',
      message: expect.stringMatching(/kafka\.example\.com/),
    })
    const unchecked = await open({
      host: '127.0.0.1',
      port,
      tls: { ...elsewhere, checkServerIdentity: () => undefined },
    })
    expect(unchecked.usable).toBe(true)
  })

  it('presents a client certificate to a listener that requires one', async () => {
    const { server } = await serve({
      listen: {
        tls: { ...serverTls, ca: [fixture('server.crt')], requestCert: true, rejectUnauthorized: true },
      },
    })
    const port = server.address.port
    const refused = await rejection(BrokerConnection.open({ host: '127.0.0.1', port, tls: trusted }))
    expect(refused).toBeInstanceOf(AuthenticationError)
    expect(refused).toMatchObject({ code: 'SSL_AUTHENTICATION_FAILED' })
    const mutual = await open({ host: '127.0.0.1', port, tls: { ...trusted, ...serverTls } })
    const { body } = await mutual.send(ApiKeys.ListGroups, () => ({ statesFilter: [], typesFilter: [] }))
    expect(body.errorCode).toBe(0)
  })

  it('TLS to a plaintext listener fails the handshake; plaintext to a TLS listener is closed', async () => {
    const plain = await serve()
    await expect(
      BrokerConnection.open({ host: '127.0.0.1', port: plain.server.address.port, tls: trusted }),
    ).rejects.toMatchObject({
      code: 'SSL_AUTHENTICATION_FAILED',
      message: expect.stringMatching(/speak TLS/),
    })
    await waitUntil(() => plain.server.connections === 0, { message: 'the connection to close' })

    const secure = await serve({ listen: { tls: serverTls } })
    const error = await rejection(
      BrokerConnection.open({
        host: '127.0.0.1',
        port: secure.server.address.port,
        connectTimeoutMs: 30_000,
      }),
    )
    expect(error).toBeInstanceOf(NetworkError)
  })

  it('settings Node cannot use are an InvalidConfigError', async () => {
    const { server } = await serve({ listen: { tls: serverTls } })
    await expect(
      BrokerConnection.open({
        host: '127.0.0.1',
        port: server.address.port,
        tls: { ...trusted, key: 'not a key', cert: fixture('server.crt') },
      }),
    ).rejects.toThrow(InvalidConfigError)
    expect(server.connections).toBe(0)
  })
})

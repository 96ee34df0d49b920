import { createServer, type Socket } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  ApiKeys,
  BrokerConnection,
  type DecodedRequest,
  decodeRequest,
  encodeResponse,
  FrameReader,
  KafkaErrors,
} from '../../../src/wire'
import { waitUntil } from '../../support/bus'

// KIP-368: a broker with connections.max.reauth.ms gives each SASL session a lifetime, and closes a
// connection used after it; Kafka's clients log in again on the same connection before it ends.

const RANGES = [
  { apiKey: ApiKeys.ApiVersions, minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKeys.SaslHandshake, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKeys.SaslAuthenticate, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKeys.ListGroups, minVersion: 0, maxVersion: 4 },
]

/**
 * A broker that speaks just enough Kafka: PLAIN logins with a short session lifetime (the first one
 * succeeds; later ones as `relogin` says, and may be held until `release()`), ListGroups. Every request
 * is recorded, by API name, in the order it arrived; one that arrives while a login's answer is held
 * closes the connection.
 */
async function shortSessionBroker(relogin: 'ok' | 'refused' = 'ok') {
  const arrived: string[] = []
  const held: (() => void)[] = []
  let logins = 0
  let holding = false
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    const frames = new FrameReader()
    socket.on('error', () => undefined)
    socket.on('data', (chunk) => {
      for (const frame of frames.push(chunk)) {
        const request = decodeRequest(frame)
        arrived.push(name(request))
        // As Kafka: in the middle of a login, the next frame is the login's next step; anything else
        // fails it, and the connection is closed.
        if (held.length > 0 && request.apiKey !== ApiKeys.SaslAuthenticate) {
          socket.destroy()
          return
        }
        const answer = reply(request)
        if (holding && request.apiKey === ApiKeys.SaslAuthenticate) held.push(() => socket.write(answer))
        else socket.write(answer)
      }
    })
  })
  const reply = (request: DecodedRequest): Buffer => {
    const id = request.header.correlationId
    switch (request.apiKey) {
      case ApiKeys.ApiVersions:
        return encodeResponse(ApiKeys.ApiVersions, request.apiVersion, id, { errorCode: 0, apiKeys: RANGES })
      case ApiKeys.SaslHandshake:
        return encodeResponse(ApiKeys.SaslHandshake, request.apiVersion, id, {
          errorCode: 0,
          mechanisms: ['PLAIN'],
        })
      case ApiKeys.SaslAuthenticate: {
        logins++
        const refused = logins > 1 && relogin === 'refused'
        return encodeResponse(ApiKeys.SaslAuthenticate, request.apiVersion, id, {
          errorCode: refused ? KafkaErrors.SASL_AUTHENTICATION_FAILED : 0,
          errorMessage: refused ? 'Authentication failed: credentials expired' : null,
          authBytes: Buffer.alloc(0),
          sessionLifetimeMs: 100n,
        })
      }
      default:
        return encodeResponse(ApiKeys.ListGroups, request.apiVersion, id, { errorCode: 0, groups: [] })
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return {
    port: (server.address() as { port: number }).port,
    arrived,
    /** From now on, SaslAuthenticate answers wait for `release`. */
    hold: () => {
      holding = true
    },
    release: () => {
      holding = false
      for (const answer of held.splice(0)) answer()
    },
    held: () => held.length,
  }
}

function name(request: DecodedRequest): string {
  return Object.entries(ApiKeys).find(([, key]) => key === request.apiKey)![0]
}

async function open(port: number): Promise<BrokerConnection> {
  const connection = await BrokerConnection.open({
    host: '127.0.0.1',
    port,
    sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' },
  })
  onTestFinished(() => connection.close())
  return connection
}

describe('re-authentication (KIP-368)', () => {
  it('logs in again on the same connection before the session the broker gave ends', async () => {
    const broker = await shortSessionBroker()
    const connection = await open(broker.port)
    expect(broker.arrived).toEqual(['ApiVersions', 'SaslHandshake', 'SaslAuthenticate'])
    await waitUntil(() => broker.arrived.length >= 7, { message: 'two more logins' })
    expect(broker.arrived.slice(0, 7)).toEqual([
      'ApiVersions',
      'SaslHandshake',
      'SaslAuthenticate',
      'SaslHandshake',
      'SaslAuthenticate',
      'SaslHandshake',
      'SaslAuthenticate',
    ])
    expect(connection.usable).toBe(true)
    expect((await connection.send(ApiKeys.ListGroups, () => ({}))).body.errorCode).toBe(0)
  })

  it('holds other requests back while it logs in again, and sends them after', async () => {
    const broker = await shortSessionBroker()
    const connection = await open(broker.port)
    broker.hold()
    await waitUntil(() => broker.held() === 1, { message: 'the second login to wait for its answer' })
    const listed = connection.send(ApiKeys.ListGroups, () => ({}))
    // The request is not sent between the login's frames: the broker would read it as the next step.
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(broker.arrived.at(-1)).toBe('SaslAuthenticate')
    broker.release()
    expect((await listed).body.errorCode).toBe(0)
    const afterLogin = broker.arrived.indexOf('SaslAuthenticate', 3)
    expect(broker.arrived.indexOf('ListGroups')).toBeGreaterThan(afterLogin)
  })

  it('a login refused the second time breaks the connection with SASL_AUTHENTICATION_FAILED', async () => {
    const broker = await shortSessionBroker('refused')
    const connection = await open(broker.port)
    await waitUntil(() => !connection.usable, { message: 'the connection to break' })
    await expect(connection.send(ApiKeys.ListGroups, () => ({}))).rejects.toMatchObject({
      name: 'AuthenticationError',
      code: 'SASL_AUTHENTICATION_FAILED',
      message: `SASL PLAIN authentication of alice to 127.0.0.1:${broker.port} failed: Authentication failed: credentials expired`,
    })
  })
})

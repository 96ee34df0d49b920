import { createServer, type Server, type Socket } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ClosedError, TimeoutError } from '../../../src/index'
import {
  ApiKeys,
  BrokerConnection,
  type DecodedRequest,
  decodeRequest,
  encodeApiVersionsFallback,
  encodeResponse,
  FrameReader,
  NetworkError,
  ProtocolError,
} from '../../../src/wire'

/** What a fake broker does with one request: answer these bytes, say nothing, or hang up. */
type Reply = Buffer | 'silence' | 'hang-up'

/** A TCP server that speaks just enough Kafka for a test: every request decoded and recorded. */
async function fakeBroker(
  reply: (request: DecodedRequest, socket: Socket) => Reply,
): Promise<{ port: number; requests: DecodedRequest[] }> {
  const requests: DecodedRequest[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    const frames = new FrameReader()
    socket.on('data', (chunk) => {
      for (const frame of frames.push(chunk)) {
        const request = decodeRequest(frame)
        requests.push(request)
        const answer = reply(request, socket)
        if (answer === 'hang-up') socket.destroy()
        else if (answer !== 'silence') socket.write(answer)
      }
    })
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return { port: (server.address() as { port: number }).port, requests }
}

const RANGES = [
  { apiKey: ApiKeys.ApiVersions, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKeys.Metadata, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKeys.ListGroups, minVersion: 0, maxVersion: 2 },
]

/** ApiVersions as an old broker answers it: v0 with UNSUPPORTED_VERSION above v2, else its ranges. */
function oldBroker(request: DecodedRequest): Buffer | undefined {
  if (request.apiKey !== ApiKeys.ApiVersions) return undefined
  const id = request.header.correlationId
  if (request.apiVersion > 2) return encodeApiVersionsFallback(id, RANGES)
  return encodeResponse(ApiKeys.ApiVersions, request.apiVersion, id, { errorCode: 0, apiKeys: RANGES })
}

function listGroupsAnswer(request: DecodedRequest, groupId: string): Buffer {
  return encodeResponse(ApiKeys.ListGroups, request.apiVersion, request.header.correlationId, {
    errorCode: 0,
    groups: [{ groupId, protocolType: 'consumer' }],
  })
}

async function open(port: number, options: { requestTimeoutMs?: number } = {}): Promise<BrokerConnection> {
  const connection = await BrokerConnection.open({ host: '127.0.0.1', port, clientId: 'test', ...options })
  onTestFinished(() => connection.close())
  return connection
}

describe('BrokerConnection', () => {
  it('asks ApiVersions again at the broker’s highest after UNSUPPORTED_VERSION, then uses the highest common version', async () => {
    const broker = await fakeBroker((request) => oldBroker(request) ?? listGroupsAnswer(request, 'billing'))
    const connection = await open(broker.port)
    expect(broker.requests.map((r) => [r.apiKey, r.apiVersion])).toEqual([
      [ApiKeys.ApiVersions, 4],
      [ApiKeys.ApiVersions, 2],
    ])
    expect(connection.brokerApiVersions).toEqual(RANGES)
    expect(connection.version(ApiKeys.Metadata)).toBe(5)
    expect(connection.supports(ApiKeys.Fetch)).toBe(false)
    const { version, body } = await connection.send(ApiKeys.ListGroups, () => ({}))
    expect(version).toBe(2)
    expect(body.groups.map((g) => g.groupId)).toEqual(['billing'])
    expect(broker.requests.at(-1)).toMatchObject({ apiKey: ApiKeys.ListGroups, apiVersion: 2 })
    expect(broker.requests.at(-1)?.header.clientId).toBe('test')
    // An API the broker does not offer fails before anything is sent.
    await expect(connection.send(ApiKeys.Fetch, () => ({}))).rejects.toThrow(ProtocolError)
    expect(broker.requests).toHaveLength(3)
  })

  it('matches answers to requests by correlation id, whatever their order', async () => {
    const held: DecodedRequest[] = []
    const broker = await fakeBroker((request, socket) => {
      const versions = oldBroker(request)
      if (versions !== undefined) return versions
      held.push(request)
      if (held.length === 2) {
        socket.write(listGroupsAnswer(held[1]!, 'second'))
        socket.write(listGroupsAnswer(held[0]!, 'first'))
      }
      return 'silence'
    })
    const connection = await open(broker.port)
    const [first, second] = await Promise.all([
      connection.send(ApiKeys.ListGroups, () => ({})),
      connection.send(ApiKeys.ListGroups, () => ({})),
    ])
    expect(first.body.groups[0]?.groupId).toBe('first')
    expect(second.body.groups[0]?.groupId).toBe('second')
  })

  it('a broker that hangs up fails the request in flight and every later one with a NetworkError', async () => {
    const broker = await fakeBroker((request) => oldBroker(request) ?? 'hang-up')
    const connection = await open(broker.port)
    const failed = connection.send(ApiKeys.ListGroups, () => ({}))
    await expect(failed).rejects.toThrow(NetworkError)
    await expect(failed).rejects.toThrow(`Connection to 127.0.0.1:${broker.port} was closed by the broker`)
    expect(connection.usable).toBe(false)
    await expect(connection.send(ApiKeys.ListGroups, () => ({}))).rejects.toThrow(NetworkError)
  })

  it('a request without an answer times out, and the connection closes', async () => {
    const broker = await fakeBroker((request) => oldBroker(request) ?? 'silence')
    const connection = await open(broker.port, { requestTimeoutMs: 50 })
    await expect(connection.send(ApiKeys.ListGroups, () => ({}))).rejects.toThrow(TimeoutError)
    expect(connection.usable).toBe(false)
  })

  it('an answer to a request never sent is a protocol error that closes the connection', async () => {
    const broker = await fakeBroker((request) => {
      const versions = oldBroker(request)
      if (versions !== undefined) return versions
      return encodeResponse(ApiKeys.ListGroups, request.apiVersion, request.header.correlationId + 1000, {})
    })
    const connection = await open(broker.port)
    await expect(connection.send(ApiKeys.ListGroups, () => ({}))).rejects.toThrow(/was not sent/)
    expect(connection.usable).toBe(false)
  })

  it('a port nobody listens on is a one-line NetworkError; close is idempotent and fails what is in flight', async () => {
    const closed = await fakeBroker(() => 'silence')
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    await new Promise((resolve) => server.close(resolve))
    const refused = BrokerConnection.open({ host: '127.0.0.1', port })
    await expect(refused).rejects.toThrow(NetworkError)
    await expect(refused).rejects.toThrow(`Cannot connect to 127.0.0.1:${port}: connection refused`)

    const broker = await fakeBroker((request) => oldBroker(request) ?? 'silence')
    const connection = await open(broker.port)
    const pending = expect(connection.send(ApiKeys.ListGroups, () => ({}))).rejects.toThrow(ClosedError)
    await connection.close()
    await connection.close()
    await pending
    expect(closed.requests).toEqual([])
  })
})

import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { Bus, ClosedError, InvalidConfigError } from '../../../src/index'
import { ADVERTISED_APIS, ApiKeys, listen } from '../../../src/wire'
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
})

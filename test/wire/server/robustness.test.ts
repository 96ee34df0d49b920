import { connect, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { ADVERTISED_APIS, ApiKeys, encodeRequest } from '../../../src/wire'
import { API_TABLE } from '../../../src/wire/protocol/apis'
import { uniqueName, waitUntil } from '../../support/bus'
import { clientBatch } from '../../support/record-batches'
import { prng, sampleMessage } from '../protocol/samples'
import { closedBy, rawSocket, readFrame, roundTrip, serve } from '../support'

// A server is an attack surface: whatever one connection sends, only that connection may suffer.

/** Sends bytes on a fresh connection, half-closes it, and resolves once the server has let it go. */
async function sendAndHangUp(port: number, bytes: Buffer): Promise<void> {
  const socket: Socket = connect({ host: '127.0.0.1', port })
  socket.on('data', () => {})
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.end(bytes)
  await closed
}

function mutate(frame: Buffer, random: () => number): Buffer {
  const pick = random()
  if (pick < 0.4) {
    const out = Buffer.from(frame)
    for (let i = 0; i < 1 + Math.floor(random() * 4); i++) {
      // Never the size prefix: a wrong size is the framing test's; here the message itself is bad.
      const at = 4 + Math.floor(random() * (out.length - 4))
      out[at]! ^= 1 << Math.floor(random() * 8)
    }
    return out
  }
  if (pick < 0.7) {
    const cut = 4 + Math.floor(random() * (frame.length - 4))
    const out = Buffer.from(frame.subarray(0, cut))
    out.writeInt32BE(cut - 4, 0)
    return out
  }
  const body = Buffer.from(
    Array.from({ length: 4 + Math.floor(random() * 60) }, () => Math.floor(random() * 256)),
  )
  const out = Buffer.concat([Buffer.alloc(4), frame.subarray(4, 8), body])
  out.writeInt32BE(out.length - 4, 0)
  return out
}

describe('wire server robustness', () => {
  it('survives mutated frames of every advertised API and version (seeded, bounded) and keeps serving', async () => {
    const { server } = await serve({ listen: { maxRequestBytes: 1024 * 1024 } })
    const random = prng(0x5eed)
    let sent = 0
    for (const advertised of ADVERTISED_APIS) {
      const api = API_TABLE.find((a) => a.apiKey === advertised.apiKey)!
      for (let version = advertised.minVersion; version <= advertised.maxVersion; version++) {
        for (let round = 0; round < 4; round++) {
          const { input } = sampleMessage(api.request, version, random)
          const frame = encodeRequest(
            {
              apiKey: advertised.apiKey as never,
              apiVersion: version,
              correlationId: sent,
              clientId: 'fuzz',
            },
            input as never,
          )
          await sendAndHangUp(server.address.port, mutate(frame, random))
          sent++
        }
      }
    }
    expect(sent).toBeGreaterThan(500)
    const socket = await rawSocket(server.address.port)
    expect((await roundTrip(socket, ApiKeys.ApiVersions, 3, {})).errorCode).toBe(0)
  }, 120_000)

  it('closes only the connection that sent a malformed or oversized frame, and says why', async () => {
    const { server, logger } = await serve({ listen: { maxRequestBytes: 4096 } })
    const good = await rawSocket(server.address.port)
    const bad = await rawSocket(server.address.port)
    const oversized = await rawSocket(server.address.port)
    const closed = closedBy(bad)
    bad.write(Buffer.from([0, 0, 0, 6, 0, 18, 0, 3, 0xff, 0xff]))
    await closed
    const tooBig = closedBy(oversized)
    const header = Buffer.alloc(4)
    header.writeInt32BE(1_000_000, 0)
    oversized.write(header)
    await tooBig
    expect(logger.warnings.some((w) => /bad frame/.test(w))).toBe(true)
    expect(logger.warnings.some((w) => /undecodable|unsupported/.test(w))).toBe(true)
    expect((await roundTrip(good, ApiKeys.ApiVersions, 3, {})).errorCode).toBe(0)
  })

  it('refuses every API but the SASL exchange before authentication, closing that connection', async () => {
    const { server, logger } = await serve({ listen: { sasl: { users: { alice: 'secret' } } } })
    const socket = await rawSocket(server.address.port)
    expect((await roundTrip(socket, ApiKeys.ApiVersions, 3, {})).errorCode).toBe(0)
    const closed = closedBy(socket)
    socket.write(
      encodeRequest(
        { apiKey: ApiKeys.Metadata, apiVersion: 9, correlationId: 9, clientId: 'x' },
        { topics: null },
      ),
    )
    await closed
    expect(logger.warnings.some((w) => /before SASL authentication/.test(w))).toBe(true)
  })

  it('closes a connection idle past idleTimeoutMs', async () => {
    const { server, logger } = await serve({ listen: { idleTimeoutMs: 50 } })
    const socket = await rawSocket(server.address.port)
    await closedBy(socket)
    expect(logger.warnings.some((w) => /idle/.test(w))).toBe(true)
  })

  it('answers pipelined requests in order, past the per-connection in-flight limit', async () => {
    const { bus, server } = await serve({ listen: { maxInFlightRequestsPerConnection: 2 } })
    const topic = uniqueName('pipelined')
    await bus.createTopic(topic)
    const socket = await rawSocket(server.address.port)
    const frames = Array.from({ length: 20 }, (_, i) =>
      encodeRequest(
        { apiKey: ApiKeys.Metadata, apiVersion: 9, correlationId: 1000 + i, clientId: 'pipe' },
        { topics: [{ name: topic, topicId: '00000000-0000-0000-0000-000000000000' }] },
      ),
    )
    socket.write(Buffer.concat(frames))
    const ids: number[] = []
    for (let i = 0; i < 20; i++) ids.push((await readFrame(socket)).readInt32BE(0))
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => 1000 + i))
  })

  it('serves 1,000 concurrent clients that each produce and fetch', async () => {
    const { bus, server } = await serve()
    const topic = uniqueName('crowd')
    await bus.createTopic(topic, { partitions: 8 })
    const clients = 1000
    const sockets = await Promise.all(Array.from({ length: clients }, () => rawSocket(server.address.port)))
    // A client's connect completes in the kernel; the server accepts it a moment later.
    await waitUntil(() => server.connections === clients, {
      timeoutMs: 30_000,
      message: 'every connection accepted',
    })
    await Promise.all(
      sockets.map(async (socket, i) => {
        const records = await clientBatch({ keys: [`c${i}`], values: [`hello ${i}`] })
        const partition = i % 8
        const produced = await roundTrip(socket, ApiKeys.Produce, 7, {
          acks: 1,
          timeoutMs: 5000,
          topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
        })
        expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(0)
        const fetched = await roundTrip(socket, ApiKeys.Fetch, 11, {
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          topics: [
            {
              topic,
              partitions: [
                {
                  partition,
                  fetchOffset: produced.responses[0]!.partitionResponses[0]!.baseOffset,
                  partitionMaxBytes: 1 << 20,
                },
              ],
            },
          ],
        })
        expect(fetched.responses[0]!.partitions[0]!.errorCode).toBe(0)
      }),
    )
    const total = Array.from({ length: 8 }, (_, p) => bus.topic(topic).partition(p).logEndOffset).reduce(
      (a, b) => a + b,
    )
    expect(total).toBe(clients)
  }, 120_000)
})

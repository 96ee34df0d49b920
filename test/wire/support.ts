import { connect, type Socket } from 'node:net'
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs'
import { onTestFinished } from 'vitest'
import type { Bus, BusOptions } from '../../src/index'
import {
  type ApiKeyNumber,
  decodeResponse,
  encodeRequest,
  type ListenOptions,
  type RequestInput,
  type ResponseBody,
  type WireLogger,
  type WireServer,
} from '../../src/wire'
import { openBus } from '../support/bus'

/** What the server logged, for tests that assert a connection was closed for a reason. */
export interface RecordingLogger extends WireLogger {
  readonly warnings: string[]
}

export function recordingLogger(): RecordingLogger {
  const warnings: string[] = []
  return {
    warnings,
    info: () => {},
    warn: (message) => void warnings.push(message),
    error: (message, details) => void warnings.push(`${message} ${JSON.stringify(details)}`),
  }
}

/** A bus with a wire server on a free loopback port; both close when the test finishes. */
export async function serve(
  options: { bus?: BusOptions; listen?: ListenOptions } = {},
): Promise<{ bus: Bus; server: WireServer; broker: string; logger: RecordingLogger }> {
  const bus = await openBus({ autoCreateTopics: true, ...options.bus })
  const logger = recordingLogger()
  const server = await bus.listen({ port: 0, logger, ...options.listen })
  onTestFinished(() => server.close())
  return { bus, server, broker: `127.0.0.1:${server.address.port}`, logger }
}

/** An unmodified KafkaJS client of the server, quiet, with retries short enough for tests. */
export function kafkajsClient(broker: string, config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'wire-test',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 50 },
    ...config,
  })
}

/** A raw TCP connection to the server, closed when the test finishes. */
export async function rawSocket(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  onTestFinished(() => void socket.destroy())
  return socket
}

/** Resolves once the socket is closed by the other side. */
export function closedBy(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) resolve()
    else socket.once('close', () => resolve())
  })
}

/** Collects what arrives on a socket until `bytes` are there. */
export function readBytes(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let have = 0
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      have += chunk.length
      if (have >= bytes) {
        socket.off('data', onData)
        resolve(Buffer.concat(chunks))
      }
    }
    socket.on('data', onData)
    socket.once('close', () => reject(new Error(`closed after ${have} of ${bytes} bytes`)))
  })
}

let correlation = 0

/** Sends one request on a raw socket and decodes its response. */
export async function roundTrip<K extends ApiKeyNumber>(
  socket: Socket,
  apiKey: K,
  apiVersion: number,
  body: RequestInput<K>,
): Promise<ResponseBody<K>> {
  const correlationId = ++correlation
  const response = readFrame(socket)
  socket.write(encodeRequest({ apiKey, apiVersion, correlationId, clientId: 'raw' }, body))
  const frame = await response
  const decoded = decodeResponse(apiKey, apiVersion, frame)
  if (decoded.correlationId !== correlationId) throw new Error(`correlation ${decoded.correlationId}`)
  return decoded.body
}

/** The next size-prefixed frame on a socket, without its prefix. */
export async function readFrame(socket: Socket): Promise<Buffer> {
  const head = await readBytesExactly(socket, 4)
  return readBytesExactly(socket, head.readInt32BE(0))
}

const leftovers = new WeakMap<Socket, Buffer>()

async function readBytesExactly(socket: Socket, n: number): Promise<Buffer> {
  let have = leftovers.get(socket) ?? Buffer.alloc(0)
  if (have.length < n) have = Buffer.concat([have, await readBytes(socket, n - have.length)])
  leftovers.set(socket, have.subarray(n))
  return have.subarray(0, n)
}

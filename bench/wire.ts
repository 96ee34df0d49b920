/**
 * `npm run bench:wire`: the wire server against its ceilings, in the same run (median of 3):
 * - produce: kcat (librdkafka) and KafkaJS sending 100-byte records with acks=1, to logbus (`bus.listen`)
 *   and to a null sink on the same protocol layer that answers Produce without storing anything (the
 *   server's own overhead is the difference);
 * - round trip: a kcat producer fed one line at a time by a paced writer, and a kcat consumer, both on
 *   `bus.listen`; the latency of each record from the writer's line to the consumer's line (key: the
 *   record's number; both ends timed on this process's clock), p50/p99/max per run;
 * - fetch: stored batches read to the end by a raw Fetch client (1 MiB responses, as Kafka clients'
 *   per-partition default), after one warm-up read, against raw loopback TCP moving the same bytes.
 * Needs `kcat` on PATH. `--quick` runs smaller counts; `--only produce,roundtrip,fetch` some parts
 * (`--fetch-only` is `--only fetch`). Separate from `npm run bench` (its sections run the core in process;
 * this one needs external clients).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { connect, createServer, type Socket } from 'node:net'
import { Kafka, logLevel } from 'kafkajs'
import { Bus } from 'logbus'
import {
  ADVERTISED_APIS,
  ApiKeys,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  FrameReader,
  type WireServer,
} from 'logbus/wire'

const QUICK = process.argv.includes('--quick')
const REPS = 3
const KCAT_RECORDS = QUICK ? 200_000 : 1_000_000
const KAFKAJS_RECORDS = QUICK ? 50_000 : 200_000
const VALUE = 'x'.repeat(100)

async function median(run: () => Promise<number>): Promise<{ median: number; runs: number[] }> {
  const runs: number[] = []
  for (let i = 0; i < REPS; i++) runs.push(await run())
  const sorted = [...runs].sort((a, b) => a - b)
  return { median: sorted[1]!, runs }
}

function line(name: string, unit: string, { median, runs }: { median: number; runs: number[] }): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en')
  console.log(`${name}: ${fmt(median)} ${unit}/s  (runs: ${runs.map(fmt).join(', ')})`)
}

/** A broker that answers ApiVersions, Metadata (one topic, one partition) and Produce, storing nothing. */
async function nullSink(topic: string): Promise<{ port: number; close: () => Promise<void> }> {
  const offsets = new Map<string, bigint>()
  const server = createServer((socket) => {
    socket.setNoDelay(true)
    const frames = new FrameReader()
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      for (const frame of frames.push(chunk)) {
        const { apiKey, apiVersion, header, body } = decodeRequest(frame)
        const id = header.correlationId
        if (apiKey === ApiKeys.ApiVersions) {
          const apiKeys = ADVERTISED_APIS.filter((a) => [0, 3, 18].includes(a.apiKey))
          socket.write(encodeResponse(18, apiVersion, id, { errorCode: 0, apiKeys: [...apiKeys] }))
        } else if (apiKey === ApiKeys.Metadata) {
          const address = server.address() as { port: number }
          socket.write(
            encodeResponse(3, apiVersion, id, {
              brokers: [{ nodeId: 1, host: '127.0.0.1', port: address.port, rack: null }],
              clusterId: 'null-sink',
              controllerId: 1,
              topics: [
                {
                  errorCode: 0,
                  name: topic,
                  partitions: [
                    { errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] },
                  ],
                },
              ],
            }),
          )
        } else if (apiKey === ApiKeys.Produce) {
          const produce = body as {
            acks: number
            topicData: Array<{
              name: string
              partitionData: Array<{ index: number; records: Buffer | null }>
            }>
          }
          const responses = produce.topicData.map((t) => ({
            name: t.name,
            partitionResponses: t.partitionData.map((p) => {
              const key = `${t.name}/${p.index}`
              const base = offsets.get(key) ?? 0n
              const count = p.records === null ? 0 : p.records.readInt32BE(57)
              offsets.set(key, base + BigInt(count))
              return { index: p.index, errorCode: 0, baseOffset: base }
            }),
          }))
          if (produce.acks !== 0) socket.write(encodeResponse(0, apiVersion, id, { responses }))
        } else socket.destroy()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

function kcatProduce(port: number, topic: string, input: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(
      'kcat',
      ['-b', `127.0.0.1:${port}`, '-P', '-t', topic, '-p', '0', '-X', 'acks=1', '-X', 'linger.ms=5'],
      {
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d
    })
    child.once('error', reject)
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`kcat exited ${code}: ${stderr}`))
      else resolve(KCAT_RECORDS / ((performance.now() - started) / 1000))
    })
    child.stdin.end(input)
  })
}

async function kafkajsProduce(port: number, topic: string): Promise<number> {
  const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const batch = Array.from({ length: 1000 }, () => ({ value: VALUE }))
  const started = performance.now()
  const inFlight: Promise<unknown>[] = []
  for (let sent = 0; sent < KAFKAJS_RECORDS; sent += batch.length) {
    inFlight.push(producer.send({ topic, acks: 1, messages: batch.map((m) => ({ ...m, partition: 0 })) }))
    if (inFlight.length >= 8) await inFlight.shift()
  }
  await Promise.all(inFlight)
  const rate = KAFKAJS_RECORDS / ((performance.now() - started) / 1000)
  await producer.disconnect()
  return rate
}

async function withLogbus<T>(run: (server: WireServer, bus: Bus) => Promise<T>): Promise<T> {
  const bus = await Bus.open()
  await bus.createTopic('bench')
  const server = await bus.listen({ port: 0 })
  try {
    return await run(server, bus)
  } finally {
    await bus.close()
  }
}

async function withNullSink<T>(run: (port: number) => Promise<T>): Promise<T> {
  const sink = await nullSink('bench')
  try {
    return await run(sink.port)
  } finally {
    await sink.close()
  }
}

/** Reads a partition to its end with raw Fetch requests; bytes per second. */
async function fetchAll(port: number, topic: string, end: number): Promise<number> {
  const socket = connect({ host: '127.0.0.1', port })
  await new Promise((resolve) => socket.once('connect', resolve))
  const frames = new FrameReader({ maxFrameBytes: 256 * 1024 * 1024 })
  const pending: Array<(frame: Buffer) => void> = []
  socket.on('data', (chunk: Buffer) => {
    for (const frame of frames.push(chunk)) pending.shift()!(frame)
  })
  let offset = 0n
  let bytes = 0
  let id = 0
  const started = performance.now()
  while (offset < BigInt(end)) {
    const response = new Promise<Buffer>((resolve) => pending.push(resolve))
    socket.write(
      encodeRequest(
        { apiKey: ApiKeys.Fetch, apiVersion: 11, correlationId: ++id, clientId: 'bench' },
        {
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 1024 * 1024,
          isolationLevel: 0,
          topics: [
            {
              topic,
              partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1024 * 1024 }],
            },
          ],
        },
      ),
    )
    const frame = await response
    bytes += frame.length
    const { body } = decodeResponse(ApiKeys.Fetch, 11, frame)
    const records = body.responses[0]!.partitions[0]!.records!
    // Walk the batches' headers only: base offset + last offset delta + 1 is the next offset.
    let at = 0
    while (at + 61 <= records.length) {
      const size = records.readInt32BE(at + 8) + 12
      if (at + size > records.length) break
      offset = records.readBigInt64BE(at) + BigInt(records.readInt32BE(at + 23)) + 1n
      at += size
    }
  }
  const rate = bytes / ((performance.now() - started) / 1000)
  socket.destroy()
  return rate
}

/** Moves `total` bytes over loopback TCP in 1 MiB writes; bytes per second. */
async function rawTcp(total: number): Promise<number> {
  const chunk = Buffer.alloc(1024 * 1024, 7)
  const server = createServer((socket: Socket) => {
    let sent = 0
    const pump = () => {
      while (sent < total) {
        sent += chunk.length
        if (!socket.write(chunk)) return void socket.once('drain', pump)
      }
      socket.end()
    }
    pump()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const started = performance.now()
  const received = await new Promise<number>((resolve) => {
    let n = 0
    const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port })
    client.on('data', (d: Buffer) => {
      n += d.length
    })
    client.on('end', () => resolve(n))
  })
  const rate = received / ((performance.now() - started) / 1000)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return rate
}

/** Resolves with the first line of `stream` that `match` accepts (kcat reports progress on stderr). */
function lineMatching(stream: NodeJS.ReadableStream, match: RegExp): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8')
      const found = text.split('\n').find((line) => match.test(line))
      if (found === undefined) return
      stream.off('data', onData)
      resolve(found)
    }
    stream.on('data', onData)
  })
}

function exited(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('close', () => resolve()))
}

/**
 * kcat takes its input through stdio in 128-byte freads (kcat's input.c), which hand over nothing until
 * stdio has filled its buffer from the pipe: 1 KiB here, measured (lines of 128 bytes reached the producer
 * 8 at a time). A line of exactly that size is sent as soon as it is written.
 */
const KCAT_READ_BYTES = 1024

/**
 * Produce → consume latency through two kcat processes on one logbus: a consumer at the end of the
 * partition (started first, ready once it reports the end), and a producer (acks=1, no linger) to which a
 * paced writer hands one `n:value` line (1 KiB) every `intervalMs`. Each record's latency runs from the write of
 * its line to the consumer's line for key `n`: both ends are this process, on one clock. The first
 * `warmup` records (connection, metadata, the fetch session settling) are left out.
 */
async function kcatRoundTrip(
  port: number,
  bus: Bus,
  topic: string,
  count: number,
  warmup: number,
  intervalMs: number,
) {
  const broker = `127.0.0.1:${port}`
  // An in-process reader without a group sees each record a few microseconds after its append: the
  // round trip splits there into the produce half (writer → kcat -P → Produce → append) and the
  // consume half (append → Fetch answered → kcat -C prints it).
  const appendedAt = new Float64Array(count).fill(Number.NaN)
  const reader = bus.consumer({ topics: [topic] })
  await reader.run({
    eachMessage: (record) => {
      const n = Number(String(record.key))
      if (n >= 0 && n < count) appendedAt[n] = performance.now()
    },
  })
  const consumer = spawn(
    'kcat',
    [
      '-b',
      broker,
      '-C',
      '-t',
      topic,
      '-p',
      '0',
      '-o',
      'end',
      '-u',
      '-f',
      '%k %T\n',
      '-X',
      'fetch.wait.max.ms=100',
      '-X',
      'socket.nagle.disable=true',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  )
  const producer = spawn(
    'kcat',
    [
      '-b',
      broker,
      '-P',
      '-t',
      topic,
      '-p',
      '0',
      '-K',
      ':',
      '-X',
      'acks=1',
      '-X',
      'linger.ms=0',
      '-X',
      'socket.nagle.disable=true',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  )
  try {
    await lineMatching(consumer.stderr, /Reached end of topic/)
    const sentAt = new Float64Array(count).fill(Number.NaN)
    const latencies: number[] = []
    const toProducer: number[] = []
    const produceHalf: number[] = []
    const consumeHalf: number[] = []
    let received = 0
    const done = new Promise<void>((resolve) => {
      let pending = ''
      consumer.stdout.on('data', (chunk: Buffer) => {
        const now = performance.now()
        pending += chunk.toString('utf8')
        const lines = pending.split('\n')
        pending = lines.pop()!
        for (const line of lines) {
          const [key, timestamp] = line.split(' ')
          const n = Number(key)
          if (n >= warmup) {
            latencies.push(now - sentAt[n]!)
            if (!Number.isNaN(appendedAt[n]!)) {
              produceHalf.push(appendedAt[n]! - sentAt[n]!)
              consumeHalf.push(now - appendedAt[n]!)
            }
            // The record's CreateTime, set by the producer when kcat hands it over (ms, wall clock).
            toProducer.push(Number(timestamp) - (performance.timeOrigin + sentAt[n]!))
          }
          if (++received === count) resolve()
        }
      })
    })
    const started = performance.now()
    for (let n = 0; n < count; n++) {
      // Paced against the start, so that a late tick does not shift the ones after it.
      const due = started + n * intervalMs
      const wait = due - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      sentAt[n] = performance.now()
      producer.stdin.write(`${`${n}:`.padEnd(KCAT_READ_BYTES - 1, 'x')}\n`)
    }
    await done
    const at = (values: number[], q: number) =>
      values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!
    return {
      p50: at(latencies, 0.5),
      p99: at(latencies, 0.99),
      max: at(latencies, 1),
      samples: latencies.length,
      toProducerP50: at(toProducer, 0.5),
      toProducerP99: at(toProducer, 0.99),
      produceP50: at(produceHalf, 0.5),
      produceP99: at(produceHalf, 0.99),
      consumeP50: at(consumeHalf, 0.5),
      consumeP99: at(consumeHalf, 0.99),
    }
  } finally {
    await reader.close()
    producer.stdin.end()
    consumer.kill('SIGTERM')
    await Promise.all([exited(producer), exited(consumer)])
  }
}

const onlyAt = process.argv.indexOf('--only')
const ONLY = process.argv.includes('--fetch-only')
  ? ['fetch']
  : onlyAt >= 0
    ? (process.argv[onlyAt + 1] ?? '').split(',')
    : undefined
const run = (part: string) => ONLY === undefined || ONLY.includes(part)
const kcatInput = Buffer.from(`${VALUE}\n`.repeat(KCAT_RECORDS))
if (run('produce')) {
  const kcatLogbus = await median(() =>
    withLogbus((server) => kcatProduce(server.address.port, 'bench', kcatInput)),
  )
  const kcatNull = await median(() => withNullSink((port) => kcatProduce(port, 'bench', kcatInput)))
  line('kcat → logbus, 100-byte records, acks=1', 'records', kcatLogbus)
  line('kcat → null sink', 'records', kcatNull)
  console.log(
    `  ratio ${(kcatLogbus.median / kcatNull.median).toFixed(2)} (target ≥ 0.5; target ≥ 1M records/s from kcat)`,
  )

  const kafkajsLogbus = await median(() =>
    withLogbus((server) => kafkajsProduce(server.address.port, 'bench')),
  )
  const kafkajsNull = await median(() => withNullSink((port) => kafkajsProduce(port, 'bench')))
  line('kafkajs → logbus, 100-byte records, acks=1', 'records', kafkajsLogbus)
  line('kafkajs → null sink', 'records', kafkajsNull)
  console.log(`  ratio ${(kafkajsLogbus.median / kafkajsNull.median).toFixed(2)} (target ≥ 0.5)`)
}

if (run('roundtrip')) {
  const count = QUICK ? 600 : 3000
  const warmup = 100
  const intervalMs = 2
  const runs = []
  for (let i = 0; i < REPS; i++) {
    runs.push(
      await withLogbus((server, bus) =>
        kcatRoundTrip(server.address.port, bus, 'bench', count, warmup, intervalMs),
      ),
    )
  }
  const ms = (n: number) => n.toFixed(2)
  for (const [i, r] of runs.entries()) {
    console.log(
      `kcat produce → kcat consume round trip, run ${i + 1}: p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms (${r.samples} records, one every ${intervalMs} ms; line → producer's CreateTime p50 ${ms(r.toProducerP50)} ms, p99 ${ms(r.toProducerP99)} ms, ±1 ms; line → appended p50 ${ms(r.produceP50)} ms, p99 ${ms(r.produceP99)} ms; appended → kcat -C prints it p50 ${ms(r.consumeP50)} ms, p99 ${ms(r.consumeP99)} ms)`,
    )
  }
  const p99s = runs.map((r) => r.p99).sort((a, b) => a - b)
  console.log(`  median p99 ${ms(p99s[1]!)} ms (target ≤ 5 ms)`)
}

if (run('fetch')) {
  const fetched = await withLogbus(async (server, bus) => {
    const producer = bus.producer({ lingerMs: 5 })
    const total = QUICK ? 200_000 : 1_000_000
    for (let sent = 0; sent < total; sent += 10_000) {
      await producer.send(
        'bench',
        Array.from({ length: 10_000 }, () => ({ value: VALUE, partition: 0 })),
      )
    }
    const end = bus.topic('bench').partition(0).logEndOffset
    // Memory storage keeps in-process batches as columns and encodes each once, at its first read.
    await fetchAll(server.address.port, 'bench', end)
    const fetch = await median(() => fetchAll(server.address.port, 'bench', end))
    const bytes = (
      await bus
        .topic('bench')
        .partition(0)
        .readEncoded(0, { maxBytes: 2 ** 31 - 1 })
    ).reduce((n, b) => n + b.length, 0)
    const raw = await median(() => rawTcp(bytes))
    return { fetch, raw }
  })
  line('fetch of stored batches (raw Fetch client)', 'bytes', fetched.fetch)
  line('raw loopback TCP, same bytes', 'bytes', fetched.raw)
  console.log(`  ratio ${(fetched.fetch.median / fetched.raw.median).toFixed(2)} (target ≥ 0.5)`)
}

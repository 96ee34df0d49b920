/**
 * `npm run bench:http`: logbus/http against the issue's targets and against node:http's own ceiling on
 * the same machine, in the same run (medians of 3 runs of 3 s):
 * - REST v3 produce, one record per request over keep-alive, driven two ways: by a node:http client in
 *   this process (16 in flight), and by a light load generator in a child process (bench/http-load.ts:
 *   raw keep-alive sockets over `net`, 16 connections, 1 request in flight each, then 8 pipelined), so
 *   that the server has a core to itself. Each is set against a bare `node:http` hello-world server
 *   driven by the same client: logbus is reported as a share of that ceiling.
 * - REST produce batched, by the load generator: v2 JSON requests of 500 and of 5,000 records, and v3
 *   streamed requests of 20,000 concatenated records (a report per record); their ceiling is a bare
 *   node:http server that reads the same bodies and answers an empty JSON object.
 * - a `/metrics` scrape of 1,006 partitions and a group's lag over 1,000 (prom-client);
 * - the console's first contentful paint, measured by Chromium (Debian's, driven by puppeteer-core), for
 *   the topic list with 10 topics, each load in a fresh context (nothing cached).
 * Besides each rate: the server process's CPU time per request or record (user + system), steadier
 * than a rate on a shared machine, and the load average before and after.
 *
 *   npm run bench:http                 everything
 *   npm run bench:http -- --no-browser without the console's first paint
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { Agent, createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { Bus } from 'logbus'
import { serveHttp } from 'logbus/http'
import type { LoadConfig, LoadResult } from './http-load'
import { rawRequest } from './http-load'
import { describeMachine, machineLine } from './machine'

const REPS = 3
const SECONDS = 3
const withBrowser = !process.argv.includes('--no-browser')

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const format = (n: number, unit: string): string =>
  n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(unit === 'ms' || n < 10 ? 1 : 0)

interface Run {
  rate: number
  /** Server CPU time (user + system) per unit, in µs. */
  cpuUs?: number
}

/** Runs `run` REPS times; prints the median rate (and CPU per unit); returns the median rate. */
async function report(name: string, unit: string, run: () => Promise<Run>, reps = REPS): Promise<number> {
  const runs: Run[] = []
  for (let i = 0; i < reps; i++) runs.push(await run())
  const rate = median(runs.map((r) => r.rate))
  const cpu = runs.every((r) => r.cpuUs !== undefined) ? median(runs.map((r) => r.cpuUs!)) : undefined
  const cpuText =
    cpu === undefined
      ? ''
      : `, server CPU ${cpu >= 1000 ? `${(cpu / 1000).toFixed(1)} ms` : `${cpu.toFixed(1)} µs`} each`
  console.log(
    `${name}: ${format(rate, unit)} ${unit}${cpuText}  (runs: ${runs.map((r) => format(r.rate, unit)).join(', ')})`,
  )
  return rate
}

function ratio(name: string, value: number, ceiling: number): void {
  console.log(`  ${name}: ${((100 * value) / ceiling).toFixed(0)}% of the ceiling`)
}

/** Forks the load generator, runs one load, and returns its result with this process's CPU time. */
function load(config: LoadConfig): Promise<LoadResult & { cpuUs: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./http-load.ts', import.meta.url).pathname, ['child'], {
      execArgv: process.execArgv,
    })
    // The server's CPU time counts from when the generator has started, not while it loads.
    let cpu: NodeJS.CpuUsage | undefined
    child.on('message', (message: LoadResult | 'started') => {
      if (message === 'started') {
        cpu = process.cpuUsage()
        return
      }
      const used = process.cpuUsage(cpu)
      resolve({ ...message, cpuUs: used.user + used.system })
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with ${code}`))
    })
    child.send(config)
  })
}

/** A run of the load generator, as a rate of `perRequest` units per response and CPU per unit. */
async function generated(config: LoadConfig, perRequest: number): Promise<Run> {
  const result = await load(config)
  if (result.failures > 0) throw new Error(`${result.failures} requests failed: ${result.firstFailure}`)
  const units = result.responses * perRequest
  return { rate: units / result.seconds, cpuUs: result.cpuUs / units }
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
}

/** node:http answering every request with a fixed body: the ceiling of a request/response server here. */
async function helloWorld(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('hello world')
  })
  return { port: await listen(server), close: () => stop(server) }
}

/** node:http reading every body to its end and answering `{}`: the ceiling of moving batched bodies. */
async function bodySink(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.on('data', () => undefined)
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 })
      res.end('{}')
    })
  })
  return { port: await listen(server), close: () => stop(server) }
}

function post(
  agent: Agent,
  port: number,
  path: string,
  body: string,
  type = 'application/json',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': type } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          if (res.statusCode !== 200) reject(new Error(`${res.statusCode}: ${text.slice(0, 200)}`))
          else resolve(text)
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** 16 node:http requests in flight from this process, for SECONDS: requests a second. */
async function inProcessClient(port: number, path: string, body: (i: number) => string): Promise<Run> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 })
  const started = performance.now()
  const until = started + SECONDS * 1000
  let sent = 0
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < until) await post(agent, port, path, body(sent++))
    }),
  )
  agent.destroy()
  return { rate: sent / ((performance.now() - started) / 1000) }
}

/** A fresh bus and server per run, so that no run inherits another's retained records. */
async function withLogbus<T>(run: (port: number) => Promise<T>): Promise<T> {
  const bus = await Bus.open()
  const server = await serveHttp(bus, { port: 0 })
  await bus.createTopic('bench', { partitions: 6 })
  try {
    return await run(server.port)
  } finally {
    await server.close()
    await bus.close()
  }
}

async function withCeiling<T>(
  open: () => Promise<{ port: number; close: () => Promise<void> }>,
  run: (port: number) => Promise<T>,
): Promise<T> {
  const server = await open()
  try {
    return await run(server.port)
  } finally {
    await server.close()
  }
}

const machine = describeMachine()
console.log(`machine: ${machineLine(machine)}`)
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
)

const V3 = '/v3/clusters/logbus/topics/bench/records'
const record = (i: number): string =>
  JSON.stringify({ key: { type: 'STRING', data: `k${i}` }, value: { type: 'STRING', data: `value ${i}` } })
const singleRequests = Array.from({ length: 1000 }, (_, i) => rawRequest('POST', V3, record(i)))
const single = (port: number, depth: number): LoadConfig => ({
  port,
  requests: singleRequests,
  connections: 16,
  depth,
  seconds: SECONDS,
})

console.log('\n## One record a request, keep-alive')
{
  const ceiling = await report(
    'node:http hello-world, in-process node:http client, 16 in flight',
    'requests/s',
    () => withCeiling(helloWorld, (port) => inProcessClient(port, V3, record)),
  )
  const logbus = await report('REST v3 produce, in-process node:http client, 16 in flight', 'records/s', () =>
    withLogbus((port) => inProcessClient(port, V3, record)),
  )
  ratio('logbus', logbus, ceiling)
}
for (const depth of [1, 8]) {
  const how = depth === 1 ? '16 connections, 1 in flight each' : `16 connections, ${depth} pipelined each`
  const ceiling = await report(`node:http hello-world, load generator, ${how}`, 'requests/s', () =>
    withCeiling(helloWorld, (port) => generated(single(port, depth), 1)),
  )
  const logbus = await report(`REST v3 produce, load generator, ${how}`, 'records/s', () =>
    withLogbus((port) => generated(single(port, depth), 1)),
  )
  ratio('logbus', logbus, ceiling)
}

console.log('\n## Batched, load generator')
const v2Body = (n: number): string =>
  JSON.stringify({
    records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: { i, text: `value ${i}` } })),
  })
const batches = [
  {
    name: 'REST v2 produce, 500 records a request, 4 connections',
    request: rawRequest('POST', '/topics/bench', v2Body(500), 'application/vnd.kafka.json.v2+json'),
    records: 500,
    connections: 4,
  },
  {
    name: 'REST v2 produce, 5,000 records a request, 2 connections',
    request: rawRequest('POST', '/topics/bench', v2Body(5000), 'application/vnd.kafka.json.v2+json'),
    records: 5000,
    connections: 2,
  },
  {
    name: 'REST v3 produce, streamed: 20,000 records a request, 2 connections',
    request: rawRequest('POST', V3, Array.from({ length: 20_000 }, (_, i) => record(i)).join('')),
    records: 20_000,
    connections: 2,
  },
]
for (const batch of batches) {
  const config = (port: number): LoadConfig => ({
    port,
    requests: [batch.request],
    connections: batch.connections,
    depth: 1,
    seconds: SECONDS,
  })
  const ceiling = await report(`${batch.name}: node:http reading the bodies`, 'records/s', () =>
    withCeiling(bodySink, (port) => generated(config(port), batch.records)),
  )
  const logbus = await report(batch.name, 'records/s', () =>
    withLogbus((port) => generated(config(port), batch.records)),
  )
  ratio('logbus', logbus, ceiling)
}

console.log('\n## /metrics and the console')
const bus = await Bus.open()
const server = await serveHttp(bus, { port: 0 })
await bus.createTopic('bench', { partitions: 6 })
for (let t = 0; t < 10; t++) {
  await bus.createTopic(`wide-${t}`, { partitions: 100 })
  const producer = bus.producer()
  await producer.send(
    `wide-${t}`,
    Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: 'x' })),
  )
  await producer.close()
}
const consumer = bus.consumer({ groupId: 'wide', topics: /^wide-/, fromBeginning: true })
await consumer.run({ eachMessage: () => undefined })
await consumer.caughtUp()
await consumer.commit()
const metricsUrl = `${server.url}/metrics`
await fetch(metricsUrl).then((r) => r.text())
await report(
  '/metrics scrape, 1,006 partitions and a group over 1,000',
  'ms',
  async () => {
    const cpu = process.cpuUsage()
    const started = performance.now()
    const text = await fetch(metricsUrl).then((r) => r.text())
    const elapsed = performance.now() - started
    const used = process.cpuUsage(cpu)
    if (!text.includes('logbus_group_lag')) throw new Error('no group lag in the exposition')
    return { rate: elapsed, cpuUs: used.user + used.system }
  },
  21,
)
await consumer.close()

if (withBrowser) {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (!existsSync(chromium)) throw new Error(`Chromium is not at ${chromium}: apt-get install -y chromium`)
  const { default: puppeteer } = await import('puppeteer-core')
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  })
  const pageLoad = async (): Promise<{ paint: number; rows: number }> => {
    const context = await browser.createBrowserContext()
    const page = await context.newPage()
    await page.goto(`${server.url}/#/topics`)
    await page.waitForSelector('table.grid-table tbody tr')
    const timings = await page.evaluate(() => ({
      paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
      rows: performance.now(),
    }))
    await context.close()
    return timings
  }
  await pageLoad() // the first request loads the console's files into the server's memory
  const loads: Array<{ paint: number; rows: number }> = []
  await report(
    'console first contentful paint (topic list, fresh context)',
    'ms',
    async () => {
      const timings = await pageLoad()
      loads.push(timings)
      return { rate: timings.paint }
    },
    7,
  )
  console.log(
    `console topic rows shown: ${median(loads.map((l) => l.rows)).toFixed(0)} ms after navigation (median)`,
  )
  await browser.close()
}

await server.close()
await bus.close()
console.log(
  `\nload average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
)

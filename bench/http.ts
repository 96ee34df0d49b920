/**
 * `npm run bench:http`: logbus/http against the targets (median of 3 runs; the client runs in the
 * same process as the server, so it takes part of the CPU the server would otherwise have):
 * - REST produce, one record per request, over keep-alive connections (16 in flight);
 * - REST produce batched: one v3 streamed request of 20,000 concatenated records (a report per record),
 *   and v2 requests of 500 records each;
 * - a `/metrics` scrape of 1,000 partitions (10 topics of 100);
 * - the console's first contentful paint, measured by Chromium (Debian's, driven by puppeteer-core), for
 *   the topic list with 10 topics, each load in a fresh context (nothing cached).
 *
 *   npm run bench:http                 everything
 *   npm run bench:http -- --no-browser without the console's first paint
 */
import { existsSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { Bus } from 'logbus'
import { serveHttp } from 'logbus/http'

const REPS = 3
const withBrowser = !process.argv.includes('--no-browser')

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function report(name: string, unit: string, run: () => Promise<number>, reps = REPS): Promise<void> {
  const results: number[] = []
  for (let i = 0; i < reps; i++) results.push(await run())
  const format = (n: number): string =>
    n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(unit === 'ms' ? 1 : 0)
  console.log(`${name}: ${format(median(results))} ${unit}  (runs: ${results.map(format).join(', ')})`)
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

const bus = await Bus.open()
const server = await serveHttp(bus, { port: 0 })
const port = server.port
await bus.createTopic('bench', { partitions: 6 })
const agent = new Agent({ keepAlive: true, maxSockets: 16 })
const V3 = '/v3/clusters/logbus/topics/bench/records'
const record = (i: number): string =>
  JSON.stringify({ key: { type: 'STRING', data: `k${i}` }, value: { type: 'STRING', data: `value ${i}` } })

await report('REST v3 produce, 1 record a request, keep-alive, 16 in flight', 'records/s', async () => {
  const seconds = 3
  const started = performance.now()
  const until = started + seconds * 1000
  let sent = 0
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < until) await post(agent, port, V3, record(sent++))
    }),
  )
  return sent / ((performance.now() - started) / 1000)
})

await report('REST v3 produce, streamed: 20,000 records in one request', 'records/s', async () => {
  const n = 20_000
  const body = Array.from({ length: n }, (_, i) => record(i)).join('')
  const started = performance.now()
  const reports = await post(agent, port, V3, body)
  const rate = n / ((performance.now() - started) / 1000)
  const lines = reports.trimEnd().split('\n')
  if (lines.length !== n || !lines.every((l) => l.includes('"error_code":200'))) {
    throw new Error('not every record was stored')
  }
  return rate
})

await report('REST v2 produce, 500 records a request, 4 in flight', 'records/s', async () => {
  const body = JSON.stringify({
    records: Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: { i, text: `value ${i}` } })),
  })
  const requests = 80
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next++ < requests)
        await post(agent, port, '/topics/bench', body, 'application/vnd.kafka.json.v2+json')
    }),
  )
  return (requests * 500) / ((performance.now() - started) / 1000)
})

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
    const started = performance.now()
    const text = await fetch(metricsUrl).then((r) => r.text())
    const elapsed = performance.now() - started
    if (!text.includes('logbus_group_lag')) throw new Error('no group lag in the exposition')
    return elapsed
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
  const load = async (): Promise<{ paint: number; rows: number }> => {
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
  await load() // the first request loads the console's files into the server's memory
  const loads: Array<{ paint: number; rows: number }> = []
  await report(
    'console first contentful paint (topic list, fresh context)',
    'ms',
    async () => {
      const timings = await load()
      loads.push(timings)
      return timings.paint
    },
    7,
  )
  console.log(
    `console topic rows shown: ${median(loads.map((l) => l.rows)).toFixed(0)} ms after navigation (median)`,
  )
  await browser.close()
}

agent.destroy()
await server.close()
await bus.close()

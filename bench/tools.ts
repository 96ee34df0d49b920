/**
 * `npx tsx bench/tools.ts`: throughput of the layers over the core, in memory (median of 3 runs):
 * - datagen: generating records only, and `runDatagen` into a memory topic through the quickstart's
 *   codec (zod checks every value at send);
 * - Connect: a file source tailing a 200,000-line file into a memory topic.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Bus } from 'logbus'
import { ConnectWorker } from 'logbus/connect'
import { datagen, runDatagen } from 'logbus/datagen'

const REPS = 3

async function median(name: string, unit: string, run: () => Promise<number>): Promise<void> {
  const rates: number[] = []
  for (let i = 0; i < REPS; i++) rates.push(await run())
  rates.sort((a, b) => a - b)
  console.log(
    `${name}: ${Math.round(rates[1]!).toLocaleString('en')} ${unit}/s  (runs: ${rates.map((r) => Math.round(r)).join(', ')})`,
  )
}

function perSecond(count: number, started: number): number {
  return count / ((performance.now() - started) / 1000)
}

for (const quickstart of ['pageviews', 'orders'] as const) {
  await median(`datagen() ${quickstart}, generation only`, 'records', async () => {
    const started = performance.now()
    let keys = 0
    for (const { key } of datagen({ quickstart, seed: 1, iterations: 500_000 })) keys += key.length
    return keys > 0 ? perSecond(500_000, started) : 0
  })
  await median(`runDatagen ${quickstart} → memory topic (json codec)`, 'records', async () => {
    const bus = await Bus.open()
    const started = performance.now()
    const { records } = await runDatagen(bus, { quickstart, topic: quickstart, seed: 1, iterations: 300_000 })
    const rate = perSecond(records, started)
    await bus.close()
    return rate
  })
}

const LINES = 200_000
const dir = mkdtempSync(join(tmpdir(), 'logbus-bench-'))
const file = join(dir, 'in.txt')
writeFileSync(file, Array.from({ length: LINES }, (_, i) => `${i} ${'x'.repeat(60)}\n`).join(''))
await median('file source → memory topic', 'lines', async () => {
  const bus = await Bus.open({ autoCreateTopics: true })
  const worker = await ConnectWorker.open(bus, { offsetStoragePartitions: 1 })
  const done = new Promise<void>((resolve) => {
    const off = worker.on('records', ({ total }) => {
      if (total >= LINES) {
        off()
        resolve()
      }
    })
  })
  const started = performance.now()
  await worker.createConnector({
    name: 'in',
    config: { 'connector.class': 'FileStreamSource', file, topic: 'lines', 'value.converter': 'string' },
  })
  await done
  const rate = perSecond(LINES, started)
  await worker.close()
  await bus.close()
  return rate
})
rmSync(dir, { recursive: true, force: true })

/**
 * Moves a file into SQLite with Connect: a file source tails `cities.jsonl` (one JSON object per line)
 * into the topic `cities`, and a SQLite sink upserts each city by name into `cities.db`, exactly once
 * (it stores the consumed offsets in the same transaction as the rows). A line that is not JSON goes to
 * the dead-letter topic `cities.dlq` with the error in its headers. The connectors are those of
 * `examples/connect-file-to-sqlite.json`, what `logbus connect` will run. Run it with
 * `npx tsx examples/connect-file-to-sqlite.ts` (it works in a temp directory; needs better-sqlite3).
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { Bus } from 'logbus'
import { loadStandaloneConfig, runStandalone } from 'logbus/connect'

const config = await loadStandaloneConfig(
  fileURLToPath(new URL('./connect-file-to-sqlite.json', import.meta.url)),
)
const dir = mkdtempSync(join(tmpdir(), 'logbus-connect-'))
process.chdir(dir) // the configuration names its files relative to the working directory

writeFileSync(
  'cities.jsonl',
  `${[
    { city: 'Lyon', country: 'FR', population: 513275 },
    { city: 'Porto', country: 'PT', population: 231800 },
    { city: 'Ghent', country: 'BE', population: 262219 },
  ]
    .map((c) => JSON.stringify(c))
    .join('\n')}\n`,
)

const bus = await Bus.open({ dir: 'data', autoCreateTopics: true }) // durable: offsets survive a restart
const worker = await runStandalone(bus, config)
/** Resolves once the SQLite sink has written `n` records (counting those written already). */
const written = (n: number) =>
  new Promise<void>((resolve) => {
    const done = () => worker.status('cities-db').tasks[0]!.records >= n
    if (done()) return resolve()
    const off = worker.on('records', () => {
      if (done()) {
        off()
        resolve()
      }
    })
  })

await written(3)
console.log('cities.db after the first lines:')
const db = new Database('cities.db', { readonly: true })
const show = () =>
  console.table(db.prepare('SELECT city, country, population, from_offset FROM cities ORDER BY city').all())
show()

// The file grows: a new population for Porto (an upsert), a new city, and a line that is not JSON.
appendFileSync(
  'cities.jsonl',
  `${JSON.stringify({ city: 'Porto', country: 'PT', population: 232125 })}\nnot json\n`,
)
appendFileSync('cities.jsonl', `${JSON.stringify({ city: 'Turku', country: 'FI', population: 201863 })}\n`)
await written(5)
console.log('after more lines (Porto updated, Turku added):')
show()
const [dead] = await bus.topic('cities.dlq').partition(0).read(0)
console.log(
  `dead letter: ${dead?.value?.toString()} — ${dead?.headers['__connect.errors.exception.message']?.toString()}`,
)
db.close()
await worker.close() // stores the source's offset: a restart would resume after the last line
console.log('stored offsets:', JSON.stringify(worker.offsets('cities-in')))
await bus.close()
process.chdir(tmpdir())
rmSync(dir, { recursive: true, force: true })

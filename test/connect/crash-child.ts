/**
 * The process the Connect crash test kills: `node --import tsx crash-child.ts <data dir> <work dir>`.
 *
 * Opens a durable bus on `<data dir>` and runs a standalone Connect worker: a file source tails
 * `<work dir>/in.txt` into the topic `lines`; a file sink appends the topic to `<work dir>/out.txt`; two
 * SQLite sinks write it to `<work dir>/lines.db` — `by_line` upserts each line by its text, `by_offset`
 * inserts one row per topic record under a (topic, partition, offset) primary key, so a record applied
 * twice would fail the task. Writes `P <sink records>` lines while it works and `IDLE` once everything
 * the source file holds went through every sink. It never stops on its own: the test SIGKILLs it, or
 * closes its stdin to have it stop cleanly.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { runStandalone } from '../../src/connect'
import { Bus } from '../../src/index'

const [dataArg, workArg] = process.argv.slice(2)
if (dataArg === undefined || workArg === undefined)
  throw new Error('usage: crash-child.ts <data dir> <work dir>')
const dataDir = dataArg
const workDir = workArg
const input = join(workDir, 'in.txt')
const db = `jdbc:sqlite:${join(workDir, 'lines.db')}`

function fail(error: unknown): never {
  process.stderr.write(
    `connect crash-child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exit(1)
}

async function main(): Promise<void> {
  const bus = await Bus.open({ dir: dataDir, autoCreateTopics: { partitions: 2 } })
  const worker = await runStandalone(bus, {
    'offset.flush.interval.ms': 50,
    'key.converter': 'string',
    'value.converter': 'string',
    connectors: [
      {
        name: 'lines-in',
        config: {
          'connector.class': 'FileStreamSource',
          file: input,
          topic: 'lines',
          'batch.size': 100,
          'poll.interval.ms': 5,
        },
      },
      {
        name: 'lines-out',
        config: { 'connector.class': 'FileStreamSink', file: join(workDir, 'out.txt'), topics: 'lines' },
      },
      {
        name: 'by-line',
        config: {
          'connector.class': 'SqliteSink',
          topics: 'lines',
          'connection.url': db,
          'table.name.format': 'by_line',
          'auto.create': true,
          'insert.mode': 'upsert',
          'pk.mode': 'record_value',
          'pk.fields': 'line',
          transforms: 'wrap',
          'transforms.wrap.type': 'HoistField$Value',
          'transforms.wrap.field': 'line',
        },
      },
      {
        name: 'by-offset',
        config: {
          'connector.class': 'SqliteSink',
          topics: 'lines',
          'connection.url': db,
          'table.name.format': 'by_offset',
          'auto.create': true,
          'pk.mode': 'kafka',
          transforms: 'wrap',
          'transforms.wrap.type': 'HoistField$Value',
          'transforms.wrap.field': 'line',
        },
      },
    ],
  })
  worker.on('taskState', ({ connector, state, error }) => {
    if (state === 'FAILED') fail(new Error(`${connector} failed: ${error?.message}`))
  })
  // A task that failed while the worker started did so before the listener was there.
  for (const name of worker.connectors()) {
    const failed = worker.status(name).tasks.find((t) => t.state === 'FAILED')
    if (failed !== undefined) fail(new Error(`${name} failed: ${failed.error}`))
  }
  let sunk = 0
  worker.on('records', ({ type, count }) => {
    if (type !== 'sink') return
    sunk += count
    process.stdout.write(`P ${sunk}\n`)
  })
  // IDLE: the source read the whole file, and every sink committed up to the end of the topic.
  const size = statSync(input).size
  const idle = setInterval(() => {
    void (async () => {
      const position = worker.offsets('lines-in')[0]?.offset.position
      if (position !== size) return
      for (const group of ['connect-lines-out', 'connect-by-line', 'connect-by-offset']) {
        const lag = await bus.group(group).lag()
        if (lag.length === 0 || lag.some((p) => p.lag > 0)) return
      }
      clearInterval(idle)
      process.stdout.write('IDLE\n')
    })().catch(fail)
  }, 20)
  process.stdin.on('end', () => {
    clearInterval(idle)
    worker
      .close()
      .then(() => bus.close())
      .then(() => process.exit(0), fail)
  })
  process.stdin.resume()
}

setTimeout(() => process.exit(3), 60_000).unref()
main().catch(fail)

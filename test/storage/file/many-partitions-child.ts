/**
 * Run by many-partitions.test.ts under a low descriptor limit (`ulimit -n 256`, macOS's default):
 * `node --import tsx many-partitions-child.ts <dir> <topics> <partitions per topic> <fsync> [noflush]`.
 * Creates the topics, sends one record to every partition, reads every partition back, closes, reopens
 * and reads again, then prints one JSON line with what it saw. Any failure is printed and exits
 * non-zero. With `noflush` the flushes are made but return at once: what is under test is the
 * descriptors (flushes pin them), not the disk's speed.
 */
import { FileStorage, type FileSystem, type FsyncPolicy, nodeFileSystem } from '../../../src/file'
import { Bus } from '../../../src/index'

const [dirArg, topicsArg, partitionsArg, fsyncArg, flushArg] = process.argv.slice(2)
if (dirArg === undefined)
  throw new Error('usage: many-partitions-child.ts <dir> <topics> <partitions> <fsync>')
const dir = dirArg
const topics = Number(topicsArg)
const partitions = Number(partitionsArg)
const fsync = fsyncArg as FsyncPolicy
const fs: FileSystem =
  flushArg === 'noflush'
    ? { ...nodeFileSystem, fdatasync: async () => {}, fsync: async () => {}, fsyncSync: () => {} }
    : nodeFileSystem

async function readEverything(bus: Bus): Promise<number> {
  let records = 0
  for (let t = 0; t < topics; t++) {
    for (const partition of bus.topic(`topic-${t}`).partitions) {
      const read = await partition.read(0)
      if (read.length !== 1 || read[0]!.value?.toString() !== `t${t}p${partition.partition}`) {
        throw new Error(`topic-${t}-${partition.partition} holds ${read.length} records`)
      }
      records += read.length
    }
  }
  return records
}

async function main(): Promise<void> {
  const started = Date.now()
  const bus = await Bus.open({ storage: new FileStorage({ dir, fsync, fs }) })
  for (let t = 0; t < topics; t++) await bus.createTopic(`topic-${t}`, { partitions })
  const producer = bus.producer()
  for (let t = 0; t < topics; t++) {
    await producer.send(
      `topic-${t}`,
      Array.from({ length: partitions }, (_, p) => ({ value: `t${t}p${p}`, partition: p })),
    )
  }
  const written = await readEverything(bus)
  await bus.close()
  const reopened = await Bus.open({ storage: new FileStorage({ dir, fsync, fs }) })
  const reread = await readEverything(reopened)
  await reopened.close()
  process.stdout.write(`${JSON.stringify({ written, reread, ms: Date.now() - started })}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})

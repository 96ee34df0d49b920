/**
 * The process the compaction crash test kills: `node --import tsx compaction-crash-child.ts <dir> <point>`.
 *
 * Opens a durable bus on `<dir>`, fills a compacted topic (`RECORDS` records over `KEYS` keys, the
 * value of each record its own offset), prints `ready`, then compacts it with a file system that
 * SIGKILLs the process at `<point>` of the compaction: inside the write of a `.cleaned` file, after
 * its flush, after the rename to `.swap`, after the old index went, after the rename over `.log`, or
 * while the cleaner checkpoint is written. Prints `done` if compaction finished without reaching it.
 */
import { FileStorage, type FileSystem, nodeFileSystem } from '../../../src/file'
import { Bus } from '../../../src/index'
import { COMPACTION_TOPIC, KEYS, RECORDS } from './compaction-crash-workload'

const [dir, point] = process.argv.slice(2)
if (dir === undefined || point === undefined) throw new Error('usage: <dir> <point>')

let armed = false
const cleanedFds = new Set<number>()
let swaps = 0

function die(): never {
  process.kill(process.pid, 'SIGKILL')
  throw new Error('SIGKILL did not kill the process')
}

const killing: FileSystem = {
  ...nodeFileSystem,
  openSync(path, flags) {
    const fd = nodeFileSystem.openSync(path, flags)
    if (armed && path.endsWith('.cleaned')) cleanedFds.add(fd)
    if (armed && point === 'checkpoint' && path.endsWith('cleaner-offset-checkpoint.tmp')) die()
    return fd
  },
  writeSync(fd, buffer, offset, length, position) {
    if (armed && point === 'cleaned-write' && cleanedFds.has(fd) && position > 0) {
      // A torn write: half of this batch reaches the file, then the process dies.
      nodeFileSystem.writeSync(fd, buffer, offset, Math.max(1, length >> 1), position)
      die()
    }
    return nodeFileSystem.writeSync(fd, buffer, offset, length, position)
  },
  fsyncSync(fd) {
    nodeFileSystem.fsyncSync(fd)
    if (armed && point === 'cleaned-flush' && cleanedFds.has(fd)) die()
  },
  renameSync(from, to) {
    nodeFileSystem.renameSync(from, to)
    if (!armed) return
    if (point === 'swap-rename' && to.endsWith('.swap')) die()
    if (from.endsWith('.swap')) {
      swaps++
      if (point === 'log-rename' || (point === 'second-segment' && swaps === 2)) die()
    }
  },
  unlinkSync(path) {
    nodeFileSystem.unlinkSync(path)
    if (armed && point === 'index-unlink' && path.endsWith('.index')) die()
  },
}

const bus = await Bus.open({ storage: new FileStorage({ dir, fsync: 'always', fs: killing }) })
await bus.createTopic(COMPACTION_TOPIC, { cleanupPolicy: 'compact', segmentBytes: 2048 })
const producer = bus.producer()
for (let i = 0; i < RECORDS; i++) {
  await producer.send(COMPACTION_TOPIC, { key: `k${i % KEYS}`, value: String(i), partition: 0 })
}
process.stdout.write('ready\n')
armed = true
await bus.compact(COMPACTION_TOPIC)
process.stdout.write('done\n')
await bus.close()

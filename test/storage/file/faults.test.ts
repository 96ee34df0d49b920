import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileStorage, type FileStorageOptions, type FileSystem, nodeFileSystem } from '../../../src/file'
import { Bus, StorageError } from '../../../src/index'
import { mkdirs } from '../../../src/storage/file/file-system'
import { uniqueName } from '../../support/bus'
import {
  decodeSegment,
  faultyFs,
  fileBus,
  LOCK,
  logPath,
  MARKER,
  partitionDir,
  readAll,
  rejection,
  sendEach,
  systemError,
  tempDir,
  trackedFs,
  tree,
  value,
  writtenTopic,
} from './support'

describe('FileStorage fault injection', () => {
  it('a full disk (ENOSPC mid-write) rejects the send with StorageError, leaves no partial batch, and recovers', async () => {
    const dir = tempDir()
    const topic = uniqueName('enospc')
    const tracked = trackedFs()
    let diskFull = false
    let partialFirst = false
    const fs: FileSystem = {
      ...tracked.fs,
      writeSync(fd, buffer, offset, length, position) {
        if (diskFull && tracked.pathOf(fd).startsWith(partitionDir(dir, topic))) {
          if (partialFirst) {
            // Part of the batch reaches the file before the disk fills up.
            partialFirst = false
            return nodeFileSystem.writeSync(fd, buffer, offset, Math.floor(length / 2), position)
          }
          throw systemError('ENOSPC', 'write', tracked.pathOf(fd))
        }
        return nodeFileSystem.writeSync(fd, buffer, offset, length, position)
      },
    }
    const bus = await fileBus(dir, { fs })
    await bus.createTopic(topic)
    const producer = bus.producer()
    await producer.send(topic, { value: 'a' })
    await producer.send(topic, { value: 'b' })
    const path = logPath(dir, topic, 0)
    const size = statSync(path).size

    diskFull = true
    partialFirst = true
    const error = await rejection(producer.send(topic, { value: 'lost-1'.padEnd(500, '!') }))
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).cause).toMatchObject({ code: 'ENOSPC' })
    expect((error as StorageError).message).toContain('ENOSPC')
    expect(statSync(path).size).toBe(size)
    expect(await rejection(producer.send(topic, { value: 'lost-2' }))).toBeInstanceOf(StorageError)
    expect(statSync(path).size).toBe(size)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(2)

    diskFull = false
    expect((await producer.send(topic, { value: 'c' })).offset).toBe(2)
    expect((await readAll(bus, topic)).map((r) => r.value?.toString())).toEqual(['a', 'b', 'c'])
    await bus.close()

    const bytes = readFileSync(path)
    expect(bytes.includes('lost')).toBe(false)
    const batches = await decodeSegment(path)
    expect(batches.map((b) => b.computedCrc === b.storedCrc)).toEqual([true, true, true])
    expect(batches.flatMap((b) => b.batch.records.map((r) => [r.offset, r.value?.toString()]))).toEqual([
      ['0', 'a'],
      ['1', 'b'],
      ['2', 'c'],
    ])
    const reopened = await fileBus(dir)
    expect((await readAll(reopened, topic)).map((r) => [r.offset, r.value?.toString()])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ])
  })

  it("a failed fdatasync under fsync 'always' rejects the send and fails the log until reopen", async () => {
    const dir = tempDir()
    const topic = uniqueName('eio')
    const tracked = trackedFs()
    let failing = false
    const fs: FileSystem = {
      ...tracked.fs,
      async fdatasync(fd) {
        if (failing && tracked.pathOf(fd).startsWith(partitionDir(dir, topic))) {
          throw systemError('EIO', 'fdatasync', tracked.pathOf(fd))
        }
        return nodeFileSystem.fdatasync(fd)
      },
    }
    const bus = await fileBus(dir, { fs, fsync: 'always' })
    await bus.createTopic(topic)
    const producer = bus.producer()
    expect((await producer.send(topic, { value: 'acked' })).offset).toBe(0)

    failing = true
    const error = await rejection(producer.send(topic, { value: 'unsynced' }))
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).cause).toMatchObject({ code: 'EIO' })
    // The disk works again, but what it holds is unknown: the log accepts nothing more.
    failing = false
    expect(await rejection(producer.send(topic, { value: 'refused-1' }))).toBeInstanceOf(StorageError)
    expect(await rejection(producer.send(topic, { value: 'refused-2' }))).toBeInstanceOf(StorageError)
    const p = bus.topic(topic).partition(0)
    expect(p.logEndOffset).toBe(1)
    expect((await p.read(0)).map((r) => r.value?.toString())).toEqual(['acked'])
    await bus.close()

    const reopened = await fileBus(dir)
    const records = await readAll(reopened, topic)
    expect(records[0]?.value?.toString()).toBe('acked')
    expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i))
    expect(records.map((r) => r.value?.toString())).not.toContain('refused-1')
    const end = reopened.topic(topic).partition(0).logEndOffset
    expect(await sendEach(reopened, topic, ['after reopen'])).toEqual([end])
  })

  it('a read-only directory: Bus.open rejects with a clear StorageError and nothing in it changes', async () => {
    const dir = tempDir()
    await writtenTopic(dir, 3)
    const before = tree(dir)
    const denied = (syscall: string) => (path: string) => {
      throw systemError('EACCES', syscall, path)
    }
    const readOnly: FileSystem = {
      ...nodeFileSystem,
      openSync(path, flags) {
        if (flags !== 'r') throw systemError('EACCES', 'open', path)
        return nodeFileSystem.openSync(path, flags)
      },
      writeFileSync: denied('open'),
      writeSync: () => {
        throw systemError('EACCES', 'write')
      },
      ftruncateSync: () => {
        throw systemError('EACCES', 'ftruncate')
      },
      mkdirSync(path) {
        if (!existsSync(path)) throw systemError('EACCES', 'mkdir', path)
      },
      renameSync: (from) => denied('rename')(from),
      unlinkSync: denied('unlink'),
      rmSync: denied('rm'),
    }

    const error = await rejection(fileBus(dir, { fs: readOnly }))
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).message).toContain(dir)
    expect((error as StorageError).message).toContain('EACCES')
    expect(tree(dir)).toEqual(before)
    // A later open with write access works on the same, intact data.
    const bus = await fileBus(dir)
    expect(bus.listTopics().length).toBe(1)
  })
})

/** A bus over `dir` through `fs`, closed by the test itself (its close is under test). */
async function busOver(dir: string, fs: FileSystem, options: Partial<FileStorageOptions> = {}): Promise<Bus> {
  return Bus.open({ storage: new FileStorage({ dir, fs, onDamage: () => {}, ...options }) })
}

/** Every record value of every partition of `topic`, read back with a healthy file system. */
async function valuesAfterReopen(dir: string, topic: string): Promise<string[][]> {
  const bus = await fileBus(dir)
  const out: string[][] = []
  for (const partition of bus.topic(topic).partitions) {
    out.push((await readAll(bus, topic, partition.partition)).map((r) => r.value?.toString() ?? ''))
  }
  return out
}

describe('FileStorage faults: every error is a LogbusError, nothing acknowledged is lost (issue 10)', () => {
  it('a full disk at close (ENOSPC writing an index): bus.close() rejects the same StorageError every time, releases everything', async () => {
    const dir = tempDir()
    const faults = faultyFs()
    const bus = await busOver(dir, faults.fs)
    const topic = uniqueName('enospc-close')
    await bus.createTopic(topic, { partitions: 2, segmentBytes: 1024 })
    const values = Array.from({ length: 20 }, (_, i) => value(i))
    await sendEach(bus, topic, values)
    faults.fail('writeFileSync', 'ENOSPC', { when: (path) => path.endsWith('.index') })

    // Before: a plain Node ENOSPC from Segment.writeIndex, again on every later close.
    const first = await rejection(bus.close())
    expect(first).toBeInstanceOf(StorageError)
    expect(first).toMatchObject({ code: 'KAFKA_STORAGE_ERROR', retriable: false, cause: { code: 'ENOSPC' } })
    expect((first as Error).message).toMatch(/ENOSPC/)
    expect(await rejection(bus.close())).toBe(first)
    // Nothing half-closed: no descriptor open, the lock released.
    expect(faults.openPaths()).toEqual([])
    expect(existsSync(join(dir, LOCK))).toBe(false)

    faults.clear()
    expect(await valuesAfterReopen(dir, topic)).toEqual([values, []])
  })

  it('a flush that fails at close (EIO): close rejects every time with the StorageError, the data is there after a reopen', async () => {
    const dir = tempDir()
    const faults = faultyFs()
    // 'interval' with a long period: the data is not flushed before close.
    const bus = await busOver(dir, faults.fs, { fsync: 'interval', fsyncIntervalMs: 3_600_000 })
    const topic = uniqueName('eio-close')
    await bus.createTopic(topic)
    const values = ['a', 'b', 'c']
    await sendEach(bus, topic, values)
    faults.fail('fdatasync', 'EIO', { when: (path) => path.includes(`/${topic}-0/`) })
    const first = await rejection(bus.close())
    expect(first).toMatchObject({ name: 'StorageError', retriable: false, cause: { code: 'EIO' } })
    expect(await rejection(bus.close())).toBe(first)
    expect(faults.openPaths()).toEqual([])
    faults.clear()
    expect(await valuesAfterReopen(dir, topic)).toEqual([values])
  })

  it('a full disk writing the clean-shutdown marker: close rejects; the next open scans and has everything', async () => {
    const dir = tempDir()
    const faults = faultyFs()
    const bus = await busOver(dir, faults.fs)
    const topic = uniqueName('enospc-marker')
    await bus.createTopic(topic, { segmentBytes: 1024 })
    const values = Array.from({ length: 12 }, (_, i) => value(i))
    await sendEach(bus, topic, values)
    faults.fail('openSync', 'ENOSPC', { when: (path) => path.endsWith('clean-shutdown.json.tmp') })
    expect(await rejection(bus.close())).toMatchObject({ name: 'StorageError', cause: { code: 'ENOSPC' } })
    expect(faults.openPaths()).toEqual([])
    expect(existsSync(join(dir, MARKER))).toBe(false)
    faults.clear()
    expect(await valuesAfterReopen(dir, topic)).toEqual([values])
  })

  it('a createTopic that fails with EMFILE partway rolls back completely (issue 10, bug 5)', async () => {
    const dir = tempDir()
    const faults = faultyFs()
    const bus = await busOver(dir, faults.fs)
    const topic = uniqueName('emfile')
    const ofTopic = () => faults.openPaths().filter((path) => path.includes(`/${topic}-`))
    // Like `ulimit -n 1024` and 1500 partitions: every open of this topic's files fails from the 300th on.
    faults.fail('openSync', 'EMFILE', { when: (path) => path.includes(`/${topic}-`), after: 300 })
    const error = await rejection(bus.createTopic(topic, { partitions: 1500 }))
    expect(error).toBeInstanceOf(StorageError)
    expect(error).toMatchObject({ retriable: true, cause: { code: 'EMFILE' } })
    // Before: ~990 descriptors stayed open and 993 empty directories stayed on disk.
    expect(ofTopic()).toEqual([])
    expect(readdirSync(dir).filter((name) => name.startsWith(`${topic}-`))).toEqual([])
    expect(bus.listTopics()).not.toContain(topic)

    faults.clear()
    await bus.createTopic(topic, { partitions: 1500 })
    await sendEach(bus, topic, ['on 1499'], 1499)
    await bus.close()
    expect(faults.openPaths()).toEqual([])
    const reopened = await fileBus(dir)
    expect(reopened.topic(topic).partitions.length).toBe(1500)
    expect((await readAll(reopened, topic, 1499)).map((r) => r.value?.toString())).toEqual(['on 1499'])
  })

  it('EMFILE reopening an evicted segment: that send rejects (retriable), the others go on, nothing is lost', async () => {
    const dir = tempDir()
    const faults = faultyFs()
    // Four descriptors for ten partitions: segments are closed and reopened all the time.
    const bus = await busOver(dir, faults.fs, { maxOpenFiles: 4 })
    const topic = uniqueName('emfile-append')
    await bus.createTopic(topic, { partitions: 10 })
    const producer = bus.producer()
    const acked: string[][] = Array.from({ length: 10 }, () => [])
    const send = async (partition: number, text: string) => {
      await producer.send(topic, { value: text, partition })
      acked[partition]!.push(text)
    }
    for (let p = 0; p < 10; p++) await send(p, `first-${p}`)
    // Partition 7's segment is no longer among the four most recently used.
    for (const p of [0, 1, 2, 3, 4, 5]) await send(p, `again-${p}`)
    faults.fail('openSync', 'EMFILE', { when: (path) => path.includes(`/${topic}-7/`) })
    const error = await rejection(send(7, 'refused'))
    expect(error).toMatchObject({ name: 'StorageError', retriable: true, cause: { code: 'EMFILE' } })
    for (let p = 0; p < 10; p++) if (p !== 7) await send(p, `second-${p}`)
    faults.clear()
    await send(7, 'after')
    await bus.close()
    expect(faults.openPaths()).toEqual([])
    expect(await valuesAfterReopen(dir, topic)).toEqual(acked)
  })

  it('a file system gone read-only (EROFS) under a running bus: sends reject with StorageError, acknowledged data stays', async () => {
    const dir = tempDir()
    const faults = faultyFs()
    const bus = await busOver(dir, faults.fs)
    const topic = uniqueName('erofs')
    await bus.createTopic(topic)
    await sendEach(bus, topic, ['a', 'b'])
    for (const op of ['writeSync', 'writeFileSync', 'openSync', 'ftruncateSync'] as const) {
      faults.fail(op, 'EROFS', {
        when: (path) => path.startsWith(dir) && !path.endsWith('.log') === (op === 'openSync'),
      })
    }
    const error = await rejection(sendEach(bus, topic, ['c']))
    expect(error).toMatchObject({ name: 'StorageError', retriable: false, cause: { code: 'EROFS' } })
    expect((error as Error).message).toMatch(/EROFS/)
    expect(await rejection(bus.close())).toBeInstanceOf(StorageError)
    expect(faults.openPaths()).toEqual([])
    faults.clear()
    expect(await valuesAfterReopen(dir, topic)).toEqual([['a', 'b']])
  })

  it('opening a directory on a read-only file system reports EROFS, not ENOENT (issue 10, bug 4)', async () => {
    const parent = tempDir()
    const faults = faultyFs()
    faults.fail('mkdirSync', 'EROFS')
    const error = await rejection(busOver(join(parent, 'data'), faults.fs))
    expect(error).toMatchObject({ name: 'StorageError', cause: { code: 'EROFS' } })
    expect((error as Error).message).toContain('EROFS')
  })

  it('mkdir -p reports what stops it: EROFS from a read-only mount, where Node’s recursive mkdir says ENOENT', () => {
    // A read-only mount at /ro: existing directories are found, creating one fails with EROFS.
    const existing = new Set(['/', '/ro'])
    const mkdir = (path: string): void => {
      if (existing.has(path)) throw systemError('EEXIST', 'mkdir', path)
      if (!existing.has(dirname(path))) throw systemError('ENOENT', 'mkdir', path)
      throw systemError('EROFS', 'mkdir', path)
    }
    expect(() => mkdirs('/ro/data/orders-0', mkdir, (p) => existing.has(p))).toThrow(/EROFS/)
    expect(() => mkdirs('/ro', mkdir, (p) => existing.has(p))).not.toThrow()
    // And on a real file system it creates missing parents and accepts an existing directory.
    const dir = tempDir()
    nodeFileSystem.mkdirSync(join(dir, 'a', 'b', 'c'))
    nodeFileSystem.mkdirSync(join(dir, 'a', 'b'))
    expect(statSync(join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true)
    expect(() => nodeFileSystem.mkdirSync(join(dir, 'a', 'b', 'c', 'x', 'y'))).not.toThrow()
  })

  it('a read that fails (EIO) is a StorageError, not a raw Node error', async () => {
    const dir = tempDir()
    const { topic } = await writtenTopic(dir, 5)
    const faults = faultyFs()
    const bus = await busOver(dir, faults.fs, { readCacheBytes: 0 })
    faults.fail('readSync', 'EIO', { when: (path) => path.includes(`/${topic}-0/`) })
    const error = await rejection(bus.topic(topic).partition(0).read(0))
    expect(error).toMatchObject({ name: 'StorageError', cause: { code: 'EIO' } })
    faults.clear()
    expect((await bus.topic(topic).partition(0).read(0)).length).toBe(5)
    await bus.close()
  })
})

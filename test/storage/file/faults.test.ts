import { existsSync, readFileSync, statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { type FileSystem, nodeFileSystem } from '../../../src/file'
import { StorageError } from '../../../src/index'
import { uniqueName } from '../../support/bus'
import {
  decodeSegment,
  fileBus,
  logPath,
  partitionDir,
  readAll,
  rejection,
  sendEach,
  systemError,
  tempDir,
  trackedFs,
  tree,
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

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileStorage, type FileSystem, nodeFileSystem } from '../../../src/file'
import { Bus } from '../../../src/index'
import { CachedFile, DescriptorCache } from '../../../src/storage/file/descriptor-cache'
import { uniqueName, waitUntil } from '../../support/bus'
import { faultyFs, readAll, tempDir } from './support'

/** Files in a temporary directory, and a file system that records opens and closes by path. */
function setup(count: number) {
  const dir = tempDir()
  const files = Array.from({ length: count }, (_, i) => {
    const path = join(dir, `f${i}`)
    writeFileSync(path, `file ${i}`)
    return new CachedFile(path, 'r+')
  })
  const events: string[] = []
  const open = new Map<number, string>()
  const fs: FileSystem = {
    ...nodeFileSystem,
    openSync(path, flags) {
      const fd = nodeFileSystem.openSync(path, flags)
      open.set(fd, path)
      events.push(`open ${path.slice(dir.length + 1)}`)
      return fd
    },
    closeSync(fd) {
      events.push(`close ${open.get(fd)!.slice(dir.length + 1)}`)
      open.delete(fd)
      nodeFileSystem.closeSync(fd)
    },
  }
  return { files, events, open, fs }
}

describe('DescriptorCache', () => {
  it('keeps at most maxOpen descriptors, closing the least recently used', () => {
    const { files, events, open, fs } = setup(6)
    const cache = new DescriptorCache(fs, 3)
    for (const file of files.slice(0, 3)) cache.fd(file)
    cache.fd(files[0]!) // f0 is now the most recently used
    events.length = 0
    cache.fd(files[3]!)
    expect(events).toEqual(['close f1', 'open f3'])
    cache.fd(files[4]!)
    cache.fd(files[5]!)
    expect(open.size).toBe(3)
    expect(cache.openCount).toBe(3)
    expect([...open.values()].map((p) => p.slice(-2)).sort()).toEqual(['f3', 'f4', 'f5'])
    // A closed file opens again, with its own flags, and reads what it holds.
    const buf = Buffer.alloc(6)
    nodeFileSystem.readSync(cache.fd(files[1]!), buf, 0, 6, 0)
    expect(buf.toString()).toBe('file 1')
  })

  it('evicts files without unflushed writes first', () => {
    const { files, events, fs } = setup(4)
    const cache = new DescriptorCache(fs, 3)
    for (const file of files.slice(0, 3)) cache.fd(file)
    files[0]!.unsynced = true
    events.length = 0
    cache.fd(files[3]!)
    expect(events).toEqual(['close f1', 'open f3'])
  })

  it('never closes a pinned descriptor: it goes over its bound and comes back down on unpin', () => {
    const { files, events, open, fs } = setup(4)
    const cache = new DescriptorCache(fs, 2)
    const pinned = [cache.pin(files[0]!), cache.pin(files[1]!)]
    events.length = 0
    cache.fd(files[2]!)
    expect(events).toEqual(['open f2'])
    expect(open.size).toBe(3)
    expect(cache.fd(files[0]!)).toBe(pinned[0])
    cache.unpin(files[0]!)
    cache.unpin(files[1]!)
    expect(open.size).toBe(2)
  })

  it('out of descriptors (EMFILE), it closes one of its own and tries again', () => {
    const dir = tempDir()
    const files = [0, 1, 2].map((i) => {
      writeFileSync(join(dir, `f${i}`), '')
      return new CachedFile(join(dir, `f${i}`), 'r+')
    })
    const faults = faultyFs()
    const cache = new DescriptorCache(faults.fs, 10)
    cache.fd(files[0]!)
    cache.fd(files[1]!)
    // The process limit is reached: the next open fails once, until a descriptor is given back.
    faults.fail('openSync', 'EMFILE', { when: () => faults.openPaths().length >= 2 })
    cache.fd(files[2]!)
    expect(faults.failures()).toBe(1)
    expect(
      faults
        .openPaths()
        .map((p) => p.slice(-2))
        .sort(),
    ).toEqual(['f1', 'f2'])
    // With nothing of its own to close, the error comes out.
    faults.clear()
    faults.fail('openSync', 'EMFILE')
    expect(() => cache.fd(files[0]!)).toThrow(/EMFILE/)
  })

  it('a segment whose flush is running is never closed under it, however many others are opened', async () => {
    const dir = tempDir()
    const faults = faultyFs()
    const held: Array<() => void> = []
    let heldFd = -1
    const closedWhileHeld: number[] = []
    const fs: FileSystem = {
      ...faults.fs,
      closeSync(fd) {
        if (fd === heldFd) closedWhileHeld.push(fd)
        faults.fs.closeSync(fd)
      },
      async fdatasync(fd) {
        if (heldFd === -1) {
          heldFd = fd
          await new Promise<void>((resolve) => held.push(resolve))
          heldFd = -2
        }
        return faults.fs.fdatasync(fd)
      },
    }
    const bus = await Bus.open({ storage: new FileStorage({ dir, fs, maxOpenFiles: 4 }) })
    const topic = uniqueName('pinned')
    await bus.createTopic(topic, { partitions: 12 })
    const producer = bus.producer()
    const first = producer.send(topic, { value: 'held', partition: 0 })
    await waitUntil(() => held.length === 1, { message: 'the flush of partition 0' })
    // Twelve partitions written through four descriptors while partition 0's flush waits.
    const others = []
    for (let round = 0; round < 3; round++) {
      for (let p = 1; p < 12; p++) others.push(producer.send(topic, { value: `r${round}`, partition: p }))
      await waitUntil(() => faults.openPaths().filter((path) => path.endsWith('.log')).length >= 4)
    }
    expect(closedWhileHeld).toEqual([])
    held[0]!()
    expect((await first).offset).toBe(0)
    await Promise.all(others)
    expect(closedWhileHeld).toEqual([])
    await bus.close()
    const reopened = await Bus.open({ dir })
    expect((await readAll(reopened, topic, 0)).map((r) => r.value?.toString())).toEqual(['held'])
    expect((await readAll(reopened, topic, 11)).map((r) => r.value?.toString())).toEqual(['r0', 'r1', 'r2'])
    await reopened.close()
  })
})

import { describe, expect, it } from 'vitest'
import { type FileSystem, nodeFileSystem } from '../../../src/file'
import { uniqueName, waitUntil } from '../../support/bus'
import { fileBus, tempDir } from './support'

/** Node's fs whose flushes (fdatasync of files, fsync of directories) can be held, by path. */
function heldFlushes(dir: string) {
  const paths = new Map<number, string>()
  const parked: Array<{ path: string; release: () => void }> = []
  const flushed: string[] = []
  let hold: (path: string) => boolean = () => false
  const relative = (fd: number): string => (paths.get(fd) ?? '').slice(dir.length + 1) || '.'
  const flush = (real: (fd: number) => Promise<void>) => async (fd: number) => {
    const path = relative(fd)
    if (hold(path)) await new Promise<void>((release) => parked.push({ path, release }))
    await real(fd)
    flushed.push(path)
  }
  const fs: FileSystem = {
    ...nodeFileSystem,
    openSync(path, flags) {
      const fd = nodeFileSystem.openSync(path, flags)
      paths.set(fd, path)
      return fd
    },
    fdatasync: flush(nodeFileSystem.fdatasync),
    fsync: flush(nodeFileSystem.fsync),
  }
  return {
    fs,
    flushed,
    parked,
    hold(predicate: (path: string) => boolean) {
      hold = predicate
    },
    release(predicate: (path: string) => boolean = () => true) {
      for (let i = parked.length - 1; i >= 0; i--) {
        if (!predicate(parked[i]!.path)) continue
        parked[i]!.release()
        parked.splice(i, 1)
      }
    },
  }
}

describe("FileStorage group commit across partitions (fsync 'always')", () => {
  it('a keyed send over 8 partitions: all 8 flushes start together, each file and directory flushed once', async () => {
    const dir = tempDir()
    const disk = heldFlushes(dir)
    const bus = await fileBus(dir, { fs: disk.fs })
    const topic = uniqueName('keyed')
    await bus.createTopic(topic, { partitions: 8 })
    disk.hold(() => true)
    const sent = bus.producer().send(
      topic,
      Array.from({ length: 100 }, (_, i) => ({ key: `key-${i}`, value: `v${i}` })),
    )
    // Every flush the send needs is running before any of them ends: one batch, not eight loops.
    const segments = Array.from({ length: 8 }, (_, p) => `${topic}-${p}/00000000000000000000.log`)
    await waitUntil(() => segments.every((s) => disk.parked.some((f) => f.path === s)), {
      message: 'the eight segment flushes',
    })
    const started = disk.parked.map((f) => f.path).sort()
    // The new directories' entries once each: the partitions' and the data directory's.
    expect(started).toEqual(
      [...segments, ...Array.from({ length: 8 }, (_, p) => `${topic}-${p}`), '.'].sort(),
    )
    disk.hold(() => false)
    disk.release()
    const metas = await sent
    expect(new Set(metas.map((m) => m.partition)).size).toBe(8)
    expect(disk.flushed.filter((p) => p.endsWith('.log')).sort()).toEqual(segments)
  })

  it('appends made while a round runs go in the next round, which starts when it ends; none is acknowledged early', async () => {
    const dir = tempDir()
    const disk = heldFlushes(dir)
    const bus = await fileBus(dir, { fs: disk.fs })
    const topic = uniqueName('rounds')
    await bus.createTopic(topic, { partitions: 4 })
    const producer = bus.producer()
    // Directories made durable first, so that only the segments' flushes are under test.
    await Promise.all([0, 1, 2, 3].map((p) => producer.send(topic, { value: 'warm', partition: p })))
    const segment = (p: number) => `${topic}-${p}/00000000000000000000.log`
    disk.hold(() => true)
    const acked: string[] = []
    const send = (p: number, value: string) =>
      producer.send(topic, { value, partition: p }).then((m) => {
        acked.push(value)
        return m
      })
    const first = [send(0, 'a0'), send(1, 'a1')]
    await waitUntil(() => disk.parked.length === 2, { message: 'the first round' })
    // Appends during the round: on a partition of the round and on another one.
    const second = [send(0, 'b0'), send(2, 'b2')]
    for (let turn = 0; turn < 5; turn++) await new Promise<void>((resolve) => setImmediate(resolve))
    expect(disk.parked.map((f) => f.path).sort()).toEqual([segment(0), segment(1)])
    expect(acked).toEqual([])
    // The first round ends: its sends are acknowledged, and the next round starts with the others.
    disk.release()
    await Promise.all(first)
    expect(acked.sort()).toEqual(['a0', 'a1'])
    await waitUntil(() => disk.parked.length === 2, { message: 'the second round' })
    expect(disk.parked.map((f) => f.path).sort()).toEqual([segment(0), segment(2)])
    expect(acked.sort()).toEqual(['a0', 'a1'])
    disk.hold(() => false)
    disk.release()
    expect((await Promise.all(second)).map((m) => m.offset)).toEqual([2, 1])
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(3)
  })
})

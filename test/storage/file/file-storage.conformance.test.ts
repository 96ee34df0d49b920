import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileStorage, type FileStorageOptions, type FileSystem, nodeFileSystem } from '../../../src/file'
import { storageConformance } from '../conformance'

/**
 * Node's fs without the disk flushes: the conformance suite checks what is stored, not when it reaches
 * the platter (file-storage.test.ts does), and real flushes would make it slow. The calls still happen,
 * so the group-commit path of 'always' (append resolves after the flush round) runs as usual.
 */
const noFlushFs: FileSystem = {
  ...nodeFileSystem,
  fsyncSync: () => {},
  fdatasync: async () => {},
  fsync: async () => {},
}

/** Flips a byte inside the records of the batch holding `offset` (covered by its CRC). */
async function corrupt(dir: string, topic: string, partition: number, offset: number): Promise<void> {
  const partitionDir = join(dir, `${topic}-${partition}`)
  for (const name of readdirSync(partitionDir)
    .filter((n) => n.endsWith('.log'))
    .sort()) {
    const path = join(partitionDir, name)
    const bytes = readFileSync(path)
    for (let p = 0; p + 61 <= bytes.length; p += 12 + bytes.readInt32BE(p + 8)) {
      const base = Number(bytes.readBigInt64BE(p))
      if (offset >= base && offset <= base + bytes.readInt32BE(p + 23)) {
        bytes[p + 70] = bytes[p + 70]! ^ 0xff
        writeFileSync(path, bytes)
        return
      }
    }
  }
  throw new Error(`no batch holds offset ${offset}`)
}

function fileStorage(options: Omit<FileStorageOptions, 'dir'>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logbus-conformance-'))
    const all = { fs: noFlushFs, onDamage: () => {}, ...options }
    return {
      storage: new FileStorage({ dir, ...all }),
      reopen: async () => new FileStorage({ dir, ...all }),
      corrupt: (topic: string, partition: number, offset: number) => corrupt(dir, topic, partition, offset),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
}

storageConformance('FileStorage (fsync always)', fileStorage({ fsync: 'always' }))
// Without the read cache every read decodes segments from disk; few descriptors: the cache evicts.
storageConformance(
  'FileStorage (fsync never, no read cache, 4 open files)',
  fileStorage({ fsync: 'never', readCacheBytes: 0, maxOpenFiles: 4 }),
)

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileStorage, type FileStorageOptions, type FileSystem, nodeFileSystem } from '../../../src/index'
import { storageConformance } from '../conformance'

/**
 * Node's fs without the disk flushes: the conformance suite checks what is stored, not when it reaches
 * the platter (file-storage.test.ts does), and real fsyncs would make it slow. The calls still happen,
 * so the group-commit path of 'always' (append resolves after fdatasync) runs as usual.
 */
const noFlushFs: FileSystem = {
  ...nodeFileSystem,
  fsyncSync: () => {},
  fdatasync: async () => {},
}

function fileStorage(options: Omit<FileStorageOptions, 'dir'>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logbus-conformance-'))
    return {
      storage: new FileStorage({ dir, fs: noFlushFs, ...options }),
      reopen: async () => new FileStorage({ dir, fs: noFlushFs, ...options }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
}

storageConformance('FileStorage (fsync always)', fileStorage({ fsync: 'always' }))
// Without the read cache every read decodes segments from disk.
storageConformance(
  'FileStorage (fsync never, no read cache)',
  fileStorage({ fsync: 'never', readCacheBytes: 0 }),
)

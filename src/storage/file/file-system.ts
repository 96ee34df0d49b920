import * as fs from 'node:fs'

/**
 * The file operations FileStorage uses, and nothing else: an injectable layer, so tests can make
 * writes fail (a full disk), fsync fail, or a directory read-only, as franz-go's kfake does.
 * Writes and reads are synchronous: they hit the page cache and keep appends strictly ordered;
 * only `fdatasync`, which waits for the disk, is asynchronous so group commit can batch behind it.
 *
 * @example
 * ```ts
 * const failing: FileSystem = { ...nodeFileSystem, writeSync: () => { throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }) } }
 * const storage = new FileStorage({ dir, fs: failing })
 * ```
 */
export interface FileSystem {
  openSync(path: string, flags: string): number
  closeSync(fd: number): void
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number
  fstatSize(fd: number): number
  ftruncateSync(fd: number, length: number): void
  fsyncSync(fd: number): void
  fdatasync(fd: number): Promise<void>
  mkdirSync(path: string): void
  readdirSync(path: string): string[]
  existsSync(path: string): boolean
  readFileSync(path: string): Buffer
  writeFileSync(path: string, data: Uint8Array | string, flags?: string): void
  renameSync(from: string, to: string): void
  unlinkSync(path: string): void
  rmSync(path: string): void
}

/**
 * Node's `fs`, as FileStorage uses it by default.
 *
 * @example
 * ```ts
 * const storage = new FileStorage({ dir: './data', fs: nodeFileSystem })
 * ```
 */
export const nodeFileSystem: FileSystem = {
  openSync: (path, flags) => fs.openSync(path, flags),
  closeSync: (fd) => fs.closeSync(fd),
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  readSync: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  fstatSize: (fd) => fs.fstatSync(fd).size,
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  fdatasync: (fd) =>
    new Promise((resolve, reject) => {
      fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()))
    }),
  mkdirSync: (path) => {
    fs.mkdirSync(path, { recursive: true })
  },
  readdirSync: (path) => fs.readdirSync(path),
  existsSync: (path) => fs.existsSync(path),
  readFileSync: (path) => fs.readFileSync(path),
  writeFileSync: (path, data, flags) => fs.writeFileSync(path, data, { flag: flags ?? 'w' }),
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (path) => fs.unlinkSync(path),
  rmSync: (path) => fs.rmSync(path, { recursive: true, force: true }),
}

/** Makes a file's directory entry durable (after a create or rename), where the platform allows. */
export function fsyncDirectory(fileSystem: FileSystem, dir: string): void {
  let fd: number | undefined
  try {
    fd = fileSystem.openSync(dir, 'r')
    fileSystem.fsyncSync(fd)
  } catch (error) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename itself is still atomic.
    if (!isCode(error, 'EISDIR', 'EPERM', 'EINVAL', 'EBADF')) throw error
  } finally {
    if (fd !== undefined) fileSystem.closeSync(fd)
  }
}

/** Writes a whole file atomically: a temporary file, fsync, rename over the target, fsync the directory. */
export function writeFileAtomic(
  fileSystem: FileSystem,
  dir: string,
  name: string,
  data: string | Uint8Array,
): void {
  const target = `${dir}/${name}`
  const temporary = `${target}.tmp`
  const fd = fileSystem.openSync(temporary, 'w')
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    let written = 0
    while (written < bytes.length)
      written += fileSystem.writeSync(fd, bytes, written, bytes.length - written, written)
    fileSystem.fsyncSync(fd)
  } finally {
    fileSystem.closeSync(fd)
  }
  fileSystem.renameSync(temporary, target)
  fsyncDirectory(fileSystem, dir)
}

export function isCode(error: unknown, ...codes: string[]): boolean {
  return (
    typeof error === 'object' && error !== null && codes.includes((error as { code?: string }).code ?? '')
  )
}

import * as fs from 'node:fs'
import { dirname } from 'node:path'

/**
 * The file operations FileStorage uses, and nothing else: an injectable layer, so tests can make
 * writes fail (a full disk), opens fail (too many open files), fsync fail, or a directory read-only,
 * as franz-go's kfake does. Writes and reads are synchronous: they hit the page cache and keep appends
 * strictly ordered; only the flushes that wait for the disk (`fdatasync`, `fsync`) are asynchronous, so
 * that group commit can batch behind them.
 *
 * @example
 * ```ts
 * const full: FileSystem = {
 *   ...nodeFileSystem,
 *   writeSync: () => { throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }) },
 * }
 * const storage = new FileStorage({ dir, fs: full })
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
  /** Flushes a file's data (and the metadata needed to read it back). */
  fdatasync(fd: number): Promise<void>
  /** Flushes a file or directory entirely; directories are flushed with it after a create or rename. */
  fsync(fd: number): Promise<void>
  /** Creates a directory and its missing parents; an existing directory is fine. */
  mkdirSync(path: string): void
  readdirSync(path: string): string[]
  existsSync(path: string): boolean
  readFileSync(path: string): Buffer
  writeFileSync(path: string, data: Uint8Array | string, flags?: string): void
  renameSync(from: string, to: string): void
  unlinkSync(path: string): void
  /** Removes a file or a directory tree; a missing one is fine. */
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
  fsync: (fd) =>
    new Promise((resolve, reject) => {
      fs.fsync(fd, (error) => (error ? reject(error) : resolve()))
    }),
  mkdirSync: (path) =>
    mkdirs(
      path,
      (p) => fs.mkdirSync(p),
      (p) => fs.statSync(p).isDirectory(),
    ),
  readdirSync: (path) => fs.readdirSync(path),
  existsSync: (path) => fs.existsSync(path),
  readFileSync: (path) => fs.readFileSync(path),
  writeFileSync: (path, data, flags) => fs.writeFileSync(path, data, { flag: flags ?? 'w' }),
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (path) => fs.unlinkSync(path),
  rmSync: (path) => fs.rmSync(path, { recursive: true, force: true }),
}

/**
 * `mkdir -p` that reports the real cause of a failure. Node's own recursive mkdirSync answers ENOENT
 * when the file system is read-only (it only tells "the directory is not there"), which sent users
 * looking for a missing path instead of a read-only mount: here each level is created on its own, so
 * EROFS, EACCES or ENOSPC come out as they are.
 *
 * @example
 * ```ts
 * mkdirs('/data/logbus/orders-0', (p) => fs.mkdirSync(p), (p) => fs.statSync(p).isDirectory())
 * ```
 */
export function mkdirs(
  path: string,
  mkdir: (path: string) => void,
  isDirectory: (path: string) => boolean,
): void {
  try {
    mkdir(path)
  } catch (error) {
    if (isCode(error, 'EEXIST') && isDirectory(path)) return
    const parent = dirname(path)
    if (!isCode(error, 'ENOENT') || parent === path) throw error
    mkdirs(parent, mkdir, isDirectory)
    try {
      mkdir(path)
    } catch (again) {
      // Another process created it in between.
      if (!(isCode(again, 'EEXIST') && isDirectory(path))) throw again
    }
  }
}

/**
 * Makes a file's directory entry durable (after a create or rename), where the platform allows.
 *
 * @example
 * ```ts
 * fsyncDirectory(nodeFileSystem, dir)
 * ```
 */
export function fsyncDirectory(fileSystem: FileSystem, dir: string): void {
  let fd: number | undefined
  try {
    fd = fileSystem.openSync(dir, 'r')
    fileSystem.fsyncSync(fd)
  } catch (error) {
    if (!cannotSyncDirectories(error)) throw error
  } finally {
    if (fd !== undefined) fileSystem.closeSync(fd)
  }
}

/**
 * `fsyncDirectory`, without blocking the event loop while the disk works: what a commit round uses.
 *
 * @example
 * ```ts
 * await fsyncDirectoryAsync(nodeFileSystem, dir)
 * ```
 */
export async function fsyncDirectoryAsync(fileSystem: FileSystem, dir: string): Promise<void> {
  let fd: number | undefined
  try {
    fd = fileSystem.openSync(dir, 'r')
    await fileSystem.fsync(fd)
  } catch (error) {
    if (!cannotSyncDirectories(error)) throw error
  } finally {
    if (fd !== undefined) fileSystem.closeSync(fd)
  }
}

/** Some platforms (Windows) cannot open or fsync a directory; a rename there is still atomic. */
function cannotSyncDirectories(error: unknown): boolean {
  return isCode(error, 'EISDIR', 'EPERM', 'EINVAL', 'EBADF')
}

/**
 * Writes a whole file atomically: a temporary file, fsync, rename over the target, fsync the directory.
 *
 * @example
 * ```ts
 * writeFileAtomic(nodeFileSystem, metaDir, 'topics.json', JSON.stringify(topics))
 * ```
 */
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

/**
 * Whether `error` is a system error with one of `codes`.
 *
 * @example
 * ```ts
 * if (isCode(error, 'ENOENT')) return undefined
 * ```
 */
export function isCode(error: unknown, ...codes: string[]): boolean {
  return (
    typeof error === 'object' && error !== null && codes.includes((error as { code?: string }).code ?? '')
  )
}

import type { FileSystem } from './file-system'
import { codeOf, toStorageError } from './fs-errors'

/**
 * A file whose descriptor the cache opens on demand and may close when others need room: a segment's
 * `.log`. `fd` is -1 while it is closed.
 */
export class CachedFile {
  fd = -1
  /** Asynchronous operations (an fsync) running on the descriptor: it is never closed under them. */
  pins = 0
  /** Bytes were written through it that no flush covered yet: such a file is evicted last. */
  unsynced = false

  constructor(
    readonly path: string,
    /** How it is reopened after an eviction. */
    readonly flags: 'r+' | 'r',
  ) {}
}

/**
 * A bounded cache of open file descriptors over every partition of a storage, least recently used
 * first out, so that the number of partitions is not bounded by the process's descriptor limit
 * (macOS allows 256 by default). Synchronous reads and writes take a descriptor and use it at once; an
 * fsync, which waits, pins it. A pinned descriptor is never closed, and the cache may exceed its bound
 * rather than close one; files with unflushed writes are evicted after clean ones (closing never loses
 * data: a later fsync through a new descriptor flushes the file's pages all the same).
 *
 * @example
 * ```ts
 * const files = new DescriptorCache(nodeFileSystem, 128)
 * const segment = new CachedFile(path, 'r+')
 * nodeFileSystem.writeSync(files.fd(segment), bytes, 0, bytes.length, position)
 * ```
 */
export class DescriptorCache {
  /** Open files, least recently used first. */
  readonly #open = new Map<CachedFile, true>()
  #mostRecent: CachedFile | undefined

  constructor(
    private readonly fs: FileSystem,
    readonly maxOpen: number,
  ) {}

  /** Descriptors open now. */
  get openCount(): number {
    return this.#open.size
  }

  /** Creates (or truncates, per `flags`) the file and keeps its descriptor open. */
  create(file: CachedFile, flags: string): number {
    this.#makeRoom()
    file.fd = this.#openSync(file.path, flags)
    this.#track(file)
    return file.fd
  }

  /** The file's descriptor, opened if needed; valid until the next call into the cache. */
  fd(file: CachedFile): number {
    if (file.fd >= 0) {
      if (this.#mostRecent !== file) {
        this.#open.delete(file)
        this.#track(file)
      }
      return file.fd
    }
    this.#makeRoom()
    file.fd = this.#openSync(file.path, file.flags)
    this.#track(file)
    return file.fd
  }

  /** The file's descriptor, kept open until `unpin`: for an operation that waits (an fsync). */
  pin(file: CachedFile): number {
    const fd = this.fd(file)
    file.pins++
    return fd
  }

  unpin(file: CachedFile): void {
    file.pins--
    if (this.#open.size > this.maxOpen) this.#makeRoom(this.maxOpen)
  }

  /**
   * Closes the file's descriptor now (a segment deleted, a log closed). The caller makes sure no
   * operation is pinned on it. A close error is a StorageError.
   */
  close(file: CachedFile): void {
    if (file.fd < 0) return
    const fd = file.fd
    this.#forget(file)
    try {
      this.fs.closeSync(fd)
    } catch (error) {
      throw toStorageError(error, `Cannot close ${file.path}`)
    }
  }

  #track(file: CachedFile): void {
    this.#open.set(file, true)
    this.#mostRecent = file
  }

  #forget(file: CachedFile): void {
    this.#open.delete(file)
    file.fd = -1
    if (this.#mostRecent === file) this.#mostRecent = undefined
  }

  /** Evicts until fewer than `limit` descriptors are open, or nothing more can go. */
  #makeRoom(limit = this.maxOpen - 1): void {
    while (this.#open.size > limit) {
      if (!this.#evictOne()) return
    }
  }

  /** Closes the least recently used unpinned descriptor, a clean one if there is one. */
  #evictOne(): boolean {
    let fallback: CachedFile | undefined
    let victim: CachedFile | undefined
    for (const file of this.#open.keys()) {
      if (file.pins > 0) continue
      if (!file.unsynced) {
        victim = file
        break
      }
      fallback ??= file
    }
    victim ??= fallback
    if (victim === undefined) return false
    const fd = victim.fd
    this.#forget(victim)
    try {
      this.fs.closeSync(fd)
    } catch {
      // The descriptor is released even when close reports an error; a writeback error it carried
      // comes back from the next fsync of the file.
    }
    return true
  }

  /** Opens, making room and trying again when the process is out of descriptors. */
  #openSync(path: string, flags: string): number {
    for (;;) {
      try {
        return this.fs.openSync(path, flags)
      } catch (error) {
        const code = codeOf(error)
        if ((code !== 'EMFILE' && code !== 'ENFILE') || !this.#evictOne()) throw error
      }
    }
  }
}

import type { CachedFile, DescriptorCache } from './descriptor-cache'
import { type FileSystem, fsyncDirectoryAsync } from './file-system'

/**
 * What one log has to make durable in a commit round: files to flush (with fdatasync), directories
 * whose new entries must be durable too, and what to do once they are (or failed).
 */
export interface SyncJob {
  files: readonly CachedFile[]
  dirs: readonly string[]
  /** Called once: with no error when everything listed is durable, else with the first failure. */
  complete(error: unknown): void
}

/** A log that may have something to make durable. */
export interface SyncSource {
  /** What to flush now, or undefined when there is nothing. Taken at the start of a round. */
  takeSyncJob(): SyncJob | undefined
}

/**
 * Group commit across every partition of a storage. Under fsync 'always', an append asks for a flush
 * (`request`); flushes start once the current turn of the event loop is over, so the appends of one
 * turn on any partitions — a keyed send over eight partitions, sixteen producers each sending — are
 * made durable by one batch of flushes started together: every dirty file in parallel (up to
 * `parallelism` at a time, which bounds the descriptors pinned), every new directory entry once. Each
 * log then acknowledges its waiters as soon as its own files are durable, and a log whose flush is
 * still running collects what arrives meanwhile for its next one, so that a slow flush on one
 * partition never holds the others back. Under 'interval', a timer flushes the logs that wrote since
 * the last time. Nothing is acknowledged before its own flush returned.
 *
 * @example
 * ```ts
 * const commit = new GroupCommit(fs, files, { parallelism: 16 })
 * commit.request(log) // the log's takeSyncJob() runs when the next batch of flushes starts
 * ```
 */
export class GroupCommit {
  /** Logs with appends waiting to be made durable. */
  readonly #pending = new Set<SyncSource>()
  /** Logs that wrote under 'interval': flushed by the next timed batch. */
  readonly #dirty = new Set<SyncSource>()
  /** Logs whose flush runs now; each has at most one. */
  readonly #flushing = new Set<SyncSource>()
  /** What `flush` callers wait for, by log: resolved when the log's next flush ends. */
  readonly #flushWaiters = new Map<SyncSource, Array<() => void>>()
  #scheduled = false
  #timer: NodeJS.Timeout | undefined
  readonly #parallelism: number
  #inFlight = 0
  readonly #queue: Array<() => void> = []
  #idle: Array<() => void> = []

  constructor(
    private readonly fs: FileSystem,
    private readonly files: DescriptorCache,
    options: { parallelism: number; intervalMs?: number },
  ) {
    this.#parallelism = Math.max(1, options.parallelism)
    if (options.intervalMs !== undefined) {
      this.#timer = setInterval(() => {
        for (const source of this.#dirty) this.#pending.add(source)
        this.#dirty.clear()
        this.#startBatch()
      }, options.intervalMs)
      this.#timer.unref()
    }
  }

  /** A log has appends waiting to be durable: flush them with the next batch, which starts soon. */
  request(source: SyncSource): void {
    this.#pending.add(source)
    this.#schedule()
  }

  /**
   * Makes everything `source` wrote so far durable with the next batch of flushes (logs that close
   * together share one); resolves when its flush ended. The outcome for the log is its own (its job's
   * `complete`).
   */
  flush(source: SyncSource): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#flushWaiters.get(source)
      if (waiters === undefined) this.#flushWaiters.set(source, [resolve])
      else waiters.push(resolve)
      this.request(source)
    })
  }

  /** A log wrote something that the next timed batch ('interval') flushes. */
  markDirty(source: SyncSource): void {
    this.#dirty.add(source)
  }

  /** A log that closes leaves every future batch; a flush already running on it finishes. */
  forget(source: SyncSource): void {
    this.#pending.delete(source)
    this.#dirty.delete(source)
    for (const resolve of this.#flushWaiters.get(source) ?? []) resolve()
    this.#flushWaiters.delete(source)
  }

  /** Resolves once no flush runs. */
  idle(): Promise<void> {
    if (this.#flushing.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Stops the timer of 'interval'. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#startBatch()
    })
  }

  /** Starts a flush for every pending log that has none running, directories shared among them. */
  #startBatch(): void {
    const dirs = new Map<string, Promise<void>>()
    const syncDir = (dir: string): Promise<void> => {
      let done = dirs.get(dir)
      if (done === undefined) {
        done = this.#limited(() => fsyncDirectoryAsync(this.fs, dir))
        dirs.set(dir, done)
      }
      return done
    }
    for (const source of this.#pending) {
      if (this.#flushing.has(source)) continue
      this.#pending.delete(source)
      // Callers of flush() so far wait for this job: what they wrote is in it.
      const flushed = this.#flushWaiters.get(source) ?? []
      this.#flushWaiters.delete(source)
      const job = source.takeSyncJob()
      if (job === undefined) {
        for (const resolve of flushed) resolve()
        continue
      }
      this.#flushing.add(source)
      void this.#run(job, syncDir).then(() => {
        for (const resolve of flushed) resolve()
        this.#flushing.delete(source)
        // What arrived while this flush ran goes with the next batch.
        if (this.#pending.has(source)) this.#schedule()
        if (this.#flushing.size === 0) {
          const idle = this.#idle
          this.#idle = []
          for (const resolve of idle) resolve()
        }
      })
    }
  }

  async #run(job: SyncJob, syncDir: (dir: string) => Promise<void>): Promise<void> {
    let error: unknown
    try {
      await Promise.all([
        ...job.dirs.map(syncDir),
        ...job.files.map((file) => this.#limited(() => this.#flush(file))),
      ])
    } catch (failure) {
      error = failure ?? new Error('flush failed')
    }
    job.complete(error)
  }

  async #flush(file: CachedFile): Promise<void> {
    const fd = this.files.pin(file)
    try {
      await this.fs.fdatasync(fd)
    } finally {
      this.files.unpin(file)
    }
  }

  /** Runs `task` once fewer than `parallelism` others run: bounds the descriptors flushes pin. */
  async #limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= this.#parallelism) await new Promise<void>((resolve) => this.#queue.push(resolve))
    this.#inFlight++
    try {
      return await task()
    } finally {
      this.#inFlight--
      this.#queue.shift()?.()
    }
  }
}

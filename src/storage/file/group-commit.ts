import { LatencyHistogram } from '../../metrics/histogram'
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
 * Group commit across every partition of a storage. Under fsync 'always', an append asks for a round
 * (`request`); the round starts once the current turn of the event loop is over, so the appends of one
 * turn on any partitions — a keyed send over eight partitions, sixteen producers each sending — are
 * made durable together: every dirty file of the round is flushed in parallel (up to `parallelism` at a
 * time, which bounds the descriptors pinned), every new directory entry once, and each log
 * acknowledges its waiters as soon as its own files are durable. Appends that arrive during a round go
 * into the next one, which starts as soon as this one ends: rounds keep every partition in step, so a
 * send over several partitions waits for one round, not for the unaligned flushes of each (measured:
 * twice the records per fdatasync of one loop per partition). Under 'interval', a timer runs rounds
 * over the logs that wrote since the last one. Nothing is acknowledged before its own flush returned.
 *
 * @example
 * ```ts
 * const commit = new GroupCommit(fs, files, { parallelism: 16 })
 * commit.request(log) // the log's takeSyncJob() runs at the start of the next round
 * ```
 */
export class GroupCommit {
  /** Logs with appends waiting: flushed by the next round. */
  #pending = new Set<SyncSource>()
  /** Logs that wrote under 'interval': flushed by the next timed round. */
  #dirty = new Set<SyncSource>()
  #running: Promise<void> | undefined
  #scheduled = false
  /** Settles when the round that starts next ends: what `flush` waits for. */
  #nextRound: { promise: Promise<void>; resolve: () => void } | undefined
  #timer: NodeJS.Timeout | undefined
  readonly #parallelism: number
  #inFlight = 0
  readonly #queue: Array<() => void> = []
  /** Every file flush of the storage, for `bus.metrics()`. */
  readonly fsyncLatency = new LatencyHistogram()

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
        this.#start()
      }, options.intervalMs)
      this.#timer.unref()
    }
  }

  /** A log has appends waiting to be durable: flush them in the next round, which starts soon. */
  request(source: SyncSource): void {
    this.#pending.add(source)
    if (this.#running !== undefined || this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#start()
    })
  }

  /**
   * Makes everything `source` wrote durable in the next round, with whatever else goes in it (logs
   * that close together share one round); resolves when that round ended. The outcome for the log is
   * its own (its job's `complete`).
   */
  flush(source: SyncSource): Promise<void> {
    if (this.#nextRound === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => {
        resolve = r
      })
      this.#nextRound = { promise, resolve }
    }
    const { promise } = this.#nextRound
    this.request(source)
    return promise
  }

  /** A log wrote something that the next timed round ('interval') flushes. */
  markDirty(source: SyncSource): void {
    this.#dirty.add(source)
  }

  /** A log that closes leaves every future round; a round already running finishes its job. */
  forget(source: SyncSource): void {
    this.#pending.delete(source)
    this.#dirty.delete(source)
  }

  /** Stops the timer of 'interval'. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #start(): void {
    if (this.#running !== undefined || this.#pending.size === 0) return
    this.#running = this.#loop().finally(() => {
      this.#running = undefined
      // A request may have come after the loop looked for one last.
      this.#start()
    })
  }

  async #loop(): Promise<void> {
    while (this.#pending.size > 0) {
      const sources = this.#pending
      this.#pending = new Set()
      const round = this.#nextRound
      this.#nextRound = undefined
      const jobs: SyncJob[] = []
      for (const source of sources) {
        const job = source.takeSyncJob()
        if (job !== undefined) jobs.push(job)
      }
      if (jobs.length > 0) await this.#round(jobs)
      round?.resolve()
    }
  }

  /** Flushes every job's directories (each once) and files in parallel; completes each job as its own end. */
  async #round(jobs: SyncJob[]): Promise<void> {
    const dirs = new Map<string, Promise<void>>()
    const syncDir = (dir: string): Promise<void> => {
      let done = dirs.get(dir)
      if (done === undefined) {
        done = this.#limited(() => fsyncDirectoryAsync(this.fs, dir))
        dirs.set(dir, done)
      }
      return done
    }
    await Promise.all(
      jobs.map(async (job) => {
        // Every flush of the job ends before it completes, failed or not: a log that closes on a failed
        // flush must not leave another of its descriptors (a directory's) open behind it.
        const outcomes = await Promise.allSettled([
          ...job.dirs.map(syncDir),
          ...job.files.map((file) => this.#limited(() => this.#flush(file))),
        ])
        const failed = outcomes.find((outcome) => outcome.status === 'rejected')
        job.complete(failed === undefined ? undefined : (failed.reason ?? new Error('flush failed')))
      }),
    )
  }

  async #flush(file: CachedFile): Promise<void> {
    const fd = this.files.pin(file)
    try {
      const startedAt = performance.now()
      await this.fs.fdatasync(fd)
      this.fsyncLatency.observeSince(startedAt)
    } finally {
      this.files.unpin(file)
    }
  }

  /** Runs `task` once fewer than `parallelism` others run: bounds the descriptors a round pins. */
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

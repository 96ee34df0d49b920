import { randomUUID } from 'node:crypto'
import * as z from 'zod'
import { CorruptLogError, type LogbusError } from '../../errors'
import { codecsLoadOnDemand, loadCodecs } from '../../record/compression'
import { lazySchema, parseOptions } from '../../util/options'
import { BaseStorage } from '../base-storage'
import type {
  CommittedOffset,
  PartitionLog,
  StorageMetrics,
  StorageSnapshot,
  TopicConfig,
  TopicMetadata,
} from '../storage'
import { type DamageListener, type LogDamage, warnDamage } from './damage'
import { DescriptorCache } from './descriptor-cache'
import { FilePartitionLog, type FsyncPolicy, type LogServices } from './file-partition-log'
import { type FileSystem, fsyncDirectory, isCode, nodeFileSystem, writeFileAtomic } from './file-system'
import { toStorageError } from './fs-errors'
import { GroupCommit } from './group-commit'
import { acquireLock } from './lock'
import { OffsetsStore } from './offsets-store'
import { CLEAN_FILE, META_DIR, TOPICS_FILE, topicOfPartitionDir } from './paths'
import type { PartitionState } from './recovery'

/**
 * Options of `new FileStorage()`.
 *
 * @example
 * ```ts
 * const storage = new FileStorage({ dir: './data', fsync: 'always' })
 * const bus = await Bus.open({ storage })
 * ```
 */
export interface FileStorageOptions {
  /** The directory that holds everything; created if missing. One bus owns it at a time. */
  dir: string
  /** When an append is durable. Default `'always'`: an acknowledged record survives a crash or power loss. */
  fsync?: FsyncPolicy
  /** The period of background flushes with `fsync: 'interval'`. Default 1000. */
  fsyncIntervalMs?: number
  /** Recently appended bytes kept in memory per partition, so tailing consumers skip the disk. Default 1 MiB. */
  readCacheBytes?: number
  /**
   * Segment files kept open at most, over all partitions (others are opened when used, least recently
   * used closed first), so that the number of partitions is not bounded by the process's descriptor
   * limit (256 by default on macOS). Default 128.
   */
  maxOpenFiles?: number
  /**
   * Takes the directory's lock over even when its owner may still be alive: a lock from another host
   * (a container recreated on the same volume has a new hostname), or from a live process that reused
   * the owner's pid. Only when no other logbus uses the directory: two writers corrupt it.
   */
  breakLock?: boolean
  /** Called for each damaged part of a log found at open or by a read. Default: a process warning. */
  onDamage?: DamageListener
  /** The file operations to use; tests inject failures through it. Default: Node's `fs`. */
  fs?: FileSystem
}

const optionsSchema = lazySchema(() =>
  z.strictObject({
    dir: z.string().min(1, 'must be a directory path'),
    fsync: z.enum(['always', 'interval', 'never']).default('always'),
    fsyncIntervalMs: z.number().int().min(1).default(1000),
    readCacheBytes: z
      .number()
      .int()
      .min(0)
      .default(1 << 20),
    maxOpenFiles: z.number().int().min(4).default(128),
    breakLock: z.boolean().default(false),
    onDamage: z
      .custom<DamageListener>((v) => typeof v === 'function', 'must be a function')
      .default(() => warnDamage),
    fs: z
      .custom<FileSystem>(
        (v) => typeof v === 'object' && v !== null && typeof (v as FileSystem).writeSync === 'function',
        'must implement the FileSystem interface',
      )
      .default(nodeFileSystem),
  }),
)

const OFFSETS_KEY = '__offsets'

interface CleanMarker {
  version: 1
  partitions: Record<string, PartitionState>
}

/** What one open → close cycle holds. */
interface Session {
  release: () => void
  files: DescriptorCache
  commit: GroupCommit
  services: LogServices
  topics: Map<string, TopicMetadata>
  logs: Map<string, { topic: string; log: FilePartitionLog }>
  /** What the clean-shutdown marker will say: closed logs, and logs this session never opened. */
  states: Map<string, PartitionState>
  offsets: OffsetsStore
}

/**
 * Durable storage in a directory, in Kafka's own on-disk format: `<dir>/<topic>-<partition>/` holds
 * segment files named by their 20-digit base offset (`.log`: RecordBatch v2, one producer batch per
 * record batch; `.index`: Kafka's sparse offset index). Topic metadata, committed group offsets (an
 * append-only log of RecordBatch v2 records) and the clean-shutdown marker live in `<dir>/__logbus/`.
 * A lock file keeps a second bus, in this process or another, out. Every failure is a LogbusError:
 * StorageError (the system error as `cause`), CorruptLogError, LockedError or ClosedError.
 *
 * @example
 * ```ts
 * import { FileStorage } from 'logbus/file'
 * const bus = await Bus.open({ storage: new FileStorage({ dir: './data', fsync: 'always' }) })
 * // the same as
 * const bus = await Bus.open({ dir: './data' })
 * ```
 */
export class FileStorage extends BaseStorage {
  readonly #options: z.output<ReturnType<typeof optionsSchema>>
  readonly #fs: FileSystem
  readonly #dir: string
  readonly #meta: string
  #session: Session | undefined

  /**
   * A storage over `options.dir` (nothing is touched before `open`).
   *
   * @example
   * ```ts
   * const storage = new FileStorage({ dir: './data', fsync: 'interval', fsyncIntervalMs: 100 })
   * ```
   */
  constructor(options: FileStorageOptions) {
    const parsed = parseOptions(optionsSchema(), options, 'fileStorage')
    const dir = parsed.dir.replace(/\/+$/, '') || '/'
    super(`File storage ${dir}`)
    this.#options = parsed
    this.#fs = parsed.fs
    this.#dir = dir
    this.#meta = `${dir}/${META_DIR}`
  }

  /**
   * The directory this storage owns.
   *
   * @example
   * ```ts
   * console.log(storage.dir)
   * ```
   */
  get dir(): string {
    return this.#dir
  }

  /**
   * The file log's numbers for `bus.metrics()`: the latency of its file flushes (fdatasync), in
   * seconds, since it opened.
   *
   * @example
   * ```ts
   * const { fsyncLatency } = storage.metrics()
   * console.log(fsyncLatency?.count, fsyncLatency?.sum)
   * ```
   */
  metrics(): StorageMetrics {
    const session = this.#session
    return session === undefined ? {} : { fsyncLatency: session.commit.fsyncLatency.snapshot() }
  }

  protected async doOpen(): Promise<StorageSnapshot> {
    const fs = this.#fs
    const { fsync, fsyncIntervalMs, maxOpenFiles } = this.#options
    // Batches a wire client compressed are stored as received and decoded lazily, synchronously: their
    // codecs must be there before the first read, unless decoding loads them itself (Node 20.16+). A
    // codec that cannot load fails only its batches.
    const codecs = codecsLoadOnDemand() ? undefined : loadCodecs().catch(() => undefined)
    try {
      fs.mkdirSync(this.#dir)
    } catch (error) {
      throw toStorageError(error, `Cannot create directory ${this.#dir}`)
    }
    const release = acquireLock(fs, this.#dir, { breakLock: this.#options.breakLock })
    const files = new DescriptorCache(fs, maxOpenFiles)
    const commit = new GroupCommit(fs, files, {
      parallelism: Math.min(64, Math.floor(maxOpenFiles / 2)),
      intervalMs: fsync === 'interval' ? fsyncIntervalMs : undefined,
    })
    const report = (damage: LogDamage): void => {
      try {
        this.#options.onDamage(damage)
      } catch (error) {
        // A listener that throws must not fail a read or an open: the damage is reported all the same.
        process.emitWarning(`onDamage threw: ${(error as Error)?.message ?? String(error)}`)
        warnDamage(damage)
      }
    }
    const services: LogServices = { fs, files, commit, report }
    try {
      const createdMeta = !fs.existsSync(this.#meta)
      fs.mkdirSync(this.#meta)
      if (createdMeta && fsync !== 'never') fsyncDirectory(fs, this.#dir)
      const marker = this.#takeCleanMarker()
      this.#removeDeletedTopics()
      const topics = new Map(this.#readTopics().map((t) => [t.name, t]))
      const states = new Map(Object.entries(marker?.partitions ?? {}))
      const offsetsState = states.get(OFFSETS_KEY)
      states.delete(OFFSETS_KEY)
      const offsets = await OffsetsStore.open(services, this.#meta, fsync, offsetsState, (state) => {
        if (state !== undefined) states.set(OFFSETS_KEY, state)
      })
      this.#session = { release, files, commit, services, topics, logs: new Map(), states, offsets }
      await codecs
      return { topics: [...topics.values()].map((t) => structuredClone(t)), groups: offsets.groups() }
    } catch (error) {
      commit.close()
      release()
      throw toStorageError(error, `Cannot open ${this.#dir}`)
    }
  }

  protected async doOpenLog(topic: string, partition: number, config: TopicConfig): Promise<PartitionLog> {
    const session = this.#session!
    const key = `${topic}-${partition}`
    const open = session.logs.get(key)
    if (open !== undefined) return open.log
    const clean = session.states.get(key)
    // From now on the log may change: what the marker says of it comes from its close.
    session.states.delete(key)
    const log = FilePartitionLog.open(session.services, {
      dir: `${this.#dir}/${key}`,
      topic,
      partition,
      segmentBytes: config.segmentBytes,
      fsync: this.#options.fsync,
      readCacheBytes: this.#options.readCacheBytes,
      clean,
      onClose: (state) => {
        if (session.logs.get(key)?.log === log) session.logs.delete(key)
        if (state !== undefined) session.states.set(key, state)
      },
    })
    session.logs.set(key, { topic, log })
    return log
  }

  protected async doSaveTopic(topic: TopicMetadata): Promise<void> {
    const session = this.#session!
    const previous = session.topics.get(topic.name)
    session.topics.set(topic.name, structuredClone(topic))
    try {
      this.#writeTopics(session)
    } catch (error) {
      if (previous === undefined) session.topics.delete(topic.name)
      else session.topics.set(topic.name, previous)
      throw error
    }
  }

  /**
   * Removes every partition directory of the topic — also of a creation that failed halfway, before
   * the topic was saved — after closing its logs; renamed aside first, as Kafka does, so that a crash
   * mid-delete never leaves half a topic behind.
   */
  protected async doDeleteTopic(name: string): Promise<void> {
    const session = this.#session!
    const fs = this.#fs
    for (const [key, { topic, log }] of session.logs) {
      if (topic !== name) continue
      // Its data goes anyway: a flush that fails now changes nothing.
      await log.close().catch(() => undefined)
      session.logs.delete(key)
    }
    try {
      const suffix = `.${randomUUID()}-delete`
      const doomed: string[] = []
      for (const entry of fs.readdirSync(this.#dir)) {
        if (topicOfPartitionDir(entry) !== name) continue
        fs.renameSync(`${this.#dir}/${entry}`, `${this.#dir}/${entry}${suffix}`)
        doomed.push(`${this.#dir}/${entry}${suffix}`)
      }
      if (session.topics.delete(name)) this.#writeTopics(session)
      if (doomed.length > 0) fsyncDirectory(fs, this.#dir)
      for (const path of doomed) fs.rmSync(path)
    } catch (error) {
      throw toStorageError(error, `Cannot delete topic ${name} in ${this.#dir}`)
    }
    for (const key of session.states.keys()) if (topicOfPartitionDir(key) === name) session.states.delete(key)
    await session.offsets.deleteTopic(name)
  }

  protected async doSaveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void> {
    await this.#session!.offsets.save(groupId, offsets)
  }

  protected async doDeleteGroup(groupId: string): Promise<void> {
    await this.#session!.offsets.deleteGroup(groupId)
  }

  /**
   * Closes every log (each makes its data durable and writes its index), then writes the
   * clean-shutdown marker and releases the lock. Whatever fails, everything is released: the first
   * failure is the close's outcome, and the partitions that did not close cleanly are scanned at the
   * next open.
   */
  protected async doClose(): Promise<void> {
    const session = this.#session!
    this.#session = undefined
    session.commit.close()
    const failures: LogbusError[] = []
    const closing = [...session.logs.values()].map(({ log }) => log.close())
    for (const result of await Promise.allSettled([...closing, session.offsets.close()])) {
      if (result.status === 'rejected')
        failures.push(toStorageError(result.reason, `Cannot close ${this.#dir}`))
    }
    try {
      const marker: CleanMarker = { version: 1, partitions: Object.fromEntries(session.states) }
      writeFileAtomic(this.#fs, this.#meta, CLEAN_FILE, JSON.stringify(marker))
    } catch (error) {
      failures.push(
        toStorageError(
          error,
          `Cannot write the clean-shutdown marker of ${this.#dir} (the next open scans the logs)`,
        ),
      )
    }
    session.release()
    if (failures.length > 0) throw failures[0]
  }

  /** Reads the marker a clean close left, and removes it: from now on, a crash must be recovered from. */
  #takeCleanMarker(): CleanMarker | undefined {
    const path = `${this.#meta}/${CLEAN_FILE}`
    let marker: CleanMarker | undefined
    try {
      const parsed = JSON.parse(this.#fs.readFileSync(path).toString('utf8')) as CleanMarker
      if (parsed?.version === 1 && typeof parsed.partitions === 'object') marker = parsed
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined
      // An unreadable marker only costs a full recovery scan.
    }
    this.#fs.unlinkSync(path)
    fsyncDirectory(this.#fs, this.#meta)
    return marker
  }

  #removeDeletedTopics(): void {
    for (const entry of this.#fs.readdirSync(this.#dir)) {
      if (entry.endsWith('-delete')) this.#fs.rmSync(`${this.#dir}/${entry}`)
    }
  }

  #readTopics(): TopicMetadata[] {
    const path = `${this.#meta}/${TOPICS_FILE}`
    let text: string
    try {
      text = this.#fs.readFileSync(path).toString('utf8')
    } catch (error) {
      if (isCode(error, 'ENOENT')) return []
      throw error
    }
    try {
      const parsed = JSON.parse(text) as { version: number; topics: TopicMetadata[] }
      if (parsed.version !== 1 || !Array.isArray(parsed.topics)) throw new Error('unknown layout')
      return parsed.topics
    } catch (error) {
      throw new CorruptLogError(path, 0, `topic metadata is not valid: ${(error as Error).message}`)
    }
  }

  #writeTopics(session: Session): void {
    const topics = [...session.topics.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
    try {
      writeFileAtomic(
        this.#fs,
        this.#meta,
        TOPICS_FILE,
        `${JSON.stringify({ version: 1, topics }, null, 2)}\n`,
      )
    } catch (error) {
      throw toStorageError(error, `Cannot save the topics of ${this.#dir}`)
    }
  }
}

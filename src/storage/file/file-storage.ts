import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { CorruptLogError } from '../../errors'
import { EMPTY_HEADERS, type LogRecord } from '../../record/log-record'
import { parseOptions } from '../../util/options'
import type {
  CommittedOffset,
  PartitionLog,
  Storage,
  StorageSnapshot,
  TopicConfig,
  TopicMetadata,
} from '../storage'
import {
  asStorageError,
  type FileLogOptions,
  FilePartitionLog,
  type FsyncPolicy,
  type PartitionState,
} from './file-partition-log'
import { type FileSystem, fsyncDirectory, isCode, nodeFileSystem, writeFileAtomic } from './file-system'
import { acquireLock } from './lock'

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
  /** The period of background fsyncs with `fsync: 'interval'`. Default 1000. */
  fsyncIntervalMs?: number
  /** Recently appended bytes kept in memory per partition, so tailing consumers skip the disk. Default 1 MiB. */
  readCacheBytes?: number
  /** The file operations to use; tests inject failures through it. Default: Node's `fs`. */
  fs?: FileSystem
}

const optionsSchema = z.strictObject({
  dir: z.string().min(1, 'must be a directory path'),
  fsync: z.enum(['always', 'interval', 'never']).default('always'),
  fsyncIntervalMs: z.number().int().min(1).default(1000),
  readCacheBytes: z
    .number()
    .int()
    .min(0)
    .default(1 << 20),
  fs: z
    .custom<FileSystem>(
      (v) => typeof v === 'object' && v !== null && typeof (v as FileSystem).writeSync === 'function',
    )
    .default(nodeFileSystem),
})

const META_DIR = '__logbus'
const TOPICS_FILE = 'topics.json'
const CLEAN_FILE = 'clean-shutdown.json'
const OFFSETS_LOG = 'offsets-0'
const OFFSETS_TOPIC = '__logbus_offsets'
const OFFSETS_KEY = '__offsets'
/** Rewrite the offsets log at open once it holds this many times more records than live offsets. */
const OFFSETS_COMPACT_RATIO = 4
const OFFSETS_COMPACT_MIN_RECORDS = 10_000

interface CleanMarker {
  version: 1
  partitions: Record<string, PartitionState>
}

/**
 * Durable storage in a directory, in Kafka's own on-disk format: `<dir>/<topic>-<partition>/` holds
 * segment files named by their 20-digit base offset (`.log`: RecordBatch v2, one producer batch per
 * record batch; `.index`: Kafka's sparse offset index). Topic metadata, committed group offsets (an
 * append-only log of RecordBatch v2 records) and the clean-shutdown marker live in `<dir>/__logbus/`.
 * A lock file keeps a second bus, in this process or another, out.
 *
 * @example
 * ```ts
 * const bus = await Bus.open({ storage: new FileStorage({ dir: './data', fsync: 'always' }) })
 * // the same as
 * const bus = await Bus.open({ dir: './data' })
 * ```
 */
export class FileStorage implements Storage {
  readonly #options: z.output<typeof optionsSchema>
  readonly #fs: FileSystem
  readonly #dir: string
  readonly #meta: string
  readonly #topics = new Map<string, TopicMetadata>()
  readonly #logs = new Map<string, FilePartitionLog>()
  readonly #offsets = new Map<string, CommittedOffset & { groupId: string }>()
  readonly #intervalRuns = new Set<() => void>()
  #interval: NodeJS.Timeout | undefined
  #offsetsLog: FilePartitionLog | undefined
  #clean: CleanMarker | undefined
  #release: (() => void) | undefined

  constructor(options: FileStorageOptions) {
    this.#options = parseOptions(optionsSchema, options, 'fileStorage')
    this.#fs = this.#options.fs
    this.#dir = this.#options.dir.replace(/\/+$/, '') || '/'
    this.#meta = `${this.#dir}/${META_DIR}`
  }

  /** The directory this storage owns. */
  get dir(): string {
    return this.#dir
  }

  async open(): Promise<StorageSnapshot> {
    const fs = this.#fs
    try {
      fs.mkdirSync(this.#dir)
    } catch (error) {
      throw asStorageError(error, `Cannot create directory ${this.#dir}`)
    }
    this.#release = acquireLock(fs, this.#dir)
    try {
      const createdMeta = !fs.existsSync(this.#meta)
      fs.mkdirSync(this.#meta)
      if (createdMeta && this.#options.fsync !== 'never') fsyncDirectory(fs, this.#dir)
      this.#clean = this.#takeCleanMarker()
      this.#removeDeletedTopics()
      for (const topic of this.#readTopics()) this.#topics.set(topic.name, topic)
      this.#openOffsets()
      if (this.#options.fsync === 'interval') {
        this.#interval = setInterval(() => {
          for (const run of this.#intervalRuns) run()
        }, this.#options.fsyncIntervalMs)
        this.#interval.unref()
      }
    } catch (error) {
      this.#offsetsLog?.closeNow()
      this.#release()
      this.#release = undefined
      throw asStorageError(error, `Cannot open ${this.#dir}`)
    }
    const groups: Record<string, CommittedOffset[]> = {}
    for (const { groupId, topic, partition, offset } of this.#offsets.values()) {
      const list = groups[groupId] ?? []
      list.push({ topic, partition, offset })
      groups[groupId] = list
    }
    return { topics: [...this.#topics.values()].map((t) => structuredClone(t)), groups }
  }

  async openLog(topic: string, partition: number, config: TopicConfig): Promise<PartitionLog> {
    const key = `${topic}-${partition}`
    const log = FilePartitionLog.open(
      this.#logOptions(`${this.#dir}/${key}`, topic, partition, config.segmentBytes, key),
    )
    this.#logs.set(key, log)
    return log
  }

  async saveTopic(topic: TopicMetadata): Promise<void> {
    this.#topics.set(topic.name, structuredClone(topic))
    this.#writeTopics()
  }

  async deleteTopic(name: string): Promise<void> {
    const fs = this.#fs
    const topic = this.#topics.get(name)
    const suffix = `.${randomUUID()}-delete`
    const doomed: string[] = []
    // Renamed aside first, as Kafka does, so a crash mid-delete never leaves a half topic behind.
    for (const entry of fs.readdirSync(this.#dir)) {
      const match = /^(.*)-(\d+)$/.exec(entry)
      if (match?.[1] !== name) continue
      const log = this.#logs.get(entry)
      if (log !== undefined) await log.close()
      this.#logs.delete(entry)
      fs.renameSync(`${this.#dir}/${entry}`, `${this.#dir}/${entry}${suffix}`)
      doomed.push(`${this.#dir}/${entry}${suffix}`)
    }
    if (topic !== undefined) {
      this.#topics.delete(name)
      this.#writeTopics()
    }
    fsyncDirectory(fs, this.#dir)
    for (const path of doomed) fs.rmSync(path)
    const gone = [...this.#offsets.values()].filter((o) => o.topic === name)
    await this.#appendOffsets(gone.map((o) => ({ ...o, offset: null })))
  }

  async saveOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void> {
    await this.#appendOffsets(
      offsets.map((o) => ({ groupId, topic: o.topic, partition: o.partition, offset: o.offset })),
    )
  }

  async deleteGroup(groupId: string): Promise<void> {
    const gone = [...this.#offsets.values()].filter((o) => o.groupId === groupId)
    await this.#appendOffsets(gone.map((o) => ({ ...o, offset: null })))
  }

  async close(): Promise<void> {
    if (this.#release === undefined) return
    if (this.#interval !== undefined) clearInterval(this.#interval)
    this.#interval = undefined
    const partitions: Record<string, PartitionState> = {}
    try {
      for (const [key, log] of this.#logs) {
        const state = await log.closeAndDescribe()
        if (state !== undefined) partitions[key] = state
      }
      const offsetsState = await this.#offsetsLog?.closeAndDescribe()
      if (offsetsState !== undefined) partitions[OFFSETS_KEY] = offsetsState
      const marker: CleanMarker = { version: 1, partitions }
      writeFileAtomic(this.#fs, this.#meta, CLEAN_FILE, JSON.stringify(marker))
    } finally {
      this.#logs.clear()
      this.#release()
      this.#release = undefined
    }
  }

  #logOptions(
    dir: string,
    topic: string,
    partition: number,
    segmentBytes: number,
    cleanKey: string,
  ): FileLogOptions {
    return {
      fs: this.#fs,
      dir,
      topic,
      partition,
      segmentBytes,
      fsync: this.#options.fsync,
      readCacheBytes: this.#options.readCacheBytes,
      clean: this.#clean?.partitions[cleanKey],
      scheduleInterval: (run) => {
        this.#intervalRuns.add(run)
        return () => this.#intervalRuns.delete(run)
      },
    }
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

  #writeTopics(): void {
    const topics = [...this.#topics.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
    writeFileAtomic(this.#fs, this.#meta, TOPICS_FILE, `${JSON.stringify({ version: 1, topics }, null, 2)}\n`)
  }

  /** Replays the offsets log into memory, compacting it when it holds mostly superseded commits. */
  #openOffsets(): void {
    const fs = this.#fs
    const dir = `${this.#meta}/${OFFSETS_LOG}`
    const compacting = `${dir}.compacting`
    // A crash between the two renames of a compaction leaves the finished copy under its temporary name.
    if (!fs.existsSync(dir) && fs.existsSync(compacting)) fs.renameSync(compacting, dir)
    fs.rmSync(compacting)
    fs.rmSync(`${dir}.old`)
    // Read once, here: no read cache (it would hold every commit of the process's life).
    let log = FilePartitionLog.open({
      ...this.#logOptions(dir, OFFSETS_TOPIC, 0, 64 << 20, OFFSETS_KEY),
      readCacheBytes: 0,
    })
    let count = 0
    for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
      const records = log.read(offset, 1 << 20)
      if (records.length === 0) break
      for (const record of records) this.#applyOffsetRecord(record)
      count += records.length
      offset = records.at(-1)!.offset + 1
    }
    if (count >= OFFSETS_COMPACT_MIN_RECORDS && count > OFFSETS_COMPACT_RATIO * this.#offsets.size) {
      log.closeNow()
      const copy = FilePartitionLog.open({
        ...this.#logOptions(compacting, OFFSETS_TOPIC, 0, 64 << 20, ''),
        fsync: 'never',
      })
      const live = [...this.#offsets.values()]
      for (let i = 0; i < live.length; i += 1000) {
        const records = live
          .slice(i, i + 1000)
          .map((o) => offsetRecord(o.groupId, o.topic, o.partition, o.offset))
        copy.append(records, 0)
      }
      copy.closeNow()
      // The copy's entries must be durable before it replaces the original.
      fsyncDirectory(fs, compacting)
      fs.renameSync(dir, `${dir}.old`)
      fs.renameSync(compacting, dir)
      fsyncDirectory(fs, this.#meta)
      fs.rmSync(`${dir}.old`)
      log = FilePartitionLog.open({
        ...this.#logOptions(dir, OFFSETS_TOPIC, 0, 64 << 20, ''),
        readCacheBytes: 0,
      })
    }
    this.#offsetsLog = log
  }

  #applyOffsetRecord(record: LogRecord): void {
    const [groupId, topic, partition] = JSON.parse(record.key!.toString('utf8')) as [string, string, number]
    const key = record.key!.toString('utf8')
    if (record.value === null) this.#offsets.delete(key)
    else this.#offsets.set(key, { groupId, topic, partition, offset: Number(record.value.toString('utf8')) })
  }

  async #appendOffsets(
    entries: { groupId: string; topic: string; partition: number; offset: number | null }[],
  ): Promise<void> {
    if (entries.length === 0) return
    const records = entries.map((e) => offsetRecord(e.groupId, e.topic, e.partition, e.offset))
    await this.#offsetsLog!.append(records, 0)
    for (const record of records) this.#applyOffsetRecord(record)
  }
}

function offsetRecord(groupId: string, topic: string, partition: number, offset: number | null): LogRecord {
  return {
    topic: OFFSETS_TOPIC,
    partition: 0,
    offset: -1,
    timestamp: Date.now(),
    key: Buffer.from(JSON.stringify([groupId, topic, partition])),
    value: offset === null ? null : Buffer.from(String(offset)),
    headers: EMPTY_HEADERS,
  }
}

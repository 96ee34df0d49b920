import { type FileHandle, open, stat } from 'node:fs/promises'
import { InvalidConfigError } from '../../index'
import type { SourcePartition, SourceRecord } from '../record'
import { sleep } from '../runner-host'
import type { SourceConnectorPlugin, SourceTask, SourceTaskContext } from '../task'

/** Bytes read from the file per read call. */
const CHUNK_BYTES = 64 * 1024
const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/**
 * Tails a file as lines (Kafka's FileStreamSourceTask), resuming at the stored byte offset. Source
 * partition `{ filename }`, offset `{ position, ino }`: the byte after the last line written, and the
 * file's inode. A line ends at `\n` (a `\r` before it is dropped, so `\r\n` files give the same lines);
 * a last line without its `\n` waits until the line is complete. When the file is replaced (rotation:
 * its path names another inode) the rest of the old file is read, an unfinished last line of it is
 * emitted as a line, and the new file is read from its start; when it shrinks below the position
 * (truncation, `copytruncate`), it is read again from its start. A restart whose stored inode is not
 * the file's also starts from the beginning.
 */
class FileStreamSourceTask implements SourceTask {
  #context!: SourceTaskContext
  #path = ''
  #topic = ''
  #batchSize = 2000
  #pollIntervalMs = 250
  #partition: SourcePartition = {}
  #handle: FileHandle | undefined
  #ino: string | undefined
  /** Where the next unread line starts: the offset stored once the lines before it are written. */
  #position = 0
  /** Bytes after #position already read: an unfinished line, or lines beyond the batch. */
  #pending: Buffer = Buffer.alloc(0)

  start(context: SourceTaskContext): void {
    this.#context = context
    const read = context.read
    this.#path = read.string('file')
    this.#topic = read.string('topic')
    this.#batchSize = read.int('batch.size', 2000, 1)
    this.#pollIntervalMs = read.int('poll.interval.ms', 250, 1)
    this.#partition = { filename: this.#path }
    const stored = context.offset(this.#partition)
    if (stored !== null) {
      const position = stored.position
      if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
        throw new InvalidConfigError(
          `offset of ${this.#path}`,
          `stored position ${String(position)} is not a byte offset`,
        )
      }
      this.#position = position
      this.#ino = typeof stored.ino === 'string' ? stored.ino : undefined
    }
  }

  async poll(): Promise<SourceRecord[] | null> {
    const signal = this.#context.signal
    while (!signal.aborted) {
      if (this.#handle === undefined && !(await this.#open())) {
        await sleep(this.#context.clock, this.#pollIntervalMs, signal)
        continue
      }
      const records = await this.#readLines()
      if (records.length > 0) return records
      const rotated = await this.#followFile()
      if (rotated.length > 0) return rotated
      if (this.#handle !== undefined) await sleep(this.#context.clock, this.#pollIntervalMs, signal)
    }
    return null
  }

  async stop(): Promise<void> {
    await this.#handle?.close()
    this.#handle = undefined
  }

  /** Opens the file; false while it does not exist. */
  async #open(): Promise<boolean> {
    let handle: FileHandle
    try {
      handle = await open(this.#path, 'r')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw error
    }
    const info = await handle.stat({ bigint: true })
    const ino = String(info.ino)
    // Another file than the one the stored position is about, or a shorter one: start over.
    if ((this.#ino !== undefined && this.#ino !== ino) || info.size < BigInt(this.#position))
      this.#position = 0
    this.#ino = ino
    this.#handle = handle
    this.#pending = Buffer.alloc(0)
    return true
  }

  /** Complete lines from the file, at most a batch; reads more only when no complete line is pending. */
  async #readLines(): Promise<SourceRecord[]> {
    if (!this.#pending.includes(NEWLINE)) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES)
      const { bytesRead } = await this.#handle!.read(
        chunk,
        0,
        CHUNK_BYTES,
        this.#position + this.#pending.length,
      )
      if (bytesRead === 0) return []
      this.#pending = Buffer.concat([this.#pending, chunk.subarray(0, bytesRead)])
    }
    const records: SourceRecord[] = []
    let start = 0
    while (records.length < this.#batchSize) {
      const end = this.#pending.indexOf(NEWLINE, start)
      if (end < 0) break
      records.push(this.#record(this.#pending, start, end, end + 1))
      start = end + 1
    }
    this.#pending = this.#pending.subarray(start)
    return records
  }

  /** Reads the rest of the open file into the pending bytes. */
  async #drain(): Promise<void> {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES)
    for (;;) {
      const { bytesRead } = await this.#handle!.read(
        chunk,
        0,
        CHUNK_BYTES,
        this.#position + this.#pending.length,
      )
      if (bytesRead === 0) return
      this.#pending = Buffer.concat([this.#pending, chunk.subarray(0, bytesRead)])
    }
  }

  /** A record of the line `[start, end)` of `buffer`, whose next line starts at `next`. */
  #record(buffer: Buffer, start: number, end: number, next: number): SourceRecord {
    const last = end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end
    const value = buffer.toString('utf8', start, last)
    this.#position += next - start
    return {
      sourcePartition: this.#partition,
      sourceOffset: { position: this.#position, ino: this.#ino ?? null },
      topic: this.#topic,
      key: null,
      value,
    }
  }

  /**
   * At the end of the file: notices a rotation or a truncation. Returns the unfinished last line of a
   * rotated file (as a record), or nothing.
   */
  async #followFile(): Promise<SourceRecord[]> {
    let info: { ino: bigint; size: bigint }
    try {
      info = await stat(this.#path, { bigint: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [] // rotated away; the new file comes
      throw error
    }
    const end = BigInt(this.#position + this.#pending.length)
    if (String(info.ino) !== this.#ino) {
      // Rotated. The writer may have added to the old file after our last read: read it to its end,
      // then its lines, and an unfinished last line (which will never be finished), go out first.
      await this.#drain()
      const records: SourceRecord[] = []
      let start = 0
      for (let end = this.#pending.indexOf(NEWLINE); end >= 0; end = this.#pending.indexOf(NEWLINE, start)) {
        records.push(this.#record(this.#pending, start, end, end + 1))
        start = end + 1
      }
      if (start < this.#pending.length) {
        records.push(this.#record(this.#pending, start, this.#pending.length, this.#pending.length))
      }
      await this.#handle!.close()
      this.#handle = undefined
      this.#position = 0
      this.#ino = String(info.ino)
      const last = records.at(-1)
      // Once these are written, the place to resume is the start of the new file.
      if (last !== undefined)
        records[records.length - 1] = { ...last, sourceOffset: { position: 0, ino: this.#ino } }
      return records
    }
    if (info.size < end) {
      // Truncated in place: what was read past the new end is gone; read the file again from its start.
      this.#position = 0
      this.#pending = Buffer.alloc(0)
    }
    return []
  }
}

/**
 * Kafka's FileStreamSource connector (`connector.class` `FileStreamSource`, or Kafka's class name):
 * `file` (required), `topic` (required), `batch.size` (lines per poll, default 2000), and logbus's
 * `poll.interval.ms` (how often an idle file is checked, default 250). One task. Delivery:
 * at-least-once — the lines after the last stored offset are read again after a crash.
 *
 * @example
 * ```ts
 * const plugins = { Tail: fileStreamSource } // the same connector under another name
 * ```
 */
export const fileStreamSource = Object.freeze<SourceConnectorPlugin>({
  type: 'source',
  delivery: 'at-least-once',
  validate(read) {
    read.string('file')
    read.string('topic')
    read.int('batch.size', 2000, 1)
  },
  taskConfigs: (config) => [config],
  createTask: () => new FileStreamSourceTask(),
})

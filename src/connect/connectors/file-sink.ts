import { type FileHandle, open } from 'node:fs/promises'
import type { SinkRecord } from '../record'
import type { SinkConnectorPlugin, SinkTask, SinkTaskContext } from '../task'

/** A record's value as one line of the file: text and bytes as they are, other data as JSON. */
function lineOf(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return Buffer.concat([value, Buffer.from('\n')])
  if (typeof value === 'string') return Buffer.from(`${value}\n`)
  if (value === null || value === undefined) return Buffer.from('null\n')
  return Buffer.from(`${typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`)
}

/**
 * Appends each record's value as a line to a file (Kafka's FileStreamSinkTask); `flush` fsyncs it, so
 * the offsets committed after a flush cover only lines that are on disk.
 */
class FileStreamSinkTask implements SinkTask {
  #handle: FileHandle | undefined

  async start(context: SinkTaskContext): Promise<void> {
    this.#handle = await open(context.read.string('file'), 'a')
  }

  async put(records: SinkRecord[]): Promise<void> {
    if (records.length === 0) return
    await this.#handle!.appendFile(Buffer.concat(records.map((r) => lineOf(r.value))))
  }

  async flush(): Promise<void> {
    await this.#handle?.sync()
  }

  async stop(): Promise<void> {
    await this.#handle?.sync().catch(() => undefined)
    await this.#handle?.close()
    this.#handle = undefined
  }
}

/**
 * Kafka's FileStreamSink connector (`connector.class` `FileStreamSink`, or Kafka's class name): `file`
 * (required) and `topics` or `topics.regex`. Every task appends to the same file, as in Kafka.
 * Delivery: at-least-once — lines appended after the last committed offsets are appended again after a
 * crash.
 *
 * @example
 * ```ts
 * const plugins = { Append: fileStreamSink }
 * ```
 */
export const fileStreamSink = Object.freeze<SinkConnectorPlugin>({
  type: 'sink',
  delivery: 'at-least-once',
  validate(read) {
    read.string('file')
  },
  taskConfigs: (config, maxTasks) => Array.from({ length: maxTasks }, () => config),
  createTask: () => new FileStreamSinkTask(),
})

import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'

const READ_BYTES = 4 << 20

/** The chunks of a file (`path`) or of stdin (`-` or no path), read in large pieces. */
export function inputChunks(path: string | undefined, stdin: Readable): AsyncIterable<Buffer> {
  if (path === undefined || path === '-') return stdin as AsyncIterable<Buffer>
  return createReadStream(path, { highWaterMark: READ_BYTES }) as AsyncIterable<Buffer>
}

/**
 * A light HTTP/1.1 load generator that bench/http.ts forks, so that the server under test has the
 * other core to itself: raw keep-alive connections over `net`, requests written from prebuilt bytes,
 * responses framed by content-length or chunked encoding and nothing more. Each connection keeps
 * `depth` requests in flight (1: one at a time, as an ordinary client; more: pipelined). It runs for
 * `seconds`, or until it has sent `maxRequests`, then reports over IPC and exits.
 */
import { connect, type Socket } from 'node:net'

export interface LoadConfig {
  port: number
  /** Raw requests, sent in turn (each a whole HTTP/1.1 request with its body). */
  requests: string[]
  connections: number
  depth: number
  seconds: number
  /** Stops after this many requests in all (the time limit still holds). */
  maxRequests?: number
}

export interface LoadResult {
  responses: number
  /** Responses whose status was not 200, with the first one's head and body. */
  failures: number
  firstFailure?: string
  seconds: number
}

/** The raw text of one keep-alive request. */
export function rawRequest(
  method: string,
  path: string,
  body: string,
  contentType = 'application/json',
): string {
  const length = Buffer.byteLength(body)
  return `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: ${contentType}\r\ncontent-length: ${length}\r\n\r\n${body}`
}

/**
 * Frames responses out of a byte stream: enough HTTP/1.1 for content-length and chunked bodies. A body
 * is skipped as it arrives, never gathered, so that a response of megabytes costs the client little.
 */
class ResponseReader {
  #head: Buffer = Buffer.alloc(0)
  #status = 0
  /** The start of the current response, kept only while it failed, for the report. */
  #failure = ''
  /** In a body: bytes of content (or of the current chunk and its CRLF) still to skip. */
  #skip = 0
  #state: 'head' | 'body' | 'chunk-size' | 'chunk-data' = 'head'
  #sizeLine = ''

  push(chunk: Buffer, onResponse: (status: number, failure: string) => void): void {
    let at = 0
    while (at < chunk.length) {
      if (this.#state === 'head') {
        const data =
          this.#head.length === 0 ? chunk.subarray(at) : Buffer.concat([this.#head, chunk.subarray(at)])
        const end = data.indexOf('\r\n\r\n')
        if (end < 0) {
          this.#head = Buffer.from(data)
          return
        }
        const head = data.toString('latin1', 0, end)
        at += end + 4 - this.#head.length
        this.#head = Buffer.alloc(0)
        this.#status = Number(head.slice(9, 12))
        this.#failure = this.#status === 200 ? '' : head
        const length = /\r\ncontent-length: *(\d+)/i.exec(head)
        if (length !== null) {
          this.#skip = Number(length[1])
          this.#state = 'body'
        } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
          this.#state = 'chunk-size'
          this.#sizeLine = ''
        } else {
          this.#skip = 0
          this.#state = 'body'
        }
        if (this.#state === 'body' && this.#skip === 0) {
          this.#state = 'head'
          onResponse(this.#status, this.#failure)
        }
      } else if (this.#state === 'body' || this.#state === 'chunk-data') {
        const n = Math.min(this.#skip, chunk.length - at)
        if (this.#failure !== '' && this.#failure.length < 2000)
          this.#failure += chunk.toString('utf8', at, at + n)
        at += n
        this.#skip -= n
        if (this.#skip > 0) return
        if (this.#state === 'chunk-data') {
          this.#state = 'chunk-size'
          continue
        }
        this.#state = 'head'
        onResponse(this.#status, this.#failure)
      } else {
        const newline = chunk.indexOf(0x0a, at)
        if (newline < 0) {
          this.#sizeLine += chunk.toString('latin1', at)
          return
        }
        this.#sizeLine += chunk.toString('latin1', at, newline)
        at = newline + 1
        const size = Number.parseInt(this.#sizeLine.trim(), 16)
        this.#sizeLine = ''
        if (size === 0) {
          // The last chunk: its CRLF ends the response (no trailers are sent here).
          this.#skip = 2
          this.#state = 'body'
        } else {
          this.#skip = size + 2
          this.#state = 'chunk-data'
        }
      }
    }
  }
}

export function runLoad(config: LoadConfig): Promise<LoadResult> {
  const requests = config.requests.map((r) => Buffer.from(r))
  const maxRequests = config.maxRequests ?? Number.POSITIVE_INFINITY
  let sent = 0
  let responses = 0
  let failures = 0
  let firstFailure: string | undefined
  const started = performance.now()
  const until = started + config.seconds * 1000
  const sockets: Socket[] = []
  return new Promise((resolve, reject) => {
    let open = config.connections
    const finish = (): void => {
      if (--open > 0) return
      resolve({ responses, failures, firstFailure, seconds: (performance.now() - started) / 1000 })
    }
    for (let c = 0; c < config.connections; c++) {
      const socket = connect({ port: config.port, host: '127.0.0.1', noDelay: true })
      sockets.push(socket)
      const reader = new ResponseReader()
      let inFlight = 0
      let stopping = false
      const sendSome = (n: number): void => {
        let batch: Buffer[] | undefined
        for (let i = 0; i < n && sent < maxRequests; i++) {
          batch ??= []
          batch.push(requests[sent++ % requests.length]!)
          inFlight++
        }
        if (batch !== undefined) socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch))
      }
      socket.on('connect', () => sendSome(config.depth))
      socket.on('data', (chunk: Buffer) => {
        let done = 0
        reader.push(chunk, (status, failure) => {
          done++
          responses++
          if (status !== 200) {
            failures++
            firstFailure ??= failure
          }
        })
        inFlight -= done
        if (!stopping && (performance.now() >= until || sent >= maxRequests)) stopping = true
        if (!stopping) sendSome(done)
        else if (inFlight === 0) socket.end()
      })
      socket.on('error', reject)
      socket.on('close', finish)
    }
  })
}

// Forked by bench/http.ts: the config comes over IPC (too large for an argument), the result goes back.
if (process.send !== undefined && process.argv[2] === 'child') {
  process.once('message', (config: LoadConfig) => {
    process.send!('started')
    void runLoad(config).then((result) => process.send!(result, undefined, {}, () => process.disconnect()))
  })
}

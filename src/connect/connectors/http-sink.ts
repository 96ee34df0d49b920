import { LogbusError } from '../../index'
import type { ConfigReader } from '../config'
import type { SinkRecord } from '../record'
import { sleep } from '../runner-host'
import type { SinkConnectorPlugin, SinkTask, SinkTaskContext } from '../task'

/** The longest wait between two attempts of a request. */
const MAX_BACKOFF_MS = 60_000

/**
 * A request the HTTP sink gave up on: the server answered with a status it does not retry, or the
 * retries ran out. `status` is the last HTTP status (undefined when the server was not reached).
 *
 * @example
 * ```ts
 * worker.on('recordError', ({ error }) => { if (error instanceof HttpSinkError) console.log(error.status) })
 * ```
 */
export class HttpSinkError extends LogbusError {
  override readonly name = 'HttpSinkError'
  constructor(
    message: string,
    readonly status: number | undefined,
    options: { retriable: boolean; cause?: unknown },
  ) {
    super('INVALID_REQUEST', message, options)
  }
}

interface HttpSinkConfig {
  url: URL
  method: 'POST' | 'PUT' | 'PATCH'
  headers: Record<string, string>
  batchMaxSize: number
  maxRetries: number
  retryBackoffMs: number
  requestTimeoutMs: number
  retryStatus: (status: number) => boolean
}

function readHttpConfig(read: ConfigReader): HttpSinkConfig {
  const text = read.string('http.api.url')
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return read.fail('http.api.url', `is not a URL: "${text}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    read.fail('http.api.url', 'must be an http or https URL')
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const separator = read.string('header.separator', '|')
  for (const pair of (read.optionalString('headers') ?? '').split(separator)) {
    if (pair.trim() === '') continue
    const colon = pair.indexOf(':')
    if (colon <= 0)
      read.fail('headers', `expected Name:value pairs separated by "${separator}", got "${pair}"`)
    headers[pair.slice(0, colon).trim().toLowerCase()] = pair.slice(colon + 1).trim()
  }
  return {
    url,
    method: read.choice('request.method', ['POST', 'PUT', 'PATCH'], 'POST'),
    headers,
    batchMaxSize: read.int('batch.max.size', 500, 1),
    maxRetries: read.int('max.retries', 10, 0),
    retryBackoffMs: read.int('retry.backoff.ms', 3000, 0),
    requestTimeoutMs: read.int('request.timeout.ms', 30_000, 1),
    retryStatus: statusMatcher(read),
  }
}

/** `retry.on.status.codes`: `500-599,429`, `400-` (from 400 up); default 408, 429 and every 5xx. */
function statusMatcher(read: ConfigReader): (status: number) => boolean {
  const spec = read.list('retry.on.status.codes')
  if (spec.length === 0) return (status) => status === 408 || status === 429 || status >= 500
  const ranges = spec.map((item) => {
    const match = /^(\d{3})(?:-(\d{3})?)?$/.exec(item)
    if (match === null)
      return read.fail('retry.on.status.codes', `expected codes or ranges like 500-599, got "${item}"`)
    const low = Number(match[1])
    const high = item.includes('-') ? (match[2] === undefined ? 999 : Number(match[2])) : low
    return [low, high] as const
  })
  return (status) => ranges.some(([low, high]) => status >= low && status <= high)
}

/** A record value in the JSON body: data as it is, bytes as their UTF-8 text. */
function bodyValue(value: unknown): unknown {
  return Buffer.isBuffer(value) ? value.toString('utf8') : value
}

/**
 * POSTs batches of record values as JSON arrays (like Confluent's HTTP Sink with
 * `batch.json.as.array=true`). A request that fails with a network error, a timeout, or a status of
 * `retry.on.status.codes` is retried up to `max.retries` times, waiting `retry.backoff.ms` and doubling
 * (at most a minute); a batch that still fails, or fails with another status, has each of its records
 * reported as errant: dead-lettered with `errors.tolerance=all`, failing the task with `none`.
 */
class HttpSinkTask implements SinkTask {
  #context!: SinkTaskContext
  #config!: HttpSinkConfig

  start(context: SinkTaskContext): void {
    this.#context = context
    this.#config = readHttpConfig(context.read)
  }

  async put(records: SinkRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += this.#config.batchMaxSize) {
      const batch = records.slice(i, i + this.#config.batchMaxSize)
      const error = await this.#send(JSON.stringify(batch.map((r) => bodyValue(r.value))))
      if (error !== undefined) {
        for (const record of batch) await this.#context.errantRecordReporter.report(record, error)
      }
    }
  }

  stop(): void {}

  /** Sends one body, with retries; returns the error it gave up on, or undefined once it was accepted. */
  async #send(body: string): Promise<HttpSinkError | undefined> {
    const { url, method, headers, maxRetries, retryBackoffMs, requestTimeoutMs, retryStatus } = this.#config
    const { signal, clock } = this.#context
    let error: HttpSinkError
    for (let attempt = 0; ; attempt++) {
      const timeout = new AbortController()
      const timer = setTimeout(() => timeout.abort(), requestTimeoutMs)
      const onStop = (): void => timeout.abort()
      signal.addEventListener('abort', onStop, { once: true })
      try {
        const response = await fetch(url, { method, headers, body, signal: timeout.signal })
        const text = await response.text()
        if (response.ok) return undefined
        error = new HttpSinkError(
          `${method} ${url.origin}${url.pathname} answered ${response.status} ${response.statusText}: ${text.slice(0, 200)}`,
          response.status,
          { retriable: retryStatus(response.status) },
        )
      } catch (cause) {
        if (signal.aborted) throw cause // stopping: the batch was not handled and comes again
        error = new HttpSinkError(
          `${method} ${url.origin}${url.pathname} failed: ${(cause as Error).message}`,
          undefined,
          {
            retriable: true,
            cause,
          },
        )
      } finally {
        clearTimeout(timer)
        signal.removeEventListener('abort', onStop)
      }
      if (!error.retriable || attempt >= maxRetries) return error
      await sleep(clock, Math.min(retryBackoffMs * 2 ** attempt, MAX_BACKOFF_MS), signal)
      if (signal.aborted) throw error
    }
  }
}

/**
 * An HTTP sink connector (`connector.class` `HttpSink`, or Confluent's
 * `io.confluent.connect.http.HttpSinkConnector`, with a subset of its properties): `http.api.url`
 * (required), `request.method` (POST, PUT, PATCH; default POST), `headers` (`Name:value|Name:value`,
 * separator `header.separator`), `batch.max.size` (records per request, default 500), `max.retries`
 * (default 10), `retry.backoff.ms` (default 3000), `retry.on.status.codes` (default 408, 429, 5xx),
 * `request.timeout.ms` (default 30000). Delivery: at-least-once — a batch whose response was lost, or
 * that was sent before a crash and not committed, is sent again.
 *
 * @example
 * ```ts
 * await worker.createConnector({ name: 'hook', config: { 'connector.class': 'HttpSink', topics: 'orders', 'http.api.url': 'http://127.0.0.1:8080/orders' } })
 * ```
 */
export const httpSink = Object.freeze<SinkConnectorPlugin>({
  type: 'sink',
  delivery: 'at-least-once',
  validate: (read) => void readHttpConfig(read),
  taskConfigs: (config, maxTasks) => Array.from({ length: maxTasks }, () => config),
  createTask: () => new HttpSinkTask(),
})

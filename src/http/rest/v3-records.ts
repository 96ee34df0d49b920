import type { IncomingMessage, ServerResponse } from 'node:http'
import { isJsonType, JSON_TYPE, mediaType, sendError } from '../http-io'
import { RestError, restErrorOf } from '../rest-error'
import type { Router } from '../router'
import { requireJsonBody } from '../security'
import { type BytesTopic, base64, bytesTopic, type V3DataType, v3Data } from './embedded-data'
import { JsonObjectSplitter } from './json-stream'
import { checkCluster, type RestContext } from './rest-context'
import { sharedTextBuffer, TextBuffer } from './text-buffer'
import type { Deliveries, RestData, RestRecord } from './turn-appender'

/** A record of the request that can be sent, with the types of its key and value for its report. */
interface Accepted {
  readonly ok: true
  readonly record: RestRecord
  /** Absent (the report's `null`) when the request has no key or value. */
  readonly keyType: V3DataType | undefined
  readonly valueType: V3DataType | undefined
}

/** A parsed record of the request, or why it cannot be sent. */
type Parsed = Accepted | { readonly ok: false; readonly error: RestError }

const NEWLINE = 0x0a
/** The largest time a JavaScript Date holds, either side of 1970. */
const MAX_DATE_MS = 8.64e15

/** Chunks whose reports are still to be written before reading on stops: bounds the memory a fast client takes. */
const MAX_CHUNKS_IN_FLIGHT = 64

/** The start of a report's `key` or `value` by its type, up to its size; `null` when absent. */
const DATA_INFO: Record<V3DataType, Buffer> = {
  BINARY: Buffer.from('{"type":"BINARY","size":'),
  JSON: Buffer.from('{"type":"JSON","size":'),
  STRING: Buffer.from('{"type":"STRING","size":'),
}
const NULL = Buffer.from('null')
const OFFSET = Buffer.from(',"offset":')
const TIMESTAMP = Buffer.from(',"timestamp":"')
const KEY = Buffer.from('","key":')
const VALUE = Buffer.from(',"value":')
const CLOSE = 0x7d

/** Writes the report's `key` or `value`: its type and size in bytes, or null. */
function writeDataInfo(out: TextBuffer, type: V3DataType | undefined, data: RestData): void {
  if (type === undefined) {
    out.put(NULL)
    return
  }
  const size = data === null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.length
  out.put(DATA_INFO[type]).int(size).byte(CLOSE)
}

function parseRecord(text: string, topic: BytesTopic): Parsed {
  try {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (error) {
      throw new RestError(400, 400, `Unexpected JSON: ${(error as Error).message}`)
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new RestError(400, 400, 'A record must be a JSON object')
    }
    const spec = body as Record<string, unknown>
    const key = v3Data(spec.key, 'key')
    const value = v3Data(spec.value, 'value')
    let partition: number | undefined
    if (spec.partition_id !== undefined && spec.partition_id !== null) {
      partition = spec.partition_id as number
      if (!Number.isInteger(partition) || partition < 0 || partition >= topic.partitionCount) {
        throw new RestError(404, 40403, 'This server does not host this topic-partition.')
      }
    }
    let timestamp: number | undefined
    if (spec.timestamp !== undefined && spec.timestamp !== null) {
      timestamp = typeof spec.timestamp === 'number' ? spec.timestamp : Date.parse(String(spec.timestamp))
      // Within Date's range too: the report prints it as an ISO date-time.
      if (!Number.isSafeInteger(timestamp) || Math.abs(timestamp) > MAX_DATE_MS)
        throw new RestError(400, 400, `timestamp is not a date-time: ${String(spec.timestamp)}`)
    }
    const headers =
      spec.headers === undefined || spec.headers === null ? undefined : parseHeaders(spec.headers)
    const record: RestRecord = {
      key: key?.data ?? null,
      value: value?.data ?? null,
      partition,
      timestamp,
      headers,
    }
    return { ok: true, record, keyType: key?.type, valueType: value?.type }
  } catch (error) {
    return { ok: false, error: restErrorOf(error, 'v3') }
  }
}

function parseHeaders(spec: unknown): Record<string, Buffer[]> {
  if (!Array.isArray(spec)) throw new RestError(400, 400, 'headers must be a list of { name, value }')
  const headers: Record<string, Buffer[]> = {}
  for (const header of spec as Array<{ name?: unknown; value?: unknown }>) {
    if (typeof header?.name !== 'string') throw new RestError(400, 400, 'a header needs a name')
    const bytes =
      header.value === null || header.value === undefined
        ? Buffer.alloc(0)
        : base64(String(header.value), `headers.${header.name}`)
    headers[header.name] = [...(headers[header.name] ?? []), bytes]
  }
  return headers
}

/**
 * The delivery reports of a topic's records, one JSON line per record, built from a template: what is the
 * same for every record (cluster, topic) is encoded once per topic, and records of one millisecond share
 * their timestamp's text.
 */
class Reports {
  readonly #head: Buffer
  #timestamp = Number.NaN
  #iso = Buffer.alloc(0)

  constructor(clusterId: string, topic: string) {
    this.#head = Buffer.from(
      `{"error_code":200,"cluster_id":${JSON.stringify(clusterId)},"topic_name":${JSON.stringify(topic)},"partition_id":`,
    )
  }

  /** Writes the report line of a record that could not be sent, or (with its index) of one that was. */
  write(out: TextBuffer, record: Parsed, deliveries?: Deliveries, index = 0): void {
    const error = record.ok ? deliveries!.error(index) : record.error
    if (error !== undefined) {
      const failure = restErrorOf(error, 'v3')
      out.text(JSON.stringify({ error_code: failure.errorCode, message: failure.message })).byte(NEWLINE)
      return
    }
    const accepted = record as Accepted
    const timestamp = deliveries!.timestamps[index]!
    if (timestamp !== this.#timestamp) {
      // The text first: one Reports serves every request to its topic, and a throw must change nothing.
      this.#iso = Buffer.from(new Date(timestamp).toISOString())
      this.#timestamp = timestamp
    }
    out.put(this.#head).int(deliveries!.partitions[index]!).put(OFFSET).int(deliveries!.offsets[index]!)
    out.put(TIMESTAMP).put(this.#iso).put(KEY)
    writeDataInfo(out, accepted.keyType, accepted.record.key)
    out.put(VALUE)
    writeDataInfo(out, accepted.valueType, accepted.record.value)
    out.byte(CLOSE).byte(NEWLINE)
  }
}

/** Reports by topic view (a topic made again has a new view), per cluster id: one server's stay one. */
const reportsByTopic = new WeakMap<BytesTopic, Map<string, Reports>>()

function reportsFor(clusterId: string, topic: BytesTopic): Reports {
  let byCluster = reportsByTopic.get(topic)
  if (byCluster === undefined) {
    byCluster = new Map()
    reportsByTopic.set(topic, byCluster)
  }
  let reports = byCluster.get(clusterId)
  if (reports === undefined) {
    reports = new Reports(clusterId, topic.name)
    byCluster.set(clusterId, reports)
  }
  return reports
}

const SETTLED: Promise<void> = Promise.resolve()

/**
 * Produces the records of one request: one JSON object, or a stream of them (Confluent's streaming
 * mode), answered with one delivery report per record, in order. The records of a chunk are appended
 * together (`TurnAppender`), each with its own outcome. A request of one record gets its report as the
 * whole response, and its failure as the HTTP status. One object per request rather than a closure per
 * step: most requests carry one record, and their garbage is most of what the server collects.
 */
class RecordsRequest implements ChunkReader {
  readonly #res: ServerResponse
  readonly #context: RestContext
  readonly #topic: BytesTopic
  readonly #splitter: JsonObjectSplitter
  readonly #reports: Reports
  #started = false
  #count = 0
  /** The writes of the chunks' reports, in order. */
  #chain = SETTLED
  #inFlight = 0
  /** A lone first record is held: if no other follows, its report is the whole response. */
  #first: Parsed | undefined

  constructor(res: ServerResponse, context: RestContext, topic: BytesTopic) {
    this.#res = res
    this.#context = context
    this.#topic = topic
    this.#splitter = new JsonObjectSplitter(context.options.maxBodyBytes)
    this.#reports = reportsFor(context.options.clusterId, topic)
  }

  async run(req: IncomingMessage): Promise<void> {
    const res = this.#res
    try {
      await readChunks(req, this)
      this.#splitter.end()
    } catch (error) {
      await this.#chain.catch(() => undefined)
      const failure = restErrorOf(error, 'v3')
      if (this.#started) res.end(`${JSON.stringify(failure.body())}\n`)
      else sendError(res, failure)
      return
    }
    if (this.#count === 0) throw new RestError(400, 400, 'Request body is empty. Data is required.')
    const first = this.#first
    if (first !== undefined) {
      const records = [first]
      const deliveries = await this.#deliver(records)
      const text = this.#writeReports(sharedTextBuffer(), records, deliveries).toString()
      const status = text.startsWith('{"error_code":200,') ? 200 : statusOf(first, text)
      res.writeHead(status, {
        'content-type': JSON_TYPE,
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
      })
      res.end(text)
      return
    }
    await this.#chain
    this.#start()
    res.end()
  }

  onChunk(chunk: Buffer): void {
    const objects = this.#splitter.push(chunk)
    if (objects.length === 0) return
    const records = new Array<Parsed>(objects.length)
    for (let i = 0; i < objects.length; i++) records[i] = parseRecord(objects[i]!, this.#topic)
    this.#count += records.length
    if (this.#count === 1) {
      this.#first = records[0]
      return
    }
    if (this.#first !== undefined) {
      records.unshift(this.#first)
      this.#first = undefined
    }
    this.#enqueue(records)
  }

  backlog(): Promise<unknown> | undefined {
    return this.#inFlight >= MAX_CHUNKS_IN_FLIGHT ? this.#chain : undefined
  }

  #start(): void {
    if (this.#started) return
    this.#started = true
    this.#res.writeHead(200, { 'content-type': JSON_TYPE, 'cache-control': 'no-store' })
  }

  #enqueue(records: Parsed[]): void {
    this.#inFlight++
    const answered = this.#sendChunk(records)
    this.#chain = this.#chain.then(async () => {
      // One write per chunk, not one per record: a streamed batch of 100k records stays cheap to answer.
      const lines = await answered
      this.#start()
      this.#res.write(lines)
      this.#inFlight--
    })
  }

  async #sendChunk(records: Parsed[]): Promise<Buffer> {
    const deliveries = await this.#deliver(records)
    return this.#writeReports(new TextBuffer(records.length * 200), records, deliveries).bytes()
  }

  /** Appends a chunk's valid records; undefined when none is. */
  #deliver(records: Parsed[]): Promise<Deliveries> | undefined {
    const valid: RestRecord[] = []
    for (const record of records) if (record.ok) valid.push(record.record)
    return valid.length > 0 ? this.#context.appender.append(this.#topic, valid) : undefined
  }

  /** Writes the reports of a chunk's records into `out`, a line each. */
  #writeReports(out: TextBuffer, records: Parsed[], deliveries: Deliveries | undefined): TextBuffer {
    let v = 0
    for (const record of records) {
      if (record.ok) this.#reports.write(out, record, deliveries, v++)
      else this.#reports.write(out, record)
    }
    return out
  }
}

/** The status of a lone record's failure: Confluent's codes are the status, or it and two digits more (40403). */
function statusOf(record: Parsed, report: string): number {
  const code = record.ok ? (JSON.parse(report) as { error_code: number }).error_code : record.error.errorCode
  return code >= 1000 ? Math.floor(code / 100) : code
}

/** What reads a request's body: each chunk, and a promise to wait for before reading on, if any. */
interface ChunkReader {
  /** Takes a chunk; what it throws ends the reading. */
  onChunk(chunk: Buffer): void
  /** A promise to wait for before reading on, while the chunks read are not answered yet. */
  backlog(): Promise<unknown> | undefined
}

/**
 * Reads a request's body chunk by chunk into `reader`. Resolves at the end of the body; rejects with what
 * a chunk threw.
 */
function readChunks(req: IncomingMessage, reader: ChunkReader): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = (error: unknown): void => {
      req.off('data', onData)
      req.off('end', resolve)
      // The rest of the body is read and dropped, so that the connection can carry the error response.
      req.resume()
      reject(error)
    }
    const onData = (chunk: Buffer): void => {
      try {
        reader.onChunk(chunk)
      } catch (error) {
        stop(error)
        return
      }
      const wait = reader.backlog()
      if (wait === undefined) return
      req.pause()
      wait.then(
        () => req.resume(),
        () => req.resume(),
      )
    }
    req.on('data', onData)
    req.once('end', resolve)
    req.once('error', stop)
  })
}

/** `POST /v3/clusters/{id}/topics/{topic}/records`. */
export function addRecordRoutes(router: Router, context: RestContext): void {
  router.add('POST', '/v3/clusters/:cluster/topics/:topic/records', async ({ req, res, params }) => {
    checkCluster(context, params.cluster)
    const type = mediaType(req)
    requireJsonBody(type, isJsonType(type))
    await new RecordsRequest(res, context, bytesTopic(context.bus, params.topic!, 'v3')).run(req)
  })
}

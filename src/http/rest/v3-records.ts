import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Message, RecordMetadata } from '../../index'
import { isJsonType, JSON_TYPE, mediaType, sendError } from '../http-io'
import { RestError, restErrorOf } from '../rest-error'
import type { Router } from '../router'
import { requireJsonBody } from '../security'
import { type BytesTopic, base64, bytesTopic, type V3DataType, v3Data } from './embedded-data'
import { JsonObjectSplitter } from './json-stream'
import { checkCluster, type RestContext } from './rest-context'

/** A record of the request that can be sent, with the types of its key and value for its report. */
interface Accepted {
  readonly ok: true
  readonly message: Message<Buffer | null, Buffer | null>
  /** Absent (the report's `null`) when the request has no key or value. */
  readonly keyType: V3DataType | undefined
  readonly valueType: V3DataType | undefined
}

/** A parsed record of the request, or why it cannot be sent. */
type Parsed = Accepted | { readonly ok: false; readonly error: RestError }

/** Chunks whose reports are still to be written before reading on stops: bounds the memory a fast client takes. */
const MAX_CHUNKS_IN_FLIGHT = 64

/** The report's `key` or `value`: its type and size, or null. */
function dataInfo(type: V3DataType | undefined, bytes: Buffer | null | undefined): string {
  return type === undefined ? 'null' : `{"type":"${type}","size":${bytes?.length ?? 0}}`
}

/**
 * Lines of text gathered into one Buffer: writing each line costs less than joining thousands of
 * template strings, which V8 keeps as trees until something flattens them.
 */
class LineBuffer {
  #buffer: Buffer
  #length = 0

  constructor(lines: number) {
    this.#buffer = Buffer.allocUnsafe(Math.max(256, lines * 256))
  }

  add(line: string): void {
    const room = line.length * 3 + 1
    if (this.#length + room > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + room))
      this.#buffer.copy(grown, 0, 0, this.#length)
      this.#buffer = grown
    }
    this.#length += this.#buffer.write(line, this.#length)
    this.#buffer[this.#length++] = 0x0a
  }

  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#length)
  }
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
    const message: Message<Buffer | null, Buffer | null> = {
      key: key?.bytes ?? null,
      value: value?.bytes ?? null,
    }
    if (spec.partition_id !== undefined && spec.partition_id !== null) {
      const partition = spec.partition_id
      if (
        !Number.isInteger(partition) ||
        (partition as number) < 0 ||
        (partition as number) >= topic.partitionCount
      ) {
        throw new RestError(404, 40403, 'This server does not host this topic-partition.')
      }
      message.partition = partition as number
    }
    if (spec.timestamp !== undefined && spec.timestamp !== null) {
      const time = typeof spec.timestamp === 'number' ? spec.timestamp : Date.parse(String(spec.timestamp))
      if (!Number.isFinite(time))
        throw new RestError(400, 400, `timestamp is not a date-time: ${String(spec.timestamp)}`)
      message.timestamp = time
    }
    if (spec.headers !== undefined && spec.headers !== null) message.headers = parseHeaders(spec.headers)
    return { ok: true, message, keyType: key?.type, valueType: value?.type }
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
 * The delivery reports of one request, one JSON line per record, built from a template: what is the
 * same for every record (cluster, topic) is encoded once, and a batch's records share one timestamp.
 */
class Reports {
  readonly #head: string
  #timestamp = Number.NaN
  #iso = ''

  constructor(clusterId: string, topic: string) {
    this.#head = `{"error_code":200,"cluster_id":${JSON.stringify(clusterId)},"topic_name":${JSON.stringify(topic)},"partition_id":`
  }

  of(record: Parsed, meta: RecordMetadata | undefined, error?: unknown): string {
    if (!record.ok || error !== undefined || meta === undefined) {
      const failure = record.ok ? restErrorOf(error, 'v3') : record.error
      return JSON.stringify({ error_code: failure.errorCode, message: failure.message })
    }
    if (meta.timestamp !== this.#timestamp) {
      this.#timestamp = meta.timestamp
      this.#iso = new Date(meta.timestamp).toISOString()
    }
    const { message } = record
    return `${this.#head}${meta.partition},"offset":${meta.offset},"timestamp":"${this.#iso}","key":${dataInfo(record.keyType, message.key)},"value":${dataInfo(record.valueType, message.value)}}`
  }
}

/**
 * Produces the records of one request: one JSON object, or a stream of them (Confluent's streaming
 * mode), answered with one delivery report per record, in order. The records of a chunk go to the
 * producer as one send; a send that fails is retried record by record, so that each gets its own
 * report. A request of one record gets its report as the whole response, and its failure as the
 * HTTP status.
 */
async function produce(
  req: IncomingMessage,
  res: ServerResponse,
  context: RestContext,
  topic: BytesTopic,
): Promise<void> {
  const splitter = new JsonObjectSplitter(context.options.maxBodyBytes)
  const reports = new Reports(context.options.clusterId, topic.name)
  let started = false
  const start = (): void => {
    if (started) return
    started = true
    res.writeHead(200, { 'content-type': JSON_TYPE, 'cache-control': 'no-store' })
  }

  /** The reports of a chunk's records, a line each. */
  const sendChunk = async (records: Parsed[]): Promise<string[]> => {
    const valid: Accepted[] = []
    for (const record of records) if (record.ok) valid.push(record)
    let metas: RecordMetadata[] | undefined
    let failure: unknown
    if (valid.length > 0) {
      try {
        metas = await context.batcher.send(
          topic,
          valid.map((r) => r.message),
        )
      } catch (error) {
        failure = error
      }
    }
    const lines: string[] = []
    let v = 0
    for (const record of records) {
      if (!record.ok) {
        lines.push(reports.of(record, undefined))
        continue
      }
      const meta = metas?.[v++]
      if (meta !== undefined) {
        lines.push(reports.of(record, meta))
        continue
      }
      // The whole send failed: each record alone, so that only the bad ones fail.
      let one: RecordMetadata | undefined
      let error: unknown = failure
      if (valid.length > 1) {
        try {
          one = await context.producer.send(topic, record.message)
          error = undefined
        } catch (e) {
          error = e
        }
      }
      lines.push(reports.of(record, one, error))
    }
    return lines
  }

  let count = 0
  let chain: Promise<void> = Promise.resolve()
  let inFlight = 0
  // A lone first record is held: if no other follows, its report is the whole response.
  let first: Parsed | undefined
  const enqueue = (records: Parsed[]): void => {
    inFlight++
    const answered = sendChunk(records)
    chain = chain.then(async () => {
      // One write per chunk, not one per record: a streamed batch of 100k records stays cheap to answer.
      const lines = await answered
      const text = new LineBuffer(lines.length)
      for (const line of lines) text.add(line)
      start()
      res.write(text.bytes())
      inFlight--
    })
  }
  const onChunk = (chunk: Buffer): void => {
    const objects = splitter.push(chunk)
    if (objects.length === 0) return
    const records = objects.map((text) => parseRecord(text, topic))
    count += records.length
    if (count === 1) {
      first = records[0]
      return
    }
    if (first !== undefined) {
      records.unshift(first)
      first = undefined
    }
    enqueue(records)
  }
  try {
    await readChunks(req, onChunk, () => (inFlight >= MAX_CHUNKS_IN_FLIGHT ? chain : undefined))
    splitter.end()
  } catch (error) {
    await chain.catch(() => undefined)
    const failure = restErrorOf(error, 'v3')
    if (started) res.end(`${JSON.stringify(failure.body())}\n`)
    else sendError(res, failure)
    return
  }
  if (count === 0) throw new RestError(400, 400, 'Request body is empty. Data is required.')
  if (first !== undefined) {
    const [report] = await sendChunk([first])
    const text = `${report}\n`
    const status = first.ok && text.startsWith('{"error_code":200,') ? 200 : statusOf(first, text)
    res.writeHead(status, {
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    })
    res.end(text)
    return
  }
  await chain
  start()
  res.end()
}

/** The status of a lone record's failure: Confluent's codes are the status, or it and two digits more (40403). */
function statusOf(record: Parsed, report: string): number {
  const code = record.ok ? (JSON.parse(report) as { error_code: number }).error_code : record.error.errorCode
  return code >= 1000 ? Math.floor(code / 100) : code
}

/**
 * Reads a request's body chunk by chunk; `backlog` returns a promise to wait for before reading on, when
 * the chunks read are not answered yet. Resolves at the end of the body; rejects with what a chunk threw.
 */
function readChunks(
  req: IncomingMessage,
  onChunk: (chunk: Buffer) => void,
  backlog: () => Promise<unknown> | undefined,
): Promise<void> {
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
        onChunk(chunk)
      } catch (error) {
        stop(error)
        return
      }
      const wait = backlog()
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
    await produce(req, res, context, bytesTopic(context.bus, params.topic!, 'v3'))
  })
}

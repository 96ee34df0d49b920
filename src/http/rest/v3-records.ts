import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Message, RecordMetadata } from '../../index'
import { isJsonType, JSON_TYPE, mediaType, parseJson, sendError } from '../http-io'
import { RestError, restErrorOf } from '../rest-error'
import type { Router } from '../router'
import { requireJsonBody } from '../security'
import { BYTES, type BytesTopic, base64, type V3DataType, v3Data } from './embedded-data'
import { JsonObjectSplitter } from './json-stream'
import { checkCluster, type RestContext } from './rest-context'

/** A parsed record of the request, or why it cannot be sent. */
type Parsed =
  | { ok: true; message: Message<Buffer | null, Buffer | null>; key: DataInfo; value: DataInfo }
  | { ok: false; error: RestError }

type DataInfo = { type: V3DataType; size: number } | null

/** Chunks whose reports are still to be written before reading on stops: bounds the memory a fast client takes. */
const MAX_CHUNKS_IN_FLIGHT = 64

function info(data: { bytes: Buffer | null; type: V3DataType } | undefined): DataInfo {
  return data === undefined ? null : { type: data.type, size: data.bytes?.length ?? 0 }
}

function parseRecord(bytes: Buffer, topic: BytesTopic): Parsed {
  try {
    const body = parseJson(bytes)
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
    if (spec.headers !== undefined && spec.headers !== null) {
      if (!Array.isArray(spec.headers))
        throw new RestError(400, 400, 'headers must be a list of { name, value }')
      const headers: Record<string, Buffer[]> = {}
      for (const header of spec.headers as Array<{ name?: unknown; value?: unknown }>) {
        if (typeof header?.name !== 'string') throw new RestError(400, 400, 'a header needs a name')
        const bytes =
          header.value === null || header.value === undefined
            ? Buffer.alloc(0)
            : base64(String(header.value), `headers.${header.name}`)
        headers[header.name] = [...(headers[header.name] ?? []), bytes]
      }
      message.headers = headers
    }
    return { ok: true, message, key: info(key), value: info(value) }
  } catch (error) {
    return { ok: false, error: restErrorOf(error, 'v3') }
  }
}

/**
 * Produces the records of one request: one JSON object, or a stream of them (Confluent's streaming
 * mode), answered with one delivery report per record, in order. The records of a chunk go to the
 * producer as one send; a send that fails is retried record by record, so that each gets its own
 * report. A request of one record that fails gets the error as its HTTP status.
 */
async function produce(
  req: IncomingMessage,
  res: ServerResponse,
  context: RestContext,
  topic: BytesTopic,
): Promise<void> {
  const clusterId = context.options.clusterId
  const splitter = new JsonObjectSplitter(context.options.maxBodyBytes)
  const report = (parsed: Parsed, meta: RecordMetadata | undefined, error?: unknown): string => {
    if (!parsed.ok || error !== undefined || meta === undefined) {
      const failure = parsed.ok ? restErrorOf(error, 'v3') : parsed.error
      return JSON.stringify({ error_code: failure.errorCode, message: failure.message })
    }
    return JSON.stringify({
      error_code: 200,
      cluster_id: clusterId,
      topic_name: topic.name,
      partition_id: meta.partition,
      offset: meta.offset,
      timestamp: new Date(meta.timestamp).toISOString(),
      key: parsed.key,
      value: parsed.value,
    })
  }
  let count = 0
  let started = false
  const start = (): void => {
    if (started) return
    started = true
    res.writeHead(200, { 'content-type': JSON_TYPE, 'cache-control': 'no-store' })
  }
  /** Writes report lines (each ending in a newline). */
  const write = (lines: string): void => {
    start()
    res.write(lines)
  }
  const sendChunk = async (records: Parsed[]): Promise<Array<() => string>> => {
    const valid = records.filter((r): r is Extract<Parsed, { ok: true }> => r.ok)
    let metas: RecordMetadata[] | undefined
    let failure: unknown
    if (valid.length > 0) {
      try {
        metas = await context.producer.send(
          topic,
          valid.map((r) => r.message),
        )
      } catch (error) {
        failure = error
      }
    }
    const answers: Array<() => string> = []
    let v = 0
    for (const record of records) {
      if (!record.ok) {
        answers.push(() => report(record, undefined))
        continue
      }
      const meta = metas?.[v++]
      if (meta !== undefined) {
        answers.push(() => report(record, meta))
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
      answers.push(() => report(record, one, error))
    }
    return answers
  }

  let chain: Promise<void> = Promise.resolve()
  let inFlight = 0
  const firstRecords: Parsed[] = []
  const enqueue = (records: Parsed[]): void => {
    inFlight++
    const answers = sendChunk(records)
    chain = chain.then(async () => {
      // One write per chunk, not two per record: a streamed batch of 100k records stays cheap to answer.
      let text = ''
      for (const answer of await answers) text += `${answer()}\n`
      write(text)
      inFlight--
    })
  }
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      const objects = splitter.push(chunk)
      if (objects.length === 0) continue
      const records = objects.map((bytes) => parseRecord(bytes, topic))
      count += records.length
      if (count === records.length && count === 1) {
        // Hold a lone first record: if no other follows, its failure is the response's status.
        firstRecords.push(records[0]!)
        continue
      }
      if (firstRecords.length > 0) {
        enqueue(firstRecords.splice(0))
      }
      enqueue(records)
      if (inFlight >= MAX_CHUNKS_IN_FLIGHT) await chain
    }
    splitter.end()
  } catch (error) {
    await chain.catch(() => undefined)
    const failure = restErrorOf(error, 'v3')
    if (started) {
      res.write(`${JSON.stringify(failure.body())}\n`)
      res.end()
    } else sendError(res, failure)
    return
  }
  if (count === 0) throw new RestError(400, 400, 'Request body is empty. Data is required.')
  if (firstRecords.length > 0 && count === 1) {
    const [answer] = await sendChunk(firstRecords)
    const text = answer!()
    const parsed = JSON.parse(text) as { error_code: number }
    if (parsed.error_code !== 200) {
      // Confluent's codes are the status, or the status and two more digits (40403).
      const status = parsed.error_code >= 1000 ? Math.floor(parsed.error_code / 100) : parsed.error_code
      res.writeHead(status, { 'content-type': JSON_TYPE, 'cache-control': 'no-store' })
      res.end(text)
      return
    }
    start()
    res.end(`${text}\n`)
    return
  }
  await chain
  start()
  res.end()
}

/** `POST /v3/clusters/{id}/topics/{topic}/records`. */
export function addRecordRoutes(router: Router, context: RestContext): void {
  router.add('POST', '/v3/clusters/:cluster/topics/:topic/records', async ({ req, res, params }) => {
    checkCluster(context, params.cluster)
    const type = mediaType(req)
    requireJsonBody(type, isJsonType(type))
    let topic: BytesTopic
    try {
      topic = context.bus.topic(params.topic!, BYTES) as BytesTopic
    } catch (error) {
      throw restErrorOf(error, 'v3')
    }
    await produce(req, res, context, topic)
  })
}

import type { IncomingMessage, ServerResponse } from 'node:http'
import { mediaType, objectBody, parseJson, readBody, sendJson, sendJsonText, V2_JSON } from '../http-io'
import { RestError, restErrorOf } from '../rest-error'
import type { Router } from '../router'
import { type BytesTopic, bytesTopic, type EmbeddedFormat, v2Encode } from './embedded-data'
import { readJsonFormatRecords } from './json-records'
import type { RestContext } from './rest-context'
import { sharedTextBuffer, TextBuffer } from './text-buffer'
import type { RestData, RestRecord } from './turn-appender'

/** The embedded format a v2 produce request says it uses; plain JSON and vnd.kafka.v2+json mean binary, as in Confluent. */
function produceFormat(type: string): EmbeddedFormat {
  if (
    type === 'application/json' ||
    type === 'application/vnd.kafka.v2+json' ||
    type === 'application/vnd.kafka+json'
  ) {
    return 'binary'
  }
  const format = /^application\/vnd\.kafka\.(binary|json|string)\.v2\+json$/.exec(type)?.[1]
  if (format === undefined) throw new RestError(415, 415, `Unsupported Media Type: ${type || 'none'}`)
  return format as EmbeddedFormat
}

function v2Topic(context: RestContext, name: string): BytesTopic {
  return bytesTopic(context.bus, name, 'v2')
}

const OFFSETS_HEAD = Buffer.from('{"key_schema_id":null,"value_schema_id":null,"offsets":[')
const OFFSETS_TAIL = Buffer.from(']}')
const PARTITION = Buffer.from('{"partition":')
const OFFSET = Buffer.from(',"offset":')
const NO_ERROR = Buffer.from(',"error_code":null,"error":null}')
const COMMA = 0x2c
/** Answers to at most this many records are written into the shared buffer and sent as text. */
const SMALL_ANSWER = 16

/** v2 produce: every record answered in `offsets`, with its error, as Confluent's v2 does. */
async function produce(
  req: IncomingMessage,
  res: ServerResponse,
  context: RestContext,
  name: string,
  partition?: number,
): Promise<void> {
  const format = produceFormat(mediaType(req))
  const topic = v2Topic(context, name)
  if (partition !== undefined && (partition >= topic.partitionCount || !Number.isInteger(partition))) {
    throw new RestError(404, 40402, 'Partition not found.')
  }
  const bytes = await readBody(req, context.options.maxBodyBytes)
  const sent = format === 'json' ? jsonFormatRecords(bytes, topic, partition) : undefined
  const records = sent ?? parsedRecords(bytes, format, topic, partition)
  const deliveries = await context.appender.append(topic, records)
  // Written as bytes: a batch of thousands of records answers as many offsets; a few, as text.
  const small = records.length <= SMALL_ANSWER
  const answer = (small ? sharedTextBuffer() : new TextBuffer(64 + 64 * records.length)).put(OFFSETS_HEAD)
  for (let i = 0; i < records.length; i++) {
    if (i > 0) answer.byte(COMMA)
    const error = deliveries.error(i)
    if (error === undefined) {
      answer
        .put(PARTITION)
        .int(deliveries.partitions[i]!)
        .put(OFFSET)
        .int(deliveries.offsets[i]!)
        .put(NO_ERROR)
      continue
    }
    const failure = restErrorOf(error, 'v2')
    answer.text(
      JSON.stringify({
        partition: null,
        offset: null,
        error_code: failure.errorCode,
        error: failure.message,
      }),
    )
  }
  answer.put(OFFSETS_TAIL)
  sendJsonText(res, 200, small ? answer.toString() : answer.bytes(), V2_JSON)
}

/** A request's partition, or the record's; a partition the topic has not is Confluent's 40402. */
function partitionOf(requested: number | undefined, own: unknown, topic: BytesTopic): number | undefined {
  const p = requested ?? own ?? undefined
  if (
    p !== undefined &&
    (!Number.isInteger(p) || (p as number) < 0 || (p as number) >= topic.partitionCount)
  ) {
    throw new RestError(404, 40402, 'Partition not found.')
  }
  return p as number | undefined
}

/** A v2 record: v2 has no headers nor timestamps, and every record has the same shape. */
function v2Record(key: RestData, value: RestData, partition: number | undefined): RestRecord {
  return { key, value, partition, timestamp: undefined, headers: undefined }
}

/**
 * The records of a JSON-format body read straight from its bytes (`readJsonFormatRecords`), or undefined
 * when it leaves the body to JSON.parse.
 */
function jsonFormatRecords(
  bytes: Buffer,
  topic: BytesTopic,
  partition: number | undefined,
): RestRecord[] | undefined {
  const records = readJsonFormatRecords(bytes)
  if (records === undefined) return undefined
  const sent = new Array<RestRecord>(records.length)
  for (let i = 0; i < records.length; i++) {
    const { key, value, partition: own } = records[i]!
    sent[i] = v2Record(key, value, partitionOf(partition, own, topic))
  }
  return sent
}

/** The records of a body through JSON.parse, each key and value in the embedded format. */
function parsedRecords(
  bytes: Buffer,
  format: EmbeddedFormat,
  topic: BytesTopic,
  partition: number | undefined,
): RestRecord[] {
  const body = objectBody(bytes.length === 0 ? undefined : parseJson(bytes), 'The request')
  if (!Array.isArray(body.records)) throw new RestError(422, 422, 'records must be a list')
  const records: unknown[] = body.records
  const sent = new Array<RestRecord>(records.length)
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as Record<string, unknown>
    if (record === null || typeof record !== 'object' || Array.isArray(record))
      objectBody(record, `records[${i}]`)
    const key = v2Encode(record.key, format, i, 'key')
    const value = v2Encode(record.value, format, i, 'value')
    sent[i] = v2Record(key, value, partitionOf(partition, record.partition, topic))
  }
  return sent
}

/** v2 topics: list, describe, produce (to a topic or a partition). */
export function addV2TopicRoutes(router: Router, context: RestContext): void {
  router.add('GET', '/topics', ({ res }) => sendJson(res, 200, context.bus.listTopics(), V2_JSON))
  router.add('GET', '/topics/:topic', ({ res, params }) => {
    const topic = v2Topic(context, params.topic!)
    const { config } = topic
    sendJson(
      res,
      200,
      {
        name: topic.name,
        configs: {
          'retention.ms': String(config.retentionMs ?? -1),
          'retention.bytes': String(config.retentionBytes ?? -1),
          'segment.bytes': String(config.segmentBytes),
          'max.message.bytes': String(config.maxMessageBytes),
          'cleanup.policy': config.cleanupPolicy,
        },
        partitions: topic.partitions.map((p) => ({
          partition: p.partition,
          leader: 0,
          replicas: [{ broker: 0, leader: true, in_sync: true }],
        })),
      },
      V2_JSON,
    )
  })
  router.add('POST', '/topics/:topic', ({ req, res, params }) => produce(req, res, context, params.topic!))
  router.add('POST', '/topics/:topic/partitions/:partition', ({ req, res, params }) =>
    produce(req, res, context, params.topic!, Number(params.partition)),
  )
}

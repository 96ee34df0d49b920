import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Message } from '../../index'
import { mediaType, objectBody, readJson, sendJson, sendJsonText, V2_JSON } from '../http-io'
import { RestError, restErrorOf } from '../rest-error'
import type { Router } from '../router'
import { type BytesTopic, bytesTopic, type EmbeddedFormat, v2Encode } from './embedded-data'
import type { RestContext } from './rest-context'

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
  const body = objectBody(await readJson(req, context.options.maxBodyBytes), 'The request')
  if (!Array.isArray(body.records)) throw new RestError(422, 422, 'records must be a list')
  const records: unknown[] = body.records
  const messages = new Array<Message<Buffer | null, Buffer | null>>(records.length)
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as Record<string, unknown>
    if (record === null || typeof record !== 'object' || Array.isArray(record))
      objectBody(record, `records[${i}]`)
    const message: Message<Buffer | null, Buffer | null> = {
      key: v2Encode(record.key, format, i, 'key'),
      value: v2Encode(record.value, format, i, 'value'),
    }
    const p = partition ?? record.partition
    if (p !== undefined && p !== null) {
      if (!Number.isInteger(p) || (p as number) < 0 || (p as number) >= topic.partitionCount) {
        throw new RestError(404, 40402, 'Partition not found.')
      }
      message.partition = p as number
    }
    messages[i] = message
  }
  let offsets: string
  try {
    const metas = await context.batcher.send(topic, messages)
    // Built as text: a batch of thousands of records answers as many offsets.
    offsets = metas
      .map((m) => `{"partition":${m.partition},"offset":${m.offset},"error_code":null,"error":null}`)
      .join(',')
  } catch (error) {
    const failure = restErrorOf(error, 'v2')
    const offset = JSON.stringify({
      partition: null,
      offset: null,
      error_code: failure.errorCode,
      error: failure.message,
    })
    offsets = messages.map(() => offset).join(',')
  }
  sendJsonText(res, 200, `{"key_schema_id":null,"value_schema_id":null,"offsets":[${offsets}]}`, V2_JSON)
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

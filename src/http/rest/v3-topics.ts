import type { IncomingMessage } from 'node:http'
import type { Topic, TopicConfig } from '../../index'
import { integerParam, isJsonType, mediaType, objectBody, readJson, sendJson } from '../http-io'
import { RestError, restErrorOf } from '../rest-error'
import type { Router } from '../router'
import { requireJsonBody } from '../security'
import { baseUrl, checkCluster, type RestContext, related } from './rest-context'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/**
 * Kafka's names of the topic configs logbus has (`retention.ms` → `retentionMs`, …). Others are
 * refused: a config that would be silently ignored is worse than an error.
 */
const CONFIG_NAMES = {
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'segment.bytes': 'segmentBytes',
  'max.message.bytes': 'maxMessageBytes',
  'cleanup.policy': 'cleanupPolicy',
} as const satisfies Record<string, keyof TopicConfig>

/** A topic config value as Kafka writes it: -1 for unlimited. */
function configValue(config: Readonly<TopicConfig>, key: keyof TopicConfig): string {
  const value = config[key]
  return value === null ? '-1' : String(value)
}

function clusterData(base: string, id: string) {
  const self = `${base}/v3/clusters/${id}`
  return {
    kind: 'KafkaCluster',
    metadata: { self, resource_name: `crn:///kafka=${id}` },
    cluster_id: id,
    controller: related(`${self}/brokers/0`),
    acls: related(`${self}/acls`),
    brokers: related(`${self}/brokers`),
    broker_configs: related(`${self}/broker-configs`),
    consumer_groups: related(`${self}/consumer-groups`),
    topics: related(`${self}/topics`),
    partition_reassignments: related(`${self}/topics/-/partitions/-/reassignment`),
  }
}

export function topicData(base: string, clusterId: string, topic: AnyTopic) {
  const self = `${base}/v3/clusters/${clusterId}/topics/${encodeURIComponent(topic.name)}`
  return {
    kind: 'KafkaTopic',
    metadata: { self, resource_name: `crn:///kafka=${clusterId}/topic=${topic.name}` },
    cluster_id: clusterId,
    topic_name: topic.name,
    is_internal: false,
    replication_factor: 1,
    partitions_count: topic.partitionCount,
    partitions: related(`${self}/partitions`),
    configs: related(`${self}/configs`),
    partition_reassignments: related(`${self}/partitions/-/reassignment`),
  }
}

function findTopic(context: RestContext, name: string): AnyTopic {
  try {
    return context.bus.topic(name) as AnyTopic
  } catch (error) {
    throw restErrorOf(error, 'v3')
  }
}

async function jsonBody(req: IncomingMessage, context: RestContext): Promise<Record<string, unknown>> {
  const type = mediaType(req)
  requireJsonBody(type, isJsonType(type))
  return objectBody(await readJson(req, context.options.maxBodyBytes), 'The request')
}

/** `configs: [{ name, value }]` of a create-topic request, as logbus topic options. */
function topicOptions(configs: unknown): Record<string, unknown> {
  if (configs === undefined) return {}
  if (!Array.isArray(configs)) throw new RestError(400, 40002, 'configs must be a list of { name, value }')
  const options: Record<string, unknown> = {}
  for (const entry of configs) {
    const { name, value } = objectBody(entry, 'A config') as { name?: unknown; value?: unknown }
    const key = CONFIG_NAMES[name as keyof typeof CONFIG_NAMES]
    if (key === undefined) {
      throw new RestError(
        400,
        40002,
        `Unsupported topic config '${String(name)}': logbus has ${Object.keys(CONFIG_NAMES).join(', ')}`,
      )
    }
    if (key === 'cleanupPolicy') options[key] = value
    else options[key] = value === null || value === '-1' || value === -1 ? null : Number(value)
  }
  return options
}

/** v3 clusters and topics: list, get, create, delete, partitions and configs. */
export function addTopicRoutes(router: Router, context: RestContext): void {
  const { bus } = context
  const id = context.options.clusterId
  router.add('GET', '/v3/clusters', ({ req, res }) => {
    const base = baseUrl(req)
    sendJson(res, 200, {
      kind: 'KafkaClusterList',
      metadata: { self: `${base}/v3/clusters`, next: null },
      data: [clusterData(base, id)],
    })
  })
  router.add('GET', '/v3/clusters/:cluster', ({ req, res, params }) => {
    checkCluster(context, params.cluster)
    sendJson(res, 200, clusterData(baseUrl(req), id))
  })
  router.add('GET', '/v3/clusters/:cluster/topics', ({ req, res, params }) => {
    checkCluster(context, params.cluster)
    const base = baseUrl(req)
    sendJson(res, 200, {
      kind: 'KafkaTopicList',
      metadata: { self: `${base}/v3/clusters/${id}/topics`, next: null },
      data: bus.listTopics().map((name) => topicData(base, id, bus.topic(name) as AnyTopic)),
    })
  })
  router.add('POST', '/v3/clusters/:cluster/topics', async ({ req, res, params }) => {
    checkCluster(context, params.cluster)
    const body = await jsonBody(req, context)
    const name = body.topic_name
    if (typeof name !== 'string') throw new RestError(400, 40002, 'topic_name is required')
    const partitions = integerParam(body.partitions_count, 'partitions_count', 1)
    const options = { partitions, ...topicOptions(body.configs) }
    const factor = body.replication_factor
    if (factor !== undefined && factor !== 1 && factor !== -1) {
      throw new RestError(
        400,
        40002,
        `Replication factor: ${String(factor)} larger than available brokers: 1.`,
      )
    }
    if (body.validate_only === true) {
      if (bus.listTopics().includes(name)) throw new RestError(400, 40002, `Topic '${name}' already exists.`)
      sendJson(res, 201, topicData(baseUrl(req), id, { name, partitionCount: partitions } as AnyTopic))
      return
    }
    let topic: AnyTopic
    try {
      topic = (await bus.createTopic(name, options as never)) as AnyTopic
    } catch (error) {
      if ((error as { code?: string }).code === 'TOPIC_ALREADY_EXISTS') {
        throw new RestError(400, 40002, `Topic '${name}' already exists.`)
      }
      throw restErrorOf(error, 'v3')
    }
    sendJson(res, 201, topicData(baseUrl(req), id, topic))
  })
  router.add('GET', '/v3/clusters/:cluster/topics/:topic', ({ req, res, params }) => {
    checkCluster(context, params.cluster)
    sendJson(res, 200, topicData(baseUrl(req), id, findTopic(context, params.topic!)))
  })
  router.add('DELETE', '/v3/clusters/:cluster/topics/:topic', async ({ res, params }) => {
    checkCluster(context, params.cluster)
    findTopic(context, params.topic!)
    try {
      await bus.deleteTopic(params.topic!)
    } catch (error) {
      throw restErrorOf(error, 'v3')
    }
    sendJson(res, 204, undefined)
  })
  router.add('GET', '/v3/clusters/:cluster/topics/:topic/partitions', ({ req, res, params }) => {
    checkCluster(context, params.cluster)
    const topic = findTopic(context, params.topic!)
    const self = `${baseUrl(req)}/v3/clusters/${id}/topics/${encodeURIComponent(topic.name)}/partitions`
    sendJson(res, 200, {
      kind: 'KafkaPartitionList',
      metadata: { self, next: null },
      data: topic.partitions.map((p) => ({
        kind: 'KafkaPartition',
        metadata: {
          self: `${self}/${p.partition}`,
          resource_name: `crn:///kafka=${id}/topic=${topic.name}/partition=${p.partition}`,
        },
        cluster_id: id,
        topic_name: topic.name,
        partition_id: p.partition,
        leader: related(`${self}/${p.partition}/replicas/0`),
        replicas: related(`${self}/${p.partition}/replicas`),
        reassignment: related(`${self}/${p.partition}/reassignment`),
      })),
    })
  })
  router.add('GET', '/v3/clusters/:cluster/topics/:topic/configs', ({ req, res, params }) => {
    checkCluster(context, params.cluster)
    const topic = findTopic(context, params.topic!)
    const self = `${baseUrl(req)}/v3/clusters/${id}/topics/${encodeURIComponent(topic.name)}/configs`
    sendJson(res, 200, {
      kind: 'KafkaTopicConfigList',
      metadata: { self, next: null },
      data: Object.entries(CONFIG_NAMES).map(([name, key]) => ({
        kind: 'KafkaTopicConfig',
        metadata: {
          self: `${self}/${name}`,
          resource_name: `crn:///kafka=${id}/topic=${topic.name}/config=${name}`,
        },
        cluster_id: id,
        topic_name: topic.name,
        name,
        value: configValue(topic.config, key),
        is_default: false,
        is_read_only: key === 'segmentBytes' || key === 'cleanupPolicy',
        is_sensitive: false,
        source: 'DYNAMIC_TOPIC_CONFIG',
        synonyms: [],
      })),
    })
  })
}

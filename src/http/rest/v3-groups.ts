import type { GroupDescription, PartitionLag } from '../../index'
import { sendJson } from '../http-io'
import { RestError, restErrorOf } from '../rest-error'
import type { Router } from '../router'
import { baseUrl, checkCluster, type RestContext, related } from './rest-context'

/** Kafka's state names as the REST API spells them. */
const STATES: Record<string, string> = {
  Empty: 'EMPTY',
  PreparingRebalance: 'PREPARING_REBALANCE',
  CompletingRebalance: 'COMPLETING_REBALANCE',
  Stable: 'STABLE',
  Dead: 'DEAD',
}

interface Owner {
  consumer_id: string
  instance_id: string | null
  client_id: string
}

function owners(description: GroupDescription): Map<string, Owner> {
  const map = new Map<string, Owner>()
  for (const member of description.members) {
    for (const tp of member.assignment) {
      map.set(`${tp.topic}\u0000${tp.partition}`, {
        consumer_id: member.memberId,
        instance_id: member.instanceId ?? null,
        client_id: member.clientId,
      })
    }
  }
  return map
}

const NO_OWNER: Owner = { consumer_id: '', instance_id: null, client_id: '' }

/** v3 consumer groups: list, get, lags per partition and the lag summary. */
export function addGroupRoutes(router: Router, context: RestContext): void {
  const { bus } = context
  const id = context.options.clusterId
  const groupsUrl = (base: string): string => `${base}/v3/clusters/${id}/consumer-groups`
  const existing = (groupId: string): { description: GroupDescription; lag: Promise<PartitionLag[]> } => {
    const group = bus.group(groupId)
    const description = group.describe()
    if (description.state === 'Dead')
      throw new RestError(404, 40403, `Consumer group ${groupId} does not exist.`)
    return { description, lag: group.lag() }
  }
  const groupData = (base: string, description: GroupDescription) => {
    const self = `${groupsUrl(base)}/${encodeURIComponent(description.groupId)}`
    return {
      kind: 'KafkaConsumerGroup',
      metadata: { self, resource_name: `crn:///kafka=${id}/consumer-group=${description.groupId}` },
      cluster_id: id,
      consumer_group_id: description.groupId,
      is_simple: description.protocol === '' && description.members.length === 0,
      partition_assignor: description.protocol,
      state: STATES[description.state] ?? 'UNKNOWN',
      coordinator: related(`${base}/v3/clusters/${id}/brokers/0`),
      consumers: related(`${self}/consumers`),
      lag_summary: related(`${self}/lag-summary`),
    }
  }
  const lagData = (base: string, groupId: string, lag: PartitionLag, owner: Owner) => ({
    kind: 'KafkaConsumerLag',
    metadata: {
      self: `${groupsUrl(base)}/${encodeURIComponent(groupId)}/lags/${encodeURIComponent(lag.topic)}/partitions/${lag.partition}`,
      resource_name: `crn:///kafka=${id}/consumer-group=${groupId}/lag=${lag.topic}/partition=${lag.partition}`,
    },
    cluster_id: id,
    consumer_group_id: groupId,
    topic_name: lag.topic,
    partition_id: lag.partition,
    current_offset: lag.committedOffset ?? 0,
    log_end_offset: lag.logEndOffset,
    lag: lag.lag,
    ...owner,
  })

  router.add('GET', '/v3/clusters/:cluster/consumer-groups', ({ req, res, params }) => {
    checkCluster(context, params.cluster)
    const base = baseUrl(req)
    sendJson(res, 200, {
      kind: 'KafkaConsumerGroupList',
      metadata: { self: groupsUrl(base), next: null },
      data: bus.listGroups().map((groupId) => groupData(base, bus.group(groupId).describe())),
    })
  })
  router.add('GET', '/v3/clusters/:cluster/consumer-groups/:group', ({ req, res, params }) => {
    checkCluster(context, params.cluster)
    sendJson(res, 200, groupData(baseUrl(req), existing(params.group!).description))
  })
  router.add('GET', '/v3/clusters/:cluster/consumer-groups/:group/lags', async ({ req, res, params }) => {
    checkCluster(context, params.cluster)
    const { description, lag } = existing(params.group!)
    const base = baseUrl(req)
    const byPartition = owners(description)
    const lags = await lag.catch((error: unknown) => Promise.reject(restErrorOf(error, 'v3')))
    sendJson(res, 200, {
      kind: 'KafkaConsumerLagList',
      metadata: { self: `${groupsUrl(base)}/${encodeURIComponent(params.group!)}/lags`, next: null },
      data: lags.map((l) =>
        lagData(base, params.group!, l, byPartition.get(`${l.topic}\u0000${l.partition}`) ?? NO_OWNER),
      ),
    })
  })
  router.add(
    'GET',
    '/v3/clusters/:cluster/consumer-groups/:group/lags/:topic/partitions/:partition',
    async ({ req, res, params }) => {
      checkCluster(context, params.cluster)
      const { description, lag } = existing(params.group!)
      const partition = Number(params.partition)
      const found = (await lag).find((l) => l.topic === params.topic && l.partition === partition)
      if (found === undefined)
        throw new RestError(404, 40403, 'This server does not host this topic-partition.')
      const owner = owners(description).get(`${found.topic}\u0000${found.partition}`) ?? NO_OWNER
      sendJson(res, 200, lagData(baseUrl(req), params.group!, found, owner))
    },
  )
  router.add(
    'GET',
    '/v3/clusters/:cluster/consumer-groups/:group/lag-summary',
    async ({ req, res, params }) => {
      checkCluster(context, params.cluster)
      const groupId = params.group!
      const { description, lag } = existing(groupId)
      const lags = await lag
      const base = baseUrl(req)
      let max: PartitionLag | undefined
      let total = 0
      for (const l of lags) {
        total += l.lag
        if (max === undefined || l.lag > max.lag) max = l
      }
      const owner =
        max === undefined
          ? NO_OWNER
          : (owners(description).get(`${max.topic}\u0000${max.partition}`) ?? NO_OWNER)
      const self = `${groupsUrl(base)}/${encodeURIComponent(groupId)}/lag-summary`
      sendJson(res, 200, {
        kind: 'KafkaConsumerGroupLagSummary',
        metadata: { self, resource_name: `crn:///kafka=${id}/consumer-groups=${groupId}/lag-summary` },
        cluster_id: id,
        consumer_group_id: groupId,
        max_lag_consumer_id: owner.consumer_id,
        max_lag_instance_id: owner.instance_id,
        max_lag_client_id: owner.client_id,
        max_lag_topic_name: max?.topic ?? '',
        max_lag_partition_id: max?.partition ?? 0,
        max_lag: max?.lag ?? 0,
        total_lag: total,
        max_lag_consumer: related(
          `${groupsUrl(base)}/${encodeURIComponent(groupId)}/consumers/${owner.consumer_id}`,
        ),
        max_lag_partition: related(
          `${base}/v3/clusters/${id}/topics/${encodeURIComponent(max?.topic ?? '')}/partitions/${max?.partition ?? 0}`,
        ),
      })
    },
  )
}

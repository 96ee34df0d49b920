import type { ResponseInput } from '../protocol'
import { KafkaErrors } from '../protocol'
import { allowed, type Handler, type RequestContext } from '../server/context'
import { errorCodeOf, OPERATIONS_OMITTED, topicOf, ZERO_UUID } from './common'

type TopicAnswer = NonNullable<ResponseInput<3>['topics']>[number]

/**
 * Metadata: this broker, and the topics asked for (all, for a null list or v0's empty one). A missing
 * topic is created when the request allows it (v4+; always before) and the bus's `autoCreateTopics`
 * is on, as Kafka's `auto.create.topics.enable`. With ACLs, topics the principal may not describe are
 * left out of "all topics" and answered TOPIC_AUTHORIZATION_FAILED when named.
 */
export const metadata: Handler<3> = async (body, context) => {
  const { broker, apiVersion } = context
  const bus = broker.bus
  const all = body.topics === null || (apiVersion === 0 && body.topics.length === 0)
  const topics: TopicAnswer[] = []
  if (all) {
    for (const name of bus.listTopics()) {
      if (allowed(context, 'topic', name, 'describe')) topics.push(describeTopic(context, name))
    }
  } else {
    const autoCreate = apiVersion < 4 || body.allowAutoTopicCreation
    for (const requested of body.topics ?? []) {
      const name = requested.name ?? broker.topicIds.nameOf(requested.topicId)
      if (name === undefined) {
        topics.push({
          errorCode: KafkaErrors.UNKNOWN_TOPIC_ID,
          name: null,
          topicId: requested.topicId,
          partitions: [],
        })
        continue
      }
      if (!allowed(context, 'topic', name, 'describe')) {
        topics.push({ errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED, name, partitions: [] })
        continue
      }
      topics.push(await existingOrCreated(context, name, autoCreate))
    }
  }
  return {
    brokers: [{ nodeId: broker.nodeId, host: broker.host, port: broker.port, rack: null }],
    clusterId: broker.clusterId,
    controllerId: broker.nodeId,
    topics,
    clusterAuthorizedOperations: OPERATIONS_OMITTED,
  }
}

async function existingOrCreated(
  context: RequestContext,
  name: string,
  autoCreate: boolean,
): Promise<TopicAnswer> {
  const bus = context.broker.bus
  if (topicOf(bus, name) !== undefined) return describeTopic(context, name)
  const auto = bus.autoCreateTopics
  if (!autoCreate || auto === false) {
    return { errorCode: KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, partitions: [] }
  }
  if (!allowed(context, 'topic', name, 'create') && !allowed(context, 'cluster', 'kafka-cluster', 'create')) {
    return { errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED, name, partitions: [] }
  }
  try {
    await bus.createTopic(name, { partitions: auto.partitions, ifNotExists: true })
  } catch (error) {
    return { errorCode: errorCodeOf(error), name, topicId: ZERO_UUID, partitions: [] }
  }
  return describeTopic(context, name)
}

function describeTopic(context: RequestContext, name: string): TopicAnswer {
  const nodeId = context.broker.nodeId
  const topic = topicOf(context.broker.bus, name)
  if (topic === undefined) {
    return { errorCode: KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, partitions: [] }
  }
  return {
    errorCode: 0,
    name,
    topicId: context.broker.topicIds.idOf(name),
    isInternal: false,
    partitions: Array.from({ length: topic.partitionCount }, (_, partitionIndex) => ({
      errorCode: 0,
      partitionIndex,
      leaderId: nodeId,
      leaderEpoch: 0,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: OPERATIONS_OMITTED,
  }
}

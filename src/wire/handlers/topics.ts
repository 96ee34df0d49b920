import { KafkaErrors } from '../protocol'
import { allowed, type Handler } from '../server/context'
import {
  errorCodeOf,
  errorMessageOf,
  OPERATIONS_OMITTED,
  partitionOf,
  toBig,
  topicOf,
  ZERO_UUID,
} from './common'
import { describeTopicConfigs, topicOptionsOf } from './topic-configs'

/** Kafka's `num.partitions`: what a CreateTopics with -1 partitions gets. */
const DEFAULT_PARTITIONS = 1

/**
 * CreateTopics: one broker, so a replication factor above 1 is INVALID_REPLICATION_FACTOR and manual
 * assignments are refused (INVALID_REQUEST); configs are the topic configs logbus has (see
 * topic-configs.ts), anything else INVALID_CONFIG. `validateOnly` checks and creates nothing.
 */
export const createTopics: Handler<19> = async (body, context) => {
  const bus = context.broker.bus
  const topics = []
  for (const t of body.topics) {
    const fail = (errorCode: number, errorMessage: string | null = null) => ({
      name: t.name,
      topicId: ZERO_UUID,
      errorCode,
      errorMessage,
      numPartitions: -1,
      replicationFactor: -1,
      configs: null,
    })
    if (
      !allowed(context, 'topic', t.name, 'create') &&
      !allowed(context, 'cluster', 'kafka-cluster', 'create')
    ) {
      topics.push(fail(KafkaErrors.TOPIC_AUTHORIZATION_FAILED))
      continue
    }
    if (t.replicationFactor > 1) {
      topics.push(
        fail(
          KafkaErrors.INVALID_REPLICATION_FACTOR,
          'Replication factor is larger than 1, the number of brokers',
        ),
      )
      continue
    }
    if (t.assignments.length > 0) {
      topics.push(
        fail(KafkaErrors.INVALID_REQUEST, 'Manual replica assignment is not supported by one broker'),
      )
      continue
    }
    try {
      const partitions = t.numPartitions === -1 ? DEFAULT_PARTITIONS : t.numPartitions
      const options = { ...topicOptionsOf(t.configs), partitions }
      if (topicOf(bus, t.name) !== undefined) {
        topics.push(fail(KafkaErrors.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`))
        continue
      }
      if (partitions < 1) {
        topics.push(fail(KafkaErrors.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.'))
        continue
      }
      if (!body.validateOnly) await bus.createTopic(t.name, options)
      topics.push({
        name: t.name,
        topicId: context.broker.topicIds.idOf(t.name),
        errorCode: 0,
        errorMessage: null,
        numPartitions: partitions,
        replicationFactor: 1,
        configs: body.validateOnly ? [] : describeTopicConfigs(bus.topic(t.name).config, null),
      })
    } catch (error) {
      topics.push(fail(errorCodeOf(error), errorMessageOf(error)))
    }
  }
  return { topics }
}

/** DeleteTopics: by name (topic ids are unknown to logbus: UNKNOWN_TOPIC_ID). */
export const deleteTopics: Handler<20> = async (body, context) => {
  const bus = context.broker.bus
  const ids = context.broker.topicIds
  const names: Array<string | null> =
    context.apiVersion >= 6
      ? body.topics.map((t) => t.name ?? ids.nameOf(t.topicId) ?? null)
      : body.topicNames
  const responses = []
  for (const name of names) {
    if (name === null) {
      responses.push({
        name,
        topicId: ZERO_UUID,
        errorCode: KafkaErrors.UNKNOWN_TOPIC_ID,
        errorMessage: null,
      })
      continue
    }
    if (!allowed(context, 'topic', name, 'delete')) {
      responses.push({
        name,
        topicId: ZERO_UUID,
        errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED,
        errorMessage: null,
      })
      continue
    }
    try {
      await bus.deleteTopic(name)
      responses.push({ name, topicId: ids.idOf(name), errorCode: 0, errorMessage: null })
    } catch (error) {
      responses.push({
        name,
        topicId: ZERO_UUID,
        errorCode: errorCodeOf(error),
        errorMessage: errorMessageOf(error),
      })
    }
  }
  return { responses }
}

/** CreatePartitions: grow only (INVALID_PARTITIONS otherwise); no manual assignments. */
export const createPartitions: Handler<37> = async (body, context) => {
  const bus = context.broker.bus
  const results = []
  for (const t of body.topics) {
    if (!allowed(context, 'topic', t.name, 'alter')) {
      results.push({ name: t.name, errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED, errorMessage: null })
      continue
    }
    const topic = topicOf(bus, t.name)
    if (topic === undefined) {
      results.push({ name: t.name, errorCode: KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null })
      continue
    }
    if (t.count <= topic.partitionCount) {
      const errorMessage = `Topic currently has ${topic.partitionCount} partitions, which is higher than or equal to the requested ${t.count}.`
      results.push({ name: t.name, errorCode: KafkaErrors.INVALID_PARTITIONS, errorMessage })
      continue
    }
    try {
      if (!body.validateOnly) await bus.createPartitions(t.name, t.count)
      results.push({ name: t.name, errorCode: 0, errorMessage: null })
    } catch (error) {
      results.push({ name: t.name, errorCode: errorCodeOf(error), errorMessage: errorMessageOf(error) })
    }
  }
  return { results }
}

/** DeleteRecords: moves each partition's log start up to the offset (-1: the high watermark). */
export const deleteRecords: Handler<21> = async (body, context) => {
  const bus = context.broker.bus
  const topics = []
  for (const t of body.topics) {
    const mayDelete = allowed(context, 'topic', t.name, 'delete')
    const partitions = []
    for (const p of t.partitions) {
      const answer = (errorCode: number, lowWatermark = -1) => ({
        partitionIndex: p.partitionIndex,
        lowWatermark: toBig(lowWatermark),
        errorCode,
      })
      if (!mayDelete) {
        partitions.push(answer(KafkaErrors.TOPIC_AUTHORIZATION_FAILED))
        continue
      }
      const found = partitionOf(bus, t.name, p.partitionIndex)
      if (typeof found === 'number') {
        partitions.push(answer(found))
        continue
      }
      try {
        const [result] = await bus.deleteRecords(t.name, [
          { partition: p.partitionIndex, offset: Number(p.offset) },
        ])
        partitions.push(answer(0, result!.lowWatermark))
      } catch (error) {
        partitions.push(answer(errorCodeOf(error)))
      }
    }
    topics.push({ name: t.name, partitions })
  }
  return { topics }
}

/** DescribeCluster: this one broker, also the controller. */
export const describeCluster: Handler<60> = (body, context) => {
  const { nodeId, host, port, clusterId } = context.broker
  if (body.endpointType !== undefined && body.endpointType === 2) {
    return {
      errorCode: KafkaErrors.MISMATCHED_ENDPOINT_TYPE,
      errorMessage: 'Controller endpoints are not served',
      endpointType: body.endpointType,
      clusterId,
      controllerId: -1,
      brokers: [],
    }
  }
  return {
    errorCode: 0,
    errorMessage: null,
    endpointType: 1,
    clusterId,
    controllerId: nodeId,
    brokers: [{ brokerId: nodeId, host, port, rack: null, isFenced: false }],
    clusterAuthorizedOperations: OPERATIONS_OMITTED,
  }
}

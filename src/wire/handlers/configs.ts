import { type Bus, InvalidConfigError } from '../../index'
import { KafkaErrors } from '../protocol'
import { allowed, type Handler, type RequestContext } from '../server/context'
import { errorCodeOf, errorMessageOf, topicOf } from './common'
import { describeTopicConfigs, topicChangesOf } from './topic-configs'

/** Kafka's ConfigResource types. */
const TOPIC = 2
const BROKER = 4

/** IncrementalAlterConfigs' operations. */
const SET = 0
const DELETE = 1

/** DescribeConfigs: a topic's configs (see topic-configs.ts); a broker has none logbus reports. */
export const describeConfigs: Handler<32> = (body, context) => ({
  results: body.resources.map((resource) => {
    const base = {
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
      errorMessage: null,
    }
    if (resource.resourceType === BROKER) return { ...base, errorCode: 0, configs: [] }
    if (resource.resourceType !== TOPIC)
      return { ...base, errorCode: KafkaErrors.INVALID_REQUEST, configs: [] }
    if (!allowed(context, 'topic', resource.resourceName, 'describe')) {
      return { ...base, errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED, configs: [] }
    }
    const topic = topicOf(context.broker.bus, resource.resourceName)
    if (topic === undefined)
      return { ...base, errorCode: KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION, configs: [] }
    return { ...base, errorCode: 0, configs: describeTopicConfigs(topic.config, resource.configurationKeys) }
  }),
})

/**
 * AlterConfigs: replaces a topic's alterable configs; one not named goes back to unlimited, as
 * Kafka's non-incremental AlterConfigs resets what it does not list.
 */
export const alterConfigs: Handler<33> = async (body, context) => {
  const responses = []
  for (const resource of body.resources) {
    const given = new Set(resource.configs.map((c) => c.name))
    const configs = [
      ...resource.configs,
      ...['retention.ms', 'retention.bytes']
        .filter((n) => !given.has(n))
        .map((name) => ({ name, value: null })),
    ]
    responses.push(await alter(context, resource, configs, body.validateOnly))
  }
  return { responses }
}

/** IncrementalAlterConfigs: SET and DELETE on a topic's alterable configs (APPEND/SUBTRACT: lists only). */
export const incrementalAlterConfigs: Handler<44> = async (body, context) => {
  const responses = []
  for (const resource of body.resources) {
    const unsupported = resource.configs.find(
      (c) => c.configOperation !== SET && c.configOperation !== DELETE,
    )
    if (unsupported !== undefined) {
      responses.push({
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        errorCode: KafkaErrors.INVALID_CONFIG,
        errorMessage: `${unsupported.name} is not a list: APPEND and SUBTRACT do not apply`,
      })
      continue
    }
    const configs = resource.configs.map((c) => ({
      name: c.name,
      value: c.configOperation === DELETE ? null : c.value,
    }))
    responses.push(await alter(context, resource, configs, body.validateOnly))
  }
  return { responses }
}

async function alter(
  context: RequestContext,
  resource: { resourceType: number; resourceName: string },
  configs: ReadonlyArray<{ name: string; value: string | null }>,
  validateOnly: boolean,
) {
  const base = { resourceType: resource.resourceType, resourceName: resource.resourceName }
  const bus: Bus = context.broker.bus
  if (resource.resourceType !== TOPIC) {
    return {
      ...base,
      errorCode: KafkaErrors.INVALID_REQUEST,
      errorMessage: 'Only topic configs can be altered',
    }
  }
  if (!allowed(context, 'topic', resource.resourceName, 'alter')) {
    return { ...base, errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED, errorMessage: null }
  }
  if (topicOf(bus, resource.resourceName) === undefined) {
    return { ...base, errorCode: KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null }
  }
  try {
    const changes = topicChangesOf(configs)
    if (!validateOnly) await bus.alterTopicConfig(resource.resourceName, changes as never)
    return { ...base, errorCode: 0, errorMessage: null }
  } catch (error) {
    const errorCode = error instanceof InvalidConfigError ? KafkaErrors.INVALID_CONFIG : errorCodeOf(error)
    return { ...base, errorCode, errorMessage: errorMessageOf(error) }
  }
}

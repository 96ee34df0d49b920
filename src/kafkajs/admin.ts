import { type Bus, validateTopicName } from '../index'
import { describeBrokerConfigs } from './broker-configs'
import {
  type ClientContext,
  clusterState,
  findTopic,
  partitionMetadata,
  type ResolvedRetry,
  resolveRetry,
  withRetries,
} from './cluster'
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  EARLIEST_OFFSET,
  LATEST_OFFSET,
  ResourcePatternTypes,
} from './constants'
import { describeGroupOf } from './consumer'
import {
  KafkaJSAggregateError,
  KafkaJSBrokerNotFound,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  type KafkaJSDeleteTopicRecordsErrorPartition,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSProtocolError,
  protocolError,
  toKafkaJSError,
} from './errors'
import { Instrumentation } from './instrumentation'
import { KeepAlive } from './keep-alive'
import { describeTopicConfigs, parseTopicConfigs, replacementConfig } from './topic-configs'
import type {
  AclEntry,
  AclFilter,
  Admin,
  AdminConfig,
  AdminEventPayloads,
  AdminEvents,
  AlterConfigResponse,
  ConfigEntries,
  DeleteAclResponse,
  DeleteGroupsResult,
  DescribeAclResource,
  DescribeAclResponse,
  DescribeConfigResponse,
  FetchOffsetsPartition,
  GroupDescriptions,
  GroupOverview,
  IResourceConfig,
  ITopicConfig,
  ITopicMetadata,
  ITopicPartitionConfig,
  ListPartitionReassignmentsResponse,
  Logger,
  PartitionReassignment,
  RemoveInstrumentationEventListener,
  ResourceConfigQuery,
  SeekEntry,
  TopicPartitions,
} from './types'

const ADMIN_EVENTS: AdminEvents = {
  CONNECT: 'admin.connect',
  DISCONNECT: 'admin.disconnect',
  REQUEST: 'admin.network.request',
  REQUEST_TIMEOUT: 'admin.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size',
}

const CONFIG_TYPES: readonly number[] = Object.values(ConfigResourceTypes)

function unique<T>(values: readonly T[]): boolean {
  return new Set(values).size === values.length
}

function parseSignedOffset(offset: unknown): number {
  const text = String(offset).trim()
  if (!/^-?\d+$/.test(text)) throw new KafkaJSNonRetriableError(`Invalid offset ${String(offset)}`)
  return Number(text)
}

/** The topic, or KafkaJS's error for a topic the broker does not have. */
function requireTopic(bus: Bus, name: string) {
  const topic = findTopic(bus, name)
  if (topic === undefined) throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${name}"`)
  return topic
}

function matchesName(acl: AclEntry, filter: AclFilter): boolean {
  const name = filter.resourceName
  switch (filter.resourcePatternType) {
    case ResourcePatternTypes.ANY:
      return name == null || acl.resourceName === name
    case ResourcePatternTypes.MATCH:
      if (name == null) return true
      if (acl.resourcePatternType === ResourcePatternTypes.LITERAL) {
        return acl.resourceName === name || acl.resourceName === '*'
      }
      return acl.resourcePatternType === ResourcePatternTypes.PREFIXED && name.startsWith(acl.resourceName)
    default:
      return (
        acl.resourcePatternType === filter.resourcePatternType && (name == null || acl.resourceName === name)
      )
  }
}

/** Kafka's ACL filter matching (ANY matches anything; MATCH matches literal, wildcard and prefixed ACLs). */
function aclMatches(acl: AclEntry, filter: AclFilter): boolean {
  return (
    (filter.resourceType === AclResourceTypes.ANY || acl.resourceType === filter.resourceType) &&
    matchesName(acl, filter) &&
    (filter.principal == null || acl.principal === filter.principal) &&
    (filter.host == null || acl.host === filter.host) &&
    (filter.operation === AclOperationTypes.ANY || acl.operation === filter.operation) &&
    (filter.permissionType === AclPermissionTypes.ANY || acl.permissionType === filter.permissionType)
  )
}

function checkAclFields(entries: ReadonlyArray<Partial<AclFilter>>, required: boolean, what: string): void {
  const optional = (value: unknown) => typeof value === 'string' || (!required && value === undefined)
  if (entries.some(({ principal }) => !optional(principal))) {
    throw new KafkaJSNonRetriableError(`Invalid ${what}, the principals have to be a valid string`)
  }
  if (entries.some(({ host }) => !optional(host))) {
    throw new KafkaJSNonRetriableError(`Invalid ${what}, the hosts have to be a valid string`)
  }
  if (entries.some(({ resourceName }) => !optional(resourceName))) {
    throw new KafkaJSNonRetriableError(`Invalid ${what}, the resourceNames have to be a valid string`)
  }
  const checks: Array<[keyof AclFilter, readonly number[], string]> = [
    ['operation', Object.values(AclOperationTypes), 'operation type'],
    ['resourcePatternType', Object.values(ResourcePatternTypes), 'resource pattern type'],
    ['permissionType', Object.values(AclPermissionTypes), 'permission type'],
    ['resourceType', Object.values(AclResourceTypes), 'resource type'],
  ]
  for (const [field, valid, label] of checks) {
    const invalid = entries.find((entry) => !valid.includes(entry[field] as number))
    if (invalid !== undefined) {
      throw new KafkaJSNonRetriableError(
        `Invalid ${label} ${String(invalid[field])}: ${JSON.stringify(invalid)}`,
      )
    }
  }
}

/**
 * The facade's admin client: KafkaJS's `Admin` over the bus. There is one broker, node 0, which leads
 * and replicates every partition.
 */
export class KafkaJSAdmin implements Admin {
  readonly events: AdminEvents = ADMIN_EVENTS
  readonly #ctx: ClientContext
  readonly #logger: Logger
  readonly #emitter: Instrumentation<AdminEventPayloads>
  readonly #retry: ResolvedRetry
  readonly #alive = new KeepAlive()
  /** The bus, once known: its clock times retries and events. */
  #bus: Bus | undefined

  constructor(ctx: ClientContext, config: AdminConfig) {
    this.#ctx = ctx
    this.#logger = ctx.logger.namespace('Admin')
    this.#emitter = new Instrumentation<AdminEventPayloads>(
      ADMIN_EVENTS,
      'admin',
      this.#logger,
      () => this.#bus?.clock.now() ?? Date.now(),
    )
    this.#retry = resolveRetry(ctx.retry, config?.retry)
  }

  async connect(): Promise<void> {
    this.#alive.hold(await this.#busOf())
    this.#emitter.emit('admin.connect', null)
  }

  async disconnect(): Promise<void> {
    this.#alive.release()
    this.#emitter.emit('admin.disconnect', null)
  }

  on<E extends keyof AdminEventPayloads>(
    eventName: E,
    listener: (event: AdminEventPayloads[E]) => void,
  ): RemoveInstrumentationEventListener<E> {
    return this.#emitter.on(eventName, listener)
  }

  logger(): Logger {
    return this.#logger
  }

  async listTopics(): Promise<string[]> {
    return (await this.#busOf()).listTopics()
  }

  async createTopics({
    topics,
    validateOnly = false,
  }: {
    validateOnly?: boolean
    waitForLeaders?: boolean
    timeout?: number
    topics: ITopicConfig[]
  }): Promise<boolean> {
    if (!topics || !Array.isArray(topics))
      throw new KafkaJSNonRetriableError(`Invalid topics array ${String(topics)}`)
    if (topics.some(({ topic }) => typeof topic !== 'string')) {
      throw new KafkaJSNonRetriableError('Invalid topics array, the topic names have to be a valid string')
    }
    if (!unique(topics.map(({ topic }) => topic))) {
      throw new KafkaJSNonRetriableError(
        'Invalid topics array, it cannot have multiple entries for the same topic',
      )
    }
    for (const { topic, configEntries } of topics) {
      if (configEntries == null) continue
      if (!Array.isArray(configEntries)) {
        throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${topic}", must be an array`)
      }
      configEntries.forEach((entry, index) => {
        if (typeof entry !== 'object' || entry == null) {
          throw new KafkaJSNonRetriableError(
            `Invalid configEntries for topic "${topic}". Entry ${index} must be an object`,
          )
        }
        for (const property of ['name', 'value'] as const) {
          if (!Object.hasOwn(entry, property) || typeof entry[property] !== 'string') {
            throw new KafkaJSNonRetriableError(
              `Invalid configEntries for topic "${topic}". Entry ${index} must have a valid "${property}" property`,
            )
          }
        }
      })
    }
    const bus = await this.#busOf()
    const errors: KafkaJSCreateTopicError[] = []
    for (const spec of topics) {
      try {
        await this.#createTopic(bus, spec, validateOnly)
      } catch (error) {
        const mapped = toKafkaJSError(error)
        errors.push(new KafkaJSCreateTopicError(mapped, spec.topic))
      }
    }
    if (errors.length === 0) return true
    if (errors.every((e) => e.type === 'TOPIC_ALREADY_EXISTS')) return false
    throw new KafkaJSAggregateError(
      'Topic creation errors',
      errors.sort((a, b) => a.topic.localeCompare(b.topic)),
    )
  }

  async deleteTopics({ topics }: { topics: string[]; timeout?: number }): Promise<void> {
    if (!topics || !Array.isArray(topics))
      throw new KafkaJSNonRetriableError(`Invalid topics array ${String(topics)}`)
    if (topics.some((topic) => typeof topic !== 'string')) {
      throw new KafkaJSNonRetriableError('Invalid topics array, the names must be a valid string')
    }
    const bus = await this.#busOf()
    const deleted = new Set<string>()
    // KafkaJS retries UNKNOWN_TOPIC_OR_PARTITION (another client may be creating the topic).
    await withRetries(bus.clock, this.#retry, async () => {
      let unknown: string | undefined
      for (const topic of topics) {
        if (deleted.has(topic)) continue
        if (findTopic(bus, topic) === undefined) {
          unknown ??= topic
          continue
        }
        await bus.deleteTopic(topic).catch((error: unknown) => Promise.reject(toKafkaJSError(error)))
        clusterState(bus).extraTopicConfigs.delete(topic)
        deleted.add(topic)
      }
      if (unknown !== undefined) throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${unknown}"`)
    })
  }

  async createPartitions({
    topicPartitions,
    validateOnly = false,
  }: {
    validateOnly?: boolean
    timeout?: number
    topicPartitions: ITopicPartitionConfig[]
  }): Promise<boolean> {
    if (!topicPartitions || !Array.isArray(topicPartitions)) {
      throw new KafkaJSNonRetriableError(`Invalid topic partitions array ${String(topicPartitions)}`)
    }
    if (topicPartitions.length === 0) throw new KafkaJSNonRetriableError('Empty topic partitions array')
    if (topicPartitions.some(({ topic }) => typeof topic !== 'string')) {
      throw new KafkaJSNonRetriableError(
        'Invalid topic partitions array, the topic names have to be a valid string',
      )
    }
    if (!unique(topicPartitions.map(({ topic }) => topic))) {
      throw new KafkaJSNonRetriableError(
        'Invalid topic partitions array, it cannot have multiple entries for the same topic',
      )
    }
    const bus = await this.#busOf()
    let first: Error | undefined
    for (const { topic, count } of [...topicPartitions].sort((a, b) => a.topic.localeCompare(b.topic))) {
      try {
        if (!validateOnly) {
          await bus.createPartitions(topic, count)
          continue
        }
        // Kafka's validateOnly: the core's checks, without growing the topic.
        const found = requireTopic(bus, topic)
        if (!Number.isInteger(count) || count <= found.partitionCount) {
          throw protocolError(
            'INVALID_PARTITIONS',
            `topic "${topic}" has ${found.partitionCount} partitions; the new count must be larger, got ${String(count)}`,
          )
        }
      } catch (error) {
        first ??= toKafkaJSError(error)
      }
    }
    if (first !== undefined) throw first
    return true
  }

  async fetchTopicMetadata({ topics = [] }: { topics: string[] } = { topics: [] }): Promise<{
    topics: Array<ITopicMetadata>
  }> {
    for (const topic of topics ?? []) {
      if (!topic || typeof topic !== 'string')
        throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`)
    }
    const bus = await this.#busOf()
    const names = topics && topics.length > 0 ? topics : bus.listTopics()
    return {
      topics: names.map((name) => ({
        name,
        partitions: partitionMetadata(requireTopic(bus, name).partitionCount),
      })),
    }
  }

  async fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>> {
    if (!topic || typeof topic !== 'string')
      throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`)
    const bus = await this.#busOf()
    return withRetries(bus.clock, this.#retry, async () =>
      requireTopic(bus, topic).partitions.map((p) => ({
        partition: p.partition,
        offset: String(p.logEndOffset),
        high: String(p.logEndOffset),
        low: String(p.logStartOffset),
      })),
    )
  }

  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<Array<SeekEntry>> {
    if (!topic || typeof topic !== 'string')
      throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`)
    const bus = await this.#busOf()
    return withRetries(bus.clock, this.#retry, async () => {
      const found = requireTopic(bus, topic)
      const result: SeekEntry[] = []
      for (const p of found.partitions) {
        const offset = timestamp == null ? null : await p.offsetForTimestamp(timestamp)
        result.push({ partition: p.partition, offset: String(offset ?? p.logEndOffset) })
      }
      return result
    })
  }

  async fetchOffsets({
    groupId,
    topics,
    resolveOffsets = false,
  }: {
    groupId: string
    topics?: string[]
    resolveOffsets?: boolean
  }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>> {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`)
    const wanted = topics ?? []
    if (!Array.isArray(wanted)) throw new KafkaJSNonRetriableError('Expected topics array to be set')
    const bus = await this.#busOf()
    const group = bus.group(groupId)
    let result: Array<{ topic: string; partitions: FetchOffsetsPartition[] }>
    if (wanted.length === 0) {
      // Every topic the group committed offsets for, as Kafka's OffsetFetch without topics.
      const byTopic = new Map<string, FetchOffsetsPartition[]>()
      for (const { topic, partition, offset } of group.committedOffsets()) {
        let list = byTopic.get(topic)
        if (list === undefined) {
          list = []
          byTopic.set(topic, list)
        }
        list.push({ partition, offset: String(offset), metadata: null })
      }
      result = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
    } else {
      result = wanted.map((topic) => ({
        topic,
        partitions: requireTopic(bus, topic).partitions.map((p) => ({
          partition: p.partition,
          offset: String(group.committedOffset(topic, p.partition) ?? -1),
          metadata: null,
        })),
      }))
    }
    if (!resolveOffsets) return result
    const resolved: Array<{ topic: string; partitions: FetchOffsetsPartition[] }> = []
    for (const { topic, partitions } of result) {
      const found = requireTopic(bus, topic)
      const recalculated = partitions.map((entry) => {
        const p = found.partition(entry.partition)
        const offset = Number(entry.offset)
        if (offset === EARLIEST_OFFSET) return { ...entry, offset: String(p.logStartOffset) }
        if (offset === LATEST_OFFSET) return { ...entry, offset: String(p.logEndOffset) }
        return entry
      })
      await this.setOffsets({ groupId, topic, partitions: recalculated })
      resolved.push({ topic, partitions: recalculated })
    }
    return resolved
  }

  async setOffsets({
    groupId,
    topic,
    partitions,
  }: {
    groupId: string
    topic: string
    partitions: SeekEntry[]
  }): Promise<void> {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`)
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`)
    if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions')
    const bus = await this.#busOf()
    const group = this.#idleGroup(bus, groupId)
    const found = requireTopic(bus, topic)
    const offsets = partitions.map(({ partition, offset }) => {
      const p = found.partitions[partition]
      if (p === undefined)
        throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${partition} of topic "${topic}"`)
      const value = parseSignedOffset(offset)
      const resolved =
        value === EARLIEST_OFFSET ? p.logStartOffset : value === LATEST_OFFSET ? p.logEndOffset : value
      if (resolved < 0) throw new KafkaJSNonRetriableError('Offset must not be a negative number')
      return { topic, partition, offset: resolved }
    })
    await group.setOffsets(offsets).catch((error: unknown) => Promise.reject(toKafkaJSError(error)))
  }

  async resetOffsets({
    groupId,
    topic,
    earliest = false,
  }: {
    groupId: string
    topic: string
    earliest: boolean
  }): Promise<void> {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`)
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`)
    const bus = await this.#busOf()
    const found = requireTopic(bus, topic)
    await this.setOffsets({
      groupId,
      topic,
      partitions: found.partitions.map((p) => ({
        partition: p.partition,
        offset: String(earliest ? EARLIEST_OFFSET : LATEST_OFFSET),
      })),
    })
  }

  async describeConfigs({
    resources,
    includeSynonyms = false,
  }: {
    resources: ResourceConfigQuery[]
    includeSynonyms: boolean
  }): Promise<DescribeConfigResponse> {
    this.#checkResources(resources)
    const invalidConfigs = resources.find((r) => !Array.isArray(r.configNames) && r.configNames != null)
    if (invalidConfigs !== undefined) {
      throw new KafkaJSNonRetriableError(
        `Invalid resource configNames ${String(invalidConfigs.configNames)}: ${JSON.stringify(invalidConfigs)}`,
      )
    }
    const bus = await this.#busOf()
    const brokers = await this.#ctx.brokers()
    const extras = clusterState(bus).extraTopicConfigs
    return {
      throttleTime: 0,
      resources: resources.map(({ type, name, configNames }) => {
        let configEntries: ConfigEntries[]
        if (type === ConfigResourceTypes.BROKER) {
          // The one broker is node 0; '' asks for the cluster-wide defaults, as in Kafka.
          if (name !== '0' && name !== '') throw new KafkaJSBrokerNotFound(`Broker ${name} not found`)
          configEntries = describeBrokerConfigs(
            { listener: brokers[0] ?? 'localhost:9092', numPartitions: this.#ctx.numPartitions },
            configNames,
            includeSynonyms,
          )
        } else {
          this.#topicResourceOnly(type, 'describeConfigs')
          configEntries = describeTopicConfigs(
            requireTopic(bus, name),
            extras.get(name),
            configNames,
            includeSynonyms,
          )
        }
        return { errorCode: 0, errorMessage: '', resourceType: type, resourceName: name, configEntries }
      }),
    }
  }

  async alterConfigs({
    resources,
    validateOnly = false,
  }: {
    validateOnly: boolean
    resources: IResourceConfig[]
  }): Promise<AlterConfigResponse> {
    this.#checkResources(resources)
    const invalidConfigs = resources.find((r) => !Array.isArray(r.configEntries))
    if (invalidConfigs !== undefined) {
      throw new KafkaJSNonRetriableError(
        `Invalid resource configEntries ${String(invalidConfigs.configEntries)}: ${JSON.stringify(invalidConfigs)}`,
      )
    }
    const invalidValue = resources.find((r) =>
      r.configEntries.some((e) => typeof e.name !== 'string' || typeof e.value !== 'string'),
    )
    if (invalidValue !== undefined) {
      throw new KafkaJSNonRetriableError(`Invalid resource config value: ${JSON.stringify(invalidValue)}`)
    }
    const bus = await this.#busOf()
    const extras = clusterState(bus).extraTopicConfigs
    // Everything is checked before anything changes.
    const changes = resources.map(({ type, name, configEntries }) => {
      this.#topicResourceOnly(type, 'alterConfigs')
      const topic = requireTopic(bus, name)
      const parsed = parseTopicConfigs(configEntries)
      return { name, type, config: replacementConfig(topic, parsed), extras: parsed.extras }
    })
    if (!validateOnly) {
      for (const change of changes) {
        await bus
          .alterTopicConfig(change.name, change.config)
          .catch((error: unknown) => Promise.reject(toKafkaJSError(error)))
        extras.set(change.name, change.extras)
      }
    }
    return {
      throttleTime: 0,
      resources: changes.map(({ name, type }) => ({
        errorCode: 0,
        errorMessage: '',
        resourceName: name,
        resourceType: type,
      })),
    }
  }

  async listGroups(): Promise<{ groups: GroupOverview[] }> {
    const bus = await this.#busOf()
    return { groups: bus.listGroups().map((groupId) => ({ groupId, protocolType: 'consumer' })) }
  }

  async describeGroups(groupIds: string[]): Promise<GroupDescriptions> {
    const bus = await this.#busOf()
    return { groups: (groupIds ?? []).map((groupId) => describeGroupOf(bus, groupId)) }
  }

  async deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]> {
    if (!groupIds || !Array.isArray(groupIds)) {
      throw new KafkaJSNonRetriableError(`Invalid groupIds array ${String(groupIds)}`)
    }
    if (groupIds.some((g) => typeof g !== 'string')) {
      throw new KafkaJSNonRetriableError(`Invalid groupId name: ${JSON.stringify(groupIds)}`)
    }
    const bus = await this.#busOf()
    const results: DeleteGroupsResult[] = []
    const failures: Array<{ groupId: string; errorCode: number; error: KafkaJSProtocolError }> = []
    for (const groupId of groupIds) {
      try {
        await bus.group(groupId).delete()
        results.push({ groupId, errorCode: 0 })
      } catch (caught) {
        const error = toKafkaJSError(caught)
        const protocol =
          error instanceof KafkaJSProtocolError ? error : protocolError('UNKNOWN', error.message)
        failures.push({ groupId, errorCode: protocol.code, error: protocol })
      }
    }
    if (failures.length > 0) throw new KafkaJSDeleteGroupsError('Error in DeleteGroups', failures)
    return results
  }

  async deleteTopicRecords({ topic, partitions }: { topic: string; partitions: SeekEntry[] }): Promise<void> {
    if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic "${topic}"`)
    if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions')
    const bus = await this.#busOf()
    const found = requireTopic(bus, topic)
    const missing: KafkaJSDeleteTopicRecordsErrorPartition[] = []
    const failed: KafkaJSDeleteTopicRecordsErrorPartition[] = []
    const deletions: Array<{ partition: number; offset: number }> = []
    for (const { partition, offset } of partitions) {
      const p = found.partitions[partition]
      if (p === undefined) {
        missing.push({
          partition,
          offset,
          error: new KafkaJSBrokerNotFound('Could not find the leader for the partition', {
            retriable: false,
          }),
        })
        continue
      }
      const value = parseSignedOffset(offset)
      const target = value === -1 ? p.logEndOffset : value
      if (target < p.logStartOffset) {
        this.#logger.warn(
          'The requested offset is before the earliest offset maintained on the partition - no records will be deleted from this partition',
          { topic, partition, offset },
        )
        continue
      }
      if (target > p.logEndOffset) {
        failed.push({
          partition,
          offset,
          error: protocolError(
            'OFFSET_OUT_OF_RANGE',
            `offset ${offset} is past the end of ${topic}-${partition}`,
          ),
        })
        continue
      }
      deletions.push({ partition, offset: target })
    }
    if (missing.length > 0) throw new KafkaJSDeleteTopicRecordsError({ topic, partitions: missing })
    if (deletions.length > 0) {
      await bus
        .deleteRecords(topic, deletions)
        .catch((error: unknown) => Promise.reject(toKafkaJSError(error)))
    }
    if (failed.length > 0) throw new KafkaJSDeleteTopicRecordsError({ topic, partitions: failed })
  }

  async describeCluster(): Promise<{
    brokers: Array<{ nodeId: number; host: string; port: number }>
    controller: number | null
    clusterId: string
  }> {
    const bus = await this.#busOf()
    const [first] = await this.#ctx.brokers()
    const match = /^(.*?)(?::(\d+))?$/.exec(first ?? '')
    const host = match?.[1] || 'localhost'
    const port = match?.[2] === undefined ? 9092 : Number(match[2])
    return { brokers: [{ nodeId: 0, host, port }], controller: 0, clusterId: clusterState(bus).clusterId }
  }

  async createAcls({ acl }: { acl: AclEntry[] }): Promise<boolean> {
    if (!acl || !Array.isArray(acl)) throw new KafkaJSNonRetriableError(`Invalid ACL array ${String(acl)}`)
    if (acl.length === 0) throw new KafkaJSNonRetriableError('Empty ACL array')
    checkAclFields(acl, true, 'ACL array')
    const acls = clusterState(await this.#busOf()).acls
    for (const entry of acl) {
      const exists = acls.some((a) => JSON.stringify(a) === JSON.stringify(entry))
      if (!exists) acls.push({ ...entry })
    }
    return true
  }

  async describeAcls(filter: AclFilter): Promise<DescribeAclResponse> {
    checkAclFields([filter ?? ({} as AclFilter)], false, 'ACL filter')
    const acls = clusterState(await this.#busOf()).acls.filter((acl) => aclMatches(acl, filter))
    const resources = new Map<string, DescribeAclResource>()
    for (const { principal, host, operation, permissionType, ...resource } of acls) {
      const key = JSON.stringify(resource)
      let entry = resources.get(key)
      if (entry === undefined) {
        entry = { ...resource, acls: [] }
        resources.set(key, entry)
      }
      entry.acls.push({ principal, host, operation, permissionType })
    }
    return { throttleTime: 0, errorCode: 0, resources: [...resources.values()] }
  }

  async deleteAcls({ filters }: { filters: AclFilter[] }): Promise<DeleteAclResponse> {
    if (!filters || !Array.isArray(filters)) {
      throw new KafkaJSNonRetriableError(`Invalid ACL Filter array ${String(filters)}`)
    }
    if (filters.length === 0) throw new KafkaJSNonRetriableError('Empty ACL Filter array')
    checkAclFields(filters, false, 'ACL Filter array')
    const acls = clusterState(await this.#busOf()).acls
    const filterResponses = filters.map((filter) => {
      const matching = acls.filter((acl) => aclMatches(acl, filter))
      for (const acl of matching) acls.splice(acls.indexOf(acl), 1)
      return {
        errorCode: 0,
        matchingAcls: matching.map((acl) => ({ errorCode: 0, ...acl })),
      }
    })
    return { throttleTime: 0, filterResponses }
  }

  async alterPartitionReassignments({
    topics,
  }: {
    topics: PartitionReassignment[]
    timeout?: number
  }): Promise<void> {
    if (!topics || !Array.isArray(topics))
      throw new KafkaJSNonRetriableError(`Invalid topics array ${String(topics)}`)
    if (topics.some(({ topic }) => typeof topic !== 'string')) {
      throw new KafkaJSNonRetriableError('Invalid topics array, the topic names have to be a valid string')
    }
    if (!unique(topics.map(({ topic }) => topic))) {
      throw new KafkaJSNonRetriableError(
        'Invalid topics array, it cannot have multiple entries for the same topic',
      )
    }
    const bus = await this.#busOf()
    for (const { topic, partitionAssignment } of topics) {
      if (!partitionAssignment || !Array.isArray(partitionAssignment)) {
        throw new KafkaJSNonRetriableError(
          `Invalid partitions array: ${String(partitionAssignment)} for topic: ${topic}`,
        )
      }
      const found = requireTopic(bus, topic)
      for (const { partition, replicas } of partitionAssignment) {
        if (typeof partition !== 'number' || partition < 0) {
          throw new KafkaJSNonRetriableError(
            `Invalid partitions index: ${String(partition)} for topic: ${topic}`,
          )
        }
        if (!replicas || !Array.isArray(replicas)) {
          throw new KafkaJSNonRetriableError(
            `Invalid replica assignment: ${String(replicas)} for topic: ${topic} on partition: ${partition}`,
          )
        }
        if (partition >= found.partitionCount) {
          throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${partition} of topic "${topic}"`)
        }
        // One broker, node 0: the only assignment there can be is the one there is.
        if (replicas.some((replica) => replica !== 0)) {
          throw protocolError(
            'INVALID_REPLICA_ASSIGNMENT',
            `the only broker is node 0, got replicas ${replicas.join(',')}`,
          )
        }
      }
    }
  }

  async listPartitionReassignments({
    topics = null,
  }: {
    topics?: TopicPartitions[] | null
    timeout?: number
  }): Promise<ListPartitionReassignmentsResponse> {
    if (topics) {
      if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${String(topics)}`)
      if (topics.some(({ topic }) => typeof topic !== 'string')) {
        throw new KafkaJSNonRetriableError('Invalid topics array, the topic names have to be a valid string')
      }
    }
    return { topics: [] }
  }

  async #busOf(): Promise<Bus> {
    this.#bus = await this.#ctx.bus()
    return this.#bus
  }

  async #createTopic(bus: Bus, spec: ITopicConfig, validateOnly: boolean): Promise<void> {
    const { topic, numPartitions, replicationFactor, replicaAssignment, configEntries } = spec
    if (replicationFactor !== undefined && replicationFactor !== -1 && replicationFactor < 1) {
      throw protocolError('INVALID_REPLICATION_FACTOR', `replication factor ${replicationFactor}`)
    }
    let partitions = this.#ctx.numPartitions
    if (replicaAssignment !== undefined && replicaAssignment.length > 0) partitions = replicaAssignment.length
    else if (numPartitions !== undefined && numPartitions !== -1) partitions = numPartitions
    const parsed = parseTopicConfigs(configEntries)
    if (validateOnly) {
      // Kafka's validateOnly: the checks the core makes when it creates a topic, without creating it.
      validateTopicName(topic)
      if (findTopic(bus, topic) !== undefined) throw protocolError('TOPIC_ALREADY_EXISTS', `topic "${topic}"`)
      if (!Number.isInteger(partitions) || partitions < 1) {
        throw protocolError('INVALID_PARTITIONS', `number of partitions ${String(numPartitions)}`)
      }
      return
    }
    await bus.createTopic(topic, { partitions, ...parsed.options })
    if (parsed.extras.size > 0) clusterState(bus).extraTopicConfigs.set(topic, parsed.extras)
  }

  #checkResources(resources: ReadonlyArray<{ type: number; name: string }>): void {
    if (!resources || !Array.isArray(resources)) {
      throw new KafkaJSNonRetriableError(`Invalid resources array ${String(resources)}`)
    }
    if (resources.length === 0) throw new KafkaJSNonRetriableError('Resources array cannot be empty')
    const invalidType = resources.find((r) => !CONFIG_TYPES.includes(r.type))
    if (invalidType !== undefined) {
      throw new KafkaJSNonRetriableError(
        `Invalid resource type ${invalidType.type}: ${JSON.stringify(invalidType)}`,
      )
    }
    const invalidName = resources.find((r) => !r.name || typeof r.name !== 'string')
    if (invalidName !== undefined) {
      throw new KafkaJSNonRetriableError(
        `Invalid resource name ${invalidName.name}: ${JSON.stringify(invalidName)}`,
      )
    }
  }

  #topicResourceOnly(type: number, method: string): void {
    if (type !== ConfigResourceTypes.TOPIC) {
      throw new KafkaJSNotImplemented(
        `logbus/kafkajs: ${method} supports topic resources${method === 'describeConfigs' ? ' and the broker' : ''} only`,
      )
    }
  }

  /** KafkaJS only moves a group's offsets while it has no running member. */
  #idleGroup(bus: Bus, groupId: string) {
    const group = bus.group(groupId)
    const state = group.describe().state
    if (state !== 'Empty' && state !== 'Dead') {
      throw new KafkaJSNonRetriableError(
        `The consumer group must have no running instances, current state: ${state}`,
      )
    }
    return group
  }
}

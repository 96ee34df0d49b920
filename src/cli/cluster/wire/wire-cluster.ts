import { InvalidConfigError, UnknownTopicError } from '../../../index'
import {
  ApiKeys,
  type BrokerConnection,
  KafkaClient,
  type KafkaClientOptions,
  KafkaErrors,
  throwIfError,
  ZERO_UUID,
} from '../../../wire'
import { CliError, ExitCode, UsageError } from '../../cli-error'
import {
  type AlterTopicChanges,
  type Cluster,
  type ClusterProducer,
  type ConsumeSpec,
  type ConsumeSummary,
  type CreateTopicOptions,
  type GroupListing,
  type GroupReport,
  KAFKA_CONFIG_NAMES,
  type KafkaConfigs,
  type OffsetChange,
  type RecordSink,
  type ResetSpec,
  type TopicDescription,
} from '../cluster'
import { wireConsume } from './consumer'
import { deleteGroup, describeGroup, listGroups, resetOffsets } from './groups'
import { BROKER_TIMEOUT_MS, EARLIEST, LATEST, listOffsets, logSizes } from './offsets'
import { wireProducer } from './producer'

/** Kafka's ConfigResource type of a topic, and IncrementalAlterConfigs' SET. */
const TOPIC_RESOURCE = 2
const SET = 0

/** One config as DescribeConfigs answers it. */
export interface DescribedConfig {
  value: string | null
  readOnly: boolean
}

/**
 * The `--bootstrap-server` backend: the same commands over Kafka's wire protocol, to a `logbus serve`
 * or a Kafka cluster (`KafkaClient` from `logbus/wire`). Admin requests go to the controller (any
 * broker forwards them in KRaft), partition requests to each partition's leader, group requests to the
 * group's coordinator.
 */
export class WireCluster implements Cluster {
  readonly #client: KafkaClient
  #admin: Promise<BrokerConnection> | undefined

  private constructor(client: KafkaClient) {
    this.#client = client
  }

  /** Connects to `host:port` (or a comma-separated list); a UsageError for an address that is not one. */
  static async connect(
    bootstrapServers: string,
    options: Omit<KafkaClientOptions, 'bootstrapServers'> = {},
  ): Promise<WireCluster> {
    try {
      return new WireCluster(
        await KafkaClient.connect({ clientId: 'logbus-cli', ...options, bootstrapServers }),
      )
    } catch (error) {
      if (error instanceof InvalidConfigError && error.field === 'bootstrapServers') {
        throw new UsageError(`--bootstrap-server takes host:port, not "${bootstrapServers}"`)
      }
      throw error
    }
  }

  async listTopics(): Promise<string[]> {
    const { topics } = await this.#client.metadata(null)
    // As a data directory lists them: internal topics (Kafka's __consumer_offsets, …) are not shown.
    return topics
      .filter((t) => t.errorCode === 0 && !t.isInternal)
      .map((t) => t.name)
      .sort()
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    const topic = await this.#client.topic(name)
    const partitions = topic.partitions.map((p) => p.partition)
    const [starts, ends, sizes, configs] = await Promise.all([
      listOffsets(this.#client, name, partitions, EARLIEST),
      listOffsets(this.#client, name, partitions, LATEST),
      logSizes(this.#client, name, partitions),
      this.#describeConfigs(name, Object.keys(KAFKA_CONFIG_NAMES)),
    ])
    const shown: KafkaConfigs = {}
    for (const key of Object.keys(KAFKA_CONFIG_NAMES)) {
      const value = configs.get(key)?.value
      if (value !== undefined && value !== null) shown[key] = value
    }
    return {
      name,
      partitions: partitions.map((partition) => ({
        partition,
        logStartOffset: starts.get(partition)!,
        logEndOffset: ends.get(partition)!,
        sizeBytes: sizes.get(partition)!,
      })),
      configs: shown,
    }
  }

  async createTopic(name: string, options: CreateTopicOptions): Promise<TopicDescription> {
    const admin = await this.#adminConnection()
    const { body } = await admin.send(ApiKeys.CreateTopics, (v) => ({
      topics: [
        {
          name,
          numPartitions: options.partitions,
          // -1: the cluster's default.replication.factor (v4+); one broker's worth before.
          replicationFactor: v >= 4 ? -1 : 1,
          assignments: [],
          configs: Object.entries(options.configs).map(([key, value]) => ({ name: key, value })),
        },
      ],
      timeoutMs: BROKER_TIMEOUT_MS,
      validateOnly: false,
    }))
    const result = body.topics.find((t) => t.name === name)
    const errorCode = result?.errorCode ?? KafkaErrors.UNKNOWN_SERVER_ERROR
    if (!(errorCode === KafkaErrors.TOPIC_ALREADY_EXISTS && options.ifNotExists)) {
      throwIfError(errorCode, { topic: name, message: result?.errorMessage ?? null })
    }
    return this.#describeCreated(name)
  }

  async deleteTopic(name: string): Promise<void> {
    const admin = await this.#adminConnection()
    const { body } = await admin.send(ApiKeys.DeleteTopics, (v) =>
      v >= 6
        ? { topics: [{ name, topicId: ZERO_UUID }], timeoutMs: BROKER_TIMEOUT_MS }
        : { topicNames: [name], timeoutMs: BROKER_TIMEOUT_MS },
    )
    const result = body.responses.find((r) => r.name === name) ?? body.responses[0]
    throwIfFailed(result, name)
  }

  async alterTopic(name: string, changes: AlterTopicChanges): Promise<TopicDescription> {
    const topic = await this.#client.topic(name)
    const configs = Object.entries(changes.configs ?? {})
    if (configs.length > 0)
      await this.#checkAlterable(
        name,
        configs.map(([key]) => key),
      )
    const admin = await this.#adminConnection()
    if (changes.partitions !== undefined && changes.partitions !== topic.partitions.length) {
      const { body } = await admin.send(ApiKeys.CreatePartitions, () => ({
        topics: [{ name, count: changes.partitions!, assignments: null }],
        timeoutMs: BROKER_TIMEOUT_MS,
        validateOnly: false,
      }))
      const result = body.results[0]
      throwIfFailed(result, name)
    }
    if (configs.length > 0) {
      const { body } = await admin.send(ApiKeys.IncrementalAlterConfigs, () => ({
        resources: [
          {
            resourceType: TOPIC_RESOURCE,
            resourceName: name,
            configs: configs.map(([key, value]) => ({ name: key, configOperation: SET, value })),
          },
        ],
        validateOnly: false,
      }))
      const result = body.responses[0]
      throwIfFailed(result, name)
    }
    return this.#describeCreated(name)
  }

  async producer(topic: string): Promise<ClusterProducer> {
    const limit = (await this.#describeConfigs(topic, ['max.message.bytes'])).get('max.message.bytes')
    return wireProducer(this.#client, await this.#client.topic(topic), Number(limit?.value ?? Number.NaN))
  }

  consume(spec: ConsumeSpec, sink: RecordSink): Promise<ConsumeSummary> {
    return wireConsume(this.#client, spec, sink)
  }

  listGroups(): Promise<GroupListing[]> {
    return listGroups(this.#client)
  }

  describeGroup(groupId: string): Promise<GroupReport> {
    return describeGroup(this.#client, groupId)
  }

  deleteGroup(groupId: string): Promise<void> {
    return deleteGroup(this.#client, groupId)
  }

  resetOffsets(groupId: string, options: ResetSpec): Promise<OffsetChange[]> {
    return resetOffsets(this.#client, groupId, options)
  }

  close(): Promise<void> {
    return this.#client.close()
  }

  /** Where admin requests go: the controller Metadata names, else the bootstrap broker. */
  #adminConnection(): Promise<BrokerConnection> {
    this.#admin ??= this.#client
      .metadata([])
      .then(({ controllerId, brokers }) =>
        brokers.some((b) => b.nodeId === controllerId)
          ? this.#client.broker(controllerId)
          : this.#client.bootstrap,
      )
    return this.#admin
  }

  /** A topic's configs by name (DescribeConfigs); UnknownTopicError when it does not exist. */
  async #describeConfigs(name: string, keys: string[]): Promise<Map<string, DescribedConfig>> {
    const { body } = await this.#client.bootstrap.send(ApiKeys.DescribeConfigs, () => ({
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: keys }],
      includeSynonyms: false,
      includeDocumentation: false,
    }))
    const result = body.results[0]
    throwIfFailed(result, name)
    return new Map(
      (result?.configs ?? []).map((c) => [c.name, { value: c.value, readOnly: c.readOnly }] as const),
    )
  }

  /**
   * A config the broker does not have is a usage error, one it marks read-only is refused: the same
   * answers a data directory gives (its fixed configs are read-only on a logbus server).
   */
  async #checkAlterable(name: string, keys: string[]): Promise<void> {
    const known = await this.#describeConfigs(name, keys)
    for (const key of keys) {
      const config = known.get(key)
      if (config === undefined) throw new UsageError(`unknown config "${key}" for topic "${name}"`)
      if (config.readOnly)
        throw new CliError(`config ${key} cannot change once the topic exists`, ExitCode.refused)
    }
  }

  /**
   * The topic as it is now. Right after a change a Kafka cluster may not know it everywhere yet: an
   * unknown topic is asked for again a few times.
   */
  async #describeCreated(name: string): Promise<TopicDescription> {
    for (let tries = 1; ; tries++) {
      try {
        return await this.describeTopic(name)
      } catch (error) {
        if (!(error instanceof UnknownTopicError) || tries >= 5) throw error
        await new Promise((resolve) => setTimeout(resolve, 100 * tries))
      }
    }
  }
}

/** An admin answer's error for a topic, if any; no answer at all is a failure too. */
function throwIfFailed(
  result: { errorCode: number; errorMessage?: string | null } | undefined,
  topic: string,
): void {
  throwIfError(result?.errorCode ?? KafkaErrors.UNKNOWN_SERVER_ERROR, {
    topic,
    message: result?.errorMessage ?? null,
  })
}

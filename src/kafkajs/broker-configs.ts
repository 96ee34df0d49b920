import { ConfigSource } from './constants'
import type { ConfigEntries } from './types'

/** Kafka's broker configs that may change at run time (DynamicBrokerConfig): the others are read-only. */
const DYNAMIC = new Set([
  'compression.type',
  'log.cleanup.policy',
  'log.retention.bytes',
  'log.retention.ms',
  'log.segment.bytes',
  'message.max.bytes',
  'min.insync.replicas',
  'unclean.leader.election.enable',
])

/**
 * The configs a single Kafka broker (KRaft, one node) reports for itself, as `describeConfigs` of a
 * BROKER resource returns them: what describes this in-process cluster, with Kafka's defaults
 * elsewhere. `listener` is the first configured broker address; `numPartitions` the client's
 * `logbus.numPartitions`.
 *
 * @example
 * ```ts
 * const entries = describeBrokerConfigs({ listener: 'localhost:9092', numPartitions: 1 }, null, false)
 * ```
 */
export function describeBrokerConfigs(
  broker: { listener: string; numPartitions: number },
  configNames: readonly string[] | null | undefined,
  includeSynonyms: boolean,
): ConfigEntries[] {
  const configs: Record<string, [value: string, source: ConfigSource]> = {
    'advertised.listeners': [`PLAINTEXT://${broker.listener}`, ConfigSource.STATIC_BROKER_CONFIG],
    'auto.create.topics.enable': ['true', ConfigSource.DEFAULT_CONFIG],
    'broker.id': ['0', ConfigSource.STATIC_BROKER_CONFIG],
    'compression.type': ['producer', ConfigSource.DEFAULT_CONFIG],
    'default.replication.factor': ['1', ConfigSource.DEFAULT_CONFIG],
    'delete.topic.enable': ['true', ConfigSource.DEFAULT_CONFIG],
    'group.initial.rebalance.delay.ms': ['0', ConfigSource.STATIC_BROKER_CONFIG],
    'group.max.session.timeout.ms': ['1800000', ConfigSource.DEFAULT_CONFIG],
    'group.min.session.timeout.ms': ['6000', ConfigSource.DEFAULT_CONFIG],
    listeners: [`PLAINTEXT://${broker.listener}`, ConfigSource.STATIC_BROKER_CONFIG],
    'log.cleanup.policy': ['delete', ConfigSource.DEFAULT_CONFIG],
    'log.retention.bytes': ['-1', ConfigSource.DEFAULT_CONFIG],
    'log.retention.hours': ['168', ConfigSource.DEFAULT_CONFIG],
    'log.retention.ms': ['604800000', ConfigSource.DEFAULT_CONFIG],
    'log.segment.bytes': ['1073741824', ConfigSource.DEFAULT_CONFIG],
    'message.max.bytes': ['1048588', ConfigSource.DEFAULT_CONFIG],
    'min.insync.replicas': ['1', ConfigSource.DEFAULT_CONFIG],
    'node.id': ['0', ConfigSource.STATIC_BROKER_CONFIG],
    'num.partitions': [
      String(broker.numPartitions),
      broker.numPartitions === 1 ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG,
    ],
    'offsets.retention.minutes': ['10080', ConfigSource.DEFAULT_CONFIG],
    'offsets.topic.replication.factor': ['1', ConfigSource.STATIC_BROKER_CONFIG],
    'process.roles': ['broker,controller', ConfigSource.STATIC_BROKER_CONFIG],
    'transaction.max.timeout.ms': ['900000', ConfigSource.DEFAULT_CONFIG],
    'transaction.state.log.min.isr': ['1', ConfigSource.STATIC_BROKER_CONFIG],
    'transaction.state.log.replication.factor': ['1', ConfigSource.STATIC_BROKER_CONFIG],
    'unclean.leader.election.enable': ['false', ConfigSource.DEFAULT_CONFIG],
  }
  const wanted = configNames != null && configNames.length > 0 ? new Set(configNames) : undefined
  return Object.keys(configs)
    .sort()
    .filter((configName) => wanted === undefined || wanted.has(configName))
    .map((configName) => {
      const [configValue, configSource] = configs[configName]!
      return {
        configName,
        configValue,
        readOnly: !DYNAMIC.has(configName),
        isDefault: configSource === ConfigSource.DEFAULT_CONFIG,
        configSource,
        isSensitive: false,
        configSynonyms: includeSynonyms ? [{ configName, configValue, configSource }] : [],
      }
    })
}

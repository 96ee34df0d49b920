import type { Topic, TopicConfig, TopicOptions } from '../index'
import { ConfigSource } from './constants'
import { protocolError } from './errors'
import type { ConfigEntries, IResourceConfigEntry } from './types'

const LONG_MAX = '9223372036854775807'
const DAY_MS = 86_400_000

/** logbus's defaults of the configs it implements (see Bus.createTopic). */
const CORE_DEFAULTS = {
  'retention.ms': String(7 * DAY_MS),
  'retention.bytes': '-1',
  'segment.bytes': String(1024 * 1024 * 1024),
  'max.message.bytes': String(1024 * 1024),
  'cleanup.policy': 'delete',
} as const

type CoreConfigName = keyof typeof CORE_DEFAULTS

/**
 * Kafka's other topic configs and their defaults: accepted and reported by `describeConfigs`, with no
 * effect in process (there are no replicas to sync, no segments rolled by time, nothing to compress).
 */
const OTHER_DEFAULTS: Readonly<Record<string, string>> = {
  'compression.type': 'producer',
  'delete.retention.ms': String(DAY_MS),
  'file.delete.delay.ms': '60000',
  'flush.messages': LONG_MAX,
  'flush.ms': LONG_MAX,
  'follower.replication.throttled.replicas': '',
  'index.interval.bytes': '4096',
  'leader.replication.throttled.replicas': '',
  'local.retention.bytes': '-2',
  'local.retention.ms': '-2',
  'max.compaction.lag.ms': LONG_MAX,
  'message.downconversion.enable': 'true',
  'message.timestamp.after.max.ms': LONG_MAX,
  'message.timestamp.before.max.ms': LONG_MAX,
  'message.timestamp.difference.max.ms': LONG_MAX,
  'message.timestamp.type': 'CreateTime',
  'min.cleanable.dirty.ratio': '0.5',
  'min.compaction.lag.ms': '0',
  'min.insync.replicas': '1',
  preallocate: 'false',
  'remote.storage.enable': 'false',
  'segment.index.bytes': '10485760',
  'segment.jitter.ms': '0',
  'segment.ms': String(7 * DAY_MS),
  'unclean.leader.election.enable': 'false',
}

const isCoreConfig = (name: string): name is CoreConfigName => Object.hasOwn(CORE_DEFAULTS, name)

function integer(name: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim()))
    throw protocolError('INVALID_CONFIG', `${name}=${value} is not an integer`)
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw protocolError('INVALID_CONFIG', `${name}=${value} is out of range`)
  return n
}

function limit(name: string, value: string): number | null {
  const n = integer(name, value)
  if (n === -1) return null
  if (n < 1) throw protocolError('INVALID_CONFIG', `${name} must be -1 or positive, got ${value}`)
  return n
}

/** What a set of Kafka topic configs means for a logbus topic: its options, and the other configs. */
export interface ParsedTopicConfigs {
  options: Pick<TopicOptions, 'retentionMs' | 'retentionBytes' | 'segmentBytes' | 'maxMessageBytes'>
  /** Which logbus-backed configs were given. */
  given: Set<CoreConfigName>
  extras: Map<string, string>
}

/**
 * Parses Kafka topic configs. Unknown names are rejected (INVALID_CONFIG) as Kafka does, and so is
 * `cleanup.policy=compact`: logbus does not implement compaction, and says so rather than pretend.
 */
export function parseTopicConfigs(entries: readonly IResourceConfigEntry[] | undefined): ParsedTopicConfigs {
  const parsed: ParsedTopicConfigs = { options: {}, given: new Set(), extras: new Map() }
  for (const { name, value } of entries ?? []) {
    if (isCoreConfig(name)) {
      parsed.given.add(name)
      if (name === 'retention.ms') parsed.options.retentionMs = limit(name, value)
      else if (name === 'retention.bytes') parsed.options.retentionBytes = limit(name, value)
      else if (name === 'segment.bytes') parsed.options.segmentBytes = integer(name, value)
      else if (name === 'max.message.bytes') parsed.options.maxMessageBytes = integer(name, value)
      else if (value.trim() !== 'delete') {
        throw protocolError(
          'INVALID_CONFIG',
          `cleanup.policy=${value}: logbus implements "delete" only, not compaction`,
        )
      }
    } else if (Object.hasOwn(OTHER_DEFAULTS, name)) {
      parsed.extras.set(name, value)
    } else {
      throw protocolError('INVALID_CONFIG', `unknown topic config name "${name}"`)
    }
  }
  return parsed
}

function coreValue(name: CoreConfigName, config: Readonly<TopicConfig>): string {
  switch (name) {
    case 'retention.ms':
      return String(config.retentionMs ?? -1)
    case 'retention.bytes':
      return String(config.retentionBytes ?? -1)
    case 'segment.bytes':
      return String(config.segmentBytes)
    case 'max.message.bytes':
      return String(config.maxMessageBytes)
    case 'cleanup.policy':
      return config.cleanupPolicy
  }
}

/** A topic's configs as DescribeConfigs reports them (a value equal to the default counts as default). */
export function describeTopicConfigs(
  topic: Topic,
  extras: ReadonlyMap<string, string> | undefined,
  configNames: readonly string[] | null | undefined,
  includeSynonyms: boolean,
): ConfigEntries[] {
  const entries: ConfigEntries[] = []
  const names = [...Object.keys(CORE_DEFAULTS), ...Object.keys(OTHER_DEFAULTS)].sort()
  for (const configName of names) {
    if (configNames != null && configNames.length > 0 && !configNames.includes(configName)) continue
    let configValue: string
    let isDefault: boolean
    if (isCoreConfig(configName)) {
      configValue = coreValue(configName, topic.config)
      isDefault = configValue === CORE_DEFAULTS[configName]
    } else {
      const set = extras?.get(configName)
      configValue = set ?? OTHER_DEFAULTS[configName]!
      isDefault = set === undefined
    }
    const configSource = isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.TOPIC_CONFIG
    entries.push({
      configName,
      configValue,
      readOnly: false,
      isDefault,
      configSource,
      isSensitive: false,
      configSynonyms: includeSynonyms ? [{ configName, configValue, configSource }] : [],
    })
  }
  return entries
}

/**
 * AlterConfigs replaces a topic's whole config set, as Kafka's (non-incremental) AlterConfigs does: a
 * config not given goes back to its default. `segment.bytes` is fixed once a logbus topic exists.
 */
export function replacementConfig(
  topic: Topic,
  parsed: ParsedTopicConfigs,
): Pick<TopicConfig, 'retentionMs' | 'retentionBytes' | 'maxMessageBytes'> {
  const { options } = parsed
  if (options.segmentBytes !== undefined && options.segmentBytes !== topic.config.segmentBytes) {
    throw protocolError('INVALID_CONFIG', 'logbus cannot change segment.bytes of an existing topic')
  }
  return {
    retentionMs: options.retentionMs === undefined ? 7 * DAY_MS : options.retentionMs,
    retentionBytes: options.retentionBytes === undefined ? null : options.retentionBytes,
    maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024,
  }
}

import { InvalidConfigError, type TopicConfig, type TopicOptions } from '../../index'

/** The configs' types, as DescribeConfigs v3+ names them (Kafka's ConfigType). */
const LONG = 5
const INT = 3
const STRING = 2
/** DescribeConfigs' source: a topic's own config. */
const DYNAMIC_TOPIC_CONFIG = 1

type Alterable = 'retentionMs' | 'retentionBytes' | 'maxMessageBytes'

/**
 * The topic configs logbus has, by Kafka's name: how each reads from a TopicConfig, and how a value
 * given over the wire becomes an option. `-1` is Kafka's "unlimited" for retention.
 */
const CONFIGS: ReadonlyArray<{
  name: string
  type: number
  read: (config: TopicConfig) => string
  option: keyof TopicOptions
  alterable: Alterable | undefined
  parse: (value: string) => number | null | string
}> = [
  {
    name: 'retention.ms',
    type: LONG,
    read: (c) => String(c.retentionMs ?? -1),
    option: 'retentionMs',
    alterable: 'retentionMs',
    parse: unlimitedOr,
  },
  {
    name: 'retention.bytes',
    type: LONG,
    read: (c) => String(c.retentionBytes ?? -1),
    option: 'retentionBytes',
    alterable: 'retentionBytes',
    parse: unlimitedOr,
  },
  {
    name: 'max.message.bytes',
    type: INT,
    read: (c) => String(c.maxMessageBytes),
    option: 'maxMessageBytes',
    alterable: 'maxMessageBytes',
    parse: integer,
  },
  {
    name: 'segment.bytes',
    type: INT,
    read: (c) => String(c.segmentBytes),
    option: 'segmentBytes',
    alterable: undefined,
    parse: integer,
  },
  {
    name: 'cleanup.policy',
    type: STRING,
    read: (c) => c.cleanupPolicy,
    option: 'cleanupPolicy',
    alterable: undefined,
    parse: (value) => value,
  },
]

const BY_NAME = new Map(CONFIGS.map((c) => [c.name, c]))

function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidConfigError('config', `"${value}" is not an integer`)
  return Number(value)
}

function unlimitedOr(value: string): number | null {
  const n = integer(value)
  return n === -1 ? null : n
}

function configOf(name: string): (typeof CONFIGS)[number] {
  const config = BY_NAME.get(name)
  if (config === undefined) {
    throw new InvalidConfigError(
      name,
      `unknown or unsupported topic config; logbus has ${CONFIGS.map((c) => c.name).join(', ')}`,
    )
  }
  return config
}

/** CreateTopics' configs as createTopic options (InvalidConfigError for one logbus does not have). */
export function topicOptionsOf(configs: ReadonlyArray<{ name: string; value: string | null }>): TopicOptions {
  const options: Record<string, unknown> = {}
  for (const { name, value } of configs) {
    if (value === null) continue
    const config = configOf(name)
    options[config.option] = config.parse(value)
  }
  return options as TopicOptions
}

/** Alter(Incremental)Configs' changes as `alterTopicConfig` changes; null (or DELETE) resets to unlimited. */
export function topicChangesOf(
  configs: ReadonlyArray<{ name: string; value: string | null }>,
): Partial<Record<Alterable, number | null>> {
  const changes: Partial<Record<Alterable, number | null>> = {}
  for (const { name, value } of configs) {
    const config = configOf(name)
    if (config.alterable === undefined) {
      throw new InvalidConfigError(name, 'is fixed once the topic exists')
    }
    if (value === null && config.alterable === 'maxMessageBytes') {
      throw new InvalidConfigError(name, 'cannot be removed')
    }
    changes[config.alterable] = value === null ? null : (config.parse(value) as number | null)
  }
  return changes
}

/** A topic's configs as DescribeConfigs (and CreateTopics v5+) list them; `keys` null for all. */
export function describeTopicConfigs(config: TopicConfig, keys: readonly string[] | null) {
  return CONFIGS.filter((c) => keys === null || keys.includes(c.name)).map((c) => ({
    name: c.name,
    value: c.read(config),
    readOnly: c.alterable === undefined,
    isDefault: false,
    configSource: DYNAMIC_TOPIC_CONFIG,
    isSensitive: false,
    synonyms: [],
    configType: c.type,
    documentation: null,
  }))
}

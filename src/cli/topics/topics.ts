import { CLUSTER_OPTIONS, int, JSON_OPTION, list, pairs, required } from '../args'
import { UsageError } from '../cli-error'
import type { TopicDescription } from '../cluster/cluster'
import type { Command, CommandGroup } from '../context'
import { plural, table } from '../table'

const TOPIC = { topic: { type: 'string', value: '<name>', help: 'The topic.' } } as const
const CONFIG = {
  config: {
    type: 'string',
    multiple: true,
    value: '<key=value>',
    help: 'A topic config in Kafka names: retention.ms, retention.bytes, segment.bytes, cleanup.policy, max.message.bytes (-1: unlimited).',
  },
} as const

const listTopics: Command = {
  spec: {
    name: 'topics list',
    summary: 'List the topics, one per line (with --json, their partitions, offsets and sizes).',
    options: { ...CLUSTER_OPTIONS, ...JSON_OPTION },
  },
  async run(ctx) {
    const cluster = await ctx.cluster()
    const names = await cluster.listTopics()
    if (ctx.parsed.values.json === true) {
      const topics = await Promise.all(names.map((name) => cluster.describeTopic(name)))
      ctx.out.text(`${JSON.stringify(topics.map(summary))}\n`)
    } else for (const name of names) ctx.out.text(`${name}\n`)
    return undefined
  },
}

const describeTopic: Command = {
  spec: {
    name: 'topics describe',
    summary: 'Partitions (log start and end offsets, record count, size) and configs of one topic, or all.',
    options: { ...CLUSTER_OPTIONS, ...JSON_OPTION, ...TOPIC },
    details: 'Without --topic, every topic is described.',
  },
  async run(ctx) {
    const cluster = await ctx.cluster()
    const only = ctx.parsed.values.topic
    const names = typeof only === 'string' ? [only] : await cluster.listTopics()
    const topics = await Promise.all(names.map((name) => cluster.describeTopic(name)))
    if (ctx.parsed.values.json === true) {
      ctx.out.text(`${JSON.stringify(typeof only === 'string' ? topics[0] : topics)}\n`)
      return undefined
    }
    for (const topic of topics) printTopic(ctx.out, topic)
    return undefined
  },
}

const createTopic: Command = {
  spec: {
    name: 'topics create',
    summary: 'Create a topic. Creates the data directory when it does not exist yet.',
    options: {
      ...CLUSTER_OPTIONS,
      ...JSON_OPTION,
      ...TOPIC,
      partitions: { type: 'string', value: '<n>', help: 'Partitions (default 1).' },
      ...CONFIG,
      'if-not-exists': { type: 'boolean', help: 'Succeed when the topic already exists.' },
    },
    examples: [
      'logbus topics create --dir ./data --topic orders --partitions 3 --config retention.ms=86400000',
    ],
  },
  async run(ctx) {
    const { values } = ctx.parsed
    const name = required(values, 'topic', 'topics create')
    const partitions = int(values, 'partitions', 'topics create', 1) ?? 1
    const configs = Object.fromEntries(pairs(list(values, 'config'), 'config', 'topics create'))
    const cluster = await ctx.cluster({ create: true })
    const topic = await cluster.createTopic(name, {
      partitions,
      configs,
      ifNotExists: values['if-not-exists'] === true,
    })
    if (values.json === true) ctx.out.text(`${JSON.stringify(topic)}\n`)
    else ctx.out.text(`Created topic ${name} (${plural(topic.partitions.length, 'partition')})\n`)
    return undefined
  },
}

const deleteTopic: Command = {
  spec: {
    name: 'topics delete',
    summary: "Delete a topic: its records and every group's offsets for it.",
    options: { ...CLUSTER_OPTIONS, ...TOPIC },
  },
  async run(ctx) {
    const name = required(ctx.parsed.values, 'topic', 'topics delete')
    await (await ctx.cluster()).deleteTopic(name)
    ctx.out.text(`Deleted topic ${name}\n`)
    return undefined
  },
}

const alterTopic: Command = {
  spec: {
    name: 'topics alter',
    summary:
      'Grow the partitions of a topic or change its configs (retention.ms, retention.bytes, max.message.bytes).',
    options: {
      ...CLUSTER_OPTIONS,
      ...JSON_OPTION,
      ...TOPIC,
      partitions: { type: 'string', value: '<n>', help: 'The new partition count (partitions only grow).' },
      ...CONFIG,
    },
  },
  async run(ctx) {
    const { values } = ctx.parsed
    const name = required(values, 'topic', 'topics alter')
    const partitions = int(values, 'partitions', 'topics alter', 1)
    const configs = Object.fromEntries(pairs(list(values, 'config'), 'config', 'topics alter'))
    if (partitions === undefined && Object.keys(configs).length === 0) {
      throw new UsageError('topics alter: give --partitions or --config')
    }
    const topic = await (await ctx.cluster()).alterTopic(name, {
      ...(partitions === undefined ? {} : { partitions }),
      configs,
    })
    if (values.json === true) ctx.out.text(`${JSON.stringify(topic)}\n`)
    else printTopic(ctx.out, topic)
    return undefined
  },
}

function summary(topic: TopicDescription) {
  return {
    ...topic,
    records: topic.partitions.reduce((n, p) => n + p.logEndOffset - p.logStartOffset, 0),
    sizeBytes: topic.partitions.reduce((n, p) => n + p.sizeBytes, 0),
  }
}

function printTopic(out: { text(t: string): void }, topic: TopicDescription): void {
  const configs = Object.entries(topic.configs)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  out.text(`Topic: ${topic.name}\tPartitions: ${topic.partitions.length}\tConfigs: ${configs}\n`)
  out.text(
    table(
      ['PARTITION', 'LOG-START-OFFSET', 'LOG-END-OFFSET', 'RECORDS', 'SIZE-BYTES'],
      topic.partitions.map((p) => [
        p.partition,
        p.logStartOffset,
        p.logEndOffset,
        p.logEndOffset - p.logStartOffset,
        p.sizeBytes,
      ]),
    ),
  )
}

export const topics: CommandGroup = {
  name: 'topics',
  summary: 'List, describe, create, delete and alter topics.',
  commands: {
    list: listTopics,
    describe: describeTopic,
    create: createTopic,
    delete: deleteTopic,
    alter: alterTopic,
  },
}

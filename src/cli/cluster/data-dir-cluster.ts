import { existsSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { FileStorage, type FsyncPolicy, type LogDamage } from '../../file'
import { Bus, type CommittedOffset, GroupNotFoundError, type Topic, type TopicOptions } from '../../index'
import { CliError, ExitCode, UsageError } from '../cli-error'
import { untilAborted } from '../until-aborted'
import {
  ALTERABLE_CONFIGS,
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
  startOffsetIn,
  type TopicDescription,
  toKafkaConfigs,
} from './cluster'
import { deliver } from './deliver'

/** What a FileStorage directory holds besides partitions (`__logbus/`): how a data directory is told apart. */
const META_DIR = '__logbus'
/** Bytes read from a partition per step while consuming. */
const READ_BYTES = 4 << 20

export interface DataDirOptions {
  dir: string
  /** Create the directory when missing (`topics create`); otherwise a missing directory is an error. */
  create?: boolean
  breakLock?: boolean
  /**
   * When appends are durable. The CLI's default is 'never': every log is fsynced when the command
   * closes the directory, before it exits 0, so a success still means the records are on disk.
   */
  fsync?: FsyncPolicy
  onDamage?: (damage: LogDamage) => void
  /** Kafka's auto.create.topics.enable for this run (connect). */
  autoCreateTopics?: boolean | { partitions?: number }
}

/** The data-directory backend: a `Bus` over a FileStorage, holding the directory's lock while open. */
export class DataDirCluster implements Cluster {
  readonly #bus: Bus

  private constructor(bus: Bus) {
    this.#bus = bus
  }

  /** Opens `dir`: it must exist and hold a logbus data directory, unless `create`. */
  static async open(options: DataDirOptions): Promise<DataDirCluster> {
    const { dir } = options
    if (!existsSync(dir)) {
      if (options.create !== true) throw new CliError(`Directory ${dir} does not exist`, ExitCode.notFound)
      mkdirSync(dir, { recursive: true })
    } else if (!statSync(dir).isDirectory()) {
      throw new CliError(`${dir} is not a directory`, ExitCode.notFound)
    } else if (options.create !== true && !existsSync(join(dir, META_DIR))) {
      throw new CliError(
        `${dir} is not a logbus data directory (no ${META_DIR}/ in it); \`logbus topics create\` makes one`,
        ExitCode.notFound,
      )
    }
    const storage = new FileStorage({
      dir,
      fsync: options.fsync ?? 'never',
      breakLock: options.breakLock ?? false,
      ...(options.onDamage === undefined ? {} : { onDamage: options.onDamage }),
    })
    return new DataDirCluster(
      await Bus.open({ storage, autoCreateTopics: options.autoCreateTopics ?? false }),
    )
  }

  /** The bus over the directory: for commands built on the bus itself (datagen, connect). */
  get bus(): Bus {
    return this.#bus
  }

  async listTopics(): Promise<string[]> {
    return this.#bus.listTopics()
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    return describe(this.#bus.topic(name))
  }

  async createTopic(name: string, options: CreateTopicOptions): Promise<TopicDescription> {
    const topicOptions: TopicOptions = { partitions: options.partitions, ifNotExists: options.ifNotExists }
    Object.assign(topicOptions, coreConfigs(options.configs, Object.keys(KAFKA_CONFIG_NAMES)))
    return describe(await this.#bus.createTopic(name, topicOptions))
  }

  async deleteTopic(name: string): Promise<void> {
    this.#bus.topic(name)
    await this.#bus.deleteTopic(name)
  }

  async alterTopic(name: string, changes: AlterTopicChanges): Promise<TopicDescription> {
    const topic = this.#bus.topic(name)
    const configs = coreConfigs(changes.configs ?? {}, ALTERABLE_CONFIGS)
    if (changes.partitions !== undefined && changes.partitions !== topic.partitionCount) {
      await this.#bus.createPartitions(name, changes.partitions)
    }
    if (Object.keys(configs).length > 0) await this.#bus.alterTopicConfig(name, configs)
    return describe(this.#bus.topic(name))
  }

  async producer(name: string): Promise<ClusterProducer> {
    const topic = this.#bus.topic(name)
    return {
      maxMessageBytes: topic.config.maxMessageBytes,
      send: async (batches) => {
        // Each append is made in call order, before the first await: a partition keeps its batches' order.
        const appends: Promise<unknown>[] = []
        for (const [partition, list] of batches) {
          for (const bytes of list) appends.push(topic.partition(partition).appendEncoded(bytes))
        }
        await Promise.all(appends)
      },
      close: async () => undefined,
    }
  }

  async consume(spec: ConsumeSpec, sink: RecordSink): Promise<ConsumeSummary> {
    const topic = this.#bus.topic(spec.topic)
    const partitions = (spec.partitions ?? topic.partitions.map((p) => p.partition)).map((i) =>
      topic.partition(i),
    )
    const group = spec.group === undefined ? undefined : this.#bus.group(spec.group)
    const positions = partitions.map((p) => {
      const committed = group?.committedOffset(topic.name, p.partition)
      return committed ?? startOffsetIn(topic.name, p.partition, spec.start, p.logStartOffset, p.logEndOffset)
    })
    let remaining = spec.max ?? Number.POSITIVE_INFINITY
    let records = 0
    // Round robin over the partitions, a read at a time, as a fetch spreads over them.
    for (let active = true; active && remaining > 0 && !spec.signal.aborted; ) {
      active = false
      for (let i = 0; i < partitions.length && remaining > 0; i++) {
        const p = partitions[i]!
        if (positions[i]! >= p.logEndOffset) continue
        active = true
        const batches = await p.readBatches(positions[i]!, READ_BYTES)
        const delivered = await deliver(topic.name, p.partition, batches, positions[i]!, remaining, sink)
        positions[i] = delivered.position
        records += delivered.records
        remaining -= delivered.records
      }
    }
    if (spec.follow && remaining > 0 && !spec.signal.aborted) {
      // Nothing else can append while this process holds the directory's lock: following waits for
      // the user to stop it, and commits where it got to.
      await spec.caughtUp?.()
      await untilAborted(spec.signal)
    }
    const committed: CommittedOffset[] = partitions.map((p, i) => ({
      topic: topic.name,
      partition: p.partition,
      offset: positions[i]!,
    }))
    if (group !== undefined) await group.setOffsets(committed)
    return { records, committed: group === undefined ? [] : committed }
  }

  async listGroups(): Promise<GroupListing[]> {
    return this.#bus.listGroups().map((groupId) => ({ groupId, state: this.#bus.group(groupId).state }))
  }

  async describeGroup(groupId: string): Promise<GroupReport> {
    const group = this.#bus.group(groupId)
    if (group.state === 'Dead') throw new GroupNotFoundError(groupId)
    const { state, protocol, members } = group.describe()
    const owner = new Map<string, { memberId: string; clientId: string }>()
    for (const m of members) for (const tp of m.assignment) owner.set(`${tp.topic}/${tp.partition}`, m)
    return {
      groupId,
      state,
      protocol,
      members: members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        instanceId: m.instanceId ?? null,
        assignment: m.assignment.map((tp) => `${tp.topic}-${tp.partition}`),
      })),
      partitions: (await group.lag()).map((lag) => {
        const member = owner.get(`${lag.topic}/${lag.partition}`)
        return {
          topic: lag.topic,
          partition: lag.partition,
          currentOffset: lag.committedOffset,
          logEndOffset: lag.logEndOffset,
          lag: lag.lag,
          consumerId: member?.memberId ?? null,
          clientId: member?.clientId ?? null,
        }
      }),
    }
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.#bus.group(groupId).delete()
  }

  async resetOffsets(groupId: string, options: ResetSpec): Promise<OffsetChange[]> {
    const group = this.#bus.group(groupId)
    for (const name of options.topics ?? []) this.#bus.topic(name)
    const before = new Map(group.committedOffsets().map((c) => [`${c.topic}/${c.partition}`, c.offset]))
    const moved = await group.resetOffsets({
      to: options.to,
      ...(options.topics === undefined ? {} : { topics: options.topics }),
      dryRun: options.dryRun,
    })
    return moved.map((c) => ({ ...c, previous: before.get(`${c.topic}/${c.partition}`) ?? null }))
  }

  close(): Promise<void> {
    return this.#bus.close()
  }
}

function describe(topic: Topic<unknown, unknown, unknown, unknown>): TopicDescription {
  return {
    name: topic.name,
    partitions: topic.partitions.map((p) => ({
      partition: p.partition,
      logStartOffset: p.logStartOffset,
      logEndOffset: p.logEndOffset,
      sizeBytes: p.sizeBytes,
    })),
    configs: toKafkaConfigs(topic.config),
  }
}

/** Kafka-named configs (strings) as the core's topic options; -1 is unlimited for the limits that allow it. */
function coreConfigs(configs: KafkaConfigs, allowed: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, text] of Object.entries(configs)) {
    const field = KAFKA_CONFIG_NAMES[name]
    if (field === undefined) {
      throw new UsageError(`unknown config "${name}" (known: ${Object.keys(KAFKA_CONFIG_NAMES).join(', ')})`)
    }
    if (!allowed.includes(name)) {
      throw new CliError(`config ${name} cannot change once the topic exists`, ExitCode.refused)
    }
    if (field === 'cleanupPolicy') {
      out[field] = text
      continue
    }
    const n = Number(text)
    if (text.trim() === '' || !Number.isSafeInteger(n)) {
      throw new UsageError(`config ${name} must be a whole number, not "${text}"`)
    }
    out[field] = n === -1 && (field === 'retentionMs' || field === 'retentionBytes') ? null : n
  }
  return out
}

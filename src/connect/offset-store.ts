import { type Bus, nullable, type Producer, string, type Topic, type TopicDeclarations } from '../index'
import { canonicalJson, isMap, type SourceOffset, type SourcePartition } from './record'

/**
 * Kafka Connect's default `offset.storage.topic`.
 *
 * @example
 * ```ts
 * await bus.topic(DEFAULT_OFFSET_TOPIC).partition(0).read(0)
 * ```
 */
export const DEFAULT_OFFSET_TOPIC = 'connect-offsets'
/**
 * Kafka Connect's default `offset.storage.partitions`.
 *
 * @example
 * ```ts
 * await ConnectWorker.open(bus, { offsetStoragePartitions: DEFAULT_OFFSET_PARTITIONS })
 * ```
 */
export const DEFAULT_OFFSET_PARTITIONS = 25

type OffsetTopic = Topic<string, string | null, string, string | null>

/**
 * Source offsets, kept in a topic as Kafka Connect keeps them: the key is the JSON of
 * `[connector, sourcePartition]`, the value the JSON of the source offset, or null (a tombstone) once
 * it is reset. Keys and offsets are written with sorted object keys, so one partition always has the
 * same key bytes. Reading the topic back keeps the last value of each key, which is what compaction
 * would leave: the topic is ready for `cleanup.policy=compact` once the core has it.
 */
export class OffsetStore {
  readonly #offsets = new Map<string, SourceOffset>()
  #producer: Producer<TopicDeclarations> | undefined

  private constructor(
    private readonly bus: Bus<TopicDeclarations>,
    private readonly view: OffsetTopic,
  ) {}

  /** Opens the store: creates the topic when missing, then reads it from the start. */
  static async open(
    bus: Bus<TopicDeclarations>,
    topic = DEFAULT_OFFSET_TOPIC,
    partitions = DEFAULT_OFFSET_PARTITIONS,
  ): Promise<OffsetStore> {
    await bus.createTopic(topic, { partitions, ifNotExists: true })
    const view = bus.topic(topic, { key: string(), value: nullable(string()) }) as OffsetTopic
    const store = new OffsetStore(bus, view)
    await store.#load()
    return store
  }

  get topic(): string {
    return this.view.name
  }

  /** The stored offset of a connector's source partition, or null. */
  get(connector: string, partition: SourcePartition): SourceOffset | null {
    return this.#offsets.get(keyOf(connector, partition)) ?? null
  }

  /** Every stored source partition of a connector and its offset. */
  list(connector: string): { partition: SourcePartition; offset: SourceOffset }[] {
    const out: { partition: SourcePartition; offset: SourceOffset }[] = []
    for (const [key, offset] of this.#offsets) {
      const parsed = parseKey(key)
      if (parsed !== undefined && parsed.connector === connector)
        out.push({ partition: parsed.partition, offset })
    }
    return out
  }

  /** Stores offsets (null deletes one); resolves once they are in the topic. */
  async write(
    connector: string,
    entries: readonly { partition: SourcePartition; offset: SourceOffset | null }[],
  ): Promise<void> {
    if (entries.length === 0) return
    this.#producer ??= this.bus.producer()
    const messages = entries.map(({ partition, offset }) => ({
      key: keyOf(connector, partition),
      value: offset === null ? null : canonicalJson(offset),
    }))
    await this.#producer.send(this.view, messages)
    for (const { key, value } of messages) this.#apply(key, value)
  }

  /** Deletes every stored offset of a connector (tombstones), so it starts over. */
  async reset(connector: string): Promise<void> {
    await this.write(
      connector,
      this.list(connector).map(({ partition }) => ({ partition, offset: null })),
    )
  }

  async close(): Promise<void> {
    await this.#producer?.close()
  }

  async #load(): Promise<void> {
    for (const partition of this.view.partitions) {
      let offset = partition.logStartOffset
      while (offset < partition.logEndOffset) {
        const records = await partition.read(offset)
        if (records.length === 0) break
        for (const record of records) if (record.key !== null) this.#apply(record.key, record.value)
        offset = records.at(-1)!.offset + 1
      }
    }
  }

  #apply(key: string, value: string | null): void {
    if (parseKey(key) === undefined) return // not a Connect offset key: Kafka skips those too
    if (value === null) {
      this.#offsets.delete(key)
      return
    }
    try {
      const offset: unknown = JSON.parse(value)
      if (isMap(offset)) this.#offsets.set(key, offset as SourceOffset)
    } catch {
      // An unreadable value is ignored, as Kafka's offset reader ignores it.
    }
  }
}

function keyOf(connector: string, partition: SourcePartition): string {
  return canonicalJson([connector, partition])
}

function parseKey(key: string): { connector: string; partition: SourcePartition } | undefined {
  try {
    const parsed: unknown = JSON.parse(key)
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && isMap(parsed[1])) {
      return { connector: parsed[0], partition: parsed[1] as SourcePartition }
    }
  } catch {
    // Not JSON: not one of ours.
  }
  return undefined
}

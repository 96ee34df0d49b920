import { readFile } from 'node:fs/promises'
import { type Bus, InvalidConfigError, type TopicDeclarations } from '../index'
import type { RawConnectorConfig } from './config'
import { type ConnectorSpec, ConnectWorker, type ConnectWorkerOptions } from './worker'

/**
 * A standalone worker's configuration as one JSON document: Kafka Connect's worker properties at the top
 * level (`offset.storage.topic`, `offset.storage.partitions`, `offset.flush.interval.ms`; any other
 * property, such as `value.converter` or `errors.tolerance`, is a default for every connector) and the
 * connectors as Kafka Connect's REST API takes them.
 *
 * @example
 * ```ts
 * const config: StandaloneConfig = {
 *   'offset.flush.interval.ms': 1000,
 *   connectors: [{ name: 'in', config: { 'connector.class': 'FileStreamSource', file: 'in.txt', topic: 'lines' } }],
 * }
 * ```
 */
export interface StandaloneConfig {
  'offset.storage.topic'?: string
  'offset.storage.partitions'?: number
  'offset.flush.interval.ms'?: number
  connectors: ConnectorSpec[]
  [property: string]: string | number | boolean | ConnectorSpec[] | undefined
}

const WORKER_PROPERTIES = [
  'offset.storage.topic',
  'offset.storage.partitions',
  'offset.flush.interval.ms',
  'connectors',
]

/**
 * Checks a standalone configuration (a parsed JSON document); throws InvalidConfigError naming what is
 * wrong.
 *
 * @example
 * ```ts
 * const config = parseStandaloneConfig(JSON.parse(text))
 * ```
 */
export function parseStandaloneConfig(value: unknown): StandaloneConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidConfigError('connect', 'the configuration must be a JSON object')
  }
  const config = value as Record<string, unknown>
  const connectors = config.connectors
  if (!Array.isArray(connectors) || connectors.length === 0) {
    throw new InvalidConfigError('connect.connectors', 'must be a non-empty array of { name, config }')
  }
  connectors.forEach((c: unknown, i) => {
    const spec = c as Partial<ConnectorSpec> | null
    if (typeof spec?.name !== 'string' || typeof spec.config !== 'object' || spec.config === null) {
      throw new InvalidConfigError(`connect.connectors.${i}`, 'must be { "name": string, "config": object }')
    }
  })
  const names = connectors.map((c: ConnectorSpec) => c.name)
  const duplicate = names.find((name, i) => names.indexOf(name) !== i)
  if (duplicate !== undefined)
    throw new InvalidConfigError('connect.connectors', `"${duplicate}" is named twice`)
  for (const key of ['offset.storage.partitions', 'offset.flush.interval.ms']) {
    const n = config[key]
    if (n !== undefined && (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)) {
      throw new InvalidConfigError(`connect.${key}`, 'must be a positive integer')
    }
  }
  if (config['offset.storage.topic'] !== undefined && typeof config['offset.storage.topic'] !== 'string') {
    throw new InvalidConfigError('connect.offset.storage.topic', 'must be a topic name')
  }
  return config as StandaloneConfig
}

/**
 * Reads and checks a standalone configuration file (JSON).
 *
 * @example
 * ```ts
 * const config = await loadStandaloneConfig('connect.json')
 * ```
 */
export async function loadStandaloneConfig(path: string): Promise<StandaloneConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new InvalidConfigError('connect', `cannot read ${path}: ${(cause as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new InvalidConfigError('connect', `${path} is not valid JSON: ${(cause as Error).message}`)
  }
  return parseStandaloneConfig(parsed)
}

/**
 * Kafka Connect's standalone mode: opens a worker on the bus and creates every connector of the
 * configuration (all of them are checked first: one bad configuration starts none). Resolves with the
 * running worker; `close()` it to stop (what `logbus connect config.json` does on SIGINT/SIGTERM).
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { runStandalone } from 'logbus/connect'
 *
 * const bus = await Bus.open({ autoCreateTopics: true })
 * const worker = await runStandalone(bus, {
 *   connectors: [{ name: 'gen', config: { 'connector.class': 'DatagenSource', quickstart: 'users', 'kafka.topic': 'users', iterations: 10, 'max.interval': 0 } }],
 * })
 * await worker.close()
 * await bus.close()
 * ```
 */
export async function runStandalone<D extends TopicDeclarations>(
  bus: Bus<D>,
  config: StandaloneConfig,
  options: Omit<
    ConnectWorkerOptions,
    'offsetStorageTopic' | 'offsetStoragePartitions' | 'offsetFlushIntervalMs' | 'defaults'
  > = {},
): Promise<ConnectWorker> {
  const checked = parseStandaloneConfig(config)
  const defaults: Record<string, string | number | boolean> = {}
  for (const [key, value] of Object.entries(checked)) {
    if (WORKER_PROPERTIES.includes(key) || value === undefined || Array.isArray(value)) continue
    defaults[key] = value
  }
  const worker = await ConnectWorker.open(bus, {
    ...options,
    offsetStorageTopic: checked['offset.storage.topic'],
    offsetStoragePartitions: checked['offset.storage.partitions'],
    offsetFlushIntervalMs: checked['offset.flush.interval.ms'],
    defaults: defaults as RawConnectorConfig,
  })
  try {
    await worker.validate(checked.connectors)
    for (const spec of checked.connectors) await worker.createConnector(spec)
  } catch (error) {
    await worker.close()
    throw error
  }
  return worker
}

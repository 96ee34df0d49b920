import { InvalidConfigError } from '../index'

/**
 * A connector's configuration as Kafka Connect keeps it: property names to text. JSON configs may give
 * numbers and booleans; they are turned into text when the connector is created.
 *
 * @example
 * ```ts
 * const config: ConnectorConfig = { 'connector.class': 'FileStreamSource', file: 'in.txt', topic: 'lines' }
 * ```
 */
export type ConnectorConfig = Readonly<Record<string, string>>

/**
 * A configuration as a user writes it (a JSON file, an object literal).
 *
 * @example
 * ```ts
 * const raw: RawConnectorConfig = { 'connector.class': 'FileStreamSink', 'tasks.max': 2, file: 'out.txt', topics: 'lines' }
 * ```
 */
export type RawConnectorConfig = Readonly<Record<string, string | number | boolean>>

/** Turns a raw configuration into text values, or throws InvalidConfigError naming the bad property. */
export function normalizeConfig(raw: unknown, where: string): ConnectorConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidConfigError(where, 'must be an object of property names to values')
  }
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string') out[key] = value
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = String(value)
    else if (typeof value === 'boolean') out[key] = String(value)
    else throw new InvalidConfigError(`${where}.${key}`, 'must be a string, a number or a boolean')
  }
  return Object.freeze(out)
}

/**
 * Typed reads of a {@link ConnectorConfig}, each failing with an InvalidConfigError that names the
 * property (prefixed by `where`, e.g. `connector.lines.batch.size`), as Kafka's ConfigDef does.
 *
 * @example
 * ```ts
 * const read = configReader(config, 'connector.lines')
 * const batchSize = read.int('batch.size', 2000)
 * ```
 */
export interface ConfigReader {
  readonly config: ConnectorConfig
  string(name: string): string
  string(name: string, fallback: string): string
  optionalString(name: string): string | undefined
  int(name: string, fallback?: number, min?: number): number
  bool(name: string, fallback: boolean): boolean
  list(name: string): string[]
  choice<const T extends string>(name: string, values: readonly T[], fallback: T): T
  /** The properties under `prefix.` with the prefix removed (`transforms.a.field` → `field`). */
  sub(prefix: string): ConnectorConfig
  fail(name: string, reason: string): never
}

/**
 * A {@link ConfigReader} over a configuration.
 *
 * @example
 * ```ts
 * const file = configReader(config, 'connector.lines').string('file')
 * ```
 */
export function configReader(config: ConnectorConfig, where: string): ConfigReader {
  const fail = (name: string, reason: string): never => {
    throw new InvalidConfigError(`${where}.${name}`, reason)
  }
  const get = (name: string): string | undefined => {
    const value = config[name]
    return value === undefined || value.trim() === '' ? undefined : value.trim()
  }
  function string(name: string, fallback?: string): string {
    return get(name) ?? fallback ?? fail(name, 'is required')
  }
  return {
    config,
    string,
    optionalString: get,
    int(name, fallback, min = Number.MIN_SAFE_INTEGER) {
      const text = get(name)
      if (text === undefined) return fallback ?? fail(name, 'is required')
      const value = Number(text)
      if (!Number.isSafeInteger(value)) return fail(name, `must be an integer, got "${text}"`)
      if (value < min) return fail(name, `must be at least ${min}, got ${value}`)
      return value
    },
    bool(name, fallback) {
      const text = get(name)?.toLowerCase()
      if (text === undefined) return fallback
      if (text === 'true' || text === 'false') return text === 'true'
      return fail(name, `must be true or false, got "${text}"`)
    },
    list(name) {
      const text = get(name)
      return text === undefined
        ? []
        : text
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== '')
    },
    choice(name, values, fallback) {
      const text = get(name)
      if (text === undefined) return fallback
      const found = values.find((v) => v.toLowerCase() === text.toLowerCase())
      return found ?? fail(name, `must be one of ${values.join(', ')}, got "${text}"`)
    },
    sub(prefix) {
      const out: Record<string, string> = {}
      for (const [key, value] of Object.entries(config)) {
        if (key.startsWith(`${prefix}.`)) out[key.slice(prefix.length + 1)] = value
      }
      return Object.freeze(out)
    },
    fail,
  }
}

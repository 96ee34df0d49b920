import type { LogEntry, Logger, logCreator } from './types'

/**
 * KafkaJS's log levels. `KAFKAJS_LOG_LEVEL` (e.g. `warn`) in the environment overrides the configured
 * level, as in KafkaJS.
 *
 * @example
 * ```ts
 * const kafka = new Kafka({ brokers: [], logLevel: logLevel.ERROR })
 * ```
 */
export const logLevel = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const
/**
 * The type of {@link logLevel}'s values.
 *
 * @example
 * ```ts
 * const level: logLevel = logLevel.INFO
 * ```
 */
export type logLevel = (typeof logLevel)[keyof typeof logLevel]

const LABELS = {
  ERROR: logLevel.ERROR,
  WARN: logLevel.WARN,
  INFO: logLevel.INFO,
  DEBUG: logLevel.DEBUG,
} as const

function fromEnvironment(level: logLevel | null): logLevel | null {
  const name = (process.env.KAFKAJS_LOG_LEVEL ?? '').toUpperCase()
  return Object.hasOwn(logLevel, name) ? logLevel[name as keyof typeof logLevel] : level
}

/**
 * KafkaJS's default log creator: one JSON line per entry on the console.
 *
 * @example
 * ```ts
 * const kafka = new Kafka({ brokers: [], logCreator: consoleLogCreator })
 * ```
 */
export const consoleLogCreator: logCreator =
  () =>
  ({ namespace, level, label, log }: LogEntry) => {
    const prefix = namespace ? `[${namespace}] ` : ''
    const line = JSON.stringify({ level: label, ...log, message: `${prefix}${log.message}` })
    if (level === logLevel.ERROR) console.error(line)
    else if (level === logLevel.WARN) console.warn(line)
    else if (level === logLevel.INFO) console.info(line)
    else if (level === logLevel.DEBUG) console.log(line)
  }

/**
 * A logger as KafkaJS builds it: entries at or below the current level go to the log creator's function.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: logLevel.INFO, logCreator: consoleLogCreator })
 * logger.namespace('Consumer').info('Starting', { groupId: 'g' })
 * ```
 */
export function createLogger({ level, logCreator }: { level: logLevel; logCreator: logCreator }): Logger {
  let rootLevel: logLevel = fromEnvironment(level) ?? level
  const write = logCreator(rootLevel)

  const build = (namespace: string, namespaceLevel: logLevel | null): Logger => {
    const current = (): logLevel => namespaceLevel ?? rootLevel
    const at =
      (label: keyof typeof LABELS) =>
      (message: string, extra: object = {}): void => {
        const entryLevel = LABELS[label]
        if (entryLevel > current()) return
        write({
          namespace,
          level: entryLevel,
          label,
          log: { timestamp: new Date().toISOString(), logger: 'kafkajs', message, ...extra },
        })
      }
    return {
      info: at('INFO'),
      error: at('ERROR'),
      warn: at('WARN'),
      debug: at('DEBUG'),
      namespace: (child, childLevel) => build(child, fromEnvironment(childLevel ?? null)),
      setLogLevel: (next) => {
        rootLevel = next
      },
    }
  }
  return build('', null)
}

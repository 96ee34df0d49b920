import { parseArgs } from 'node:util'
import { UsageError } from './cli-error'

/** One flag of a command. */
export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** The value's placeholder in help (`<n>`). */
  value?: string
  help: string
}

/** A command (or subcommand): its name, help and flags. */
export interface CommandSpec {
  /** The words that name it: `topics create`. */
  name: string
  summary: string
  /** Positional arguments, for the usage line and their count check. */
  positionals?: { name: string; help: string; required: boolean }[]
  options: Record<string, OptionSpec>
  /** More help: paragraphs printed after the flags. */
  details?: string
  examples?: string[]
}

export type Values = Record<string, string | boolean | string[] | undefined>

/** What parsing a command line gives: flag values and positionals, or a request for help. */
export interface Parsed {
  values: Values
  positionals: string[]
  help: boolean
}

/** The flags every command takes. */
export const HELP_OPTION: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', help: 'Show this help.' },
}

/** `--dir` and `--break-lock`: the data directory a command works on. */
export const DIR_OPTIONS: Record<string, OptionSpec> = {
  dir: { type: 'string', value: '<path>', help: 'The data directory (a logbus FileStorage). Required.' },
  'break-lock': {
    type: 'boolean',
    help: 'Take the directory over from a lock holder that may be alive (only when no other logbus uses it).',
  },
}

/**
 * The data a command that works on a cluster's topics and groups uses: a data directory (`--dir`), or
 * a running `logbus serve` or Kafka cluster over the wire (`--bootstrap-server`), with the same output.
 */
export const CLUSTER_OPTIONS: Record<string, OptionSpec> = {
  ...DIR_OPTIONS,
  dir: {
    type: 'string',
    value: '<path>',
    help: 'The data directory (a logbus FileStorage). Required unless --bootstrap-server.',
  },
  'bootstrap-server': {
    type: 'string',
    value: '<host:port>',
    help: 'Work on a running logbus serve or Kafka cluster over the wire instead (a comma-separated list is tried in order).',
  },
  'command-config': {
    type: 'string',
    value: '<file>',
    help: 'Kafka client properties for --bootstrap-server: security.protocol, sasl.mechanism, sasl.jaas.config, ssl.* (PEM stores), client.id, request.timeout.ms.',
  },
}

/**
 * The flags that name a client properties file: `--command-config`, and the console tools' own name
 * (`--producer.config`, `--consumer.config`) for one command.
 */
export const CLIENT_CONFIG_FLAGS = ['command-config', 'producer.config', 'consumer.config'] as const

/** A console tool's name for `--command-config` (`producer.config` on produce, `consumer.config` on consume). */
export function clientConfigOption(name: 'producer.config' | 'consumer.config'): Record<string, OptionSpec> {
  return {
    [name]: {
      type: 'string',
      value: '<file>',
      help: 'The same as --command-config, as Kafka’s console tools name it.',
    },
  }
}

/** `--dir` of a command that reads a data directory's files: `--bootstrap-server` is refused, saying why. */
export const FILE_OPTIONS: Record<string, OptionSpec> = {
  ...DIR_OPTIONS,
  'bootstrap-server': {
    type: 'string',
    value: '<host:port>',
    help: 'Refused (exit code 2): this command reads the files of a data directory.',
  },
}

export const JSON_OPTION: Record<string, OptionSpec> = {
  json: { type: 'boolean', help: 'Machine-readable JSON output.' },
}

/** Parses `argv` against a command's flags (strict: an unknown flag is a UsageError). */
export function parse(spec: CommandSpec, argv: readonly string[]): Parsed {
  const options = { ...spec.options, ...HELP_OPTION }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          {
            type: o.type,
            ...(o.short === undefined ? {} : { short: o.short }),
            multiple: o.multiple ?? false,
          },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw new UsageError(`${spec.name}: ${(error as Error).message.split('\n')[0]}`)
  }
  const values = parsed.values as Values
  if (values.help === true) return { values, positionals: parsed.positionals, help: true }
  const allowed = spec.positionals ?? []
  if (parsed.positionals.length > allowed.length) {
    throw new UsageError(`${spec.name}: unexpected argument "${parsed.positionals[allowed.length]}"`)
  }
  const missing = allowed.slice(parsed.positionals.length).find((p) => p.required)
  if (missing !== undefined) throw new UsageError(`${spec.name}: missing ${missing.name}`)
  return { values, positionals: parsed.positionals, help: false }
}

/** A string flag's value, if given. */
export function str(values: Values, name: string): string | undefined {
  const v = values[name]
  if (typeof v === 'string') return v
  if (Array.isArray(v)) return v.at(-1)
  return undefined
}

/** A string flag's value; UsageError when absent. */
export function required(values: Values, name: string, command: string): string {
  const v = str(values, name)
  if (v === undefined) throw new UsageError(`${command}: --${name} is required`)
  return v
}

/** A repeatable string flag's values. */
export function list(values: Values, name: string): string[] {
  const v = values[name]
  if (Array.isArray(v)) return v
  return typeof v === 'string' ? [v] : []
}

/** A whole-number flag (with a lower bound), if given. */
export function int(values: Values, name: string, command: string, min = 0): number | undefined {
  const v = str(values, name)
  if (v === undefined) return undefined
  const n = Number(v)
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${command}: --${name} must be a whole number ≥ ${min}, not "${v}"`)
  }
  return n
}

/** A flag that must be one of a few words, if given. */
export function oneOf<T extends string>(
  values: Values,
  name: string,
  command: string,
  choices: readonly T[],
): T | undefined {
  const v = str(values, name)
  if (v === undefined) return undefined
  if (!(choices as readonly string[]).includes(v)) {
    throw new UsageError(`${command}: --${name} must be one of ${choices.join(', ')}, not "${v}"`)
  }
  return v as T
}

/** At most one of these flags may be given; returns the one given. */
export function exclusive(values: Values, names: readonly string[], command: string): string | undefined {
  const given = names.filter((n) => values[n] !== undefined && values[n] !== false)
  if (given.length > 1)
    throw new UsageError(`${command}: give only one of ${given.map((n) => `--${n}`).join(', ')}`)
  return given[0]
}

/** `k=v` pairs (`--config retention.ms=1000`, `--header trace=1`). */
export function pairs(items: readonly string[], name: string, command: string): [string, string][] {
  return items.map((item) => {
    const at = item.indexOf('=')
    if (at <= 0) throw new UsageError(`${command}: --${name} takes key=value, not "${item}"`)
    return [item.slice(0, at), item.slice(at + 1)]
  })
}

/** The help text of a command. */
export function helpText(spec: CommandSpec): string {
  const options = { ...spec.options, ...HELP_OPTION }
  const positionals = (spec.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`))
  const lines = [
    `Usage: logbus ${spec.name}${positionals.length > 0 ? ` ${positionals.join(' ')}` : ''} [options]`,
  ]
  lines.push('', spec.summary)
  if ((spec.positionals ?? []).length > 0) {
    lines.push('', 'Arguments:')
    for (const p of spec.positionals ?? []) lines.push(`  ${p.name.padEnd(26)}${p.help}`)
  }
  lines.push('', 'Options:')
  for (const [name, o] of Object.entries(options)) {
    const flag = `${o.short === undefined ? '    ' : `-${o.short}, `}--${name}${o.value === undefined ? '' : ` ${o.value}`}`
    const text = `${o.help}${o.multiple ? ' Repeatable.' : ''}`
    lines.push(flag.length < 26 ? `  ${flag.padEnd(26)}${text}` : `  ${flag}\n  ${''.padEnd(26)}${text}`)
  }
  if (spec.details !== undefined) lines.push('', spec.details)
  if (spec.examples !== undefined && spec.examples.length > 0) {
    lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`))
  }
  return `${lines.join('\n')}\n`
}

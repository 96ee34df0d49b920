// The errors' own module, not the index: with code splitting, esbuild keeps every module the index
// re-exports alive for an import through it (evanw/esbuild#3704), and the bin would load the whole core.
// biome-ignore lint/style/noRestrictedImports: the same classes the index exports, without the core
import { LockedError } from '../errors'
import { CLIENT_CONFIG_FLAGS, type CommandSpec, exclusive, helpText, parse, str, type Values } from './args'
import { CliError, ExitCode, exitCodeOf, oneLine, UsageError } from './cli-error'
import type { Cluster } from './cluster/cluster'
import type { DataDirCluster, DataDirOptions } from './cluster/data-dir-cluster'
import type { ClientSettings } from './cluster/wire/command-config'
import { COMMANDS, type GroupEntry } from './commands'
import type { CliIo, Command, CommandContext, CommandGroup } from './context'
import { Output } from './output'

const EXIT_CODES = `Exit codes:
  0  done
  1  the work failed (I/O error, failed send, a broker that cannot be reached, anything unexpected)
  2  usage error: unknown command or flag, bad or missing value (nothing was done)
  3  not found: the directory, a topic, a partition or a group does not exist
  4  the data directory is locked by another process (its host and pid are named)
  5  refused in this state: the topic exists, the group has members, the change is not allowed
  6  verify / dump-log found corrupt data
  7  produce: an input line could not be read in the requested format (the lines before it were written)`

function mainHelp(): string {
  const lines = [
    'Usage: logbus <command> [options]',
    '',
    'Kafka-style tools over a logbus data directory (--dir), or over the wire on a running logbus serve',
    'or Kafka cluster (--bootstrap-server host:port): the same commands and output.',
    '',
    'Commands:',
  ]
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const usage = isGroup(entry) ? `${name} ${entry.commands.join('|')}` : name
    lines.push(`  ${usage.padEnd(48)}${entry.summary}`)
  }
  lines.push('', 'Run `logbus <command> --help` for the options of a command.', '', EXIT_CODES, '')
  return lines.join('\n')
}

function groupHelp(group: CommandGroup): string {
  const lines = [
    `Usage: logbus ${group.name} <${Object.keys(group.commands).join('|')}> [options]`,
    '',
    group.summary,
    '',
    'Commands:',
  ]
  for (const [name, command] of Object.entries(group.commands)) {
    lines.push(`  ${name.padEnd(16)}${command.spec.summary}`)
  }
  lines.push('', `Run \`logbus ${group.name} <command> --help\` for its options.`, '')
  return lines.join('\n')
}

/**
 * Finds the command `argv` names and loads its module (that one only); the rest of argv is its
 * arguments. A string result is help to print.
 */
async function resolve(argv: readonly string[]): Promise<{ command: Command; args: string[] } | string> {
  const [first, second, ...rest] = argv
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return mainHelp()
  const entry = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined
  if (entry === undefined) throw new UsageError(`unknown command "${first}" (run logbus --help)`)
  if (!isGroup(entry)) return { command: await entry.load(), args: argv.slice(1) }
  if (second === undefined || second === '--help' || second === '-h') return groupHelp(await entry.load())
  if (!entry.commands.includes(second)) {
    throw new UsageError(`unknown command "${first} ${second}" (one of: ${entry.commands.join(', ')})`)
  }
  const group = await entry.load()
  return { command: group.commands[second]!, args: rest }
}

function isGroup(entry: (typeof COMMANDS)[string]): entry is GroupEntry {
  return 'commands' in entry
}

/**
 * Runs one `logbus` command line; resolves with the exit code. Errors are reported as one line on
 * stderr (`logbus: …`); the data directory, if the command opened it, is closed before it resolves.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = new Output(io.stdout)
  let opened: Cluster | undefined
  try {
    const found = await resolve(argv)
    if (typeof found === 'string') {
      out.text(found)
      await out.flush()
      return ExitCode.ok
    }
    const { command, args } = found
    const parsed = parse(command.spec, normalise(command.spec, args))
    if (parsed.help) {
      out.text(helpText(command.spec))
      await out.flush()
      return ExitCode.ok
    }
    const bootstrap = str(parsed.values, 'bootstrap-server')
    // Read before anything is done, so that a file it cannot use changes nothing.
    const clientSettings = await clientSettingsOf(command.spec.name, parsed.values, bootstrap)
    const open = async (options: Partial<DataDirOptions>): Promise<DataDirCluster> => {
      if (bootstrap !== undefined) {
        throw new UsageError(
          `${command.spec.name} works on a data directory (--dir), not over --bootstrap-server`,
        )
      }
      if (opened !== undefined) return opened as DataDirCluster
      const dir = str(parsed.values, 'dir')
      if (dir === undefined) {
        throw new UsageError(
          `${command.spec.name}: --dir${'bootstrap-server' in command.spec.options ? ' or --bootstrap-server' : ''} is required`,
        )
      }
      // The file log is loaded by the commands that open a directory, not by `--help` or `serve --memory`.
      const [{ DataDirCluster }, { describeDamage }] = await Promise.all([
        import('./cluster/data-dir-cluster'),
        import('../file'),
      ])
      const cluster = await DataDirCluster.open({
        dir,
        breakLock: parsed.values['break-lock'] === true,
        onDamage: (damage) => note(io, `warning: ${describeDamage(damage)}`),
        ...options,
      })
      opened = cluster
      return cluster
    }
    const ctx: CommandContext = {
      io,
      out,
      parsed,
      cluster: async (options): Promise<Cluster> => {
        if (bootstrap === undefined) return open({ create: options?.create ?? false })
        if (str(parsed.values, 'dir') !== undefined) {
          throw new UsageError(`${command.spec.name}: give --dir or --bootstrap-server, not both`)
        }
        // Loaded only when asked for: the wire client is not needed on a data directory.
        const { WireCluster } = await import('./cluster/wire/wire-cluster')
        opened ??= await WireCluster.connect(bootstrap, clientSettings)
        return opened
      },
      bus: async (options) =>
        (
          await open({
            autoCreateTopics: options?.autoCreateTopics ?? false,
            create: options?.create ?? false,
            ...(options?.fsync === undefined ? {} : { fsync: options.fsync }),
          })
        ).bus,
      note: (message) => note(io, message),
    }
    const code = (await command.run(ctx)) ?? ExitCode.ok
    await out.flush()
    await opened?.close()
    opened = undefined
    return code
  } catch (error) {
    await out.flush().catch(() => undefined)
    if (opened !== undefined) await opened.close().catch(() => undefined)
    if (isBrokenPipe(error)) return ExitCode.ok
    const code = exitCodeOf(error)
    note(io, error instanceof LockedError ? lockedMessage(error) : oneLine(error))
    if (code === ExitCode.failure && !(error instanceof CliError) && process.env.LOGBUS_DEBUG !== undefined) {
      io.stderr.write(`${(error as Error).stack}\n`)
    }
    return code
  }
}

/** The client settings of `--command-config` (or a console tool's name for it), if given. */
async function clientSettingsOf(
  command: string,
  values: Values,
  bootstrap: string | undefined,
): Promise<ClientSettings | undefined> {
  const flag = exclusive(values, CLIENT_CONFIG_FLAGS, command)
  if (flag === undefined) return undefined
  if (bootstrap === undefined) throw new UsageError(`${command}: --${flag} goes with --bootstrap-server`)
  // Loaded only when given: most runs have no properties file.
  const { loadClientSettings } = await import('./cluster/wire/command-config')
  return loadClientSettings(str(values, flag)!, flag)
}

/** Who holds the directory, in the CLI's words (`--break-lock`, not the API's `breakLock`). */
function lockedMessage(error: LockedError): string {
  const holder = [
    error.ownerPid === undefined ? undefined : `pid ${error.ownerPid}`,
    error.ownerHost === undefined ? undefined : `on host ${error.ownerHost}`,
  ].filter((part) => part !== undefined)
  return (
    `Directory ${error.dir} is locked by another logbus${holder.length === 0 ? '' : ` (${holder.join(' ')})`}; ` +
    'if that process is not a logbus using this directory, run again with --break-lock'
  )
}

function note(io: CliIo, message: string): void {
  io.stderr.write(`logbus: ${message}\n`)
}

/** A reader that went away (`| head`) is not an error of ours. */
function isBrokenPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE'
}

/**
 * `--shift-by -5` as Kafka's tools take it: node's parser reads a value that starts with a dash as a
 * flag, so a negative number after a flag that takes a value is joined to it (`--shift-by=-5`).
 */
function normalise(spec: CommandSpec, args: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const next = args[i + 1]
    const name = arg.startsWith('--') ? arg.slice(2) : undefined
    if (
      name !== undefined &&
      spec.options[name]?.type === 'string' &&
      next !== undefined &&
      /^-\d/.test(next)
    ) {
      out.push(`${arg}=${next}`)
      i++
    } else out.push(arg)
  }
  return out
}

// The errors' own module, not the index: with code splitting, esbuild keeps every module the index
// re-exports alive for an import through it (evanw/esbuild#3704), and the bin would load the whole core.
// biome-ignore lint/style/noRestrictedImports: the same classes the index exports, without the core
import { LogbusError } from '../errors'

/**
 * The exit codes of `logbus`, stable for scripts. Documented in README.md ("Tools") and in `logbus --help`.
 */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** The work failed (an I/O error, a failed send, anything unexpected). */
  failure: 1,
  /** The command line is wrong: unknown command or flag, a bad or missing value. Nothing was done. */
  usage: 2,
  /** What the command names does not exist: the directory, a topic, a partition, a group. */
  notFound: 3,
  /** Another process holds the data directory. */
  locked: 4,
  /** Refused in this state: the topic exists, the group has members, the change is not allowed. */
  refused: 5,
  /** `verify` (or `dump-log`) found corrupt data. */
  damaged: 6,
  /** An input line could not be read in the requested format (`produce`); the lines before it were written. */
  badInput: 7,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** An error the CLI reports as one line on stderr with its own exit code. */
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message)
  }
}

/** A wrong command line: exit code 2, and a pointer to `--help`. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage)
  }
}

const EXIT_BY_CODE: Partial<Record<string, ExitCodeValue>> = {
  UNKNOWN_TOPIC_OR_PARTITION: ExitCode.notFound,
  GROUP_ID_NOT_FOUND: ExitCode.notFound,
  LOCKED: ExitCode.locked,
  TOPIC_ALREADY_EXISTS: ExitCode.refused,
  NON_EMPTY_GROUP: ExitCode.refused,
  INVALID_PARTITIONS: ExitCode.refused,
  INVALID_STATE: ExitCode.refused,
  INVALID_CONFIG: ExitCode.usage,
  INVALID_TOPIC_EXCEPTION: ExitCode.usage,
  OFFSET_OUT_OF_RANGE: ExitCode.usage,
  CORRUPT_MESSAGE: ExitCode.damaged,
}

/** The exit code an error ends the process with. */
export function exitCodeOf(error: unknown): ExitCodeValue {
  if (error instanceof CliError) return error.exitCode
  if (error instanceof LogbusError) return EXIT_BY_CODE[error.code] ?? ExitCode.failure
  return ExitCode.failure
}

/** An error as one line: its message, newlines folded. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.replace(/\s*\n\s*/g, ' ').trim()
}

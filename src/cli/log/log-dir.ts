import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { str, type Values } from '../args'
import { CliError, ExitCode, UsageError } from '../cli-error'

/** A command that reads the files of a data directory cannot work over the wire: a usage error that says so. */
export function refuseBootstrapServer(values: Values, command: string): void {
  if (str(values, 'bootstrap-server') !== undefined) {
    throw new UsageError(
      `${command} reads the log files of a data directory (--dir); it cannot work over --bootstrap-server`,
    )
  }
}

/** `--dir` of a command that reads the files of a data directory: it must exist and be one. */
export function dataDir(values: Values, command: string): string {
  refuseBootstrapServer(values, command)
  const dir = str(values, 'dir')
  if (dir === undefined) throw new UsageError(`${command}: --dir is required`)
  if (!existsSync(dir)) throw new CliError(`Directory ${dir} does not exist`, ExitCode.notFound)
  if (!statSync(dir).isDirectory()) throw new CliError(`${dir} is not a directory`, ExitCode.notFound)
  if (!existsSync(join(dir, '__logbus'))) {
    throw new CliError(`${dir} is not a logbus data directory (no __logbus/ in it)`, ExitCode.notFound)
  }
  return dir
}

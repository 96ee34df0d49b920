import type { Readable } from 'node:stream'
import type { Bus } from '../index'
import type { CommandSpec, Parsed } from './args'
import type { Cluster } from './cluster/cluster'
import type { Output, OutStream } from './output'

/** What a command runs with: its streams and a signal that aborts on SIGINT/SIGTERM. */
export interface CliIo {
  stdin: Readable
  stdout: OutStream
  stderr: OutStream
  /** Aborted when the user asks the process to stop (SIGINT, SIGTERM). */
  signal: AbortSignal
}

/** A command's run: its parsed arguments and output. */
export interface CommandContext {
  io: CliIo
  out: Output
  parsed: Parsed
  /** Opens the cluster the command works on (the data directory of `--dir`, or `--bootstrap-server`), once. */
  cluster(options?: { create?: boolean }): Promise<Cluster>
  /** The bus over the data directory of `--dir`, for the commands built on the bus (datagen, connect). */
  bus(options?: {
    autoCreateTopics?: boolean | { partitions?: number }
    create?: boolean
    /** When appends are durable; the CLI's default is 'never', fsynced at close (see DataDirOptions). */
    fsync?: 'always' | 'interval' | 'never'
  }): Promise<Bus>
  /** A one-line note on stderr (`logbus: …`). */
  note(message: string): void
}

/** One command: its help and flags, and what it does. Resolves with the exit code (0 when undefined). */
export interface Command {
  spec: CommandSpec
  run(ctx: CommandContext): Promise<number | undefined>
}

/** A group of subcommands: `topics list`, `topics create`, … */
export interface CommandGroup {
  name: string
  summary: string
  commands: Record<string, Command>
}

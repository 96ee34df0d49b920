import type { Command, CommandGroup } from './context'

/** A command the dispatcher knows by name; its module is loaded only to run it or print its help. */
export interface CommandEntry {
  /** The line `logbus --help` prints for it: the command's `spec.summary`. */
  summary: string
  load(): Promise<Command>
}

/** A group of subcommands (`topics list`, …), known by name; its module is loaded only when named. */
export interface GroupEntry {
  /** The line `logbus --help` prints for it: the group's `summary`. */
  summary: string
  /** Its subcommands' names, in the order of `CommandGroup.commands`. */
  commands: readonly string[]
  load(): Promise<CommandGroup>
}

/**
 * Every command of the `logbus` bin. Each is a dynamic import, so that a command loads its own code and
 * no other's: `logbus --help` loads no command, `logbus serve` neither the file log's tools nor Connect.
 * What `--help` prints is kept here so that it needs no module; a test checks it against the modules.
 */
export const COMMANDS: Record<string, CommandEntry | GroupEntry> = {
  topics: {
    summary: 'List, describe, create, delete and alter topics.',
    commands: ['list', 'describe', 'create', 'delete', 'alter'],
    load: async () => (await import('./topics/topics')).topics,
  },
  produce: {
    summary: 'Produce lines from stdin or a file as records: one line, one record.',
    load: async () => (await import('./produce/produce')).produce,
  },
  consume: {
    summary: 'Write the records of a topic to stdout: values one per line, JSON lines, or a template.',
    load: async () => (await import('./consume/consume')).consume,
  },
  groups: {
    summary: 'List, describe and delete consumer groups; reset their offsets.',
    commands: ['list', 'describe', 'delete', 'reset-offsets'],
    load: async () => (await import('./groups/groups')).groups,
  },
  'dump-log': {
    summary:
      'Print the batches of the logs (as kafka-dump-log does): offsets, CRC, timestamps, counts; damage by offset.',
    load: async () => (await import('./log/dump-log')).dumpLog,
  },
  verify: {
    summary:
      'Check every batch of every partition (CRC, framing, offsets that follow on) and report damage by offset.',
    load: async () => (await import('./log/verify')).verify,
  },
  repair: {
    summary: 'Repair the damage verify reports: a dry run that shows the plan unless --execute.',
    load: async () => (await import('./log/repair')).repair,
  },
  datagen: {
    summary: "Produce generated records to a topic: Confluent datagen's quickstarts, seedable.",
    load: async () => (await import('./datagen/datagen')).datagen,
  },
  serve: {
    summary: 'Serve Kafka’s wire protocol (and optionally the console, REST proxy and metrics) on a bus.',
    load: async () => (await import('./serve/serve')).serve,
  },
  connect: {
    summary:
      "Run Kafka Connect's standalone mode from a JSON config, over the data directory, until interrupted.",
    load: async () => (await import('./connect/connect')).connect,
  },
}

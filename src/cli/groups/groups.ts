import { CLUSTER_OPTIONS, exclusive, JSON_OPTION, list, required, str } from '../args'
import { UsageError } from '../cli-error'
import type { ResetSpec } from '../cluster/cluster'
import type { Command, CommandGroup } from '../context'
import { table } from '../table'

const GROUP = { group: { type: 'string', value: '<id>', help: 'The group id. Required.' } } as const

const listGroups: Command = {
  spec: {
    name: 'groups list',
    summary: 'List the consumer groups (those with members or committed offsets), one per line.',
    options: { ...CLUSTER_OPTIONS, ...JSON_OPTION },
  },
  async run(ctx) {
    const groups = await (await ctx.cluster()).listGroups()
    if (ctx.parsed.values.json === true) ctx.out.text(`${JSON.stringify(groups)}\n`)
    else for (const { groupId } of groups) ctx.out.text(`${groupId}\n`)
    return undefined
  },
}

const describeGroup: Command = {
  spec: {
    name: 'groups describe',
    summary: 'State, members, and per partition the committed offset, log end offset and lag of a group.',
    options: { ...CLUSTER_OPTIONS, ...JSON_OPTION, ...GROUP },
  },
  async run(ctx) {
    const groupId = required(ctx.parsed.values, 'group', 'groups describe')
    const report = await (await ctx.cluster()).describeGroup(groupId)
    if (ctx.parsed.values.json === true) {
      ctx.out.text(`${JSON.stringify(report)}\n`)
      return undefined
    }
    ctx.out.text(`Group: ${report.groupId}\tState: ${report.state}\tMembers: ${report.members.length}\n`)
    ctx.out.text(
      table(
        [
          'GROUP',
          'TOPIC',
          'PARTITION',
          'CURRENT-OFFSET',
          'LOG-END-OFFSET',
          'LAG',
          'CONSUMER-ID',
          'CLIENT-ID',
        ],
        report.partitions.map((p) => [
          report.groupId,
          p.topic,
          p.partition,
          p.currentOffset,
          p.logEndOffset,
          p.lag,
          p.consumerId,
          p.clientId,
        ]),
      ),
    )
    return undefined
  },
}

const deleteGroup: Command = {
  spec: {
    name: 'groups delete',
    summary: 'Delete a group and its committed offsets (refused while it has members).',
    options: { ...CLUSTER_OPTIONS, ...GROUP },
  },
  async run(ctx) {
    const groupId = required(ctx.parsed.values, 'group', 'groups delete')
    await (await ctx.cluster()).deleteGroup(groupId)
    ctx.out.text(`Deleted group ${groupId}\n`)
    return undefined
  },
}

const TARGETS = ['to-earliest', 'to-latest', 'to-datetime', 'to-offset', 'shift-by'] as const

const resetOffsets: Command = {
  spec: {
    name: 'groups reset-offsets',
    summary:
      "Move a group's committed offsets, as kafka-consumer-groups --reset-offsets: a dry run unless --execute.",
    options: {
      ...CLUSTER_OPTIONS,
      ...JSON_OPTION,
      ...GROUP,
      topic: { type: 'string', multiple: true, value: '<name>', help: 'A topic to reset.' },
      'all-topics': { type: 'boolean', help: 'Every topic the group has committed offsets for.' },
      'to-earliest': { type: 'boolean', help: 'To the log start offset.' },
      'to-latest': { type: 'boolean', help: 'To the log end offset.' },
      'to-datetime': {
        type: 'string',
        value: '<time>',
        help: 'To the first offset at or after a time (ISO 8601, e.g. 2026-01-31T12:00:00Z, or epoch ms).',
      },
      'to-offset': { type: 'string', value: '<n>', help: 'To this offset (clamped to the log).' },
      'shift-by': { type: 'string', value: '<n>', help: 'Move by n (negative: back), clamped to the log.' },
      'dry-run': { type: 'boolean', help: 'Show the new offsets and change nothing (the default).' },
      execute: { type: 'boolean', help: 'Apply the new offsets.' },
    },
    details:
      'Give --topic (repeatable) or --all-topics, and one of --to-earliest, --to-latest, --to-datetime,\n' +
      '--to-offset, --shift-by. Refused (exit code 5) while the group has members, dry run included.',
    examples: [
      'logbus groups reset-offsets --dir ./data --group billing --topic orders --to-earliest --execute',
    ],
  },
  async run(ctx) {
    const { values } = ctx.parsed
    const command = 'groups reset-offsets'
    const groupId = required(values, 'group', command)
    const topics = list(values, 'topic')
    if (topics.length > 0 === (values['all-topics'] === true)) {
      throw new UsageError(`${command}: give --topic or --all-topics`)
    }
    const target = exclusive(values, TARGETS, command)
    if (target === undefined)
      throw new UsageError(`${command}: give one of ${TARGETS.map((t) => `--${t}`).join(', ')}`)
    exclusive(values, ['dry-run', 'execute'], command)
    const spec: ResetSpec = {
      to: targetOf(target as (typeof TARGETS)[number], str(values, target), command),
      ...(topics.length > 0 ? { topics } : {}),
      dryRun: values.execute !== true,
    }
    const changes = await (await ctx.cluster()).resetOffsets(groupId, spec)
    if (values.json === true) {
      ctx.out.text(`${JSON.stringify({ groupId, dryRun: spec.dryRun, offsets: changes })}\n`)
      return undefined
    }
    ctx.out.text(
      table(
        ['GROUP', 'TOPIC', 'PARTITION', 'PREVIOUS-OFFSET', 'NEW-OFFSET'],
        changes.map((c) => [groupId, c.topic, c.partition, c.previous, c.offset]),
      ),
    )
    if (spec.dryRun) ctx.note('Dry run: nothing changed (add --execute to apply)')
    return undefined
  },
}

function targetOf(
  target: (typeof TARGETS)[number],
  value: string | undefined,
  command: string,
): ResetSpec['to'] {
  switch (target) {
    case 'to-earliest':
      return 'earliest'
    case 'to-latest':
      return 'latest'
    case 'to-datetime': {
      const text = value ?? ''
      const timestamp = /^\d+$/.test(text) ? Number(text) : Date.parse(text)
      if (!Number.isSafeInteger(timestamp)) {
        throw new UsageError(
          `${command}: --to-datetime takes an ISO 8601 time or epoch milliseconds, not "${text}"`,
        )
      }
      return { timestamp }
    }
    case 'to-offset':
      return { offset: whole(value, target, command, 0) }
    case 'shift-by':
      return { shiftBy: whole(value, target, command, Number.MIN_SAFE_INTEGER) }
  }
}

function whole(value: string | undefined, name: string, command: string, min: number): number {
  const n = Number(value)
  if (value === undefined || value.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(
      `${command}: --${name} must be a whole number${min === 0 ? ' ≥ 0' : ''}, not "${value}"`,
    )
  }
  return n
}

export const groups: CommandGroup = {
  name: 'groups',
  summary: 'List, describe and delete consumer groups; reset their offsets.',
  commands: { list: listGroups, describe: describeGroup, delete: deleteGroup, 'reset-offsets': resetOffsets },
}

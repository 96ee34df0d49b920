import { CLUSTER_OPTIONS, clientConfigOption, exclusive, int, oneOf, required, str } from '../args'
import { UsageError } from '../cli-error'
import type { StartAt } from '../cluster/cluster'
import type { Command } from '../context'
import { FORMATS, type Format } from '../produce/field-format'
import { Progress } from '../progress'
import { jsonWriter, type RecordWriter, templateWriter, textWriter } from './record-format'

export const consume: Command = {
  spec: {
    name: 'consume',
    summary: 'Write the records of a topic to stdout: values one per line, JSON lines, or a template.',
    options: {
      ...CLUSTER_OPTIONS,
      ...clientConfigOption('consumer.config'),
      topic: { type: 'string', value: '<name>', help: 'The topic. Required.' },
      'from-beginning': {
        type: 'boolean',
        help: 'Start at the earliest offset (default: the latest, so only new records), where the group has no offset.',
      },
      group: {
        type: 'string',
        value: '<id>',
        help: "Resume from this group's committed offsets; commit where it stopped.",
      },
      partition: { type: 'string', value: '<n>', help: 'Only this partition.' },
      offset: {
        type: 'string',
        value: '<n|earliest|latest>',
        help: 'Start at this offset of each partition read.',
      },
      follow: {
        type: 'boolean',
        help: 'At the end, wait for more until interrupted (Ctrl-C / SIGTERM end it with exit code 0).',
      },
      max: { type: 'string', value: '<n>', help: 'Stop after n records.' },
      format: {
        type: 'string',
        value: '<f>',
        help: 'text (default: the value, as its bytes), json (one object per line).',
      },
      template: {
        type: 'string',
        short: 'f',
        value: '<fmt>',
        help: "kcat's -f: %t topic %p partition %o offset %T timestamp %k key %s value %K/%S lengths %h headers.",
      },
      'print-key': { type: 'boolean', help: 'text: print the key and the key separator before the value.' },
      'key-separator': {
        type: 'string',
        value: '<sep>',
        help: 'text with --print-key: between key and value (default tab).',
      },
      'key-format': { type: 'string', value: '<f>', help: 'json: keys as string (default), json or base64.' },
      'value-format': {
        type: 'string',
        value: '<f>',
        help: 'json: values as string (default), json or base64.',
      },
    },
    details:
      "Without --follow, reads to the end offsets it finds and exits 0. With --group, starts at the group's\n" +
      'committed offsets and commits the position reached (after --max, right after the last record\n' +
      'written). A data directory is locked while the command runs, so nothing else appends to it: there,\n' +
      '--follow waits until it is interrupted. With --bootstrap-server, --group joins the group as a member\n' +
      '(as kafka-console-consumer --group does), reads the partitions assigned to it and commits before a\n' +
      'rebalance and at the end. The order is per partition; partitions are read in turn.',
    examples: [
      'logbus consume --dir ./data --topic lines --from-beginning > lines.txt',
      'logbus consume --dir ./data --topic pageviews --from-beginning --format json --max 5',
      "logbus consume --dir ./data --topic pageviews --offset 0 --partition 0 -f '%o %k %s\\n'",
      'logbus consume --bootstrap-server localhost:9092 --topic orders --group billing --follow',
    ],
  },
  async run(ctx) {
    const { values } = ctx.parsed
    const topic = required(values, 'topic', 'consume')
    const group = str(values, 'group')
    const partition = int(values, 'partition', 'consume')
    const max = int(values, 'max', 'consume', 1)
    const offset = str(values, 'offset')
    if (group !== undefined && (partition !== undefined || offset !== undefined)) {
      throw new UsageError(
        'consume: --group reads what the group is at: it takes neither --partition nor --offset',
      )
    }
    exclusive(values, ['from-beginning', 'offset'], 'consume')
    const writer = writerOf(values)
    const cluster = await ctx.cluster()
    const description = await cluster.describeTopic(topic)
    if (partition !== undefined && partition >= description.partitions.length) {
      throw new UsageError(`consume: topic "${topic}" has no partition ${partition}`)
    }
    const progress = new Progress(ctx.io.stderr, 'records')
    const { out } = ctx
    try {
      const { records } = await cluster.consume(
        {
          topic,
          ...(partition === undefined ? {} : { partitions: [partition] }),
          start: startOf(offset, values['from-beginning'] === true),
          ...(group === undefined ? {} : { group }),
          follow: values.follow === true,
          ...(max === undefined ? {} : { max }),
          signal: ctx.io.signal,
          caughtUp: () => out.flush(),
        },
        (slice) => {
          writer(slice, out)
          progress.add(slice.to - slice.from)
          if (out.buffered >= 1 << 19) return out.maybeFlush()
          return undefined
        },
      )
      await out.flush()
      progress.done()
      if (ctx.io.stderr.isTTY === true) ctx.note(`Processed ${records} records`)
    } finally {
      progress.done()
    }
    return undefined
  },
}

function startOf(offset: string | undefined, fromBeginning: boolean): StartAt {
  if (offset === undefined) return fromBeginning ? 'earliest' : 'latest'
  if (offset === 'earliest' || offset === 'latest') return offset
  const n = Number(offset)
  if (offset.trim() === '' || !Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(`consume: --offset must be a whole number, earliest or latest, not "${offset}"`)
  }
  return { offset: n }
}

function writerOf(values: Record<string, unknown>): RecordWriter {
  const template = values.template
  const format = oneOf(values as never, 'format', 'consume', ['text', 'json'] as const)
  if (typeof template === 'string') {
    if (format !== undefined) throw new UsageError('consume: give either --format or --template')
    return templateWriter(template)
  }
  if (format === 'json') {
    const keyFormat: Format = oneOf(values as never, 'key-format', 'consume', FORMATS) ?? 'string'
    const valueFormat: Format = oneOf(values as never, 'value-format', 'consume', FORMATS) ?? 'string'
    return jsonWriter(keyFormat, valueFormat)
  }
  const separator = typeof values['key-separator'] === 'string' ? values['key-separator'] : '\t'
  return textWriter({ printKey: values['print-key'] === true, keySeparator: Buffer.from(separator) })
}

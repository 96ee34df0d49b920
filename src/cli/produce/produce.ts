import { RecordTooLargeError } from '../../index'
import {
  CLUSTER_OPTIONS,
  clientConfigOption,
  int,
  JSON_OPTION,
  list,
  oneOf,
  pairs,
  required,
  str,
} from '../args'
import { CliError, ExitCode } from '../cli-error'
import type { Command } from '../context'
import { inputChunks } from '../input'
import { Progress } from '../progress'
import { FORMATS, type Format } from './field-format'
import { LineBatcher } from './line-batcher'

/** Sends in flight at once (the producer keeps their order). */
const IN_FLIGHT = 4

export const produce: Command = {
  spec: {
    name: 'produce',
    summary: 'Produce lines from stdin or a file as records: one line, one record.',
    options: {
      ...CLUSTER_OPTIONS,
      ...clientConfigOption('producer.config'),
      ...JSON_OPTION,
      topic: { type: 'string', value: '<name>', help: 'The topic. Required.' },
      file: {
        type: 'string',
        value: '<path>',
        help: 'Read lines from this file instead of stdin (- is stdin).',
      },
      'key-separator': {
        type: 'string',
        value: '<sep>',
        help: 'Each line is key<sep>value (split at the first <sep>); a line without it is an error.',
      },
      'value-format': {
        type: 'string',
        value: '<f>',
        help: 'string (default: the bytes as they are), json (checked), base64.',
      },
      'key-format': { type: 'string', value: '<f>', help: 'string (default), json, base64.' },
      header: { type: 'string', multiple: true, value: '<k=v>', help: 'A header on every record.' },
      partition: {
        type: 'string',
        value: '<n>',
        help: 'Write every record to this partition (default: by key, or spread).',
      },
    },
    details:
      'A line ends at \\n; its bytes are kept as they are (a \\r stays in the value), so consuming the topic back\n' +
      'with --from-beginning gives the input byte for byte. An empty line is an empty value. Records are\n' +
      'written in order; on a line that does not parse, the command stops with exit code 7, naming the\n' +
      'line: the lines before it are written. With --json, prints {"topic","records"} at the end.',
    examples: [
      'logbus produce --dir ./data --topic lines --file lines.txt',
      'printf \'u1:{"n":1}\\n\' | logbus produce --dir ./data --topic users --key-separator : --value-format json',
    ],
  },
  async run(ctx) {
    const { values } = ctx.parsed
    const topic = required(values, 'topic', 'produce')
    const valueFormat: Format = oneOf(values, 'value-format', 'produce', FORMATS) ?? 'string'
    const keyFormat: Format = oneOf(values, 'key-format', 'produce', FORMATS) ?? 'string'
    const separator = str(values, 'key-separator')
    if (separator === '') throw new CliError('produce: --key-separator must not be empty', ExitCode.usage)
    const partition = int(values, 'partition', 'produce')
    const headerPairs = pairs(list(values, 'header'), 'header', 'produce')
    const headers =
      headerPairs.length === 0
        ? undefined
        : Object.freeze(Object.fromEntries(headerPairs.map(([k, v]) => [k, Buffer.from(v)])))
    const cluster = await ctx.cluster()
    const description = await cluster.describeTopic(topic)
    const partitionCount = description.partitions.length
    if (partition !== undefined && partition >= partitionCount) {
      throw new CliError(`Unknown partition ${partition} of topic "${topic}"`, ExitCode.notFound)
    }
    const producer = await cluster.producer(topic)
    const batcher = new LineBatcher({
      topic,
      partitionCount,
      maxMessageBytes: producer.maxMessageBytes,
      keyFormat,
      valueFormat,
      ...(partition === undefined ? {} : { partition }),
      ...(separator === undefined ? {} : { separator: Buffer.from(separator) }),
      ...(headers === undefined ? {} : { headers }),
    })
    const progress = new Progress(ctx.io.stderr, 'records')
    const inFlight: Promise<void>[] = []
    /** Sends the batches made so far; resolves when fewer than IN_FLIGHT sends are under way. */
    const ship = (all: boolean): Promise<void> | undefined => {
      const batches = batcher.take(all)
      if (batches.size === 0) return undefined
      const sent = producer.send(batches)
      // Awaited below, in order; marked handled so that a failure waits its turn to be reported.
      sent.catch(() => undefined)
      inFlight.push(sent)
      progress.set(batcher.lines)
      return inFlight.length >= IN_FLIGHT ? inFlight.shift() : undefined
    }
    try {
      for await (const chunk of inputChunks(str(values, 'file'), ctx.io.stdin)) {
        batcher.push(chunk as Buffer)
        await ship(false)
      }
      batcher.end()
      await ship(true)
    } catch (error) {
      // A line that does not parse (or is too large) ends the run; the lines before it are written.
      if (lineError(error)) await ship(true)
      throw error
    } finally {
      // Whatever was accepted is written before the error (if any) is reported.
      await Promise.allSettled(inFlight)
      progress.done()
    }
    for (const pending of inFlight) await pending
    await producer.close()
    if (values.json === true) ctx.out.text(`${JSON.stringify({ topic, records: batcher.lines })}\n`)
    return undefined
  },
}

function lineError(error: unknown): boolean {
  return (
    (error instanceof CliError && error.exitCode === ExitCode.badInput) ||
    error instanceof RecordTooLargeError
  )
}

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
import type { ProduceMessage } from '../cluster/cluster'
import type { Command } from '../context'
import { forEachLines, inputChunks } from '../input'
import { Progress } from '../progress'
import { FORMATS, type Format, parseField } from './field-format'

/** Records per send: large sends amortise the producer's per-call work. */
const SEND_RECORDS = 16_384
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
    const sep = separator === undefined ? undefined : Buffer.from(separator)
    const partition = int(values, 'partition', 'produce')
    const headerPairs = pairs(list(values, 'header'), 'header', 'produce')
    const headers =
      headerPairs.length === 0
        ? undefined
        : Object.fromEntries(headerPairs.map(([k, v]) => [k, Buffer.from(v)]))
    const cluster = await ctx.cluster()
    const description = await cluster.describeTopic(topic)
    if (partition !== undefined && partition >= description.partitions.length) {
      throw new CliError(`Unknown partition ${partition} of topic "${topic}"`, ExitCode.notFound)
    }
    const producer = await cluster.producer(topic)
    const progress = new Progress(ctx.io.stderr, 'records')
    const inFlight: Promise<void>[] = []
    let records = 0
    let lineNumber = 0
    let batch: ProduceMessage[] = []
    /** Sends the gathered records; resolves when fewer than IN_FLIGHT sends are under way. */
    const ship = (): Promise<void> | undefined => {
      if (batch.length === 0) return undefined
      const sent = producer.send(batch)
      // Awaited below, in order; marked handled so that a failure waits its turn to be reported.
      sent.catch(() => undefined)
      inFlight.push(sent)
      records += batch.length
      progress.set(records)
      batch = []
      return inFlight.length >= IN_FLIGHT ? inFlight.shift() : undefined
    }
    const fast =
      sep === undefined && valueFormat === 'string' && headers === undefined && partition === undefined
    try {
      await forEachLines(inputChunks(str(values, 'file'), ctx.io.stdin), async (lines) => {
        for (const line of lines) {
          lineNumber++
          batch.push(
            fast
              ? { key: null, value: line }
              : toMessage(line, lineNumber, sep, keyFormat, valueFormat, headers, partition),
          )
          if (batch.length >= SEND_RECORDS) await ship()
        }
      })
      await ship()
    } catch (error) {
      // A line that does not parse ends the run; the lines before it are written, as the help says.
      if (error instanceof CliError && error.exitCode === ExitCode.badInput) await ship()
      throw error
    } finally {
      // Whatever was accepted is written before the error (if any) is reported.
      await Promise.allSettled(inFlight)
      progress.done()
    }
    for (const pending of inFlight) await pending
    await producer.close()
    if (values.json === true) ctx.out.text(`${JSON.stringify({ topic, records })}\n`)
    return undefined
  },
}

function toMessage(
  line: Buffer,
  lineNumber: number,
  sep: Buffer | undefined,
  keyFormat: Format,
  valueFormat: Format,
  headers: Record<string, Buffer> | undefined,
  partition: number | undefined,
): ProduceMessage {
  let key: Buffer | null = null
  let value = line
  if (sep !== undefined) {
    const at = line.indexOf(sep)
    if (at === -1) {
      throw new CliError(`line ${lineNumber}: no key separator "${sep.toString()}" in it`, ExitCode.badInput)
    }
    key = parseField(line.subarray(0, at), keyFormat, `line ${lineNumber}: the key`)
    value = line.subarray(at + sep.length)
  }
  const message: ProduceMessage = {
    key,
    value: parseField(value, valueFormat, `line ${lineNumber}: the value`),
  }
  if (headers !== undefined) message.headers = headers
  if (partition !== undefined) message.partition = partition
  return message
}

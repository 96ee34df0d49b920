import { DIR_OPTIONS, int, JSON_OPTION, oneOf, required, str } from '../args'
import { UsageError } from '../cli-error'
import type { Command } from '../context'
import { Progress } from '../progress'

/** Confluent's quickstart names (logbus/datagen's `quickstarts`, loaded only when the command runs). */
export const QUICKSTART_NAMES = [
  'users',
  'pageviews',
  'orders',
  'stock_trades',
  'clickstream',
  'transactions',
] as const

export const datagen: Command = {
  spec: {
    name: 'datagen',
    summary: "Produce generated records to a topic: Confluent datagen's quickstarts, seedable.",
    options: {
      ...DIR_OPTIONS,
      ...JSON_OPTION,
      quickstart: { type: 'string', value: '<name>', help: `${QUICKSTART_NAMES.join(', ')}. Required.` },
      topic: { type: 'string', value: '<name>', help: 'The topic (it must exist). Required.' },
      rate: { type: 'string', value: '<n>', help: 'Records per second (default: as fast as possible).' },
      'max-interval': {
        type: 'string',
        value: '<ms>',
        help: "Confluent's max.interval: a random pause of up to ms before each record.",
      },
      iterations: {
        type: 'string',
        value: '<n>',
        help: 'Stop after n records (default: until interrupted).',
      },
      seed: { type: 'string', value: '<seed>', help: 'The same seed gives the same records every time.' },
    },
    details:
      "Keys are the quickstart's key field, values its JSON. Without --iterations it runs until\n" +
      'interrupted (Ctrl-C / SIGTERM: exit code 0, every record sent is written).',
    examples: [
      'logbus datagen --dir ./data --quickstart pageviews --topic pageviews --rate 1000 --iterations 5000 --seed 1',
    ],
  },
  async run(ctx) {
    const { values } = ctx.parsed
    const quickstart = oneOf(values, 'quickstart', 'datagen', QUICKSTART_NAMES)
    if (quickstart === undefined) throw new UsageError('datagen: --quickstart is required')
    const topic = required(values, 'topic', 'datagen')
    const rateText = str(values, 'rate')
    const rate = rateText === undefined ? undefined : Number(rateText)
    if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) {
      throw new UsageError(`datagen: --rate must be a positive number, not "${rateText}"`)
    }
    const maxInterval = int(values, 'max-interval', 'datagen')
    if (rate !== undefined && maxInterval !== undefined)
      throw new UsageError('datagen: give either --rate or --max-interval')
    const iterations = int(values, 'iterations', 'datagen', 1)
    const seedText = str(values, 'seed')
    const seed = seedText === undefined ? undefined : /^-?\d+$/.test(seedText) ? Number(seedText) : seedText
    // Loaded here: the generators compile their patterns on load, which no other command needs.
    const { runDatagen } = await import('../../datagen')
    const bus = await ctx.bus()
    bus.topic(topic)
    const progress = new Progress(ctx.io.stderr, 'records')
    try {
      const summary = await runDatagen(bus, {
        quickstart,
        topic,
        createTopic: false,
        signal: ctx.io.signal,
        progressIntervalMs: 250,
        onProgress: ({ records }) => progress.set(records),
        ...(rate === undefined ? {} : { rate }),
        ...(maxInterval === undefined ? {} : { maxInterval }),
        ...(iterations === undefined ? {} : { iterations }),
        ...(seed === undefined ? {} : { seed }),
      })
      progress.done()
      if (values.json === true) {
        ctx.out.text(`${JSON.stringify({ topic, records: summary.records, elapsedMs: summary.elapsedMs })}\n`)
      } else if (ctx.io.stderr.isTTY === true) ctx.note(`Produced ${summary.records} records to ${topic}`)
    } finally {
      progress.done()
    }
    return undefined
  },
}

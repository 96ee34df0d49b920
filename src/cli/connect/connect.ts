import { DIR_OPTIONS } from '../args'
import type { Command } from '../context'
import { untilAborted } from '../until-aborted'

export const connect: Command = {
  spec: {
    name: 'connect',
    summary:
      "Run Kafka Connect's standalone mode from a JSON config, over the data directory, until interrupted.",
    positionals: [
      {
        name: 'config.json',
        help: 'The worker properties and connectors (see logbus/connect).',
        required: true,
      },
    ],
    options: { ...DIR_OPTIONS },
    details:
      'Topics the connectors name are created when missing (one partition), as a broker with\n' +
      "auto.create.topics.enable does. The worker's log goes to stderr. Ctrl-C / SIGTERM stop\n" +
      'the connectors (source offsets and sink offsets committed) and exit 0.',
    examples: ['logbus connect --dir ./data examples/connect/file-to-sqlite.json'],
  },
  async run(ctx) {
    // Loaded here, not with every command.
    const { loadStandaloneConfig, runStandalone } = await import('../../connect')
    const config = await loadStandaloneConfig(ctx.parsed.positionals[0]!)
    const bus = await ctx.bus({ autoCreateTopics: true })
    const worker = await runStandalone(bus, config)
    worker.on('taskState', ({ connector, task, state, error }) => {
      ctx.note(
        `connector ${connector} task ${task} ${state}${error === undefined ? '' : `: ${error.message}`}`,
      )
    })
    await untilAborted(ctx.io.signal)
    await worker.close()
    return undefined
  },
}

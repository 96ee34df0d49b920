import { Bus } from '../../index'
import { DIR_OPTIONS, int, oneOf, str } from '../args'
import { UsageError } from '../cli-error'
import type { Command } from '../context'
import { untilAborted } from '../until-aborted'

/**
 * `logbus serve`: a bus over a data directory (or in memory) that speaks Kafka's wire protocol
 * (`bus.listen`), and optionally HTTP (`serveHttp`: console, REST proxy, metrics), until SIGINT/SIGTERM.
 */
export const serve: Command = {
  spec: {
    name: 'serve',
    summary: 'Serve Kafka’s wire protocol (and optionally the console, REST proxy and metrics) on a bus.',
    options: {
      ...DIR_OPTIONS,
      dir: { type: 'string', value: '<path>', help: 'The data directory (a logbus FileStorage).' },
      memory: { type: 'boolean', help: 'Keep everything in memory instead (gone at exit).' },
      port: { type: 'string', value: '<port>', help: 'The Kafka port (default 9092; 0 picks a free one).' },
      host: {
        type: 'string',
        value: '<host>',
        help: 'The address to listen on (default 127.0.0.1, loopback only; 0.0.0.0 for every interface).',
      },
      'advertised-host': {
        type: 'string',
        value: '<host>',
        help: 'The host clients are told to connect to (containers: the name others reach this one by).',
      },
      'advertised-port': {
        type: 'string',
        value: '<port>',
        help: 'The port clients are told to connect to.',
      },
      http: {
        type: 'string',
        value: '<port>',
        help: 'Also serve the web console, REST proxy and /metrics over HTTP on this port (same host).',
      },
      fsync: {
        type: 'string',
        value: '<policy>',
        help: 'With --dir: when a record is durable before it is acknowledged: always (default), interval, never.',
      },
      partitions: {
        type: 'string',
        value: '<n>',
        help: 'Partitions of a topic a client creates by producing to it (auto-creation; default 1).',
      },
    },
    details:
      'Give --dir or --memory. The first line printed names the Kafka address (and the HTTP URL) and\n' +
      'where the data is; SIGINT/SIGTERM close the servers and the bus cleanly (exit code 0).',
    examples: [
      'logbus serve --dir ./data',
      'logbus serve --memory --port 9092 --http 8080',
      'logbus serve --dir /data --host 0.0.0.0 --advertised-host logbus',
    ],
  },
  async run(ctx) {
    const { values } = ctx.parsed
    const dir = str(values, 'dir')
    if ((dir === undefined) === (values.memory !== true)) {
      throw new UsageError('serve: give either --dir <path> or --memory')
    }
    const port = int(values, 'port', 'serve', 0) ?? 9092
    const httpPort = int(values, 'http', 'serve', 0)
    const advertisedPort = int(values, 'advertised-port', 'serve', 1)
    const partitions = int(values, 'partitions', 'serve', 1) ?? 1
    const host = str(values, 'host') ?? '127.0.0.1'
    const advertisedHost = str(values, 'advertised-host')
    // A server acknowledges records to clients that then forget them: durable before the ack, as the
    // file log's own default, unless told otherwise (the other commands fsync once, at their end).
    const fsync = oneOf(values, 'fsync', 'serve', ['always', 'interval', 'never'] as const) ?? 'always'
    const bus =
      dir === undefined
        ? await Bus.open({ autoCreateTopics: { partitions } })
        : await ctx.bus({ autoCreateTopics: { partitions }, create: true, fsync })
    try {
      const server = await bus.listen({
        port,
        host,
        ...(advertisedHost === undefined ? {} : { advertisedHost }),
        ...(advertisedPort === undefined ? {} : { advertisedPort }),
      })
      let http = ''
      if (httpPort !== undefined) {
        // Loaded only when asked for: the console's assets and the REST proxy are not needed otherwise.
        const { serveHttp } = await import('../../http')
        const web = await serveHttp(bus, { port: httpPort, host })
        http = `, http ${web.url}`
      }
      const where = dir === undefined ? 'in memory' : `data in ${dir}`
      ctx.out.text(`logbus serving kafka ${server.address.host}:${server.address.port}${http} (${where})\n`)
      await ctx.out.flush()
      await untilAborted(ctx.io.signal)
    } finally {
      // A bus closes the servers it started first; a data directory's bus is closed by the runner.
      if (dir === undefined) await bus.close()
    }
    return undefined
  },
}

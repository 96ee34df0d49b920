import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { Bus } from '../../src/index'
import { openBus, waitUntil } from '../support/bus'
import { awkwardLines, cliBin, logbus, scratch, watched } from './support'

// Each step starts a process (a few hundred ms on a loaded machine); a test runs a dozen or two.
vi.setConfig({ testTimeout: 120_000 })

beforeAll(() => {
  cliBin()
}, 240_000)

/** A bus in this process serving Kafka's protocol on a free loopback port; `--bootstrap-server` of it. */
async function running(): Promise<{ bus: Bus; server: string }> {
  const bus = await openBus()
  const listening = await bus.listen({ port: 0, logger: { info() {}, warn() {}, error() {} } })
  return { bus, server: `127.0.0.1:${listening.address.port}` }
}

/** `logbus <words…> --bootstrap-server <server> <rest…>`. */
function over(server: string) {
  return (words: string[], options?: { input?: string }) =>
    logbus([...words, '--bootstrap-server', server], options)
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '')
}

describe('--bootstrap-server', () => {
  it('round-trips a file byte for byte through a running server', async () => {
    const { bus, server } = await running()
    const wire = over(server)
    expect((await wire(['topics', 'create', '--topic', 'lines'])).code).toBe(0)
    const body = awkwardLines(3000)
    const file = join(scratch(), 'in.txt')
    writeFileSync(file, body)
    const produced = await wire(['produce', '--topic', 'lines', '--file', file, '--json'])
    expect(produced.code, produced.stderr).toBe(0)
    expect(JSON.parse(produced.out)).toEqual({ topic: 'lines', records: 3000 })
    expect(bus.topic('lines').partition(0).logEndOffset).toBe(3000)
    const consumed = await wire(['consume', '--topic', 'lines', '--from-beginning'])
    expect(consumed.code, consumed.stderr).toBe(0)
    expect(consumed.stdout.equals(readFileSync(file))).toBe(true)

    expect((await wire(['consume', '--topic', 'lines', '--from-beginning', '--max', '2'])).out).toBe(
      '0 plain\n1 \n',
    )
    expect((await wire(['consume', '--topic', 'lines', '--partition', '0', '--offset', '2999'])).out).toBe(
      '2999 crlf line\r\n',
    )
    expect((await wire(['consume', '--topic', 'lines'])).out).toBe('')
    const past = await wire(['consume', '--topic', 'lines', '--offset', '3001'])
    expect(past.code).toBe(2)
    expect(past.stderr).toBe('logbus: Offset 3001 is out of range for lines-0 (it holds 0..3000)\n')
  })

  it('creates, describes, alters and deletes topics with the exit codes of a data directory', async () => {
    const { bus, server } = await running()
    const wire = over(server)
    expect((await wire(['topics', 'create', '--topic', 'orders', '--partitions', '2'])).out).toBe(
      'Created topic orders (2 partitions)\n',
    )
    const exists = await wire(['topics', 'create', '--topic', 'orders'])
    expect([exists.code, exists.stderr]).toEqual([5, 'logbus: Topic "orders" already exists\n'])
    expect((await wire(['topics', 'create', '--topic', 'orders', '--if-not-exists'])).code).toBe(0)
    const audit = await wire([
      'topics',
      'create',
      '--topic',
      'audit',
      '--config',
      'retention.ms=-1',
      '--config',
      'max.message.bytes=2048',
      '--json',
    ])
    expect(JSON.parse(audit.out).configs).toMatchObject({ 'retention.ms': '-1', 'max.message.bytes': '2048' })
    expect(bus.topic('audit').config.maxMessageBytes).toBe(2048)
    expect((await wire(['topics', 'list'])).out).toBe('audit\norders\n')
    await wire(['produce', '--topic', 'orders', '--partition', '1'], { input: 'x\ny\n' })

    const described = JSON.parse((await wire(['topics', 'describe', '--topic', 'orders', '--json'])).out)
    expect(described.partitions).toEqual([
      { partition: 0, logStartOffset: 0, logEndOffset: 0, sizeBytes: 0 },
      {
        partition: 1,
        logStartOffset: 0,
        logEndOffset: 2,
        sizeBytes: bus.topic('orders').partition(1).sizeBytes,
      },
    ])
    expect(described.partitions[1].sizeBytes).toBeGreaterThan(0)
    const text = (await wire(['topics', 'describe', '--topic', 'orders'])).out
    expect(text).toMatch(/^Topic: orders\tPartitions: 2\tConfigs: .*retention\.ms=604800000/)

    const altered = await wire([
      'topics',
      'alter',
      '--topic',
      'orders',
      '--partitions',
      '4',
      '--config',
      'retention.ms=1000',
      '--json',
    ])
    expect(altered.code, altered.stderr).toBe(0)
    expect(JSON.parse(altered.out).partitions).toHaveLength(4)
    expect(bus.topic('orders').config.retentionMs).toBe(1000)
    expect((await wire(['topics', 'alter', '--topic', 'orders', '--partitions', '2'])).code).toBe(5)
    const fixed = await wire(['topics', 'alter', '--topic', 'orders', '--config', 'segment.bytes=4096'])
    expect([fixed.code, fixed.stderr]).toEqual([
      5,
      'logbus: config segment.bytes cannot change once the topic exists\n',
    ])
    expect((await wire(['topics', 'alter', '--topic', 'orders', '--config', 'colour=blue'])).code).toBe(2)
    expect((await wire(['topics', 'create', '--topic', 'bad', '--config', 'colour=blue'])).code).toBe(2)
    expect(bus.listTopics()).toEqual(['audit', 'orders'])

    expect((await wire(['topics', 'delete', '--topic', 'audit'])).out).toBe('Deleted topic audit\n')
    for (const args of [
      ['topics', 'delete', '--topic', 'audit'],
      ['topics', 'describe', '--topic', 'nope'],
      ['produce', '--topic', 'nope'],
      ['consume', '--topic', 'nope'],
      ['produce', '--topic', 'orders', '--partition', '9'],
    ]) {
      const run = await wire(args, { input: 'a\n' })
      expect(run.code, args.join(' ')).toBe(3)
      expect(run.stderr, args.join(' ')).toMatch(/^logbus: Unknown (topic|partition)[^\n]+\n$/)
    }
    // The server creates topics on demand for clients that ask; the CLI never asks.
    expect(bus.listTopics()).toEqual(['orders'])
  })

  it('consume --group is a member of the group: reset-offsets is refused meanwhile, a dry run by default, and the group resumes from the reset', async () => {
    const { bus, server } = await running()
    const wire = over(server)
    const reset = (...args: string[]) => wire(['groups', 'reset-offsets', '--group', 'billing', ...args])
    const describeGroup = async () =>
      JSON.parse((await wire(['groups', 'describe', '--group', 'billing', '--json'])).out)
    await wire(['topics', 'create', '--topic', 'events', '--partitions', '2'])
    const input = Array.from({ length: 20 }, (_, i) => `k${i % 5}=v${i}\n`).join('')
    await wire(['produce', '--topic', 'events', '--key-separator', '='], { input })
    const first = await wire(['consume', '--topic', 'events', '--group', 'billing', '--from-beginning'])
    expect(first.code, first.stderr).toBe(0)
    expect(lines(first.out).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort())
    expect((await wire(['consume', '--topic', 'events', '--group', 'billing', '--from-beginning'])).out).toBe(
      '',
    )
    expect((await wire(['groups', 'list'])).out).toBe('billing\n')
    const empty = await describeGroup()
    expect(empty.state).toBe('Empty')
    expect(empty.partitions.map((p: { lag: number }) => p.lag)).toEqual([0, 0])
    const ends = empty.partitions.map((p: { logEndOffset: number }) => p.logEndOffset)

    // A follower joins the group, as kafka-console-consumer --group does.
    const follower = watched([
      'consume',
      '--bootstrap-server',
      server,
      '--topic',
      'events',
      '--group',
      'billing',
      '--follow',
    ])
    await waitUntil(() => bus.group('billing').describe().members.length === 1, {
      timeoutMs: 30_000,
      message: 'the follower to join the group',
    })
    const stable = await describeGroup()
    expect(stable.state).toBe('Stable')
    expect(stable.members).toHaveLength(1)
    expect(stable.members[0].assignment).toEqual(['events-0', 'events-1'])
    expect(stable.partitions.map((p: { consumerId: string }) => p.consumerId)).toEqual([
      stable.members[0].memberId,
      stable.members[0].memberId,
    ])
    for (const args of [
      ['--all-topics', '--to-earliest', '--execute'],
      ['--all-topics', '--to-earliest'],
    ]) {
      const refused = await reset(...args)
      expect([refused.code, refused.stderr]).toEqual([5, 'logbus: Group "billing" has active members\n'])
    }
    expect((await wire(['groups', 'delete', '--group', 'billing'])).code).toBe(5)
    await wire(['produce', '--topic', 'events', '--partition', '0'], { input: 'late\n' })
    await waitUntil(() => follower.printed() === 'late\n', {
      timeoutMs: 30_000,
      message: 'the follower to print the record',
    })
    follower.child.kill('SIGINT')
    const done = await follower.done
    expect(done.code, done.stderr).toBe(0)
    expect(done.out).toBe('late\n')
    expect(bus.group('billing').describe().members).toEqual([])
    expect(bus.group('billing').committedOffset('events', 0)).toBe(ends[0] + 1)

    const dry = await reset('--topic', 'events', '--shift-by', '-3')
    expect(dry.code).toBe(0)
    expect(dry.stderr).toContain('Dry run')
    expect(dry.out).toMatch(new RegExp(`billing +events +0 +${ends[0] + 1} +${ends[0] - 2}`))
    expect((await describeGroup()).partitions.map((p: { lag: number }) => p.lag)).toEqual([0, 0])
    const applied = await reset('--all-topics', '--shift-by', '-3', '--execute', '--json')
    expect(JSON.parse(applied.out)).toMatchObject({ groupId: 'billing', dryRun: false })
    expect(lines((await wire(['consume', '--topic', 'events', '--group', 'billing'])).out)).toHaveLength(6)

    await reset('--topic', 'events', '--to-earliest', '--execute')
    expect(
      lines((await wire(['consume', '--topic', 'events', '--group', 'billing', '--max', '4'])).out),
    ).toHaveLength(4)
    expect((await describeGroup()).partitions.reduce((n: number, p: { lag: number }) => n + p.lag, 0)).toBe(
      17,
    )
    const future = await reset(
      '--topic',
      'events',
      '--to-datetime',
      '2999-01-01T00:00:00Z',
      '--execute',
      '--json',
    )
    expect(JSON.parse(future.out).offsets.map((o: { offset: number }) => o.offset)).toEqual([
      ends[0] + 1,
      ends[1],
    ])

    expect((await wire(['groups', 'delete', '--group', 'billing'])).code).toBe(0)
    expect((await wire(['groups', 'list'])).out).toBe('')
    const gone = await wire(['groups', 'describe', '--group', 'billing'])
    expect([gone.code, gone.stderr]).toEqual([3, 'logbus: Group "billing" does not exist\n'])
  })

  it('two consume --group --follow share the partitions, and the one left takes them all', async () => {
    const { bus, server } = await running()
    const wire = over(server)
    await wire(['topics', 'create', '--topic', 'shared', '--partitions', '4'])
    const members = () => bus.group('shared-g').describe().members
    const follow = () =>
      watched([
        'consume',
        '--bootstrap-server',
        server,
        '--topic',
        'shared',
        '--group',
        'shared-g',
        '--follow',
      ])
    const one = follow()
    await waitUntil(() => members().length === 1, { timeoutMs: 30_000, message: 'the first member' })
    const two = follow()
    // The first member learns of the rebalance at its next heartbeat and rejoins: range gives each two.
    await waitUntil(() => members().length === 2 && members().every((m) => m.assignment.length === 2), {
      timeoutMs: 30_000,
      message: 'both members with two partitions each',
    })
    const input = Array.from({ length: 4 }, (_, p) => `p${p}\n`)
    for (const [p, line] of input.entries())
      await wire(['produce', '--topic', 'shared', '--partition', String(p)], { input: line })
    await waitUntil(() => lines(one.printed() + two.printed()).length === 4, {
      timeoutMs: 30_000,
      message: 'all four records',
    })
    expect(lines(one.printed())).toHaveLength(2)
    expect(lines(two.printed())).toHaveLength(2)
    one.child.kill('SIGINT')
    expect((await one.done).code).toBe(0)
    await waitUntil(() => members().length === 1 && members()[0]!.assignment.length === 4, {
      timeoutMs: 30_000,
      message: 'the remaining member to own all four partitions',
    })
    await wire(['produce', '--topic', 'shared', '--partition', '0'], { input: 'again\n' })
    await waitUntil(() => two.printed().endsWith('again\n'), {
      timeoutMs: 30_000,
      message: 'the record after the rebalance',
    })
    two.child.kill('SIGINT')
    expect((await two.done).code).toBe(0)
    expect(members()).toEqual([])
    expect([0, 1, 2, 3].map((p) => bus.group('shared-g').committedOffset('shared', p))).toEqual([2, 1, 1, 1])
  })

  it('gives the same output as a data directory for the same data', async () => {
    const { server } = await running()
    const dir = join(scratch(), 'data')
    const keyed = Array.from({ length: 20 }, (_, i) => `k${i % 7}\t{"n":${i}}\n`).join('')
    const keyless = Array.from({ length: 10 }, (_, i) => `{"n":${20 + i}}\n`).join('')
    const session: { args: string[]; input?: string; mask?: (out: string) => string; code?: number }[] = [
      {
        args: [
          'topics',
          'create',
          '--topic',
          'orders',
          '--partitions',
          '3',
          '--config',
          'retention.bytes=100000',
        ],
      },
      {
        args: ['produce', '--topic', 'orders', '--key-separator', '\t', '--header', 'src=cli', '--json'],
        input: keyed,
      },
      { args: ['produce', '--topic', 'orders', '--value-format', 'json'], input: keyless },
      { args: ['topics', 'list', '--json'], mask: maskSizes },
      { args: ['topics', 'describe'], mask: (out) => out.replace(/ +\d+\n/g, ' SIZE\n') },
      { args: ['consume', '--topic', 'orders', '--from-beginning', '-f', '%t %p %o %k %s %h %K %S\\n'] },
      {
        args: [
          'consume',
          '--topic',
          'orders',
          '--from-beginning',
          '--format',
          'json',
          '--value-format',
          'json',
        ],
        mask: maskTimes,
      },
      { args: ['consume', '--topic', 'orders', '--group', 'g', '--from-beginning', '--max', '7'] },
      { args: ['groups', 'list', '--json'] },
      { args: ['groups', 'describe', '--group', 'g', '--json'] },
      { args: ['groups', 'reset-offsets', '--group', 'g', '--all-topics', '--shift-by', '-1'] },
      {
        args: [
          'groups',
          'reset-offsets',
          '--group',
          'g',
          '--topic',
          'orders',
          '--to-offset',
          '3',
          '--execute',
          '--json',
        ],
      },
      { args: ['consume', '--topic', 'orders', '--group', 'g'] },
      { args: ['topics', 'delete', '--topic', 'orders'] },
      { args: ['topics', 'describe', '--topic', 'orders'], code: 3 },
    ]
    for (const step of session) {
      const options = step.input === undefined ? {} : { input: step.input }
      const onDir = await logbus([...step.args, '--dir', dir], options)
      const onServer = await logbus([...step.args, '--bootstrap-server', server], options)
      const mask = step.mask ?? ((out: string) => out)
      const what = step.args.join(' ')
      expect(onDir.code, `${what}: ${onDir.stderr}`).toBe(step.code ?? 0)
      expect({ code: onServer.code, out: mask(onServer.out), err: onServer.stderr }, what).toEqual({
        code: onDir.code,
        out: mask(onDir.out),
        err: onDir.stderr,
      })
    }
  })

  it('says in one line, with its exit code, that a broker cannot be reached or a command needs files', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as { port: number }).port
    await new Promise((resolve) => closed.close(resolve))
    const refused = await logbus(['topics', 'list', '--bootstrap-server', `127.0.0.1:${port}`])
    expect([refused.code, refused.stderr]).toEqual([
      1,
      `logbus: Cannot connect to 127.0.0.1:${port}: connection refused\n`,
    ])
    const address = await logbus(['groups', 'list', '--bootstrap-server', 'kafka'])
    expect([address.code, address.stderr]).toEqual([
      2,
      'logbus: --bootstrap-server takes host:port, not "kafka"\n',
    ])
    const both = await logbus([
      'topics',
      'list',
      '--bootstrap-server',
      `127.0.0.1:${port}`,
      '--dir',
      scratch(),
    ])
    expect([both.code, both.stderr]).toEqual([
      2,
      'logbus: topics list: give --dir or --bootstrap-server, not both\n',
    ])
    const neither = await logbus(['topics', 'list'])
    expect([neither.code, neither.stderr]).toEqual([
      2,
      'logbus: topics list: --dir or --bootstrap-server is required\n',
    ])
    for (const command of ['dump-log', 'verify', 'repair']) {
      const run = await logbus([command, '--bootstrap-server', `127.0.0.1:${port}`])
      expect(run.code, command).toBe(2)
      expect(run.stderr).toBe(
        `logbus: ${command} reads the log files of a data directory (--dir); it cannot work over --bootstrap-server\n`,
      )
    }
    for (const words of [['topics', 'describe'], ['produce'], ['consume'], ['groups', 'reset-offsets']]) {
      expect((await logbus([...words, '--help'])).out, words.join(' ')).toContain(
        '--bootstrap-server <host:port>',
      )
    }
    expect((await logbus(['--help'])).out).toContain('--bootstrap-server')
  })
})

/** Partition sizes differ between a data directory's segment files and a memory bus. */
function maskSizes(out: string): string {
  return out.replace(/"sizeBytes":\d+/g, '"sizeBytes":0')
}

/** Each run stamps its own records. */
function maskTimes(out: string): string {
  return out.replace(/"timestamp":\d+/g, '"timestamp":0')
}

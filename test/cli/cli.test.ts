import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { waitUntil } from '../support/bus'
import { awkwardLines, cliBin, finished, logbus, scratch, snapshot, start, watched } from './support'

// Each step starts a process (a few hundred ms on a loaded machine); a test runs a dozen or two.
vi.setConfig({ testTimeout: 120_000 })

beforeAll(() => {
  cliBin()
}, 240_000)

/** A data directory with one topic. */
async function dirWithTopic(topic = 'lines', partitions = 1): Promise<string> {
  const dir = join(scratch(), 'data')
  const created = await logbus([
    'topics',
    'create',
    '--dir',
    dir,
    '--topic',
    topic,
    '--partitions',
    String(partitions),
  ])
  expect(created.code, created.stderr).toBe(0)
  return dir
}

describe('help and usage', () => {
  it('prints help for the tool, every group and every command, with exit code 0', async () => {
    const main = await logbus(['--help'])
    expect(main.code).toBe(0)
    for (const word of [
      'topics',
      'produce',
      'consume',
      'groups',
      'dump-log',
      'verify',
      'repair',
      'datagen',
      'connect',
    ]) {
      expect(main.out).toContain(word)
    }
    expect(main.out).toMatch(/Exit codes:[\s\S]*4 {2}the data directory is locked/)
    const commands = [
      ['topics', 'list'],
      ['topics', 'describe'],
      ['topics', 'create'],
      ['topics', 'delete'],
      ['topics', 'alter'],
      ['produce'],
      ['consume'],
      ['groups', 'list'],
      ['groups', 'describe'],
      ['groups', 'delete'],
      ['groups', 'reset-offsets'],
      ['dump-log'],
      ['verify'],
      ['repair'],
      ['datagen'],
      ['connect'],
    ]
    const runs = await Promise.all(commands.map((words) => logbus([...words, '--help'])))
    runs.forEach((run, i) => {
      expect(run.code, commands[i]!.join(' ')).toBe(0)
      expect(run.out).toContain(`Usage: logbus ${commands[i]!.join(' ')}`)
      expect(run.out).toContain('--help')
    })
    expect((await logbus(['groups'])).out).toContain('reset-offsets')
  })

  it('rejects an unknown command or flag, and a bad value, with exit code 2 and one line, changing nothing', async () => {
    const dir = await dirWithTopic()
    const before = snapshot(dir)
    for (const args of [
      ['nope'],
      ['topics', 'nope', '--dir', dir],
      ['topics', 'list', '--dir', dir, '--bogus'],
      ['topics', 'create', '--dir', dir, '--topic', 'x', '--partitions', 'many'],
      ['topics', 'create', '--dir', dir, '--topic', 'x', '--config', 'retention.ms'],
      ['topics', 'create', '--dir', dir, '--topic', 'x', '--config', 'colour=blue'],
      ['topics', 'list'],
      ['consume', '--dir', dir, '--topic', 'lines', '--group', 'g', '--partition', '0'],
      ['consume', '--dir', dir, '--topic', 'lines', '--format', 'xml'],
      ['consume', '--dir', dir, '--topic', 'lines', '-f', '%q'],
      ['groups', 'reset-offsets', '--dir', dir, '--group', 'g', '--topic', 'lines'],
      ['groups', 'reset-offsets', '--dir', dir, '--group', 'g', '--to-earliest'],
      [
        'groups',
        'reset-offsets',
        '--dir',
        dir,
        '--group',
        'g',
        '--topic',
        'lines',
        '--to-earliest',
        '--to-latest',
      ],
      ['repair', '--dir', dir],
      ['datagen', '--dir', dir, '--quickstart', 'weather', '--topic', 'lines'],
    ]) {
      const run = await logbus(args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr, args.join(' ')).toMatch(/^logbus: [^\n]+\n$/)
      expect(run.out).toBe('')
    }
    expect(snapshot(dir)).toEqual(before)
  })

  it('a missing directory is exit code 3 and is not created; an unknown topic, partition or group is 3', async () => {
    const missing = join(scratch(), 'absent')
    const run = await logbus(['topics', 'list', '--dir', missing])
    expect(run.code).toBe(3)
    expect(run.stderr).toBe(`logbus: Directory ${missing} does not exist\n`)
    expect(existsSync(missing)).toBe(false)
    const plain = scratch()
    expect((await logbus(['consume', '--dir', plain, '--topic', 't'])).stderr).toContain(
      'not a logbus data directory',
    )
    expect(snapshot(plain)).toEqual({})

    const dir = await dirWithTopic()
    const before = snapshot(dir)
    for (const args of [
      ['consume', '--dir', dir, '--topic', 'nope', '--from-beginning'],
      ['produce', '--dir', dir, '--topic', 'nope'],
      ['produce', '--dir', dir, '--topic', 'lines', '--partition', '3'],
      ['topics', 'describe', '--dir', dir, '--topic', 'nope'],
      ['topics', 'delete', '--dir', dir, '--topic', 'nope'],
      ['groups', 'describe', '--dir', dir, '--group', 'nope'],
      ['groups', 'delete', '--dir', dir, '--group', 'nope'],
      [
        'groups',
        'reset-offsets',
        '--dir',
        dir,
        '--group',
        'g',
        '--topic',
        'nope',
        '--to-earliest',
        '--execute',
      ],
      ['datagen', '--dir', dir, '--quickstart', 'users', '--topic', 'nope', '--iterations', '5'],
      ['dump-log', '--dir', missing],
      ['verify', '--dir', missing],
    ]) {
      const failed = await logbus(args, { input: 'a line\n' })
      expect(failed.code, args.join(' ')).toBe(3)
      expect(failed.stderr, args.join(' ')).toMatch(/^logbus: [^\n]+\n$/)
    }
    expect(snapshot(dir)).toEqual(before)
  })

  it('a locked directory is exit code 4 with one line naming the holder (host and pid); nothing changes', async () => {
    const dir = await dirWithTopic()
    await logbus(['produce', '--dir', dir, '--topic', 'lines'], { input: 'a\nb\n' })
    const {
      child: holder,
      printed,
      done: holding,
    } = watched(['consume', '--dir', dir, '--topic', 'lines', '--follow', '--from-beginning'])
    // Following, it prints what there is before it waits.
    await waitUntil(() => printed() === 'a\nb\n', {
      timeoutMs: 15_000,
      message: 'the holder to print the records',
    })
    // Open: it holds the lock and has taken the clean-shutdown marker away (put back when it closes).
    await waitUntil(
      () => existsSync(join(dir, 'logbus.lock')) && !existsSync(join(dir, '__logbus', 'clean-shutdown.json')),
      { timeoutMs: 15_000, message: 'the holder to open the directory' },
    )
    const before = snapshot(dir)
    for (const args of [
      ['topics', 'list', '--dir', dir],
      ['produce', '--dir', dir, '--topic', 'lines'],
      ['verify', '--dir', dir],
      ['dump-log', '--dir', dir],
    ]) {
      const run = await logbus(args, { input: 'c\n' })
      expect(run.code, args.join(' ')).toBe(4)
      expect(run.stderr).toMatch(/^logbus: [^\n]+\n$/)
      expect(run.stderr).toContain(`pid ${holder.pid}`)
      expect(run.stderr).toContain(hostname())
      expect(run.stderr).toContain('--break-lock')
    }
    expect(snapshot(dir)).toEqual(before)
    holder.kill('SIGINT')
    const done = await holding
    expect(done.code).toBe(0)
    expect(done.out).toBe('a\nb\n')
    expect(existsSync(join(dir, 'logbus.lock'))).toBe(false)
  })
})

describe('topics', () => {
  it('creates, lists, describes, alters and deletes topics', async () => {
    const dir = await dirWithTopic('orders', 2)
    const exists = await logbus(['topics', 'create', '--dir', dir, '--topic', 'orders'])
    expect(exists.code).toBe(5)
    expect(
      (await logbus(['topics', 'create', '--dir', dir, '--topic', 'orders', '--if-not-exists'])).code,
    ).toBe(0)
    const created = await logbus([
      'topics',
      'create',
      '--dir',
      dir,
      '--topic',
      'audit',
      '--config',
      'retention.ms=-1',
      '--config',
      'max.message.bytes=2048',
      '--json',
    ])
    expect(JSON.parse(created.out).configs).toMatchObject({
      'retention.ms': '-1',
      'max.message.bytes': '2048',
    })
    expect((await logbus(['topics', 'list', '--dir', dir])).out).toBe('audit\norders\n')
    await logbus(['produce', '--dir', dir, '--topic', 'orders', '--partition', '1'], { input: 'x\ny\n' })

    const described = JSON.parse(
      (await logbus(['topics', 'describe', '--dir', dir, '--topic', 'orders', '--json'])).out,
    )
    expect(described.partitions).toEqual([
      { partition: 0, logStartOffset: 0, logEndOffset: 0, sizeBytes: 0 },
      { partition: 1, logStartOffset: 0, logEndOffset: 2, sizeBytes: expect.any(Number) },
    ])
    expect(described.partitions[1].sizeBytes).toBeGreaterThan(61)
    const text = (await logbus(['topics', 'describe', '--dir', dir, '--topic', 'orders'])).out
    expect(text).toMatch(/^Topic: orders\tPartitions: 2\tConfigs: .*retention\.ms=604800000/)
    expect(text).toMatch(/\n1 +0 +2 +2 +\d+\n/)

    const altered = await logbus([
      'topics',
      'alter',
      '--dir',
      dir,
      '--topic',
      'orders',
      '--partitions',
      '4',
      '--config',
      'retention.ms=1000',
      '--json',
    ])
    expect(altered.code, altered.stderr).toBe(0)
    expect(JSON.parse(altered.out)).toMatchObject({ configs: { 'retention.ms': '1000' } })
    expect(JSON.parse(altered.out).partitions).toHaveLength(4)
    const shrink = await logbus(['topics', 'alter', '--dir', dir, '--topic', 'orders', '--partitions', '2'])
    expect(shrink.code).toBe(5)
    const fixed = await logbus([
      'topics',
      'alter',
      '--dir',
      dir,
      '--topic',
      'orders',
      '--config',
      'segment.bytes=4096',
    ])
    expect(fixed.code).toBe(5)
    expect(fixed.stderr).toContain('segment.bytes')

    expect((await logbus(['topics', 'delete', '--dir', dir, '--topic', 'audit'])).code).toBe(0)
    const listed = JSON.parse((await logbus(['topics', 'list', '--dir', dir, '--json'])).out)
    expect(listed).toMatchObject([{ name: 'orders', records: 2 }])
  })
})

describe('produce and consume', () => {
  it('round-trips a file byte for byte: consume --from-beginning gives back what produce read', async () => {
    const dir = await dirWithTopic()
    const body = awkwardLines(3000)
    const file = join(scratch(), 'in.txt')
    writeFileSync(file, body)
    const produced = await logbus(['produce', '--dir', dir, '--topic', 'lines', '--file', file, '--json'])
    expect(produced.code, produced.stderr).toBe(0)
    expect(JSON.parse(produced.out)).toEqual({ topic: 'lines', records: 3000 })
    const consumed = await logbus(['consume', '--dir', dir, '--topic', 'lines', '--from-beginning'])
    expect(consumed.code, consumed.stderr).toBe(0)
    expect(consumed.stdout.equals(readFileSync(file))).toBe(true)
    // From stdin, the same; a last line without a newline is a line.
    const piped = await logbus(['produce', '--dir', dir, '--topic', 'lines'], { input: 'tail 1\ntail 2' })
    expect(piped.code).toBe(0)
    const tail = await logbus(['consume', '--dir', dir, '--topic', 'lines', '--offset', '3000'])
    expect(tail.out).toBe('tail 1\ntail 2\n')
  })

  it('reads keys, JSON and base64 values and headers, and prints them as JSON lines or a template', async () => {
    const dir = await dirWithTopic('users', 3)
    const input = 'u1:{"n":1}\nu2:{"n":2}\nu1:{"n":3}\n'
    const produced = await logbus(
      [
        'produce',
        '--dir',
        dir,
        '--topic',
        'users',
        '--key-separator',
        ':',
        '--value-format',
        'json',
        '--header',
        'src=cli',
      ],
      { input },
    )
    expect(produced.code, produced.stderr).toBe(0)
    const json = await logbus([
      'consume',
      '--dir',
      dir,
      '--topic',
      'users',
      '--from-beginning',
      '--format',
      'json',
      '--value-format',
      'json',
    ])
    const records = json.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(records).toHaveLength(3)
    // Same key, same partition, in order.
    const u1 = records.filter((r) => r.key === 'u1')
    expect(u1.map((r) => r.value)).toEqual([{ n: 1 }, { n: 3 }])
    expect(u1[0].partition).toBe(u1[1].partition)
    expect(u1[1].offset).toBe(u1[0].offset + 1)
    for (const r of records) {
      expect(r).toMatchObject({ topic: 'users', headers: { src: 'cli' } })
      expect(typeof r.timestamp).toBe('number')
    }
    const template = await logbus([
      'consume',
      '--dir',
      dir,
      '--topic',
      'users',
      '--partition',
      String(u1[0].partition),
      '--offset',
      'earliest',
      '-f',
      '%t|%p|%o|%k=%s|%K|%S|%h\\n',
    ])
    expect(template.out.split('\n')[0]).toBe(
      `users|${u1[0].partition}|${u1[0].offset}|u1={"n":1}|2|7|src=cli`,
    )

    const b64 = await logbus(
      ['produce', '--dir', dir, '--topic', 'users', '--value-format', 'base64', '--partition', '2'],
      {
        input: `${Buffer.from([0, 1, 2, 255]).toString('base64')}\n`,
      },
    )
    expect(b64.code).toBe(0)
    const raw = await logbus([
      'consume',
      '--dir',
      dir,
      '--topic',
      'users',
      '--partition',
      '2',
      '--offset',
      'earliest',
      '--format',
      'json',
      '--value-format',
      'base64',
    ])
    expect(
      raw.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).value),
    ).toContain('AAEC/w==')
  })

  it('stops at a line that does not parse with exit code 7, naming it; the lines before it are written', async () => {
    const dir = await dirWithTopic()
    const run = await logbus(['produce', '--dir', dir, '--topic', 'lines', '--value-format', 'json'], {
      input: '{"ok":1}\n{"ok":2}\nnot json\n{"ok":4}\n',
    })
    expect(run.code).toBe(7)
    expect(run.stderr).toMatch(/^logbus: line 3: the value is not JSON/)
    const keyless = await logbus(['produce', '--dir', dir, '--topic', 'lines', '--key-separator', '='], {
      input: 'a=1\nb\n',
    })
    expect(keyless.code).toBe(7)
    expect(keyless.stderr).toContain('line 2: no key separator')
    expect((await logbus(['consume', '--dir', dir, '--topic', 'lines', '--from-beginning'])).out).toBe(
      '{"ok":1}\n{"ok":2}\n1\n',
    )
    const small = ['--dir', dir, '--topic', 'small']
    await logbus(['topics', 'create', ...small, '--config', 'max.message.bytes=200'])
    const large = await logbus(['produce', ...small], { input: `fits\n${'x'.repeat(300)}\nafter\n` })
    expect(large.code).toBe(1)
    expect(large.stderr).toMatch(
      /^logbus: Record of \d+ bytes exceeds maxMessageBytes 200 of topic "small"\n$/,
    )
    expect((await logbus(['consume', ...small, '--from-beginning'])).out).toBe('fits\n')
  })

  it('--max stops after n records; --partition/--offset start where asked; an offset past the end is exit 2', async () => {
    const dir = await dirWithTopic()
    await logbus(['produce', '--dir', dir, '--topic', 'lines'], { input: 'a\nb\nc\nd\n' })
    expect(
      (await logbus(['consume', '--dir', dir, '--topic', 'lines', '--from-beginning', '--max', '2'])).out,
    ).toBe('a\nb\n')
    expect(
      (await logbus(['consume', '--dir', dir, '--topic', 'lines', '--partition', '0', '--offset', '2'])).out,
    ).toBe('c\nd\n')
    expect((await logbus(['consume', '--dir', dir, '--topic', 'lines'])).out).toBe('')
    const past = await logbus(['consume', '--dir', dir, '--topic', 'lines', '--offset', '9'])
    expect(past.code).toBe(2)
    expect(past.stderr).toContain('out of range')
  })
})

describe('groups', () => {
  it('consume --group commits; reset-offsets is a dry run unless --execute; the group resumes from the reset', async () => {
    const dir = await dirWithTopic('events', 2)
    const reset = (...args: string[]) =>
      logbus(['groups', 'reset-offsets', '--dir', dir, '--group', 'billing', ...args])
    const input = Array.from({ length: 20 }, (_, i) => `k${i % 5}=v${i}\n`).join('')
    await logbus(['produce', '--dir', dir, '--topic', 'events', '--key-separator', '='], { input })
    const first = await logbus([
      'consume',
      '--dir',
      dir,
      '--topic',
      'events',
      '--group',
      'billing',
      '--from-beginning',
    ])
    expect(first.out.trim().split('\n').sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort())
    const again = await logbus([
      'consume',
      '--dir',
      dir,
      '--topic',
      'events',
      '--group',
      'billing',
      '--from-beginning',
    ])
    expect(again.out).toBe('')

    expect((await logbus(['groups', 'list', '--dir', dir])).out).toBe('billing\n')
    const described = JSON.parse(
      (await logbus(['groups', 'describe', '--dir', dir, '--group', 'billing', '--json'])).out,
    )
    expect(described.state).toBe('Empty')
    expect(described.partitions.map((p: { lag: number }) => p.lag)).toEqual([0, 0])
    const ends = described.partitions.map((p: { logEndOffset: number }) => p.logEndOffset)

    const dry = await reset('--topic', 'events', '--shift-by', '-3')
    expect(dry.code).toBe(0)
    expect(dry.stderr).toContain('Dry run')
    expect(dry.out).toMatch(new RegExp(`billing +events +0 +${ends[0]} +${ends[0] - 3}`))
    const unchanged = JSON.parse(
      (await logbus(['groups', 'describe', '--dir', dir, '--group', 'billing', '--json'])).out,
    )
    expect(unchanged.partitions.map((p: { lag: number }) => p.lag)).toEqual([0, 0])

    const applied = await reset('--all-topics', '--shift-by', '-3', '--execute', '--json')
    expect(JSON.parse(applied.out)).toMatchObject({ groupId: 'billing', dryRun: false })
    const resumed = await logbus(['consume', '--dir', dir, '--topic', 'events', '--group', 'billing'])
    expect(resumed.out.trim().split('\n')).toHaveLength(6)

    await reset('--topic', 'events', '--to-earliest', '--execute')
    const max = await logbus([
      'consume',
      '--dir',
      dir,
      '--topic',
      'events',
      '--group',
      'billing',
      '--max',
      '4',
    ])
    expect(max.out.trim().split('\n')).toHaveLength(4)
    const lag = JSON.parse(
      (await logbus(['groups', 'describe', '--dir', dir, '--group', 'billing', '--json'])).out,
    )
    expect(lag.partitions.reduce((n: number, p: { lag: number }) => n + p.lag, 0)).toBe(16)

    const future = await reset(
      '--topic',
      'events',
      '--to-datetime',
      '2999-01-01T00:00:00Z',
      '--execute',
      '--json',
    )
    expect(JSON.parse(future.out).offsets.map((o: { offset: number }) => o.offset)).toEqual(ends)
    await reset('--topic', 'events', '--to-offset', '1', '--execute')
    expect(
      JSON.parse(
        (await logbus(['groups', 'describe', '--dir', dir, '--group', 'billing', '--json'])).out,
      ).partitions.map((p: { currentOffset: number }) => p.currentOffset),
    ).toEqual([1, 1])

    expect((await logbus(['groups', 'delete', '--dir', dir, '--group', 'billing'])).code).toBe(0)
    expect((await logbus(['groups', 'list', '--dir', dir])).out).toBe('')
  })
})

describe('dump-log, verify and repair', () => {
  it('report a damaged batch by its offsets; repair --execute fixes it, a dry run does not', async () => {
    const dir = await dirWithTopic()
    for (const batch of ['a\nb\n', 'c\nd\ne\n', 'f\n'])
      await logbus(['produce', '--dir', dir, '--topic', 'lines'], { input: batch })
    const dumped = await logbus(['dump-log', '--dir', dir, '--topic', 'lines', '--json', '--records'])
    expect(dumped.code, dumped.stderr).toBe(0)
    const batches = dumped.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(batches.map((b) => [b.baseOffset, b.lastOffset, b.count])).toEqual([
      [0, 1, 2],
      [2, 4, 3],
      [5, 5, 1],
    ])
    expect(batches[1].records.map((r: { value: string }) => r.value)).toEqual(['c', 'd', 'e'])
    expect((await logbus(['verify', '--dir', dir])).code).toBe(0)

    // One byte of the second batch's records flips: its CRC no longer matches.
    const segment = batches[1].file as string
    const bytes = readFileSync(segment)
    bytes[batches[1].position + batches[1].size - 2]! ^= 0xff
    writeFileSync(segment, bytes)

    const verified = await logbus(['verify', '--dir', dir])
    expect(verified.code).toBe(6)
    expect(verified.out).toMatch(/^CORRUPT lines-0 offsets 2\.\.4 .*CRC mismatch/m)
    expect(verified.out).toMatch(/^lines-0\t.*DAMAGED$/m)
    const report = JSON.parse((await logbus(['verify', '--dir', dir, '--json'])).out)
    expect(report.ok).toBe(false)
    expect(report.damage).toMatchObject([
      { topic: 'lines', partition: 0, offset: 2, endOffset: 5, kind: 'corrupt' },
    ])

    const dump = await logbus(['dump-log', '--dir', dir, '--topic', 'lines'])
    expect(dump.code).toBe(6)
    expect(dump.out).toMatch(/baseOffset: 0 lastOffset: 1 count: 2/)
    expect(dump.out).toMatch(/baseOffset: 5 lastOffset: 5 count: 1/)
    expect(dump.out).toMatch(/^CORRUPT lines-0 offsets 2\.\.4/m)

    const before = snapshot(dir)
    const plan = await logbus(['repair', '--dir', dir, '--mode', 'skip'])
    expect(plan.code).toBe(0)
    expect(plan.out).toMatch(/^WOULD SKIPPED lines-0 offsets 2\.\.4/m)
    expect(snapshot(dir)).toEqual(before)
    const repaired = await logbus(['repair', '--dir', dir, '--mode', 'skip', '--execute'])
    expect(repaired.code, repaired.stderr).toBe(0)
    expect((await logbus(['verify', '--dir', dir])).code).toBe(0)
    expect((await logbus(['consume', '--dir', dir, '--topic', 'lines', '--from-beginning'])).out).toBe(
      'a\nb\nf\n',
    )
  })
})

describe('datagen and connect', () => {
  it('datagen with a seed produces the same records every time', async () => {
    const dir = await dirWithTopic('pv1')
    await logbus(['topics', 'create', '--dir', dir, '--topic', 'pv2'])
    for (const topic of ['pv1', 'pv2']) {
      const run = await logbus([
        'datagen',
        '--dir',
        dir,
        '--quickstart',
        'pageviews',
        '--topic',
        topic,
        '--iterations',
        '50',
        '--seed',
        '7',
        '--json',
      ])
      expect(run.code, run.stderr).toBe(0)
      expect(JSON.parse(run.out)).toMatchObject({ topic, records: 50 })
    }
    const read = (topic: string) =>
      logbus([
        'consume',
        '--dir',
        dir,
        '--topic',
        topic,
        '--from-beginning',
        '--print-key',
        '--key-separator',
        ' ',
      ])
    // One at a time: each takes the directory's lock.
    const one = await read('pv1')
    const two = await read('pv2')
    expect(one.out.trim().split('\n')).toHaveLength(50)
    expect(one.out).toBe(two.out)
    expect(JSON.parse(one.out.split('\n')[0]!.split(' ')[1]!)).toHaveProperty('pageid')
  })

  it('connect runs a standalone config until SIGTERM: a file source to a file sink', async () => {
    const work = scratch()
    const dir = join(work, 'data')
    await logbus(['topics', 'create', '--dir', dir, '--topic', 'placeholder'])
    const source = join(work, 'in.txt')
    const sink = join(work, 'out.txt')
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}\n`).join('')
    writeFileSync(source, lines)
    const config = join(work, 'connect.json')
    writeFileSync(
      config,
      JSON.stringify({
        'value.converter': 'string',
        'offset.flush.interval.ms': 100,
        connectors: [
          { name: 'in', config: { 'connector.class': 'FileStreamSource', file: source, topic: 'lines' } },
          { name: 'out', config: { 'connector.class': 'FileStreamSink', file: sink, topics: 'lines' } },
        ],
      }),
    )
    const child = start(['connect', '--dir', dir, config])
    const done = finished(child)
    await waitUntil(() => existsSync(sink) && readFileSync(sink, 'utf8') === lines, {
      timeoutMs: 15_000,
      message: 'the sink file',
    })
    child.kill('SIGTERM')
    const run = await done
    expect(run.code, run.stderr).toBe(0)
    expect((await logbus(['consume', '--dir', dir, '--topic', 'lines', '--from-beginning'])).out).toBe(lines)
    const bad = await logbus(['connect', '--dir', dir, join(work, 'missing.json')])
    expect(bad.code).toBe(2)
  })
})

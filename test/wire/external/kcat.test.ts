import { spawn } from 'node:child_process'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { cliBin, finished, logbus, start } from '../../cli/support'
import { uniqueName, waitUntil } from '../../support/bus'
import { serve } from '../support'
import { run } from './run'

// librdkafka, through Debian's kcat, against bus.listen().

function kcat(broker: string, args: string[], input?: string) {
  return run('kcat', ['-b', broker, '-X', 'socket.timeout.ms=10000', ...args], { input })
}

describe('kcat (librdkafka)', () => {
  it('-L lists the broker, topics and partitions', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('listed')
    await bus.createTopic(topic, { partitions: 3 })
    const { code, stdout } = await kcat(broker, ['-L'])
    expect(code).toBe(0)
    expect(stdout).toContain(`broker 1 at ${broker}`)
    expect(stdout).toContain(`topic "${topic}" with 3 partitions`)
  })

  it('-P produces keyed lines that in-process consumers read, -C -o beginning -e reads them back', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('lines')
    await bus.createTopic(topic, { partitions: 2 })
    const lines = Array.from({ length: 30 }, (_, i) => `key${i}:value ${i}`)
    const produced = await kcat(broker, ['-P', '-t', topic, '-K:', '-z', 'gzip'], `${lines.join('\n')}\n`)
    expect(produced.code, produced.stderr).toBe(0)
    const t = bus.topic(topic)
    expect(t.partition(0).logEndOffset + t.partition(1).logEndOffset).toBe(30)
    const inProcess = [...(await t.partition(0).read(0)), ...(await t.partition(1).read(0))]
    expect(inProcess.map((r) => `${r.key}:${r.value}`).sort()).toEqual([...lines].sort())

    await bus.producer().send(topic, { key: 'from', value: 'in process', partition: 1 })
    const consumed = await kcat(broker, ['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%k:%s\\n'])
    expect(consumed.code, consumed.stderr).toBe(0)
    expect(consumed.stdout.trim().split('\n').sort()).toEqual([...lines, 'from:in process'].sort())
  })

  it('-G joins a balanced consumer group, consumes to the end and commits', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('balanced')
    const groupId = uniqueName('kcat')
    await bus.createTopic(topic, { partitions: 3 })
    await bus.producer().send(
      topic,
      Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    )
    const { code, stdout, stderr } = await kcat(broker, [
      '-G',
      groupId,
      '-o',
      'beginning',
      '-e',
      '-f',
      '%s\\n',
      topic,
    ])
    expect(code, stderr).toBe(0)
    expect(stdout.trim().split('\n').sort()).toEqual(Array.from({ length: 12 }, (_, i) => `v${i}`).sort())
    const group = bus.group(groupId)
    const committed = [0, 1, 2].map((p) => group.committedOffset(topic, p) ?? 0)
    const ends = [0, 1, 2].map((p) => bus.topic(topic).partition(p).logEndOffset)
    expect(committed).toEqual(ends)
  })
})

describe('logbus --bootstrap-server with kcat (librdkafka)', () => {
  // The bin as the package builds it, once per source tree.
  beforeAll(() => {
    cliBin()
  }, 240_000)

  it('consume reads what kcat compressed with each codec, and its group member shares partitions with kcat -G', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('mixed')
    const groupId = uniqueName('mixed-group')
    await bus.createTopic(topic, { partitions: 2 })
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const produced = await kcat(
        broker,
        ['-P', '-t', topic, '-p', '0', '-z', codec],
        `${codec}-a\n${codec}-b\n`,
      )
      expect(produced.code, produced.stderr).toBe(0)
    }
    const consumed = await logbus([
      'consume',
      '--bootstrap-server',
      broker,
      '--topic',
      topic,
      '--from-beginning',
    ])
    expect(consumed.code, consumed.stderr).toBe(0)
    expect(consumed.out).toBe('gzip-a\ngzip-b\nsnappy-a\nsnappy-b\nlz4-a\nlz4-b\nzstd-a\nzstd-b\n')

    // Two members of one group, one of each client: whichever leads assigns, the other decodes it.
    const cli = start([
      'consume',
      '--bootstrap-server',
      broker,
      '--topic',
      topic,
      '--group',
      groupId,
      '--follow',
    ])
    const cliDone = finished(cli)
    const members = () => bus.group(groupId).describe().members
    await waitUntil(() => members().length === 1, { timeoutMs: 30_000, message: 'the logbus member' })
    const librdkafka = spawn('kcat', ['-b', broker, '-G', groupId, '-f', '%p %s\\n', topic], {
      stdio: 'ignore',
    })
    onTestFinished(() => void librdkafka.kill('SIGKILL'))
    await waitUntil(() => members().length === 2 && members().every((m) => m.assignment.length === 1), {
      timeoutMs: 30_000,
      message: 'both members with one partition each',
    })
    librdkafka.kill('SIGTERM')
    cli.kill('SIGINT')
    expect((await cliDone).code).toBe(0)
    // The bus closes while kcat may still be leaving: the server's close takes its members out of the
    // group rather than waiting for their session timeout.
  })
})

import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { Bus } from '../../src/index'
import { openBus } from '../support/bus'
import { cliBin, logbus, scratch } from './support'

// Each step starts a process (a few hundred ms on a loaded machine).
vi.setConfig({ testTimeout: 120_000 })

beforeAll(() => {
  cliBin()
}, 240_000)

const fixtures = new URL('../wire/fixtures/', import.meta.url)
const CERT = readFileSync(new URL('server.crt', fixtures))
const KEY = readFileSync(new URL('server.key', fixtures))
const JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required'

/**
 * A bus serving SASL_SSL (SCRAM for alice, TLS with the fixture's certificate) on a free loopback port,
 * with ACLs that let only alice in; its `--bootstrap-server`, and the directory for property files.
 */
async function secured(): Promise<{ bus: Bus; server: string; dir: string }> {
  const bus = await openBus()
  const listening = await bus.listen({
    port: 0,
    logger: { info() {}, warn() {}, error() {} },
    sasl: { users: { alice: 'alice-secret' }, mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] },
    tls: { key: KEY, cert: CERT },
    acls: (['topic', 'group', 'cluster'] as const).map((resource) => ({
      principal: 'User:alice',
      resource,
      operations: ['all' as const],
    })),
  })
  const dir = scratch()
  writeFileSync(join(dir, 'ca.pem'), CERT)
  return { bus, server: `127.0.0.1:${listening.address.port}`, dir }
}

/** A Kafka client properties file for alice over SASL_SSL, with `extra` lines; its path. */
function properties(dir: string, extra: string[] = [], password = 'alice-secret'): string {
  const path = join(dir, `client-${Math.random().toString(36).slice(2)}.properties`)
  const lines = [
    '# as kafka-topics --command-config reads it',
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    `sasl.jaas.config=${JAAS} \\`,
    `    username="alice" password="${password}";`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${join(dir, 'ca.pem')}`,
    'client.id=cli-test',
    ...extra,
  ]
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

describe('--command-config over --bootstrap-server', () => {
  it('lists topics, produces and consumes (in a group) on a SASL_SSL server through a properties file', async () => {
    const { bus, server, dir } = await secured()
    const config = properties(dir)
    const over = (words: string[], flag: string, input?: string) =>
      logbus([...words, '--bootstrap-server', server, flag, config], input === undefined ? {} : { input })

    const created = await over(
      ['topics', 'create', '--topic', 'orders', '--partitions', '2'],
      '--command-config',
    )
    expect(created.code, created.stderr).toBe(0)
    await bus.createTopic('audit')
    expect((await over(['topics', 'list'], '--command-config')).out).toBe('audit\norders\n')

    const produced = await over(
      ['produce', '--topic', 'orders', '--key-separator', ':', '--json'],
      '--producer.config',
      'k1:one\nk2:two\nk1:three\n',
    )
    expect(produced.code, produced.stderr).toBe(0)
    expect(JSON.parse(produced.out)).toEqual({ topic: 'orders', records: 3 })

    const consumed = await over(
      ['consume', '--topic', 'orders', '--group', 'billing', '--from-beginning', '--format', 'json'],
      '--consumer.config',
    )
    expect(consumed.code, consumed.stderr).toBe(0)
    const values = consumed.out
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).value)
    expect(values.sort()).toEqual(['one', 'three', 'two'])
    const committed = [0, 1].map((p) => bus.group('billing').committedOffset('orders', p))
    expect(committed).toEqual([0, 1].map((p) => bus.topic('orders').partition(p).logEndOffset))
    const described = await over(['groups', 'describe', '--group', 'billing'], '--command-config')
    expect(described.code, described.stderr).toBe(0)
  })

  it('without the file, with a wrong password or an untrusted certificate: one line, exit code 1', async () => {
    const { server, dir } = await secured()
    const plain = await logbus(['topics', 'list', '--bootstrap-server', server])
    expect(plain.code).toBe(1)
    expect(plain.stderr).toMatch(/^logbus: [^\n]+\n$/)

    const wrong = await logbus([
      'topics',
      'list',
      '--bootstrap-server',
      server,
      '--command-config',
      properties(dir, [], 'guess'),
    ])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toBe(
      `logbus: SASL SCRAM-SHA-512 authentication of alice to ${server} failed: Authentication failed: invalid credentials\n`,
    )

    const untrusted = await logbus([
      'topics',
      'list',
      '--bootstrap-server',
      server,
      '--command-config',
      properties(dir, ['ssl.truststore.location=']),
    ])
    expect(untrusted.code).toBe(1)
    expect(untrusted.stderr).toMatch(
      /^logbus: TLS handshake with 127\.0\.0\.1:\d+ failed: self.signed certificate\n$/,
    )
  })

  it('a file it cannot use is one line and exit code 2, and nothing is done', async () => {
    const { bus, server, dir } = await secured()
    const create = (...flags: string[]) =>
      logbus(['topics', 'create', '--topic', 'never', '--bootstrap-server', server, ...flags])
    const jks = await create('--command-config', properties(dir, ['ssl.truststore.type=JKS']))
    expect([jks.code, jks.stderr]).toEqual([
      2,
      expect.stringMatching(
        /^logbus: --command-config \S+: ssl\.truststore\.type is JKS: Node cannot read JKS or PKCS12 stores; convert it to PEM and set ssl\.truststore\.type=PEM\n$/,
      ),
    ])
    const noJaas = join(dir, 'no-jaas.properties')
    writeFileSync(noJaas, 'security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n')
    const missing = await create('--command-config', noJaas)
    expect([missing.code, missing.stderr]).toEqual([
      2,
      `logbus: --command-config ${noJaas}: security.protocol=SASL_SSL needs sasl.jaas.config (a PlainLoginModule or ScramLoginModule with username and password)\n`,
    ])
    const absent = await create('--command-config', join(dir, 'absent.properties'))
    expect([absent.code, absent.stderr]).toEqual([
      2,
      `logbus: --command-config ${join(dir, 'absent.properties')}: no such file\n`,
    ])
    const both = await logbus([
      'produce',
      '--topic',
      'never',
      '--bootstrap-server',
      server,
      '--command-config',
      noJaas,
      '--producer.config',
      noJaas,
    ])
    expect([both.code, both.stderr]).toEqual([
      2,
      'logbus: produce: give only one of --command-config, --producer.config\n',
    ])
    const withDir = await logbus(['topics', 'list', '--dir', dir, '--command-config', noJaas])
    expect([withDir.code, withDir.stderr]).toEqual([
      2,
      'logbus: topics list: --command-config goes with --bootstrap-server\n',
    ])
    expect(bus.listTopics()).toEqual([])
  })

  it('is in the help of every command that takes --bootstrap-server, with the console tools’ names', async () => {
    for (const words of [['topics', 'list'], ['produce'], ['consume'], ['groups', 'describe']]) {
      expect((await logbus([...words, '--help'])).out).toContain('--command-config <file>')
    }
    expect((await logbus(['produce', '--help'])).out).toContain('--producer.config <file>')
    expect((await logbus(['consume', '--help'])).out).toContain('--consumer.config <file>')
  })
})

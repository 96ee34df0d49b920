import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest'
import { COMMANDS, type GroupEntry } from '../../src/cli/commands'
import { openBus } from '../support/bus'
import { cliBin, scratch } from './support'

vi.setConfig({ testTimeout: 120_000 })

beforeAll(() => {
  cliBin()
}, 240_000)

const REGISTER = fileURLToPath(new URL('./module-log/register.mjs', import.meta.url))
const REQUIRE_HOOK = fileURLToPath(new URL('./module-log/require-hook.cjs', import.meta.url))

/** What one run of the bin loaded: the sources bundled in the files it loaded, and the builtins. */
interface Loaded {
  /** The bin's own files (file: URLs outside node_modules). */
  files: Set<string>
  /** What the ESM loader resolved (import(), and the entry itself while a --import hook is there). */
  imported: Set<string>
  sources: Set<string>
  builtins: Set<string>
  packages: Set<string>
}

/**
 * Runs the built bin with hooks that log every module it loads (through import() and require), until it
 * exits (or, for `serve`, until its address line, then SIGTERM). The bin's files name the sources they bundle
 * (`// src/…` lines, as esbuild writes them), which is how a chunk is told apart from another.
 */
async function loadedBy(args: readonly string[], untilLine = false): Promise<Loaded> {
  const log = join(scratch(), 'modules.log')
  const importLog = join(scratch(), 'imports.log')
  const child = spawn(
    process.execPath,
    ['--import', REGISTER, '--require', REQUIRE_HOOK, cliBin(), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOGBUS_MODULE_LOG: log, LOGBUS_IMPORT_LOG: importLog, LOGBUS_DEBUG: undefined },
    },
  )
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
    if (untilLine && stdout.includes('\n')) child.kill('SIGTERM')
  })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  expect(code, stderr).toBe(0)
  const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean)
  const imported = new Set(readFileSync(importLog, 'utf8').split('\n').filter(Boolean))
  const loaded: Loaded = {
    files: new Set(),
    imported,
    sources: new Set(),
    builtins: new Set(),
    packages: new Set(),
  }
  for (const url of urls) {
    if (url.startsWith('node:')) loaded.builtins.add(url.slice('node:'.length))
    else if (url.includes('/node_modules/') && !url.includes('/node_modules/.cache/')) {
      loaded.packages.add(/\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)![1]!)
    } else if (url.startsWith('file:')) {
      loaded.files.add(url)
      for (const [, source] of readFileSync(fileURLToPath(url), 'utf8').matchAll(/^\/\/ (src\/\S+)$/gm)) {
        loaded.sources.add(source!)
      }
    }
  }
  return loaded
}

const outside = (sources: Set<string>, ...allowed: string[]) =>
  [...sources].filter((source) => !allowed.some((prefix) => source.startsWith(prefix)))

describe('the bin loads the command it runs, not the others', () => {
  it('--help loads the dispatcher alone: no command, no core, no package, no network or compression', async () => {
    const loaded = await loadedBy(['--help'])
    expect(loaded.sources).toContain('src/cli/run.ts')
    expect(outside(loaded.sources, 'src/cli/', 'src/errors.ts')).toEqual([])
    expect([...loaded.sources].filter((source) => /^src\/cli\/[^/]+\//.test(source))).toEqual([])
    expect(loaded.packages).toEqual(new Set())
    for (const builtin of ['net', 'tls', 'http', 'zlib', 'crypto'])
      expect(loaded.builtins).not.toContain(builtin)
  })

  it('serve --memory loads the core and the wire server, not the file log, HTTP, Connect or TLS', async () => {
    const loaded = await loadedBy(['serve', '--memory', '--port', '0'], true)
    expect(loaded.sources).toContain('src/bus/bus.ts')
    expect(loaded.sources).toContain('src/wire/server/server.ts')
    const heavy = [...loaded.sources].filter((source) =>
      /^src\/(storage\/file|http|connect|datagen|streams|kafkajs)\/|^src\/cli\/(topics|log|produce|consume)\//.test(
        source,
      ),
    )
    expect(heavy).toEqual([])
    expect(loaded.builtins).toContain('net')
    // zod is bundled (tsup.config.ts): the package's ~110 modules are not resolved one by one.
    expect(loaded.packages).not.toContain('zod')
    // node:crypto (SASL, the cluster id, topic ids) waits for the first client that needs it.
    for (const builtin of ['tls', 'http', 'zlib', 'crypto']) expect(loaded.builtins).not.toContain(builtin)
    // The bin is CommonJS (package.json's bin), and requires its chunks instead of import()ing them
    // (tsup.config.ts): Node 20 loads them with less work than through its ESM loader.
    expect([...loaded.files].filter((url) => !url.endsWith('.cjs'))).toEqual([])
    expect([...loaded.imported].filter((url) => !url.endsWith('/cli.cjs'))).toEqual([])
  })

  it('serve --dir loads the file log, and no compression codec until a compressed batch is read', async () => {
    const loaded = await loadedBy(['serve', '--dir', join(scratch(), 'data'), '--port', '0'], true)
    expect(loaded.sources).toContain('src/storage/file/file-storage.ts')
    expect(loaded.builtins).not.toContain('zlib')
    expect(loaded.packages).not.toContain('snappyjs')
    expect(loaded.packages).not.toContain('fzstd')
  })

  it('a command over a data directory loads the file log (what the others leave out is there to load)', async () => {
    const loaded = await loadedBy(['topics', 'create', '--dir', join(scratch(), 'data'), '--topic', 't'])
    expect(loaded.sources).toContain('src/storage/file/file-storage.ts')
    expect(loaded.sources).toContain('src/cli/topics/topics.ts')
    expect(loaded.sources).not.toContain('src/wire/server/server.ts')
  })

  it('a command over --bootstrap-server loads TLS, SASL and the properties reader only when a file asks for them', async () => {
    const bus = await openBus()
    const cert = readFileSync(new URL('../wire/fixtures/server.crt', import.meta.url))
    const key = readFileSync(new URL('../wire/fixtures/server.key', import.meta.url))
    const quiet = { info() {}, warn() {}, error() {} }
    const plain = await bus.listen({ port: 0, logger: quiet })
    const plainly = await loadedBy([
      'topics',
      'list',
      '--bootstrap-server',
      `127.0.0.1:${plain.address.port}`,
    ])
    expect(plainly.sources).toContain('src/wire/client/connection.ts')
    for (const source of [
      'src/wire/client/sasl-authenticator.ts',
      'src/cli/cluster/wire/command-config.ts',
    ]) {
      expect(plainly.sources).not.toContain(source)
    }
    expect(plainly.builtins).not.toContain('tls')

    const secure = await bus.listen({
      port: 0,
      logger: quiet,
      tls: { key, cert },
      sasl: { users: { alice: 'secret' } },
    })
    const dir = scratch()
    writeFileSync(join(dir, 'ca.pem'), cert)
    const config = join(dir, 'client.properties')
    writeFileSync(
      config,
      'security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n' +
        'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="secret";\n' +
        `ssl.truststore.type=PEM\nssl.truststore.location=${join(dir, 'ca.pem')}\n`,
    )
    const securely = await loadedBy([
      'topics',
      'list',
      '--bootstrap-server',
      `127.0.0.1:${secure.address.port}`,
      '--command-config',
      config,
    ])
    expect(securely.sources).toContain('src/wire/client/sasl-authenticator.ts')
    expect(securely.sources).toContain('src/cli/cluster/wire/command-config.ts')
    expect(securely.builtins).toContain('tls')
  })
})

describe('the command list', () => {
  it("names each command with its module's own summary and subcommands, in order", async () => {
    for (const [name, entry] of Object.entries(COMMANDS)) {
      if ('commands' in entry) {
        const group = await (entry as GroupEntry).load()
        expect(group.name).toBe(name)
        expect(entry.summary).toBe(group.summary)
        expect(entry.commands).toEqual(Object.keys(group.commands))
      } else {
        const command = await entry.load()
        expect(command.spec.name).toBe(name)
        expect(entry.summary).toBe(command.spec.summary)
      }
    }
  })
})

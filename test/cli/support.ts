import { type SpawnOptions, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { builtCli } from '../../scripts/cli-build'
import type { PartitionBatches } from '../../src/cli/cluster/cluster'
import { partitionForKey, RecordBatchWriter } from '../../src/index'

let built: string | undefined

/** The `logbus` bin as the package builds it (see scripts/cli-build.ts), built once per source tree. */
export function cliBin(): string {
  built ??= builtCli()
  return built
}

/** What a run of the bin gave. */
export interface Run {
  code: number | null
  stdout: Buffer
  stderr: string
  /** stdout as text. */
  out: string
}

/** Runs `logbus args…` to completion (stdin: `input`, or nothing). */
export function logbus(
  args: readonly string[],
  options: { input?: Buffer | string; cwd?: string } = {},
): Promise<Run> {
  const child = start(args, { cwd: options.cwd })
  child.stdin!.end(options.input ?? '')
  return finished(child)
}

/** Starts `logbus args…` and leaves it running (for --follow, connect, a held lock). */
export function start(args: readonly string[], options: Pick<SpawnOptions, 'cwd'> = {}) {
  const child = spawn(process.execPath, [cliBin(), ...args], {
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LOGBUS_DEBUG: undefined },
  })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return child
}

/** A run left going: what it printed so far (`printed()`), and its end (`done`). */
export function watched(args: readonly string[]): {
  child: ReturnType<typeof start>
  printed: () => string
  done: Promise<Run>
} {
  const child = start(args)
  let printed = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    printed += chunk.toString('utf8')
  })
  return { child, printed: () => printed, done: finished(child) }
}

/** Collects a started run's output until it exits. */
export function finished(child: ReturnType<typeof start>): Promise<Run> {
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout!.on('data', (chunk: Buffer) => out.push(chunk))
  child.stderr!.on('data', (chunk: Buffer) => err.push(chunk))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      const stdout = Buffer.concat(out)
      resolve({ code, stdout, stderr: Buffer.concat(err).toString('utf8'), out: stdout.toString('utf8') })
    })
  })
}

/** A fresh scratch directory, removed after the test. */
export function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'logbus-cli-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Every file under `dir` with its bytes: what "nothing changed" compares. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (!existsSync(dir)) return out
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name)
      if (statSync(path).isDirectory()) walk(path)
      else out[path.slice(dir.length)] = createHash('sha256').update(readFileSync(path)).digest('hex')
    }
  }
  walk(dir)
  return out
}

/**
 * `count` numbered lines of the kinds that break naive line handling — empty, tabs, a CR before the
 * newline, non-ASCII, control bytes, a long one — as a file's text: what a byte-for-byte round trip reads.
 */
export function awkwardLines(count: number): string {
  const kinds = [
    'plain',
    '',
    'tabs\tand spaces  ',
    'crlf line\r',
    'ünïcödé ✓ 日本',
    String.fromCharCode(1, 2, 3, 0xff),
    'x'.repeat(5000),
  ]
  return Array.from({ length: count }, (_, i) => `${i} ${kinds[i % kinds.length]}\n`).join('')
}

/** A record for {@link partitionBatches}. */
export interface TestMessage {
  key: Buffer | null
  value: Buffer
  headers?: Record<string, Buffer>
}

/**
 * Messages as a cluster producer takes them: partitioned as `producer.send` partitions (murmur2 of
 * the key, round-robin from partition 0 without one), one RecordBatch v2 per partition.
 */
export function partitionBatches(partitionCount: number, messages: readonly TestMessage[]): PartitionBatches {
  const writers = new Map<number, RecordBatchWriter>()
  let next = 0
  const now = Date.now()
  for (const { key, value, headers } of messages) {
    const partition = key === null ? next++ % partitionCount : partitionForKey(key, partitionCount)
    let writer = writers.get(partition)
    if (writer === undefined) {
      writer = new RecordBatchWriter()
      writers.set(partition, writer)
    }
    writer.append(now, key, 0, key?.length ?? 0, value, 0, value.length, headers)
  }
  return new Map([...writers].map(([partition, writer]) => [partition, [writer.finish()]]))
}

/**
 * Real crash tests of the durable file log: a child process (crash-child.ts) produces and commits
 * into a directory and is SIGKILLed at a random moment — by this test after a random number of
 * acknowledged records, while it opens, or by itself at a chosen point inside a segment roll or in the
 * middle of a write (a torn batch). The test then reopens the directory and checks that everything
 * acknowledged is there, that the log is a clean dense prefix, and that committed group offsets
 * survived. The same directory is used again by the next child, so recovery after recovery runs.
 *
 * The sequence of scenarios is random but seeded: set LOGBUS_CRASH_SEED to replay a failing run.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { FileStorage, type LogDamage } from '../../../src/file'
import { Bus } from '../../../src/index'
import {
  type ChildLine,
  CRASH_GROUP,
  CRASH_PARTITIONS,
  CRASH_TOPIC,
  type CrashPoint,
  type CrashSpec,
  crashValue,
  type FsyncMode,
  formatCrashSpec,
  parseCrashValue,
  parseLine,
} from '../../support/crash-workload'

const CHILD_SCRIPT = fileURLToPath(new URL('./crash-child.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** How long a child may take to reach the point where it is killed (it starts in about a second). */
const CHILD_DEADLINE_MS = 20_000

// ---------------------------------------------------------------------------------------------------
// Seeded randomness

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SEED = Number(process.env.LOGBUS_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))

function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

// ---------------------------------------------------------------------------------------------------
// Scenarios: when the child dies

type Scenario =
  /** This test SIGKILLs the child once it has acknowledged `acks` records. */
  | { kind: 'acks'; acks: number }
  /** This test SIGKILLs the child as soon as it says it is opening the bus (recovery may be running). */
  | { kind: 'opening' }
  /** The child SIGKILLs itself inside the file storage. */
  | { kind: 'self'; spec: CrashSpec }

type ScenarioKind = 'acks' | 'opening' | CrashPoint

function scenario(kind: ScenarioKind, random: () => number): Scenario {
  switch (kind) {
    case 'acks':
      return { kind: 'acks', acks: between(random, 1, 2500) }
    case 'opening':
      return { kind: 'opening' }
    case 'open':
    case 'index':
    case 'torn-roll':
      // Each partition rolls about every 80 records, so these come within the first few hundred acks.
      return { kind: 'self', spec: { point: kind, ordinal: between(random, 1, 12) } }
    case 'torn':
      return { kind: 'self', spec: { point: kind, ordinal: between(random, 1, 400) } }
    case 'torn-offsets':
      return { kind: 'self', spec: { point: kind, ordinal: between(random, 1, 60) } }
  }
}

function describeScenario(s: Scenario): string {
  switch (s.kind) {
    case 'acks':
      return `kill after ${s.acks} acks`
    case 'opening':
      return 'kill while opening'
    case 'self':
      return `self-kill at ${formatCrashSpec(s.spec)}`
  }
}

// ---------------------------------------------------------------------------------------------------
// The child process

type ChildExit = { code: number | null; signal: NodeJS.Signals | null }

const liveChildren = new Set<CrashChild>()
const tempDirs: string[] = []

afterEach(async () => {
  for (const child of liveChildren) child.kill()
  await Promise.all([...liveChildren].map((child) => child.exited))
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

class CrashChild {
  readonly lines: ChildLine[] = []
  readonly exited: Promise<ChildExit>
  ackCount = 0
  opening = false
  ready = false
  stderr = ''
  #exit: ChildExit | undefined
  #partial = ''
  #parseError: Error | undefined
  readonly #process: ChildProcessWithoutNullStreams
  readonly #listeners = new Set<() => void>()

  constructor(dir: string, fsync: FsyncMode, spec: CrashSpec | undefined) {
    this.#process = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD_SCRIPT, dir, fsync, formatCrashSpec(spec)],
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
    )
    liveChildren.add(this)
    this.#process.stdout.setEncoding('utf8')
    this.#process.stdout.on('data', (chunk: string) => this.#onData(chunk))
    this.#process.stderr.setEncoding('utf8')
    this.#process.stderr.on('data', (chunk: string) => {
      this.stderr += chunk
    })
    // 'close' comes after the exit and after stdout and stderr ended: every line the child wrote is in.
    this.exited = new Promise((resolve) => {
      this.#process.once('close', (code, signal) => {
        this.#exit = { code, signal }
        liveChildren.delete(this)
        this.#notify()
        resolve(this.#exit)
      })
    })
  }

  #onData(chunk: string): void {
    const text = this.#partial + chunk
    const lines = text.split('\n')
    // The last piece has no newline yet; after a SIGKILL it may stay cut forever, and is ignored.
    this.#partial = lines.pop()!
    for (const raw of lines) {
      try {
        const line = parseLine(raw)
        this.lines.push(line)
        if (line.kind === 'ack') this.ackCount++
        if (line.kind === 'opening') this.opening = true
        if (line.kind === 'ready') this.ready = true
      } catch (error) {
        this.#parseError ??= error as Error
      }
    }
    this.#notify()
  }

  #notify(): void {
    for (const listener of this.#listeners) listener()
  }

  /** Resolves once `condition` holds (checked on every output chunk); rejects if the child exits first. */
  waitFor(condition: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.#parseError !== undefined) finish(this.#parseError)
        else if (condition()) finish(undefined)
        else if (this.#exit !== undefined) {
          finish(new Error(`The child exited (${JSON.stringify(this.#exit)}) before ${what}: ${this.stderr}`))
        }
      }
      const timer = setTimeout(
        () =>
          finish(new Error(`Timed out after ${CHILD_DEADLINE_MS} ms waiting for ${what}: ${this.stderr}`)),
        CHILD_DEADLINE_MS,
      )
      const finish = (error: Error | undefined): void => {
        clearTimeout(timer)
        this.#listeners.delete(check)
        if (error === undefined) resolve()
        else reject(error)
      }
      this.#listeners.add(check)
      check()
    })
  }

  /** Resolves with how it ended, or rejects if it runs past the deadline. */
  async waitForExit(what: string): Promise<ChildExit> {
    await this.waitFor(() => this.#exit !== undefined, what)
    return this.#exit!
  }

  kill(): void {
    if (this.#exit === undefined) this.#process.kill('SIGKILL')
  }

  get parseError(): Error | undefined {
    return this.#parseError
  }
}

// ---------------------------------------------------------------------------------------------------
// What was acknowledged, over every child run on one directory

interface History {
  /** `${partition}:${offset}` → the record acknowledged there. */
  acks: Map<string, { key: string; seq: number; run: number }>
  /** Acknowledged twice at one offset with different records: an acknowledged record was overwritten. */
  conflicts: string[]
  /** Every offset a commit was attempted with, per partition. */
  intents: Map<number, Set<number>>
  /** The last commit that resolved, per partition (commits only move forward). */
  lastCommitted: Map<number, number>
  /** The log as the previous reopen found it: `${key}#${seq}` per offset, per partition. */
  known: string[][]
}

function newHistory(): History {
  return {
    acks: new Map(),
    conflicts: [],
    intents: new Map(),
    lastCommitted: new Map(),
    known: Array.from({ length: CRASH_PARTITIONS }, () => []),
  }
}

function record(history: History, run: number, lines: readonly ChildLine[]): void {
  for (const line of lines) {
    if (line.kind === 'ack') {
      const at = `${line.partition}:${line.offset}`
      const earlier = history.acks.get(at)
      if (earlier !== undefined && (earlier.key !== line.key || earlier.seq !== line.seq)) {
        history.conflicts.push(
          `${CRASH_TOPIC}-${at} acknowledged as ${earlier.key}#${earlier.seq} in run ${earlier.run}, ` +
            `then as ${line.key}#${line.seq} in run ${run}`,
        )
      }
      history.acks.set(at, { key: line.key, seq: line.seq, run })
    } else if (line.kind === 'commit-intent') {
      const set = history.intents.get(line.partition) ?? new Set<number>()
      history.intents.set(line.partition, set)
      set.add(line.offset)
    } else if (line.kind === 'commit-ack') {
      history.lastCommitted.set(line.partition, line.offset)
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Checks after a reopen

interface Inspection {
  problems: string[]
  records: number
}

async function inspect(bus: Bus, history: History): Promise<Inspection> {
  const problems: string[] = []
  const topic = bus.topic(CRASH_TOPIC)
  if (topic.partitionCount !== CRASH_PARTITIONS) {
    problems.push(`${topic.partitionCount} partitions, expected ${CRASH_PARTITIONS}`)
  }
  const logs: string[][] = []
  const seqsByKey = new Map<string, { partition: number; seqs: number[] }>()
  let records = 0
  for (const partition of topic.partitions) {
    const p = partition.partition
    const log: string[] = []
    logs[p] = log
    if (partition.logStartOffset !== 0) problems.push(`partition ${p} starts at ${partition.logStartOffset}`)
    let offset = partition.logStartOffset
    while (offset < partition.logEndOffset) {
      const batch = await partition.read(offset)
      if (batch.length === 0) {
        problems.push(`partition ${p}: read(${offset}) is empty below logEndOffset ${partition.logEndOffset}`)
        break
      }
      for (const r of batch) {
        if (r.offset !== offset)
          problems.push(`partition ${p}: offset ${r.offset} where ${offset} was expected`)
        offset = r.offset + 1
        const key = r.key?.toString('utf8') ?? null
        const value = r.value?.toString('utf8') ?? null
        const parsed = value === null ? undefined : parseCrashValue(value)
        if (parsed === undefined || parsed.key !== key || value !== crashValue(parsed.key, parsed.seq)) {
          problems.push(`partition ${p} offset ${r.offset}: key ${String(key)} value ${String(value)}`)
          log.push('?')
          continue
        }
        log.push(`${parsed.key}#${parsed.seq}`)
        const entry = seqsByKey.get(parsed.key) ?? { partition: p, seqs: [] }
        seqsByKey.set(parsed.key, entry)
        if (entry.partition !== p)
          problems.push(`key ${parsed.key} in partitions ${entry.partition} and ${p}`)
        entry.seqs.push(parsed.seq)
      }
    }
    if (log.length !== partition.logEndOffset) {
      problems.push(`partition ${p}: ${log.length} records read, logEndOffset ${partition.logEndOffset}`)
    }
    records += log.length
  }

  // Every acknowledged record, at its acknowledged offset.
  let missing = 0
  for (const [at, ack] of history.acks) {
    const [p, offset] = at.split(':').map(Number) as [number, number]
    const found = logs[p]?.[offset]
    if (found !== `${ack.key}#${ack.seq}`) {
      if (++missing <= 20) {
        problems.push(
          `acknowledged ${ack.key}#${ack.seq} at ${CRASH_TOPIC}-${at} (run ${ack.run}), found ${found ?? 'nothing'} ` +
            `(logEndOffset ${logs[p]?.length ?? 0})`,
        )
      }
    }
  }
  if (missing > 20) problems.push(`... ${missing} acknowledged records missing or different in all`)
  problems.push(...history.conflicts)

  // What an earlier reopen saw is still there, unchanged: recovery only ever cuts what came after it.
  for (let p = 0; p < CRASH_PARTITIONS; p++) {
    const before = history.known[p]!
    const now = logs[p] ?? []
    const changed = before.findIndex((entry, offset) => now[offset] !== entry)
    if (changed !== -1) {
      problems.push(
        `partition ${p}: offset ${changed} held ${before[changed]} at the previous reopen, now ${now[changed] ?? 'nothing'} ` +
          `(${before.length} records then, ${now.length} now)`,
      )
    }
  }

  // No record twice, none skipped: each key's sequence numbers are 0, 1, 2, ... along the offsets (a
  // key's sends are sequential, and the child continues after the highest sequence already in the log).
  for (const [key, { partition, seqs }] of seqsByKey) {
    const bad = seqs.findIndex((seq, i) => seq !== i)
    if (bad !== -1) {
      problems.push(
        `key ${key} (partition ${partition}): sequence ${seqs[bad]} at position ${bad}; around it ` +
          `${seqs.slice(Math.max(0, bad - 3), bad + 4).join(',')}`,
      )
    }
  }

  // Committed offsets: at least the last commit that resolved, a value a commit was attempted with,
  // and inside the log.
  const group = bus.group(CRASH_GROUP)
  for (let p = 0; p < CRASH_PARTITIONS; p++) {
    const committed = group.committedOffset(CRASH_TOPIC, p)
    const last = history.lastCommitted.get(p)
    if (last !== undefined && (committed === undefined || committed < last)) {
      problems.push(
        `partition ${p}: committed offset ${String(committed)} after the commit of ${last} resolved`,
      )
    }
    if (committed !== undefined && history.intents.get(p)?.has(committed) !== true) {
      problems.push(`partition ${p}: committed offset ${committed} was never committed by the child`)
    }
    if (committed !== undefined && committed > (logs[p]?.length ?? 0)) {
      problems.push(`partition ${p}: committed offset ${committed} past the log end ${logs[p]?.length ?? 0}`)
    }
  }

  for (let p = 0; p < CRASH_PARTITIONS; p++) history.known[p] = logs[p] ?? []
  return { problems, records }
}

/** Files under `dir` with their sizes: the directory state for a failure report. */
function listDir(dir: string, prefix = ''): string[] {
  const out: string[] = []
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const path = join(prefix, name)
    const stat = statSync(join(dir, path))
    if (stat.isDirectory()) out.push(...listDir(dir, path))
    else out.push(`${path} ${stat.size}`)
  }
  return out
}

function segmentCount(dir: string): number {
  let count = 0
  for (let p = 0; p < CRASH_PARTITIONS; p++) {
    count += readdirSync(join(dir, `${CRASH_TOPIC}-${p}`)).filter((n) => n.endsWith('.log')).length
  }
  return count
}

function offsetsLogBytes(dir: string): number {
  const logDir = join(dir, '__logbus', 'offsets-0')
  let bytes = 0
  for (const name of readdirSync(logDir))
    if (name.endsWith('.log')) bytes += statSync(join(logDir, name)).size
  return bytes
}

// ---------------------------------------------------------------------------------------------------
// The loop: run a child, kill it, reopen, check, again

async function runChild(dir: string, fsync: FsyncMode, s: Scenario): Promise<CrashChild> {
  const child = new CrashChild(dir, fsync, s.kind === 'self' ? s.spec : undefined)
  if (s.kind === 'acks') {
    await child.waitFor(() => child.ackCount >= s.acks, `${s.acks} acknowledged records`)
    child.kill()
  } else if (s.kind === 'opening') {
    await child.waitFor(() => child.opening, 'the child to start opening the bus')
    child.kill()
  }
  const exit = await child.waitForExit(`the child to die (${describeScenario(s)})`)
  expect(child.parseError).toBeUndefined()
  expect(exit, `the child must die of SIGKILL, not on its own; stderr: ${child.stderr}`).toEqual({
    code: null,
    signal: 'SIGKILL',
  })
  return child
}

async function crashLoop(fsync: FsyncMode, kinds: readonly ScenarioKind[]): Promise<void> {
  const random = mulberry32(SEED ^ (fsync === 'always' ? 0 : 0x5bd1e995))
  const dir = mkdtempSync(join(tmpdir(), `logbus-crash-${fsync}-`))
  tempDirs.push(dir)
  const history = newHistory()
  const reopenMs: number[] = []
  console.log(`[crash ${fsync}] seed ${SEED} (LOGBUS_CRASH_SEED to replay), dir ${dir}`)

  for (let run = 0; run < kinds.length; run++) {
    const s = scenario(kinds[run]!, random)
    const child = await runChild(dir, fsync, s)
    record(history, run, child.lines)
    const commits = child.lines.filter((l) => l.kind === 'commit-ack').length
    const crashState = listDir(dir)

    const started = performance.now()
    let bus: Bus
    // A SIGKILL leaves torn tails (cut silently), never damage: a complete batch that fails its CRC.
    const damages: LogDamage[] = []
    try {
      bus = await Bus.open({ storage: new FileStorage({ dir, onDamage: (d) => damages.push(d) }) })
    } catch (error) {
      console.log(`[crash ${fsync}] run ${run}: reopen failed; the directory:\n  ${crashState.join('\n  ')}`)
      throw new Error(`Reopen after run ${run} (${describeScenario(s)}), seed ${SEED}, failed`, {
        cause: error,
      })
    }
    const ms = performance.now() - started
    reopenMs.push(ms)
    expect(damages, `damage reported after run ${run} (${describeScenario(s)}), seed ${SEED}`).toEqual([])
    let inspection: Inspection
    try {
      inspection = await inspect(bus, history)
    } finally {
      await bus.close()
    }
    console.log(
      `[crash ${fsync}] run ${run}: ${describeScenario(s)}${child.ready ? '' : ' (before it was ready)'}: ` +
        `${child.ackCount} acks, ${commits} offsets committed; ` +
        `reopen ${ms.toFixed(1)} ms over ${inspection.records} records in ${segmentCount(dir)} segments, ` +
        `offsets log ${offsetsLogBytes(dir)} bytes`,
    )
    if (inspection.problems.length > 0) {
      console.log(
        `[crash ${fsync}] run ${run} failed; the directory as the crash left it:\n  ${crashState.join('\n  ')}` +
          `\nand after the reopen and close:\n  ${listDir(dir).join('\n  ')}`,
      )
    }
    expect(inspection.problems, `after run ${run} (${describeScenario(s)}), seed ${SEED}`).toEqual([])
  }

  const sorted = [...reopenMs].sort((a, b) => a - b)
  console.log(
    `[crash ${fsync}] reopen after a crash: min ${sorted[0]!.toFixed(1)} ms, median ` +
      `${sorted[sorted.length >> 1]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms, ` +
      `${history.acks.size} acknowledged records checked`,
  )
  // The test must have tested something: records were acknowledged and commits resolved.
  expect(history.acks.size).toBeGreaterThan(0)
  expect(history.lastCommitted.size).toBeGreaterThan(0)
}

describe('file storage survives SIGKILL', () => {
  it("fsync 'always': every acknowledged record and committed offset survives, run after run", async () => {
    await crashLoop('always', [
      'acks',
      'acks',
      'opening',
      'open',
      'acks',
      'index',
      'torn-roll',
      'acks',
      'torn',
      'torn-offsets',
      'acks',
      'opening',
      'open',
      'torn-roll',
      'index',
      'acks',
    ])
  }, 180_000)

  // With 'never' nothing is fsynced before a send resolves, so a power loss may lose acknowledged
  // records. A SIGKILL is not a power loss: every write the process made is in the OS page cache,
  // which outlives the process, so acknowledged records must survive it just the same.
  it("fsync 'never': a SIGKILL (not a power loss) loses nothing acknowledged either", async () => {
    await crashLoop('never', ['acks', 'open', 'acks', 'torn', 'opening', 'acks'])
  }, 120_000)
})

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { Bus, type BusOptions } from '../../src/index'
import { readTopic } from './helpers'
import { counterApp, events, MemoryStorage, type RestartBus, restartTopics } from './restart-topology'

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url))
const REPO = fileURLToPath(new URL('../..', import.meta.url))
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'logbus-streams-'))
  dirs.push(dir)
  return dir
}

async function openBus(where: Pick<BusOptions, 'storage' | 'dir'>): Promise<RestartBus> {
  return Bus.open({ ...where, topics: restartTopics })
}

const outputsOf = async (bus: RestartBus, user: string) =>
  (await readTopic(bus, 'counts-out')).filter((r) => r.key === user).map((r) => Number(r.value))

/**
 * The at-least-once contract of a restart: a clean close commits (state changelogs written, outputs
 * stored, then input offsets); the next start restores every store from its changelog before it
 * processes anything, and goes on from the committed offsets. So nothing is counted twice or lost.
 */
async function cleanRestart(where: Pick<BusOptions, 'storage' | 'dir'>): Promise<void> {
  const first = await openBus(where)
  const one = counterApp(first)
  await one.app.start()
  await first.producer().send('events', [...events('a', 10, 1_000), ...events('b', 4, 61_000)])
  await one.app.caughtUp()
  expect(one.counts.get('a')).toBe(10)
  await one.app.close()
  await first.close()

  const second = await openBus(where)
  // Sent while the application was down: processed after the restore, on top of the old counts.
  await second.producer().send('events', events('a', 5, 2_000))
  const two = counterApp(second)
  const restored: string[] = []
  two.app.on('restored', ({ store, records }) => {
    if (records > 0) restored.push(`${store}:${records}`)
  })
  await two.app.start()
  await two.app.caughtUp()
  expect(restored.sort()).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^counts:\d+$/),
      expect.stringMatching(/^per-minute:\d+$/),
    ]),
  )
  expect(two.counts.get('a')).toBe(15)
  expect(two.counts.get('b')).toBe(4)
  // The windowed store came back with its stream time (b's records at 61 s closed the first minute),
  // so the 5 new records at 2 s are late for it: dropped, as they would have been without a restart.
  expect(two.perMinute.fetch('a').map(([w, n]) => [w.window.start, n])).toEqual([[0, 10]])
  expect(two.perMinute.fetch('b').map(([w, n]) => [w.window.start, n])).toEqual([[60_000, 4]])
  expect(two.app.metrics().droppedRecords).toBe(5)
  // Only the 5 new records were processed: the committed ones were not read again.
  expect(two.app.metrics().processedRecords).toBe(5)
  expect(await outputsOf(second, 'a')).toEqual(Array.from({ length: 15 }, (_, i) => i + 1))
  await two.app.close()
  await second.close()
}

describe('restart', () => {
  it('over the same MemoryStorage: state restored before processing, nothing counted twice', async () => {
    await cleanRestart({ storage: new MemoryStorage() })
  })

  it('from compacted changelogs: the restore replays one record per key, the state is the same', async () => {
    const storage = new MemoryStorage()
    const first = await openBus({ storage })
    const one = counterApp(first)
    await one.app.start()
    // Ten commits, each writing the new count of a and b to the counts changelog.
    for (let round = 0; round < 10; round++) {
      await first.producer().send('events', [...events('a', 3, 1_000), ...events('b', 1, 1_000)])
      await one.app.caughtUp()
      await one.app.commit()
    }
    await one.app.close()
    const changelog = 'counter-counts-changelog'
    expect(first.topic(changelog).config.cleanupPolicy).toBe('compact')
    expect(first.topic('counter-per-minute-changelog').config.cleanupPolicy).toBe('compact,delete')
    const written = await readTopic(first, changelog)
    await first.compact(changelog)
    const kept = await readTopic(first, changelog)
    expect(kept.length).toBeLessThan(written.length)
    await first.close()

    const second = await openBus({ storage })
    const two = counterApp(second)
    let restored = 0
    two.app.on('restored', ({ store, records }) => {
      if (store === 'counts') restored += records
    })
    await two.app.start()
    await two.app.caughtUp()
    expect(restored).toBe(kept.length)
    expect([two.counts.get('a'), two.counts.get('b')]).toEqual([30, 10])
    await two.app.close()
    await second.close()
  })

  it('over the durable file log (a temp dir): the same', async () => {
    await cleanRestart({ dir: tempDir() })
  })

  it('after SIGKILL mid-processing: state is the last commit, the rest is processed again, nothing lost', async () => {
    const { bus, inputs, before, after, count } = await killAndRestart('at_least_once')
    expect(count).toBe(inputs)
    // At least once: every count was written; the ones written before the kill may be written twice.
    expect(new Set(after)).toEqual(new Set(Array.from({ length: inputs }, (_, i) => i + 1)))
    expect(after.length - inputs).toBe(before.length - COMMITTED)
    await bus.close()
  }, 30_000)

  it('after SIGKILL mid-processing with exactly-once: outputs and state equal an uninterrupted run', async () => {
    const { bus, inputs, after, count } = await killAndRestart('exactly_once_v2')
    expect(count).toBe(inputs)
    // Read committed: every count exactly once, in order; the killed transaction's never.
    expect(after).toEqual(Array.from({ length: inputs }, (_, i) => i + 1))
    await bus.close()
  }, 30_000)
})

const COMMITTED = 20

/**
 * Runs the crash child (20 events committed, then events sent one by one and a SIGKILL from inside
 * processing at the 12th), then reopens the directory and runs the application to the end.
 */
async function killAndRestart(guarantee: 'at_least_once' | 'exactly_once_v2') {
  const dir = tempDir()
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, dir, String(COMMITTED), '30', '12', guarantee],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exit = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  )
  expect({ signal: exit, stdout, stderr }).toMatchObject({ signal: 'SIGKILL', stdout: 'committed\n' })

  const bus = await openBus({ dir })
  const inputs = (await readTopic(bus, 'events')).length
  expect(inputs).toBeGreaterThanOrEqual(COMMITTED + 12)
  const isolation = guarantee === 'exactly_once_v2' ? 'read_committed' : 'read_uncommitted'
  const before = await committedOutputs(bus, isolation)
  const { app, counts } = counterApp(bus, 30_000, () => undefined, guarantee)
  // Restored to the last commit (the records after it were not in the changelog yet), before any
  // record is processed: the count as the store's restore ends.
  let restored: number | undefined
  app.on('restored', ({ store }) => {
    if (store === 'counts') restored = counts.get('u')
  })
  await app.start()
  await app.caughtUp()
  expect(restored).toBe(COMMITTED)
  const count = counts.get('u')
  await app.close()
  return { bus, inputs, before, after: await committedOutputs(bus, isolation), count }
}

/** The counts written for user `u`, as a reader with this isolation sees them. */
async function committedOutputs(
  bus: RestartBus,
  isolation: 'read_committed' | 'read_uncommitted',
): Promise<number[]> {
  const out: number[] = []
  const reader = bus.consumer({ topics: ['counts-out'], fromBeginning: true, isolation })
  await reader.run({ eachMessage: (r) => void (r.key === 'u' && out.push(Number(r.value))) })
  await reader.caughtUp()
  await reader.close()
  return out
}

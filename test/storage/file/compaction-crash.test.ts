import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { Bus } from '../../../src/index'
import { COMPACTION_TOPIC, KEYS, KILL_POINTS, RECORDS } from './compaction-crash-workload'
import { tempDir } from './support'

const CHILD_SCRIPT = fileURLToPath(new URL('./compaction-crash-child.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Runs the child to its end: killed at `point` (or done, if compaction never got there). */
function runChild(dir: string, point: string): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT, dir, point], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.once('error', reject)
    child.once('close', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`child exited with ${code}: ${stderr}`))
      else resolve({ signal, stdout })
    })
  })
}

describe('file compaction survives SIGKILL at any point (.cleaned / .swap, as Kafka)', () => {
  it.each(KILL_POINTS)(
    'killed at %s: the old or the new segment, never neither',
    async (point) => {
      const dir = tempDir()
      const { signal, stdout } = await runChild(dir, point)
      expect(stdout).toContain('ready')
      expect(signal).toBe('SIGKILL')

      const bus = await Bus.open({ dir })
      try {
        const partition = bus.topic(COMPACTION_TOPIC).partition(0)
        expect(partition.logEndOffset).toBe(RECORDS)
        const records = []
        for (let offset = 0; offset < RECORDS; ) {
          const read = await partition.read(offset)
          if (read.length === 0) break
          records.push(...read)
          offset = read.at(-1)!.offset + 1
        }
        // Every survivor is the record that was written at its offset; offsets strictly increase.
        let last = -1
        for (const record of records) {
          expect(record.offset).toBeGreaterThan(last)
          last = record.offset
          expect(record.value?.toString()).toBe(String(record.offset))
          expect(record.key?.toString()).toBe(`k${record.offset % KEYS}`)
        }
        // Never neither: the last record of every key is there.
        const offsets = new Set(records.map((r) => r.offset))
        for (let k = 0; k < KEYS; k++) expect(offsets.has(RECORDS - KEYS + k)).toBe(true)
        const leftovers = readdirSync(`${dir}/${COMPACTION_TOPIC}-0`).filter(
          (name) => name.endsWith('.cleaned') || name.endsWith('.swap'),
        )
        expect(leftovers).toEqual([])
        // And compaction picks up from there.
        await bus.compact(COMPACTION_TOPIC)
        const after = await partition.read(0, 1 << 20)
        expect(after.length).toBeLessThanOrEqual(records.length)
      } finally {
        await bus.close()
      }
    },
    60_000,
  )
})

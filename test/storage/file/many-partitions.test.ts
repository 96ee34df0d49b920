import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'

const CHILD = fileURLToPath(new URL('./many-partitions-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

describe('FileStorage under a low descriptor limit (issue 10, bug 6)', () => {
  it('10,000 partitions work under `ulimit -n 256` (macOS’s default): created, written, read, closed, reopened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logbus-many-'))
    // Ten thousand directories take a while to remove.
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }), 60_000)
    // Before: one descriptor per partition for the bus's lifetime; EMFILE at about 250 partitions.
    const command = `ulimit -n 256 && exec "${process.execPath}" --import tsx "${CHILD}" "${dir}" 10 1000 always noflush`
    const child = spawn('bash', ['-c', command], { cwd: ROOT })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(JSON.parse(stdout.trim())).toMatchObject({ written: 10_000, reread: 10_000 })
  }, 180_000)
})

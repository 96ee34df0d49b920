import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const CHILD = fileURLToPath(new URL('./fixtures/exit-child.ts', import.meta.url))

describe('disconnect', () => {
  it('leaves nothing behind: a process that disconnected its clients exits on its own', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    // The exit itself is the assertion; the deadline only turns a hang into a failure.
    const outcome = await new Promise<{ code: number | null; hung: boolean }>((resolve) => {
      const deadline = setTimeout(() => {
        child.kill('SIGKILL')
        resolve({ code: null, hung: true })
      }, 15_000)
      child.on('exit', (code) => {
        clearTimeout(deadline)
        resolve({ code, hung: false })
      })
    })
    expect({ ...outcome, stderr }).toEqual({ code: 0, hung: false, stderr: '' })
    expect(stdout).toBe('done\n')
  })
})

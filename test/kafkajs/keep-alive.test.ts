import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const CHILD = fileURLToPath(new URL('./fixtures/keep-alive-child.ts', import.meta.url))

/**
 * Runs the child with one kind of client: it must stay up while connected (its unref'd timer gets to
 * print "alive"), then exit by itself once SIGTERM made it disconnect.
 */
function lifeOf(role: string): Promise<{ code: number | null; output: string[]; hung: boolean }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, role], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  child.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue
      output.push(line)
      if (line === 'alive') child.kill('SIGTERM')
    }
  })
  child.stderr.on('data', (chunk: Buffer) => void output.push(`stderr: ${chunk.toString()}`))
  return new Promise((resolve) => {
    // The exit itself is the assertion; the deadline only turns a hang into a failure.
    const deadline = setTimeout(() => {
      child.kill('SIGKILL')
      resolve({ code: null, output, hung: true })
    }, 15_000)
    child.on('exit', (code) => {
      clearTimeout(deadline)
      resolve({ code, output, hung: false })
    })
  })
}

describe('a connected client keeps the process alive until it disconnects, as KafkaJS’s sockets do', () => {
  it.each(['consumer', 'producer', 'admin'])('%s', async (role) => {
    expect(await lifeOf(role)).toEqual({
      code: 0,
      output: ['connected', 'alive', 'disconnected'],
      hung: false,
    })
  })
})

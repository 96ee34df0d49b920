import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { onTestFinished } from 'vitest'
import type { BrokerConnectionOptions } from '../../../src/wire'

const WIRE = pathToFileURL(fileURLToPath(new URL('../../../src/wire.ts', import.meta.url))).href

/** What a `BrokerConnection.open` that failed left behind, and the code of its error. */
export interface LeftOpen {
  code: string
  /** `process.getActiveResourcesInfo()` once the failure is handled: sockets and timers still alive. */
  resources: string[]
}

/**
 * Opens a connection that is expected to fail in a process of its own, where nothing else runs, and
 * reports what that process still holds once the error is handled: a socket or timer the connection
 * forgot would be listed (in this process the bus and server hold their own, which would hide it).
 */
export async function leftOpenAfterFailure(options: BrokerConnectionOptions): Promise<LeftOpen> {
  const dir = mkdtempSync(join(tmpdir(), 'logbus-left-open-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  const script = join(dir, 'open.mts')
  writeFileSync(
    script,
    `import { BrokerConnection } from ${JSON.stringify(WIRE)}
const options = JSON.parse(process.argv[2])
const code = await BrokerConnection.open(options).then(() => 'connected', (error) => String(error.code))
await new Promise((resolve) => setImmediate(resolve))
process.stdout.write(JSON.stringify({ code, resources: process.getActiveResourcesInfo() }))
`,
  )
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8')
  })
  const exit = await new Promise<number | null>((resolve) => child.on('close', resolve))
  if (exit !== 0) throw new Error(`the connecting process exited ${exit}`)
  return JSON.parse(out) as LeftOpen
}

/** What `promise` rejected with; fails the test if it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

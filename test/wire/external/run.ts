import { spawn } from 'node:child_process'

/** What a child process printed and how it ended. */
export interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs a client program to its end, with `input` on its stdin. A program that is missing fails the
 * test (ENOENT names it): these suites never skip themselves; CI installs the programs.
 */
export function run(
  command: string,
  args: readonly string[],
  {
    input = '',
    timeoutMs = 60_000,
    env,
  }: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(
        new Error(
          `${command} could not run (${error.message}); install it (CI: apt-get install -y kcat python3-kafka)`,
        ),
      )
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      })
    })
    child.stdin.end(input)
  })
}

#!/usr/bin/env node
import { runCli } from './run'

// SIGINT / SIGTERM stop long commands (consume --follow, datagen, connect) cleanly: they finish what
// they were writing, commit, close the directory and exit 0. A second signal exits at once.
const controller = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
  })
}

runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`logbus: ${String(error)}\n`)
    process.exit(1)
  },
)

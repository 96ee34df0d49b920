#!/usr/bin/env node
import * as nodeModule from 'node:module'

// Node 22.1+ keeps V8's compiled code of the modules it loads in a cache (as tsc does for its bin):
// compiling the bundled code is the largest part of a start-up. Node 20 has no such cache, nor the call.
;(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.()

// SIGINT / SIGTERM stop long commands (consume --follow, datagen, connect) cleanly: they finish what
// they were writing, commit, close the directory and exit 0. A second signal exits at once.
const controller = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
  })
}

// Loaded after the cache is on, so that it covers every module of the command.
import('./run')
  .then(({ runCli }) =>
    runCli(process.argv.slice(2), {
      // process.stdin builds its stream when first read (a pipe is a net.Socket, a file an fs stream):
      // only the commands that read it (produce) pay for it, not serve's start-up.
      get stdin() {
        return process.stdin
      },
      stdout: process.stdout,
      stderr: process.stderr,
      signal: controller.signal,
    }),
  )
  .then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`logbus: ${String(error)}\n`)
      process.exit(1)
    },
  )

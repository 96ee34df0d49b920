import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')
const CACHE = join(ROOT, 'node_modules', '.cache', 'logbus-cli')

/** A hash of what the build reads: the sources, the build config, package.json. */
function sourceHash(): string {
  const hash = createHash('sha256')
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else hash.update(path).update(readFileSync(path))
    }
  }
  walk(join(ROOT, 'src'))
  for (const file of ['tsup.config.ts', 'package.json', 'tsconfig.json'])
    hash.update(readFileSync(join(ROOT, file)))
  return hash.digest('hex').slice(0, 16)
}

/**
 * The path of the `logbus` bin built by the package's own build (tsup.config.ts: the entries and
 * chunks of dist/, CommonJS as package.json's `bin` is, without declarations), into a cache keyed by
 * the sources: tests and benchmarks run the bin as users do without rebuilding it for each file, and
 * without touching dist/.
 *
 * @example
 * ```ts
 * spawnSync(process.execPath, [builtCli(), '--help'])
 * ```
 */
export function builtCli(): string {
  const dir = join(CACHE, sourceHash())
  if (!existsSync(join(dir, 'cli.cjs'))) {
    mkdirSync(CACHE, { recursive: true })
    const staging = `${dir}.${process.pid}`
    const tsup = join(ROOT, 'node_modules/tsup/dist/cli-default.js')
    const args = [tsup, '--no-dts', '--format', 'cjs', '--silent', '--out-dir', staging]
    const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`building the CLI failed:\n${result.stdout}\n${result.stderr}`)
    try {
      renameSync(staging, dir)
    } catch {
      // Another process built the same sources first: use its build.
      rmSync(staging, { recursive: true, force: true })
    }
  }
  return join(dir, 'cli.cjs')
}

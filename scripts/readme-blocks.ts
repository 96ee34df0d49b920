/**
 * Runs every code block of README.md as its own program, so that each one works as written on the Node
 * version that runs this (CI: Node 20, the minimum the package states).
 *
 * Usage: `tsx scripts/readme-blocks.ts [--modules <dir>] [--typecheck]` (`npm run readme`)
 *   --modules <dir>  a project whose node_modules holds an installed logbus (CI: the packed tarball);
 *                    without it, `logbus` and its subpaths resolve to this repository's sources.
 *   --typecheck      also type-check every program with tsc (strict, JavaScript too), as a user's project
 *                    would.
 *
 * Which blocks run:
 * - ts/typescript/mts blocks run as ES modules through tsx, and must also be valid syntax for this Node
 *   once their types are erased (tsx would quietly compile `await using` down; Node 20 rejects it).
 *   js/javascript/mjs blocks run as ES modules and cjs blocks as CommonJS, on plain Node when the package
 *   is installed (through tsx when it is the sources).
 * - Blocks in any other language are not run: shell (sh) blocks are the README's npm commands, text blocks
 *   are not code. A fence without a language is an error (tag it, e.g. text), so no code slips past.
 * - The marker `<!-- not-a-program: <reason> -->` on the line right before a fence skips that block; the
 *   reason is printed. It is for the rare block that cannot be a program (lines of a test file for another
 *   test runner); a marker without a reason, or not right before a fence, is an error.
 *
 * Every block runs in a fresh empty directory as its working directory (a block may create ./data), and
 * must exit with code 0 by itself (no handle left open) within 30 s. The summary says how many blocks ran
 * and how many were skipped; any failure makes the exit code 1.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import ts from 'typescript'
import { entryPoints } from './entry-points'

const repo = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)

/** The marker that skips the block fenced on the next line. */
export const NOT_A_PROGRAM = /^<!--\s*not-a-program:(.*?)-->\s*$/
const RUN_AS: Record<string, 'mts' | 'mjs' | 'cjs'> = {
  ts: 'mts',
  typescript: 'mts',
  mts: 'mts',
  js: 'mjs',
  javascript: 'mjs',
  mjs: 'mjs',
  cjs: 'cjs',
}
/**
 * Packages the README assumes a reader's project has beside logbus: the facade's section is for code
 * written against KafkaJS, which such a project installs. They are linked from this repository's dev
 * dependencies (CI installs them beside the tarball).
 */
export const READER_PACKAGES = ['kafkajs'] as const
const BLOCK_TIMEOUT_MS = 30_000
const TYPECHECK_TIMEOUT_MS = 300_000

/** A fenced code block of the README. */
export interface Block {
  /** The line of its opening fence (1-based). */
  line: number
  language: string
  code: string
  /** How it runs: `undefined` when it is not a program (shell, text, …). */
  runAs: 'mts' | 'mjs' | 'cjs' | undefined
  /** Why it is skipped, from its `not-a-program` marker. */
  skipReason: string | undefined
}

/**
 * The fenced code blocks of a Markdown text; throws on an untagged fence or a stray marker.
 *
 * @example
 * ```ts
 * const programs = extractBlocks(readFileSync('README.md', 'utf8')).filter((b) => b.runAs && !b.skipReason)
 * ```
 */
export function extractBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n')
  const blocks: Block[] = []
  let pendingMarker: { line: number; reason: string } | undefined
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!
    const marker = NOT_A_PROGRAM.exec(text.trim())
    if (marker) {
      const reason = marker[1]!.trim()
      if (reason === '') throw new Error(`README.md:${i + 1}: a not-a-program marker needs a reason`)
      pendingMarker = { line: i + 1, reason }
      continue
    }
    const fence = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(text)
    if (pendingMarker && !fence) {
      throw new Error(`README.md:${pendingMarker.line}: a not-a-program marker must be right before a fence`)
    }
    if (!fence) continue
    const [, indent, delimiter, language] = fence as unknown as [string, string, string, string]
    if (language === '') throw new Error(`README.md:${i + 1}: a fence needs a language (e.g. text)`)
    const code: string[] = []
    let end = i + 1
    while (end < lines.length && !isClosingFence(lines[end]!, delimiter)) {
      code.push(lines[end]!.startsWith(indent) ? lines[end]!.slice(indent.length) : lines[end]!)
      end++
    }
    if (end === lines.length) throw new Error(`README.md:${i + 1}: the fence is never closed`)
    blocks.push({
      line: i + 1,
      language,
      code: `${code.join('\n')}\n`,
      runAs: RUN_AS[language.toLowerCase()],
      skipReason: pendingMarker?.reason,
    })
    pendingMarker = undefined
    i = end
  }
  if (pendingMarker)
    throw new Error(`README.md:${pendingMarker.line}: a not-a-program marker before no fence`)
  return blocks
}

function isClosingFence(line: string, delimiter: string): boolean {
  const trimmed = line.trim()
  return trimmed.startsWith(delimiter) && trimmed.replaceAll(delimiter[0]!, '') === ''
}

/** Where the blocks' programs find `logbus`: a directory with a node_modules that holds it. */
export interface ModulesRoot {
  dir: string
  /** `logbus` resolves to TypeScript sources, so even JavaScript blocks need tsx. */
  sources: boolean
  dispose(): void
}

/**
 * A temporary project whose node_modules/logbus is this repository's sources: a package.json whose
 * exports name the entry points' `.ts` files (through a link to src/), beside links to the package's
 * dependencies, as an install would place them.
 *
 * @example
 * ```ts
 * const root = linkSources()
 * try { await runBlock(block, root) } finally { root.dispose() }
 * ```
 */
export function linkSources(): ModulesRoot {
  const dir = mkdtempSync(join(tmpdir(), 'logbus-readme-'))
  const pkg = join(dir, 'node_modules', 'logbus')
  mkdirSync(pkg, { recursive: true })
  symlinkSync(join(repo, 'src'), join(pkg, 'src'), 'dir')
  const exports = Object.fromEntries(entryPoints(repo).map(({ subpath, source }) => [subpath, `./${source}`]))
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'logbus', type: 'module', exports }))
  const { dependencies } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
  }
  for (const name of [...Object.keys(dependencies), ...READER_PACKAGES]) {
    const target = join(dir, 'node_modules', name)
    mkdirSync(dirname(target), { recursive: true })
    symlinkSync(join(repo, 'node_modules', name), target, 'dir')
  }
  return { dir, sources: true, dispose: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * A project that has logbus installed (e.g. from the packed tarball); blocks run in directories under it.
 *
 * @example
 * ```ts
 * const root = installedIn('/path/to/scratch-project')
 * ```
 */
export function installedIn(dir: string): ModulesRoot {
  const blocksDir = join(dir, 'readme-blocks')
  mkdirSync(blocksDir, { recursive: true })
  return {
    dir: blocksDir,
    sources: false,
    dispose: () => rmSync(blocksDir, { recursive: true, force: true }),
  }
}

/** A block's program file, in its own fresh directory under the root. */
function writeProgram(block: Block, root: ModulesRoot): string {
  const dir = join(root.dir, `line-${block.line}`)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `block.${block.runAs}`)
  writeFileSync(file, block.code)
  return file
}

/** What running one block gave: `failure` says why it failed, if it did. */
export interface BlockResult {
  block: Block
  failure: string | undefined
  stdout: string
}

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  stdout: string
  stderr: string
}

/** Runs Node with these arguments; a run past the timeout is killed. */
function node(args: string[], cwd: string, timeoutMs: number): Promise<Exit> {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const child = spawn(process.execPath, args, { cwd, env, stdio: 'pipe' })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve) => {
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, timedOut, stdout, stderr })
    })
  })
}

/**
 * Runs one block as a program in a fresh working directory under the root. A TypeScript block must also
 * be valid JavaScript syntax for this Node once its types are erased (as Node's type stripping or tsc with
 * target ESNext leave it): tsx downlevels newer syntax such as `await using`, which Node 20 rejects.
 *
 * @example
 * ```ts
 * const { failure } = await runBlock(block, root)
 * ```
 */
export async function runBlock(
  block: Block,
  root: ModulesRoot,
  timeoutMs = BLOCK_TIMEOUT_MS,
): Promise<BlockResult> {
  const file = writeProgram(block, root)
  const cwd = dirname(file)
  if (block.runAs === 'mts') {
    const erased = join(cwd, 'types-erased.mjs')
    writeFileSync(erased, eraseTypes(block.code))
    const check = await node(['--check', erased], cwd, timeoutMs)
    if (check.code !== 0) {
      return {
        block,
        failure: `is not valid syntax for Node ${process.version}\n${check.stderr.trim()}`,
        stdout: '',
      }
    }
    rmSync(erased)
  }
  const tsx = root.sources || block.runAs === 'mts'
  const exit = await node(
    tsx ? ['--import', pathToFileURL(require.resolve('tsx')).href, file] : [file],
    cwd,
    timeoutMs,
  )
  const failure = exit.timedOut
    ? `did not exit within ${timeoutMs} ms (a handle left open, or it waits forever)`
    : exit.code !== 0
      ? `exited with ${exit.code ?? exit.signal}`
      : undefined
  return { block, failure: failure && `${failure}\n${exit.stderr.trim()}`, stdout: exit.stdout }
}

/** TypeScript with its types erased and nothing else changed (no downlevelling). */
function eraseTypes(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext },
  }).outputText
}

/**
 * Type-checks the blocks that are TypeScript or JavaScript programs with tsc, strict, as a project
 * that uses the package would: nodenext resolution for an installed package, bundler resolution for the
 * sources (whose relative imports have no extensions). Returns tsc's report, empty when it passes.
 *
 * @example
 * ```ts
 * expect(await typecheckBlocks(programs, root)).toBe('')
 * ```
 */
export async function typecheckBlocks(blocks: Block[], root: ModulesRoot): Promise<string> {
  const files = blocks.map((block) => writeProgram(block, root))
  const resolution = root.sources
    ? ['--module', 'preserve', '--moduleResolution', 'bundler']
    : ['--module', 'nodenext']
  const args = [
    require.resolve('typescript/bin/tsc'),
    '--noEmit',
    '--strict',
    '--skipLibCheck',
    '--allowJs',
    '--checkJs',
    '--moduleDetection',
    'force',
    '--target',
    'es2022',
    '--lib',
    'es2023',
    '--types',
    'node',
    '--typeRoots',
    join(repo, 'node_modules', '@types'),
    ...resolution,
    ...files,
  ]
  const exit = await node(args, root.dir, TYPECHECK_TIMEOUT_MS)
  if (exit.code === 0) return ''
  const report = `${exit.stdout}${exit.stderr}`.trim() || `tsc exited with ${exit.code ?? exit.signal}`
  // tsc names a block's file and line: name the README's line instead.
  return report.replace(
    /line-(\d+)\/block\.\w+\((\d+),(\d+)\)/g,
    (_, fence: string, line: string, column: string) => `README.md:${Number(fence) + Number(line)}:${column}`,
  )
}

/** The README's blocks, from the repository. */
export function readmeBlocks(): Block[] {
  return extractBlocks(readFileSync(join(repo, 'README.md'), 'utf8'))
}

async function main(argv: string[]): Promise<number> {
  const modulesAt = argv.indexOf('--modules')
  const root = modulesAt === -1 ? linkSources() : installedIn(argv[modulesAt + 1]!)
  const blocks = readmeBlocks()
  const programs = blocks.filter((block) => block.runAs !== undefined && block.skipReason === undefined)
  const skipped = blocks.filter((block) => block.runAs !== undefined && block.skipReason !== undefined)
  let failures = 0
  try {
    for (const block of skipped) console.log(`skip README.md:${block.line} (${block.skipReason})`)
    for (const block of programs) {
      const { failure } = await runBlock(block, root)
      console.log(`${failure ? 'FAIL' : 'ok  '} README.md:${block.line} (${block.language})`)
      if (failure) {
        failures++
        console.log(failure.replace(/^/gm, '     '))
      }
    }
    if (argv.includes('--typecheck')) {
      const report = await typecheckBlocks(programs, root)
      console.log(report === '' ? 'ok   type-check' : `FAIL type-check\n${report}`)
      if (report !== '') failures++
    }
  } finally {
    root.dispose()
  }
  const notRun = blocks.length - programs.length - skipped.length
  console.log(
    `README blocks: ${programs.length} ran, ${skipped.length} skipped (marked not-a-program), ` +
      `${notRun} not programs (shell, text); ${failures} failed`,
  )
  return failures === 0 ? 0 : 1
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2))
}

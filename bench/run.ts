/**
 * `npm run bench`: logbus measured against its ceilings and peers in the same run, and the targets.
 *
 *   npm run bench                      full run (several minutes on 2 cores)
 *   npm run bench -- --quick           smoke run: fewer, shorter repetitions, a 128 MiB reopen log
 *   npm run bench -- --only file       one section (or several: --only memory,latency)
 *   npm run bench -- --json            the report as JSON on stdout (progress stays on stderr)
 *   npm run bench -- --markdown        the report as Markdown tables (what BENCHMARKS.md shows)
 *   npm run bench -- --out r.json      also write the JSON report to a file
 *   npm run bench -- --reps 7          measured repetitions per figure (default 5, quick 3)
 *   npm run bench -- --profile         CPU profiles of the hot cases: self time by function and area
 *   npm run bench -- --merge a.json b.json   Markdown of several --out reports, repetitions pooled
 *
 * Sections: baselines, memory, file, latency, facade, scaling, reopen, memory-usage. Every part runs in
 * its own child process; progress goes to stderr, the report to stdout. A case whose code is not on
 * this tree (the file log or the KafkaJS facade failing its probe) is listed as skipped, with the
 * reason, in the report.
 */

import { fork } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildConfig, ChildMessage } from './child'
import {
  type BenchOptions,
  type Figure,
  log,
  type PartOutput,
  removeDir,
  SECTION_NAMES,
  type SectionName,
} from './common'
import { describeMachine, machineLine } from './machine'
import { DEFAULT_SECTIONS, PARTS } from './parts'
import { type CpuProfile, PROFILE_CASES, type ProfileSummary, renderProfile, summarise } from './profile'
import {
  assessNoise,
  checkTargets,
  computeRatios,
  type Report,
  renderMarkdown,
  renderMerged,
  renderText,
} from './report'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '')

interface Args {
  quick: boolean
  only: SectionName[] | undefined
  json: boolean
  markdown: boolean
  out: string | undefined
  reps: number | undefined
  profile: string[] | undefined
  profileSeconds: number
  profileDir: string | undefined
  merge: string[] | undefined
}

const USAGE = `usage: npm run bench -- [--quick] [--only ${SECTION_NAMES.join(',')}] [--reps N]
                        [--json | --markdown] [--out file.json]
                        [--profile [${Object.keys(PROFILE_CASES).join(',')}]] [--profile-seconds N] [--profile-dir DIR]
       npm run bench -- --merge run1.json run2.json …   (Markdown of several --out reports, pooled)`

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    only: undefined,
    json: false,
    markdown: false,
    out: undefined,
    reps: undefined,
    profile: undefined,
    profileSeconds: 4,
    profileDir: undefined,
    merge: undefined,
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`)
      return v
    }
    if (a === '--quick') args.quick = true
    else if (a === '--json') args.json = true
    else if (a === '--markdown') args.markdown = true
    else if (a === '--out') args.out = value()
    else if (a === '--reps') args.reps = Math.max(1, Number.parseInt(value(), 10))
    else if (a === '--profile-seconds') args.profileSeconds = Number(value())
    else if (a === '--profile-dir') args.profileDir = value()
    else if (a === '--merge') {
      args.merge = argv.slice(i + 1)
      if (args.merge.length === 0) throw new Error(`--merge needs JSON reports (from --out)\n${USAGE}`)
      break
    } else if (a === '--profile') {
      const next = argv[i + 1]
      if (next !== undefined && !next.startsWith('--')) {
        args.profile = next.split(',')
        i++
      } else {
        args.profile = Object.keys(PROFILE_CASES)
      }
      for (const id of args.profile)
        if (!(id in PROFILE_CASES)) throw new Error(`no profile case ${id}\n${USAGE}`)
    } else if (a === '--only') {
      const names = value().split(',')
      for (const n of names) {
        if (!(SECTION_NAMES as readonly string[]).includes(n))
          throw new Error(`unknown section ${n}\n${USAGE}`)
      }
      args.only = names as SectionName[]
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`)
      process.exit(0)
    } else throw new Error(`unknown argument ${a}\n${USAGE}`)
  }
  return args
}

interface ChildEnd {
  message: ChildMessage | undefined
  code: number | null
  signal: NodeJS.Signals | null
  /** The child did not exit on its own after its work was done. */
  lingered: boolean
}

function runChild(config: ChildConfig): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [JSON.stringify(config)], {
      execArgv: [...process.execArgv, '--expose-gc'],
      // The child's stdout goes to our stderr: stdout carries only the report.
      stdio: ['ignore', 2, 2, 'ipc'],
    })
    let message: ChildMessage | undefined
    let lingered = false
    let lingerTimer: NodeJS.Timeout | undefined
    const hardTimer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000)
    child.on('message', (m: ChildMessage) => {
      message = m
    })
    child.on('disconnect', () => {
      lingerTimer = setTimeout(() => {
        lingered = true
        child.kill('SIGKILL')
      }, 20_000)
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(hardTimer)
      clearTimeout(lingerTimer)
      resolve({ message, code, signal, lingered })
    })
  })
}

async function runParts(sections: readonly SectionName[], options: BenchOptions): Promise<PartOutput[]> {
  const outputs: PartOutput[] = []
  for (const section of sections) {
    for (const def of PARTS.filter((p) => p.section === section)) {
      log(
        `\n[${section}${def.part === 'main' ? '' : ` / ${def.part}`}]  load average ${loadavg()[0]!.toFixed(2)}`,
      )
      const partStart = performance.now()
      const end = await runChild({ kind: 'part', section, part: def.part, options })
      log(
        `  (${section}${def.part === 'main' ? '' : ` / ${def.part}`}: ${((performance.now() - partStart) / 1000).toFixed(1)} s)`,
      )
      const output: PartOutput =
        end.message?.kind === 'part'
          ? end.message.output
          : { section, part: def.part, figures: [], notes: [], failures: [], skipped: [] }
      if (end.message === undefined) {
        output.failures.push(
          `${section}/${def.part}: the child ended (code ${end.code}, signal ${end.signal}) without a result`,
        )
      }
      if (end.lingered) {
        output.failures.push(
          `${section}/${def.part}: the child did not exit on its own (a timer or handle was left open)`,
        )
      }
      outputs.push(output)
    }
  }
  return outputs
}

async function runProfiles(args: Args, options: BenchOptions, skipped: string[]): Promise<ProfileSummary[]> {
  const summaries: ProfileSummary[] = []
  for (const caseId of args.profile ?? []) {
    const dir = mkdtempSync(join(tmpdir(), 'logbus-bench-prof-'))
    try {
      log(`\n[profile ${caseId}] ${args.profileSeconds} s of steady state under the V8 sampling profiler`)
      const outFile = join(dir, `${caseId}.cpuprofile`)
      const end = await runChild({ kind: 'profile', caseId, seconds: args.profileSeconds, options, outFile })
      const message = end.message?.kind === 'profile' ? end.message : undefined
      if (message !== undefined && 'skipped' in message) {
        skipped.push(`profile ${caseId} skipped: ${message.skipped}`)
        log(`  skipped: ${message.skipped}`)
        continue
      }
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
      if (file === undefined) throw new Error(`no profile written for ${caseId} (code ${end.code})`)
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile
      let kept: string | undefined
      if (args.profileDir !== undefined) {
        kept = join(args.profileDir, `${caseId}.cpuprofile`)
        copyFileSync(join(dir, file), kept)
      }
      summaries.push({
        caseId,
        label: PROFILE_CASES[caseId]!.label,
        rate: message?.rate ?? Number.NaN,
        allocations: message?.allocations,
        gcPct: message?.gcPct ?? Number.NaN,
        gcMajorPct: message?.gcMajorPct ?? Number.NaN,
        gcMaxMs: message?.gcMaxMs ?? Number.NaN,
        gcMajorCount: message?.gcMajorCount ?? 0,
        ...summarise(profile, ROOT),
        file: kept,
      })
      log(renderProfile(summaries.at(-1)!))
    } finally {
      removeDir(dir)
    }
  }
  return summaries
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (args.merge !== undefined) {
    const reports = args.merge.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Report)
    process.stdout.write(`${renderMerged(reports)}\n`)
    return
  }
  const options: BenchOptions = {
    quick: args.quick,
    reps: args.reps ?? (args.quick ? 3 : 5),
    repSeconds: args.quick ? 0.15 : 0.5,
  }
  const started = new Date()
  const machine = describeMachine()
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
  log(
    `logbus bench: ${machineLine(machine)}; load average ${machine.loadStart.map((v) => v.toFixed(2)).join(' ')}`,
  )

  let profiles: ProfileSummary[] | undefined
  let outputs: PartOutput[] = []
  const profilesSkipped: string[] = []
  if (args.profile !== undefined) profiles = await runProfiles(args, options, profilesSkipped)
  else outputs = await runParts(args.only ?? DEFAULT_SECTIONS, options)

  machine.loadEnd = loadavg()
  const figures: Figure[] = outputs.flatMap((o) => o.figures)
  const skipped = outputs.flatMap((o) => o.skipped)
  const ratios = computeRatios(figures)
  const report: Report = {
    version: 1,
    command,
    startedAt: started.toISOString(),
    durationSeconds: (Date.now() - started.getTime()) / 1000,
    quick: args.quick,
    reps: options.reps,
    sections: [...new Set(outputs.map((o) => o.section))],
    machine,
    noise: assessNoise(figures, machine),
    figures,
    ratios,
    targets: checkTargets(figures, ratios, args.quick, skipped),
    skipped,
    notes: outputs.flatMap((o) => o.notes),
    failures: outputs.flatMap((o) => o.failures),
    profiles,
  }
  if (args.out !== undefined) writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`)
  if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else if (profiles !== undefined) {
    const header = `machine: ${machineLine(machine)}; load average ${machine.loadStart.map((v) => v.toFixed(2)).join(' ')}`
    const text = [header, ...profiles.map(renderProfile), ...profilesSkipped].join('\n\n')
    process.stdout.write(`${text}\n`)
  } else process.stdout.write(`${args.markdown ? renderMarkdown(report) : renderText(report)}\n`)
  if (report.failures.length > 0) process.exitCode = 1
}

await main()

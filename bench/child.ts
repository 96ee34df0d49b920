/**
 * The child process bench/run.ts forks for every part (and for every profile). Its argument is one
 * JSON object (a ChildConfig); it sends one message back over IPC and then exits on its own: a child
 * that does not exit after its work has left a timer or a handle open, and run.ts reports that.
 */

import { type BenchOptions, errorText, type PartContext, type PartOutput, type SectionName } from './common'
import { PARTS } from './parts'
import { type ProfileRun, runProfileLoad } from './profile'

export type ChildConfig =
  | { kind: 'part'; section: SectionName; part: string; options: BenchOptions }
  | { kind: 'profile'; caseId: string; seconds: number; options: BenchOptions; outFile: string }

export type ChildMessage =
  | { kind: 'part'; output: PartOutput }
  | ({ kind: 'profile' } & ProfileRun)
  | { kind: 'profile'; skipped: string }

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message)}\n`)
      resolve()
      return
    }
    process.send(message, undefined, {}, () => {
      process.disconnect()
      resolve()
    })
  })
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig
  if (config.kind === 'profile') {
    const result = await runProfileLoad(config.caseId, config.seconds, config.options, config.outFile)
    await send({ kind: 'profile', ...result })
    return
  }
  const def = PARTS.find((p) => p.section === config.section && p.part === config.part)
  if (def === undefined) throw new Error(`no part ${config.section}/${config.part}`)
  const context: PartContext = { options: config.options, notes: [], failures: [], skipped: [] }
  let figures: PartOutput['figures'] = []
  try {
    figures = await def.run(context)
  } catch (error) {
    context.failures.push(`${config.section}/${config.part}: ${errorText(error)}`)
  }
  const { notes, failures, skipped } = context
  await send({
    kind: 'part',
    output: { section: config.section, part: config.part, figures, notes, failures, skipped },
  })
}

await main()

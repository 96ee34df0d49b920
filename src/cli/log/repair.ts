import { repairLog } from '../../file'
import { FILE_OPTIONS, JSON_OPTION, oneOf } from '../args'
import { UsageError } from '../cli-error'
import type { Command } from '../context'
import { withProgress } from '../progress'
import { dataDir, refuseBootstrapServer } from './log-dir'

export const repair: Command = {
  spec: {
    name: 'repair',
    summary: 'Repair the damage verify reports: a dry run that shows the plan unless --execute.',
    options: {
      ...FILE_OPTIONS,
      ...JSON_OPTION,
      mode: {
        type: 'string',
        value: '<truncate|skip>',
        help: "truncate: end each damaged log at its first damage (Kafka's recovery); skip: replace each damaged range by an empty batch that keeps its offsets. Required.",
      },
      execute: {
        type: 'boolean',
        help: 'Apply the repair (your consent: bytes move out of the logs into .cut/.damaged files).',
      },
    },
    details:
      'Nothing is deleted: bytes taken out of a log are moved to .cut or .damaged files beside its segments.',
    examples: ['logbus repair --dir ./data --mode skip', 'logbus repair --dir ./data --mode skip --execute'],
  },
  async run(ctx) {
    const { values } = ctx.parsed
    refuseBootstrapServer(values, 'repair')
    const mode = oneOf(values, 'mode', 'repair', ['truncate', 'skip'] as const)
    if (mode === undefined) throw new UsageError('repair: --mode is required (truncate or skip)')
    const dir = dataDir(values, 'repair')
    const report = await withProgress(ctx.io.stderr, 'bytes', (progress) =>
      repairLog({
        dir,
        mode,
        dryRun: values.execute !== true,
        breakLock: values['break-lock'] === true,
        onProgress: (p) => progress.set(p.bytesChecked),
      }),
    )
    if (values.json === true) {
      ctx.out.text(`${JSON.stringify(report)}\n`)
      return undefined
    }
    for (const a of report.actions) {
      const range =
        a.toOffset === null ? `from offset ${a.fromOffset}` : `offsets ${a.fromOffset}..${a.toOffset - 1}`
      ctx.out.text(
        `${report.dryRun ? 'WOULD ' : ''}${a.action.toUpperCase()} ${a.topic}-${a.partition} ${range} (${a.file} byte ${a.position}, ${a.bytes} bytes)${a.movedTo === null ? '' : ` → ${a.movedTo}`}: ${a.reason}\n`,
      )
    }
    if (report.actions.length === 0) ctx.out.text('Nothing to repair\n')
    else if (report.dryRun) ctx.note('Dry run: nothing changed (add --execute to apply)')
    return undefined
  },
}

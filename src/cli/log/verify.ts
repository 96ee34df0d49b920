import type { DamageReport, PartitionReport } from '../../file'
import { verifyLog } from '../../file'
import { FILE_OPTIONS, JSON_OPTION } from '../args'
import { ExitCode } from '../cli-error'
import type { Command } from '../context'
import type { Output } from '../output'
import { withProgress } from '../progress'
import { dataDir } from './log-dir'

export const verify: Command = {
  spec: {
    name: 'verify',
    summary:
      'Check every batch of every partition (CRC, framing, offsets that follow on) and report damage by offset.',
    options: { ...FILE_OPTIONS, ...JSON_OPTION },
    details:
      "Reads only; takes the directory's lock so that no bus writes meanwhile. Exit code 0 when the\n" +
      'log is sound (a torn tail, which the next open cuts off, is reported but sound), 6 when it holds\n' +
      'corrupt data: `logbus repair` fixes it.',
  },
  async run(ctx) {
    const { values } = ctx.parsed
    const dir = dataDir(values, 'verify')
    const report = await withProgress(ctx.io.stderr, 'bytes', (progress) =>
      verifyLog({
        dir,
        breakLock: values['break-lock'] === true,
        onProgress: (p) => progress.set(p.bytesChecked),
      }),
    )
    if (values.json === true) ctx.out.text(`${JSON.stringify(report)}\n`)
    else {
      for (const p of report.partitions) printPartition(ctx.out, p)
      for (const d of report.damage) ctx.out.text(`${damageLine(d)}\n`)
      ctx.out.text(
        report.ok
          ? 'OK\n'
          : `DAMAGED: ${report.damage.filter((d) => d.kind === 'corrupt').length} damaged ranges\n`,
      )
    }
    return report.ok ? ExitCode.ok : ExitCode.damaged
  },
}

function printPartition(out: Output, p: PartitionReport): void {
  const state = p.damage.some((d) => d.kind === 'corrupt') ? 'DAMAGED' : 'ok'
  out.text(
    `${p.topic}-${p.partition}\toffsets ${p.logStartOffset}..${p.logEndOffset}\tsegments ${p.segments}\tbatches ${p.batches}\trecords ${p.records}\tbytes ${p.bytes}\t${state}\n`,
  )
}

/** One damaged range as a line: where (offset, file, byte) and why. */
export function damageLine(d: DamageReport): string {
  const offsets = d.endOffset === null ? `offset ${d.offset}..end` : `offsets ${d.offset}..${d.endOffset - 1}`
  return `${d.kind === 'corrupt' ? 'CORRUPT' : 'TORN-TAIL'} ${d.topic}-${d.partition} ${offsets} (${d.file} byte ${d.position}, ${d.length} bytes): ${d.reason}`
}

import { closeSync, openSync, readSync } from 'node:fs'
import { type BatchReport, verifyLog } from '../../file'
import { decodeRecordBatch, type RecordBatch } from '../../index'
import { FILE_OPTIONS, int, JSON_OPTION, str } from '../args'
import { ExitCode } from '../cli-error'
import { headersAt, offsetAt, timestampAt } from '../cluster/cluster'
import type { Command } from '../context'
import type { Output } from '../output'
import { showField } from '../produce/field-format'
import { dataDir } from './log-dir'
import { damageLine } from './verify'

const COMPRESSION = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

export const dumpLog: Command = {
  spec: {
    name: 'dump-log',
    summary:
      'Print the batches of the logs (as kafka-dump-log does): offsets, CRC, timestamps, counts; damage by offset.',
    options: {
      ...FILE_OPTIONS,
      ...JSON_OPTION,
      topic: { type: 'string', value: '<name>', help: 'Only this topic.' },
      partition: { type: 'string', value: '<n>', help: 'Only this partition.' },
      records: { type: 'boolean', help: 'Also print each record: offset, timestamp, key, value, headers.' },
    },
    details:
      'Reads only. With --json, one JSON object per line: {"type":"batch",…} and {"type":"damage",…}.\n' +
      'Exit code 6 when the log holds corrupt data.',
    examples: ['logbus dump-log --dir ./data --topic pageviews --partition 0 --records'],
  },
  async run(ctx) {
    const { values } = ctx.parsed
    const dir = dataDir(values, 'dump-log')
    const topic = str(values, 'topic')
    const partition = int(values, 'partition', 'dump-log')
    const json = values.json === true
    const withRecords = values.records === true
    const { out } = ctx
    const reader = new SegmentBytes()
    let report: Awaited<ReturnType<typeof verifyLog>>
    try {
      report = await verifyLog({
        dir,
        breakLock: values['break-lock'] === true,
        onBatch: (b) => {
          if (
            (topic !== undefined && b.topic !== topic) ||
            (partition !== undefined && b.partition !== partition)
          )
            return
          const batch = withRecords ? decodeRecordBatch(reader.read(b.file, b.position, b.size)) : undefined
          if (json) printJson(out, b, batch)
          else printText(out, b, batch)
        },
      })
    } finally {
      reader.close()
    }
    const damage = report.damage.filter(
      (d) =>
        (topic === undefined || d.topic === topic) && (partition === undefined || d.partition === partition),
    )
    for (const d of damage)
      out.text(json ? `${JSON.stringify({ type: 'damage', ...d })}\n` : `${damageLine(d)}\n`)
    return damage.some((d) => d.kind === 'corrupt') ? ExitCode.damaged : ExitCode.ok
  },
}

function printText(out: Output, b: BatchReport, batch: RecordBatch | undefined): void {
  out.text(
    `${b.topic}-${b.partition} baseOffset: ${b.baseOffset} lastOffset: ${b.lastOffset} count: ${b.count} ` +
      `baseSequence: ${b.baseSequence} producerId: ${b.producerId} producerEpoch: ${b.producerEpoch} ` +
      `isTransactional: ${b.transactional} isControl: ${b.control} position: ${b.position} ` +
      `CreateTime: ${b.baseTimestamp} maxTimestamp: ${b.maxTimestamp} size: ${b.size} magic: 2 ` +
      `compresscodec: ${COMPRESSION[b.compression] ?? b.compression} crc: ${b.crc} isvalid: true\n`,
  )
  if (batch === undefined) return
  for (const r of records(batch)) {
    out.text(
      `| offset: ${r.offset} CreateTime: ${r.timestamp} keySize: ${r.key?.length ?? -1} valueSize: ${r.value?.length ?? -1} ` +
        `headerKeys: [${Object.keys(r.headers).join(',')}] key: ${showField(r.key, 'string')} payload: ${showField(r.value, 'string')}\n`,
    )
  }
}

function printJson(out: Output, b: BatchReport, batch: RecordBatch | undefined): void {
  const row: Record<string, unknown> = { type: 'batch', ...b }
  if (batch !== undefined) {
    row.records = records(batch).map((r) => ({
      offset: r.offset,
      timestamp: r.timestamp,
      key: showField(r.key, 'string'),
      value: showField(r.value, 'string'),
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)])),
    }))
  }
  out.text(`${JSON.stringify(row)}\n`)
}

function records(batch: RecordBatch) {
  const out = []
  const base = batch.columnStart
  for (let i = 0; i < batch.count; i++) {
    out.push({
      offset: offsetAt(batch, i),
      timestamp: timestampAt(batch, i),
      key: (batch.keys[base + i] as Buffer | null) ?? null,
      value: (batch.values[base + i] as Buffer | null) ?? null,
      headers: headersAt(batch, i),
    })
  }
  return out
}

/** Reads the bytes of batches from segment files, keeping the last file open. */
class SegmentBytes {
  #path: string | undefined
  #fd: number | undefined

  read(path: string, position: number, size: number): Buffer {
    if (this.#path !== path) {
      this.close()
      this.#fd = openSync(path, 'r')
      this.#path = path
    }
    const bytes = Buffer.allocUnsafe(size)
    let done = 0
    while (done < size) {
      const n = readSync(this.#fd!, bytes, done, size - done, position + done)
      if (n === 0) break
      done += n
    }
    return bytes.subarray(0, done)
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
    this.#path = undefined
  }
}

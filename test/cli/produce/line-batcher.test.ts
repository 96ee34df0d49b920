import { describe, expect, it } from 'vitest'
import { CliError, ExitCode } from '../../../src/cli/cli-error'
import type { PartitionBatches } from '../../../src/cli/cluster/cluster'
import { LineBatcher, type LineRecords } from '../../../src/cli/produce/line-batcher'
import { decodeRecordBatch, partitionForKey, RecordTooLargeError } from '../../../src/index'

interface Read {
  partition: number
  key: string | null
  value: string
  headers: string[]
}

const SPEC: LineRecords = {
  topic: 't',
  partitionCount: 1,
  maxMessageBytes: 1_048_588,
  keyFormat: 'string',
  valueFormat: 'string',
}

/** The records of taken batches, partition by partition, each in order; checks each batch's size. */
function records(taken: PartitionBatches[], maxBytes = 1 << 20): Read[] {
  const out: Read[] = []
  for (const batches of taken) {
    for (const [partition, list] of batches) {
      for (const bytes of list) {
        expect(bytes.length).toBeLessThanOrEqual(maxBytes)
        const batch = decodeRecordBatch(bytes)
        for (let i = 0; i < batch.count; i++) {
          const at = batch.columnStart + i
          out.push({
            partition,
            key: (batch.keys[at] as Buffer | null)?.toString('latin1') ?? null,
            value: (batch.values[at] as Buffer).toString('latin1'),
            headers: Object.keys(batch.headers?.[at] ?? {}),
          })
        }
      }
    }
  }
  return out
}

/** Feeds `chunks` and ends; returns everything taken (each chunk's full batches, then the rest). */
function run(
  spec: Partial<LineRecords>,
  chunks: readonly Buffer[],
): { taken: PartitionBatches[]; lines: number } {
  const batcher = new LineBatcher({ ...SPEC, ...spec })
  const taken: PartitionBatches[] = []
  for (const chunk of chunks) {
    batcher.push(chunk)
    taken.push(batcher.take(false))
  }
  batcher.end()
  taken.push(batcher.take(true))
  return { taken, lines: batcher.lines }
}

/** Runs until the batcher throws; returns the error and what could still be taken after it. */
function failing(spec: Partial<LineRecords>, chunks: readonly Buffer[]): { error: unknown; written: Read[] } {
  const batcher = new LineBatcher({ ...SPEC, ...spec })
  const taken: PartitionBatches[] = []
  try {
    for (const chunk of chunks) {
      batcher.push(chunk)
      taken.push(batcher.take(false))
    }
    batcher.end()
  } catch (error) {
    taken.push(batcher.take(true))
    return { error, written: records(taken) }
  }
  throw new Error('expected the batcher to throw')
}

function splitAt(text: Buffer, ...at: number[]): Buffer[] {
  const cuts = [0, ...at, text.length]
  return cuts.slice(1).map((end, i) => text.subarray(cuts[i], end))
}

describe('LineBatcher', () => {
  it('gives the same records wherever the chunks split: CRLF kept, empty lines, a last line without newline', () => {
    const text = Buffer.from('first\r\n\n\ntabs\t \u00fc\u00e9 \u65e5\nlast without newline', 'utf8')
    const expected = text
      .toString('latin1')
      .split('\n')
      .map((value) => ({ partition: 0, key: null, value, headers: [] }))
    for (let at = 0; at <= text.length; at++) {
      expect(records(run({}, splitAt(text, at)).taken), `split at ${at}`).toEqual(expected)
    }
    const bytewise = Array.from(text, (_, i) => text.subarray(i, i + 1))
    const { taken, lines } = run({}, bytewise)
    expect(records(taken)).toEqual(expected)
    expect(lines).toBe(expected.length)
    // A newline at the end ends the last line: no empty record after it.
    expect(records(run({}, [Buffer.from('a\nb\n')]).taken).map((r) => r.value)).toEqual(['a', 'b'])
    expect(run({}, []).lines).toBe(0)
  })

  it('splits key and value at the first separator, one of several bytes split across chunks too', () => {
    const text = Buffer.from('k1::v1\n::empty key\nk3::v::with separator\n')
    for (let at = 0; at <= text.length; at++) {
      expect(records(run({ separator: Buffer.from('::') }, splitAt(text, at)).taken)).toEqual([
        { partition: 0, key: 'k1', value: 'v1', headers: [] },
        { partition: 0, key: '', value: 'empty key', headers: [] },
        { partition: 0, key: 'k3', value: 'v::with separator', headers: [] },
      ])
    }
  })

  it('stops at a line without the separator, naming it; the lines before it can still be taken', () => {
    // The separator comes later in the chunk, past the line's end: it is not this line's.
    const { error, written } = failing({ separator: Buffer.from('=') }, [
      Buffer.from('a=1\nb=2\nnone\nc=3\n'),
    ])
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).exitCode).toBe(ExitCode.badInput)
    expect((error as CliError).message).toBe('line 3: no key separator "=" in it')
    expect(written.map((r) => `${r.key}=${r.value}`)).toEqual(['a=1', 'b=2'])
  })

  it('partitions as producer.send does: round-robin from 0 without a key, murmur2 of the key, or the one asked', () => {
    const keyless = records(run({ partitionCount: 3 }, [Buffer.from('a\nb\nc\nd\ne\n')]).taken)
    expect(keyless.map((r) => `${r.partition}${r.value}`).sort()).toEqual(['0a', '0d', '1b', '1e', '2c'])
    const text = Buffer.from(Array.from({ length: 40 }, (_, i) => `key${i % 9}=${i}\n`).join(''))
    const keyed = records(run({ partitionCount: 4, separator: Buffer.from('=') }, [text]).taken)
    expect(keyed).toHaveLength(40)
    for (const r of keyed) expect(r.partition).toBe(partitionForKey(Buffer.from(r.key!), 4))
    // Per key, in order.
    const key3 = keyed.filter((r) => r.key === 'key3').map((r) => Number(r.value))
    expect(key3).toEqual([3, 12, 21, 30, 39])
    const fixed = records(run({ partitionCount: 4, partition: 2 }, [Buffer.from('x\ny\n')]).taken)
    expect(fixed.map((r) => r.partition)).toEqual([2, 2])
  })

  it('puts headers on every record, and reads json (checked) and base64 (decoded) fields', () => {
    const text = Buffer.from(`${Buffer.from('k').toString('base64')}|{"n":1}\n`)
    const read = records(
      run(
        {
          separator: Buffer.from('|'),
          keyFormat: 'base64',
          valueFormat: 'json',
          headers: { src: Buffer.from('cli'), run: Buffer.from('7') },
        },
        [text, text],
      ).taken,
    )
    expect(read).toEqual([
      { partition: 0, key: 'k', value: '{"n":1}', headers: ['src', 'run'] },
      { partition: 0, key: 'k', value: '{"n":1}', headers: ['src', 'run'] },
    ])
    const bad = failing({ valueFormat: 'json' }, [Buffer.from('{"ok":1}\nnot json\n')])
    expect((bad.error as CliError).exitCode).toBe(ExitCode.badInput)
    expect((bad.error as CliError).message).toMatch(/^line 2: the value is not JSON/)
    expect(bad.written.map((r) => r.value)).toEqual(['{"ok":1}'])
    const raw = records(run({ valueFormat: 'base64' }, [Buffer.from('AAEC/w==\n')]).taken)
    expect(Buffer.from(raw[0]!.value, 'latin1')).toEqual(Buffer.from([0, 1, 2, 255]))
  })

  it('fills batches up to 1 MiB (or max.message.bytes), each partition in order', () => {
    const line = `${'x'.repeat(99)}\n`
    const text = Buffer.from(line.repeat(30_000))
    const { taken } = run({ partitionCount: 2 }, splitAt(text, 1_000_000, 2_000_000))
    const batches = taken.flatMap((t) => [...t.values()].flat())
    expect(batches.length).toBeGreaterThanOrEqual(4)
    const read = records(taken)
    expect(read).toHaveLength(30_000)
    const small = run({ maxMessageBytes: 20_000 }, [text]).taken
    expect(records(small, 20_000)).toHaveLength(30_000)
  })

  it('takes a line larger than a chunk and than a batch, alone; refuses one past max.message.bytes after the lines before it', () => {
    const huge = 'h'.repeat(3 << 20)
    const text = Buffer.from(`before\n${huge}\nafter\n`)
    const chunks = splitAt(text, 1 << 20, 2 << 20, 3 << 20)
    const read = records(run({ maxMessageBytes: 8 << 20 }, chunks).taken, 8 << 20)
    expect(read.map((r) => r.value.length)).toEqual([6, 3 << 20, 5])
    expect(read[1]!.value).toBe(huge)
    const { error, written } = failing({ maxMessageBytes: 1 << 20 }, chunks)
    expect(error).toBeInstanceOf(RecordTooLargeError)
    expect((error as RecordTooLargeError).limit).toBe(1 << 20)
    expect(written.map((r) => r.value)).toEqual(['before'])
  })
})

/**
 * What the crash test (test/storage/file/crash.test.ts) and its child process
 * (test/storage/file/crash-child.ts) agree on: the topic, the keys, the value of every record, the
 * points where the child kills itself, and the lines it writes to stdout.
 */

export const CRASH_TOPIC = 'crash-orders'
export const CRASH_GROUP = 'crash-billing'
export const CRASH_PARTITIONS = 4
/** Small, so segments roll every few hundred records and a kill often lands near a roll. */
export const CRASH_SEGMENT_BYTES = 8 * 1024
/** Concurrent producer loops in the child: their appends share fsyncs (group commit). */
export const CRASH_PRODUCER_LOOPS = 4
/** Keys per loop. A key belongs to one loop, whose sends are sequential, so its sequence order is its offset order. */
export const CRASH_KEYS_PER_LOOP = 6

export type FsyncMode = 'always' | 'interval' | 'never'

export function parseFsync(text: string | undefined): FsyncMode {
  if (text === 'always' || text === 'interval' || text === 'never') return text
  throw new Error(`fsync must be always, interval or never, got ${String(text)}`)
}

export function crashKey(loop: number, index: number): string {
  return `k${loop}-${index}`
}

/** The value of the record with sequence `seq` of `key`: both, and a padding that varies the record size. */
export function crashValue(key: string, seq: number): string {
  return `${key}#${seq}#${'p'.repeat((seq * 7) % 53)}`
}

/** The key and sequence a value names, or undefined if it is not a value `crashValue` makes. */
export function parseCrashValue(value: string): { key: string; seq: number } | undefined {
  const match = /^(k\d+-\d+)#(\d+)#p*$/.exec(value)
  if (match === null) return undefined
  const key = match[1]!
  const seq = Number(match[2])
  return crashValue(key, seq) === value ? { key, seq } : undefined
}

/**
 * Where the child SIGKILLs itself, counted from the moment it is ready (the `ordinal`-th time):
 * - `open`: a segment roll created the new `.log` file, nothing is written to it yet;
 * - `index`: a segment roll wrote the old segment's `.index`, before its fsync and the new file;
 * - `torn-roll`: the first write into a freshly rolled segment, after half of its bytes (a torn batch);
 * - `torn`: any write to a partition's segment, after half of its bytes;
 * - `torn-offsets`: a write to the committed-offsets log, after half of its bytes.
 */
export type CrashPoint = 'open' | 'index' | 'torn-roll' | 'torn' | 'torn-offsets'

export interface CrashSpec {
  point: CrashPoint
  ordinal: number
}

const CRASH_POINTS: readonly CrashPoint[] = ['open', 'index', 'torn-roll', 'torn', 'torn-offsets']

export function formatCrashSpec(spec: CrashSpec | undefined): string {
  return spec === undefined ? 'none' : `${spec.point}:${spec.ordinal}`
}

export function parseCrashSpec(text: string | undefined): CrashSpec | undefined {
  if (text === undefined || text === 'none') return undefined
  const [point, ordinal] = text.split(':')
  const found = CRASH_POINTS.find((p) => p === point)
  const n = Number(ordinal)
  if (found === undefined || !Number.isSafeInteger(n) || n < 1) throw new Error(`Bad crash spec ${text}`)
  return { point: found, ordinal: n }
}

/** One line of the child's stdout. */
export type ChildLine =
  /** Written just before `Bus.open`. */
  | { kind: 'opening' }
  /** The bus is open, the topic exists, the consumer joined, producers start. */
  | { kind: 'ready' }
  /** One record whose send resolved. */
  | { kind: 'ack'; topic: string; partition: number; offset: number; key: string; seq: number }
  /** Written before `consumer.commit` is called with this offset. */
  | { kind: 'commit-intent'; topic: string; partition: number; offset: number }
  /** Written after that commit resolved. */
  | { kind: 'commit-ack'; topic: string; partition: number; offset: number }

export function formatLine(line: ChildLine): string {
  switch (line.kind) {
    case 'opening':
      return 'O\n'
    case 'ready':
      return 'R\n'
    case 'ack':
      return `A\t${line.topic}\t${line.partition}\t${line.offset}\t${line.key}\t${line.seq}\n`
    case 'commit-intent':
      return `C\t${line.topic}\t${line.partition}\t${line.offset}\n`
    case 'commit-ack':
      return `c\t${line.topic}\t${line.partition}\t${line.offset}\n`
  }
}

function int(text: string | undefined, line: string): number {
  const n = Number(text)
  if (text === undefined || text === '' || !Number.isSafeInteger(n) || n < 0) {
    throw new Error(`Bad number in child line ${JSON.stringify(line)}`)
  }
  return n
}

/** Parses one complete line (without its newline); throws on anything the child does not write. */
export function parseLine(line: string): ChildLine {
  const f = line.split('\t')
  switch (f[0]) {
    case 'O':
      if (f.length === 1) return { kind: 'opening' }
      break
    case 'R':
      if (f.length === 1) return { kind: 'ready' }
      break
    case 'A':
      if (f.length === 6) {
        return {
          kind: 'ack',
          topic: f[1]!,
          partition: int(f[2], line),
          offset: int(f[3], line),
          key: f[4]!,
          seq: int(f[5], line),
        }
      }
      break
    case 'C':
    case 'c':
      if (f.length === 4) {
        return {
          kind: f[0] === 'C' ? 'commit-intent' : 'commit-ack',
          topic: f[1]!,
          partition: int(f[2], line),
          offset: int(f[3], line),
        }
      }
      break
  }
  throw new Error(`Unexpected child line ${JSON.stringify(line)}`)
}

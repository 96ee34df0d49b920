/**
 * 1. In-memory throughput, end to end (counted in the consumer handler): 1 producer → a topic of 8
 * partitions → a group of 1 (or 4), 16-byte keys and 100-byte values, 10 sends of 100 (or 1,000
 * sends of 1) in flight, then a setImmediate. The topic kinds: typed `string()` (the headline), raw
 * with Buffer and with string values, `json(schema)` and `json()` with small objects. The in-process
 * ceiling and peers (eventemitter3, mqemitter, fastq) run first, in the same process.
 *
 * What validation costs: the `json(schema)` and `json()` cases differ only by the schema, and the
 * schema's own `~standard.validate` is timed alone on the same objects.
 */

import { inProcessBaselines } from './baselines'
import type { Figure, PartContext } from './common'
import { attempt, type CaseSpec, figureFrom, measure, type Sizing } from './harness'
import { type HandlerKind, runLoad, type SendMode } from './load'
import { KIND_TEXT, keyOf, Order, orderOf, type ValueKind, workload } from './workload'

export function loadSizing(quick: boolean): Sizing {
  return { initial: quick ? 20_000 : 50_000, min: 20_000, max: 20_000_000, multiple: 1000 }
}

const HANDLER_TEXT: Record<HandlerKind, string> = {
  sync: '',
  async: ', async eachMessage',
  eachBatch: ', eachBatch',
  groupless: ', one consumer without a group',
}

export function memoryCase(
  quick: boolean,
  kind: ValueKind,
  mode: SendMode,
  groupSize = 1,
  handler: HandlerKind = 'sync',
): CaseSpec {
  const suffix = handler === 'sync' ? '' : `.${handler}`
  const who = handler === 'groupless' ? 'nogroup' : `g${groupSize}`
  const group = handler === 'groupless' ? '' : `, group of ${groupSize}`
  return {
    id: `memory.${kind}.${mode}.${who}${handler === 'groupless' ? '' : suffix}`,
    section: 'memory',
    label: `${KIND_TEXT[kind]}: ${mode === 'batch' ? 'send([100]) ×10 in flight' : 'send(1) ×1000 in flight'}${group}${HANDLER_TEXT[handler]}`,
    unit: 'msgs/s',
    better: 'higher',
    sizing: loadSizing(quick),
    run: (n) =>
      runLoad({ storage: 'memory', kind, partitions: 8, groupSize, producers: 1, mode, handler }, n),
  }
}

/** A plain loop over `n` fresh 4-field objects, timed: records per second. */
function loopCase(id: string, label: string, body: (n: number) => void): CaseSpec {
  return {
    id,
    section: 'memory',
    label,
    unit: 'msgs/s',
    better: 'higher',
    sizing: { initial: 100_000, min: 50_000, max: 50_000_000, multiple: 1000 },
    run: async (n) => {
      const start = performance.now()
      body(n)
      return { value: n / ((performance.now() - start) / 1000) }
    },
  }
}

/** The zod schema alone: `~standard.validate` on fresh 4-field objects, as `json(schema)` calls it at send. */
function validateOnly(): CaseSpec {
  const validate = Order['~standard'].validate
  return loopCase(
    'memory.json.validate-only',
    "the json cases' zod 4 schema alone: ~standard.validate of a fresh 4-field object",
    (n) => {
      let ok = 0
      for (let i = 0; i < n; i++) {
        const result = validate(orderOf(i))
        if (!(result instanceof Promise) && result.issues === undefined) ok++
      }
      if (ok !== n) throw new Error(`the schema rejected ${n - ok} of ${n} objects`)
    },
  )
}

/** Building the same fresh objects without validating them: what `validateOnly` includes besides zod. */
function objectsOnly(): CaseSpec {
  return loopCase(
    'memory.json.objects-only',
    'the same loop building the objects, without validation (what the line above includes besides zod)',
    (n) => {
      let amount = 0
      for (let i = 0; i < n; i++) amount += orderOf(i).amount
      if (!(amount >= 0)) throw new Error('unreachable')
    },
  )
}

/**
 * The json cases' messages built and every one kept, with no logbus: memory storage keeps each value
 * as it was sent, so the young-generation GC copies every kept object once. The floor of those cases.
 */
function messagesKept(): CaseSpec {
  return loopCase(
    'memory.json.objects-kept',
    "the json cases' messages (key and 4-field object) built and all kept, no logbus (their floor)",
    (n) => {
      const kept = new Array<{ key: string; value: Order }>(n)
      for (let i = 0; i < n; i++) kept[i] = { key: keyOf(i), value: orderOf(i) }
      if (kept[n - 1] === undefined) throw new Error('unreachable')
    },
  )
}

/**
 * The raw string case's conversion with no logbus: each message's key and value strings made into
 * Buffers once (a raw topic delivers Buffers) and every Buffer kept, as memory storage keeps them.
 */
function buffersKept(): CaseSpec {
  const messages = workload('raw-string')
  return loopCase(
    'memory.raw-string.buffers-kept',
    "the raw string case's keys and values made Buffers and all kept, no logbus (its floor)",
    (n) => {
      const kept = new Array<Buffer>(2 * n)
      for (let i = 0; i < n; i++) {
        const { key, value } = messages.message(i)
        kept[2 * i] = Buffer.from(key as string)
        kept[2 * i + 1] = Buffer.from(value as string)
      }
      if (kept[2 * n - 1] === undefined) throw new Error('unreachable')
    },
  )
}

/** ns per record: 1e9/a − 1e9/b, from the medians of two rate figures. */
function costFigure(id: string, label: string, slower: Figure | undefined, faster: Figure | undefined) {
  const ns = (r: number) => 1e9 / r
  const samples =
    slower === undefined || faster === undefined
      ? []
      : slower.samples.map((s, i) => ({ value: ns(s) - ns(faster.samples[i] ?? faster.median) }))
  if (samples.length === 0) return undefined
  return figureFrom({ id, section: 'memory', label, unit: 'ns/record', better: 'lower' }, samples)
}

export async function runMemory(context: PartContext): Promise<Figure[]> {
  const { options, failures } = context
  const figures: Figure[] = []
  const quick = options.quick
  for (const spec of inProcessBaselines())
    await attempt(failures, spec.id, () => measure(spec, options), figures)
  const cases: CaseSpec[] = [
    memoryCase(quick, 'string', 'batch'),
    memoryCase(quick, 'string', 'single'),
    memoryCase(quick, 'raw-buffer', 'batch'),
    memoryCase(quick, 'raw-string', 'batch'),
    memoryCase(quick, 'json-schema', 'batch'),
    memoryCase(quick, 'json', 'batch'),
    validateOnly(),
    objectsOnly(),
    messagesKept(),
    buffersKept(),
    memoryCase(quick, 'raw-buffer', 'single'),
    memoryCase(quick, 'string', 'batch', 4),
    memoryCase(quick, 'string', 'batch', 1, 'async'),
    memoryCase(quick, 'string', 'batch', 1, 'eachBatch'),
    memoryCase(quick, 'string', 'batch', 1, 'groupless'),
  ]
  for (const spec of cases) await attempt(failures, spec.id, () => measure(spec, options), figures)
  const byId = (id: string) => figures.find((f) => f.id === id)
  const derived = [
    costFigure(
      'memory.json.schema-cost',
      'what the schema costs end to end: json(schema) − json(), per record',
      byId('memory.json-schema.batch.g1'),
      byId('memory.json.batch.g1'),
    ),
    costFigure(
      'memory.json.validate-cost',
      'what zod validation alone costs: validate-only − objects-only, per record',
      byId('memory.json.validate-only'),
      byId('memory.json.objects-only'),
    ),
  ]
  for (const f of derived) if (f !== undefined) figures.push(f)
  return figures
}

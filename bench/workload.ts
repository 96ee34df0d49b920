/**
 * What the benchmarks send: 16-byte keys and 100-byte values, in the form of each kind of
 * topic (a typed `string()` topic, a raw topic given Buffers or strings, a `json()` topic with or without
 * a schema), and the topics themselves.
 *
 * String and Buffer values come from a pool of 100,000 messages over 10,000 keys and 64 distinct
 * values that producers cycle through: the values are shared, as the records the ceilings hand off are.
 * JSON values are built fresh for every message (a new object per event, as an application makes
 * it), because a `json()` topic freezes what it is given and a frozen object would be checked again
 * for nothing.
 */

import { type Bus, json, type Message, string, type Topic } from 'logbus'
import { z } from 'zod'

export const VALUE_BYTES = 100
export const KEY_BYTES = 16
/** Bytes of payload per message (key + value), what MB/s figures count. */
export const PAYLOAD_BYTES = VALUE_BYTES + KEY_BYTES
export const TOPIC = 'bench'
/** Messages per `send` in batched mode. */
export const BATCH = 100
/** Records one producer keeps in flight: 10 sends of 100, or 1,000 single sends. */
export const WINDOW_RECORDS = 1000

/**
 * - `string`: a typed topic, `value: string()` (keys `string()` too): strings in, strings out;
 * - `raw-buffer` / `raw-string`: a topic without codecs, given Buffer keys and values / string keys and
 *   values (a Buffer is taken by reference, a string becomes a Buffer once at send); handlers receive
 *   Buffers;
 * - `json-schema` / `json`: `value: json(Order)` with a zod 4 schema of 4 fields, or `json()` without one.
 */
export const VALUE_KINDS = ['string', 'raw-buffer', 'raw-string', 'json-schema', 'json'] as const
export type ValueKind = (typeof VALUE_KINDS)[number]

export type AnyTopic = Topic<unknown, unknown, unknown, unknown>
export type BenchMessage = Message<unknown, unknown>

export const KIND_TEXT: Record<ValueKind, string> = {
  string: 'typed string() topic',
  'raw-buffer': 'raw topic, Buffer keys and values',
  'raw-string': 'raw topic, string keys and values',
  'json-schema': 'json(zod schema) topic, 4-field objects',
  json: 'json() topic (no schema), 4-field objects',
}

/** The small objects of the JSON cases: about 90 bytes of JSON. */
export const Order = z.object({
  orderId: z.string().min(1),
  customer: z.string().min(1),
  amount: z.number().nonnegative(),
  status: z.enum(['created', 'paid', 'shipped']),
})
export type Order = z.output<typeof Order>

const STATUSES = ['created', 'paid', 'shipped'] as const

export function orderOf(i: number): Order {
  return {
    orderId: `o-${i.toString().padStart(10, '0')}`,
    customer: `c-${(i % 5000).toString().padStart(5, '0')}`,
    amount: (i % 100_000) / 4,
    status: STATUSES[i % 3]!,
  }
}

/** Creates the benchmark topic in the form `kind` wants and returns its view. */
export async function createBenchTopic(
  bus: Bus,
  kind: ValueKind,
  partitions: number,
  name = TOPIC,
): Promise<AnyTopic> {
  const options = { partitions }
  let topic: unknown
  if (kind === 'string') topic = await bus.createTopic(name, { ...options, value: string() })
  else if (kind === 'json-schema') topic = await bus.createTopic(name, { ...options, value: json(Order) })
  else if (kind === 'json') topic = await bus.createTopic(name, { ...options, value: json() })
  else topic = await bus.createTopic(name, options)
  return topic as AnyTopic
}

const DISTINCT_KEYS = 10_000
const DISTINCT_VALUES = 64
const POOL = 100_000

/** A 16-character ASCII key (16 bytes). */
export function keyOf(i: number): string {
  return `key-${(i % DISTINCT_KEYS).toString(36).padStart(12, '0')}`
}

/** The value bytes of value number `v`: printable ASCII, so its string form is 100 bytes of UTF-8 too. */
function valueBytes(v: number): Buffer {
  const b = Buffer.allocUnsafe(VALUE_BYTES)
  for (let i = 0; i < VALUE_BYTES; i++) b[i] = 32 + ((i * 7 + v * 13) % 95)
  return b
}

/** Where producers get their messages: `batch(b)` is 100 messages, `message(m)` one. */
export interface Workload {
  readonly kind: ValueKind
  batch(b: number): readonly BenchMessage[]
  message(m: number): BenchMessage
}

const workloads = new Map<ValueKind, Workload>()

function pooled(kind: ValueKind, value: (v: number) => unknown, bytesKeys = false): Workload {
  const values = Array.from({ length: DISTINCT_VALUES }, (_, v) => value(v))
  const keys = Array.from({ length: DISTINCT_KEYS }, (_, k) => (bytesKeys ? Buffer.from(keyOf(k)) : keyOf(k)))
  const messages: BenchMessage[] = Array.from({ length: POOL }, (_, i) => ({
    key: keys[i % DISTINCT_KEYS],
    value: values[i % DISTINCT_VALUES],
  }))
  const batches: BenchMessage[][] = []
  for (let i = 0; i + BATCH <= messages.length; i += BATCH) batches.push(messages.slice(i, i + BATCH))
  return {
    kind,
    batch: (b) => batches[b % batches.length]!,
    message: (m) => messages[m % messages.length]!,
  }
}

function fresh(kind: ValueKind): Workload {
  return {
    kind,
    batch(b) {
      const out = new Array<BenchMessage>(BATCH)
      const first = b * BATCH
      for (let j = 0; j < BATCH; j++) out[j] = { key: keyOf(first + j), value: orderOf(first + j) }
      return out
    },
    message: (m) => ({ key: keyOf(m), value: orderOf(m) }),
  }
}

export function workload(kind: ValueKind): Workload {
  let w = workloads.get(kind)
  if (w === undefined) {
    if (kind === 'string' || kind === 'raw-string') w = pooled(kind, (v) => valueBytes(v).toString('latin1'))
    else if (kind === 'raw-buffer') w = pooled(kind, valueBytes, true)
    else w = fresh(kind)
    workloads.set(kind, w)
  }
  return w
}

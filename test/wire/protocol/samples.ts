import { defaultOf } from '../../../src/wire/protocol/defaults'
import type { FieldSchema, MessageSchema } from '../../../src/wire/protocol/schema'
import { inVersions } from '../../../src/wire/protocol/versions'

/** A small deterministic PRNG (mulberry32), so failures reproduce from the seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Struct = Record<string, unknown>

/**
 * A sample value for every field of `schema` at `version` (non-default, so tagged fields are written),
 * and the object decoding must give back: the same values, with defaults for fields the version lacks.
 */
export function sampleMessage(
  schema: MessageSchema,
  version: number,
  random: () => number,
): { input: Struct; expected: Struct } {
  return sampleStruct(schema.fields, version, random, 0)
}

function sampleStruct(
  fields: readonly FieldSchema[],
  version: number,
  random: () => number,
  depth: number,
): { input: Struct; expected: Struct } {
  const input: Struct = {}
  const expected: Struct = {}
  for (const field of fields) {
    if (!inVersions(field.versions, version)) {
      expected[field.name] = defaultOf(field)
      continue
    }
    const value = sampleField(field, version, random, depth)
    input[field.name] = value.input
    expected[field.name] = value.expected
  }
  return { input, expected }
}

function sampleField(
  field: FieldSchema,
  version: number,
  random: () => number,
  depth: number,
): { input: unknown; expected: unknown } {
  if (inVersions(field.nullableVersions, version) && random() < 0.2 && field.default !== null) {
    // A null where the default is not null is a non-default value too.
    return { input: null, expected: null }
  }
  if (field.type.startsWith('[]')) {
    const n = 1 + Math.floor(random() * (depth > 1 ? 2 : 3))
    const inputs: unknown[] = []
    const expecteds: unknown[] = []
    for (let i = 0; i < n; i++) {
      const element =
        field.fields !== undefined
          ? sampleStruct(field.fields, version, random, depth + 1)
          : sampleScalar(field.type.slice(2), random)
      inputs.push(element.input)
      expecteds.push(element.expected)
    }
    return { input: inputs, expected: expecteds }
  }
  if (field.fields !== undefined) return sampleStruct(field.fields, version, random, depth + 1)
  return sampleScalar(field.type, random, field.default)
}

function sampleScalar(
  type: string,
  random: () => number,
  avoid?: unknown,
): { input: unknown; expected: unknown } {
  const int = (bits: number) => {
    const range = 2 ** bits
    let v = Math.floor(random() * range) - range / 2
    if (v === avoid || v === 0) v = 7
    return v
  }
  let v: unknown
  switch (type) {
    case 'bool':
      v = avoid !== true
      break
    case 'int8':
      v = int(8)
      break
    case 'int16':
      v = int(16)
      break
    case 'uint16':
      v = 1 + Math.floor(random() * 65534)
      break
    case 'int32':
      v = int(32)
      break
    case 'uint32':
      v = 1 + Math.floor(random() * 0xfffffffe)
      break
    case 'int64':
      v = BigInt(int(32)) * 4294967296n + BigInt(Math.floor(random() * 4294967296))
      if (v === avoid || v === 0n) v = 123456789012345n
      break
    case 'float64':
      v = random() * 1e6 + 0.5
      break
    case 'string':
      v = `s-${Math.floor(random() * 1e6)}-é`
      break
    case 'bytes':
    case 'records':
      v = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 20) }, () => Math.floor(random() * 256)))
      break
    case 'uuid':
      v = [8, 4, 4, 4, 12]
        .map((n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join(''))
        .join('-')
      if (v === '00000000-0000-0000-0000-000000000000') v = '00000000-0000-0000-0000-000000000001'
      break
    default:
      throw new Error(`no sample for ${type}`)
  }
  return { input: v, expected: v }
}

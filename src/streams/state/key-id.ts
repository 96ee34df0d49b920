import { InvalidRecordError } from '../../index'

/**
 * State is keyed by a string that stands for a key: a string key is itself (the fast, common case);
 * anything else is tagged, so the id is reversible and two keys are one entry exactly when their ids
 * are equal (numbers and objects by their JSON, as Kafka compares serialised keys).
 */
const STRING_TAG = '\u0000s'
const JSON_TAG = '\u0000j'
const BUFFER_TAG = '\u0000b'

/** The state id of a key. Throws InvalidRecordError for a key JSON cannot hold. */
export function keyId(key: unknown): string {
  if (typeof key === 'string') return key.charCodeAt(0) === 0 ? STRING_TAG + key : key
  if (Buffer.isBuffer(key)) return BUFFER_TAG + key.toString('base64')
  const json = JSON.stringify(key)
  if (json === undefined) throw new InvalidRecordError(`A state key must be JSON, got ${typeof key}`)
  return JSON_TAG + json
}

/** The key an id stands for (frozen when it is an object). */
export function keyFromId(id: string): unknown {
  if (id.charCodeAt(0) !== 0) return id
  if (id.startsWith(STRING_TAG)) return id.slice(STRING_TAG.length)
  if (id.startsWith(BUFFER_TAG)) return Buffer.from(id.slice(BUFFER_TAG.length), 'base64')
  if (id.startsWith(JSON_TAG)) return deepFreeze(JSON.parse(id.slice(JSON_TAG.length)))
  throw new InvalidRecordError(`Not a state key id: ${JSON.stringify(id.slice(0, 20))}`)
}

/**
 * The order of range queries: strings by UTF-16 code units, numbers numerically, anything else by
 * its id (its JSON), and strings before numbers before the rest.
 */
export function compareKeys(a: unknown, b: unknown): number {
  const ta = rank(a)
  const tb = rank(b)
  if (ta !== tb) return ta - tb
  if (ta === 0) return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0
  if (ta === 1) return (a as number) - (b as number)
  const ia = keyId(a)
  const ib = keyId(b)
  return ia < ib ? -1 : ia > ib ? 1 : 0
}

function rank(key: unknown): number {
  return typeof key === 'string' ? 0 : typeof key === 'number' ? 1 : 2
}

/**
 * Freezes a value and everything in it, as logbus does with JSON values: state that is shared with
 * changelogs and queries can then not be changed behind their back. Aggregators return new values.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value))
    return value
  Object.freeze(value)
  if (Array.isArray(value)) {
    for (const item of value) deepFreeze(item)
  } else {
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

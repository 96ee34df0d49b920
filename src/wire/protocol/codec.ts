import { defaultOf, isArrayType, isDefault } from './defaults'
import { ProtocolError } from './protocol-error'
import { Reader } from './reader'
import type { FieldSchema, MessageSchema } from './schema'
import { inVersions, parseVersions } from './versions'
import { Writer } from './writer'

/**
 * The one generic codec: it compiles a field list, for one version, into a tree of read/write
 * closures (once, then cached), following the rules of Kafka's generated message classes — fields
 * outside the version take their defaults, flexible versions use compact lengths and tagged fields,
 * a non-ignorable field with a non-default value cannot be written to a version without it.
 */

type Struct = Record<string, unknown>
type Read = (r: Reader) => unknown
type Write = (w: Writer, v: unknown) => void

interface ValueCodec {
  read: Read
  write: Write
  /** The fewest bytes one value can take: guards array counts against the bytes left. */
  minSize: number
}

interface StructCodec extends ValueCodec {
  read: (r: Reader) => Struct
}

const SCALARS = new Set([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
])

function elementType(field: FieldSchema): string {
  return isArrayType(field) ? field.type.slice(2) : field.type
}

function checkSchemaField(field: FieldSchema): void {
  const element = elementType(field)
  if (field.fields === undefined && !SCALARS.has(element)) {
    throw new TypeError(`Field "${field.name}" has unknown type "${field.type}" and no fields`)
  }
}

function scalarCodec(type: string, nullable: boolean, flexible: boolean, name: string): ValueCodec {
  switch (type) {
    case 'bool':
      return { read: (r) => r.bool(), write: (w, v) => w.bool(v as boolean), minSize: 1 }
    case 'int8':
      return { read: (r) => r.int8(), write: (w, v) => w.int8(v as number), minSize: 1 }
    case 'int16':
      return { read: (r) => r.int16(), write: (w, v) => w.int16(v as number), minSize: 2 }
    case 'uint16':
      return { read: (r) => r.uint16(), write: (w, v) => w.uint16(v as number), minSize: 2 }
    case 'int32':
      return { read: (r) => r.int32(), write: (w, v) => w.int32(v as number), minSize: 4 }
    case 'uint32':
      return { read: (r) => r.uint32(), write: (w, v) => w.uint32(v as number), minSize: 4 }
    case 'int64':
      return { read: (r) => r.int64(), write: (w, v) => w.int64(v as bigint), minSize: 8 }
    case 'float64':
      return { read: (r) => r.float64(), write: (w, v) => w.float64(v as number), minSize: 8 }
    case 'uuid':
      return { read: (r) => r.uuid(), write: (w, v) => w.uuid(v as string), minSize: 16 }
    case 'string':
      return lengthPrefixedCodec(STRING, nullable, flexible, name)
    case 'records':
      return lengthPrefixedCodec(RECORDS, nullable, flexible, name)
    default:
      return lengthPrefixedCodec(BYTES, nullable, flexible, name)
  }
}

/** Reads a length: compact (unsigned varint of length + 1, 0 = null) or a fixed int16/int32 (-1 = null). */
function readLength(r: Reader, flexible: boolean, wide: boolean): number {
  if (flexible) return r.uvarint() - 1
  return wide ? r.int32() : r.int16()
}

function nullLength(nullable: boolean, name: string): null {
  if (!nullable) throw new ProtocolError('malformed', `Null value for non-nullable field "${name}"`)
  return null
}

/**
 * A length-prefixed value (string or bytes): compact uvarint length + 1 in flexible versions, else a
 * fixed int16 (strings) or int32 (bytes) length; -1 or 0 respectively stand for null.
 */
function lengthPrefixedCodec<T>(
  kind: {
    wide: boolean
    size(v: T): number
    read(r: Reader, n: number): T
    write(w: Writer, v: T, n: number): void
  },
  nullable: boolean,
  flexible: boolean,
  name: string,
): ValueCodec {
  const maxFixed = kind.wide ? 0x7fffffff : 0x7fff
  return {
    minSize: flexible ? 1 : kind.wide ? 4 : 2,
    read: (r) => {
      const n = readLength(r, flexible, kind.wide)
      if (n < 0) return n === -1 ? nullLength(nullable, name) : badLength(n, name)
      return kind.read(r, n)
    },
    write: (w, v) => {
      const n = v === null ? -1 : kind.size(v as T)
      if (n === -1 && !nullable) throw new RangeError(`Null for non-nullable field "${name}"`)
      if (n > maxFixed && !flexible) throw new RangeError(`Field "${name}" of ${n} bytes exceeds ${maxFixed}`)
      if (flexible) w.uvarint(n + 1)
      else if (kind.wide) w.int32(n)
      else w.int16(n)
      if (n >= 0) kind.write(w, v as T, n)
    },
  }
}

const STRING = {
  wide: false,
  size: (v: string) => Buffer.byteLength(v),
  read: (r: Reader, n: number) => r.utf8(n),
  write: (w: Writer, v: string, n: number) => w.utf8(v, n),
}

const BYTES = {
  wide: true,
  size: (v: Uint8Array) => v.length,
  read: (r: Reader, n: number) => r.bytes(n),
  write: (w: Writer, v: Uint8Array) => w.raw(v),
}

/** Records: one buffer, or several batches written back to back (each kept by reference when large). */
const RECORDS = {
  wide: true,
  size: (v: Uint8Array | readonly Uint8Array[]) => {
    if (!Array.isArray(v)) return (v as Uint8Array).length
    let n = 0
    for (const part of v as readonly Uint8Array[]) n += part.length
    return n
  },
  read: (r: Reader, n: number) => r.bytes(n),
  write: (w: Writer, v: Uint8Array | readonly Uint8Array[]) => {
    if (!Array.isArray(v)) return w.raw(v as Uint8Array)
    for (const part of v as readonly Uint8Array[]) w.raw(part)
  },
}

function badLength(n: number, name: string): never {
  throw new ProtocolError('malformed', `Negative length ${n} of field "${name}"`)
}

function arrayCodec(element: ValueCodec, nullable: boolean, flexible: boolean, name: string): ValueCodec {
  const minElement = Math.max(1, element.minSize)
  return {
    minSize: flexible ? 1 : 4,
    read: (r) => {
      const n = readLength(r, flexible, true)
      if (n < 0) return n === -1 ? nullLength(nullable, name) : badLength(n, name)
      // Checked before allocating: a count the remaining bytes cannot hold is a lie.
      if (n * minElement > r.remaining) {
        throw new ProtocolError(
          'malformed',
          `Array "${name}" of ${n} elements exceeds the ${r.remaining} bytes left`,
        )
      }
      const out = new Array<unknown>(n)
      for (let i = 0; i < n; i++) out[i] = element.read(r)
      return out
    },
    write: (w, v) => {
      if (v === null) {
        if (!nullable) throw new RangeError(`Null for non-nullable array "${name}"`)
        if (flexible) w.uvarint(0)
        else w.int32(-1)
        return
      }
      const items = v as readonly unknown[]
      if (flexible) w.uvarint(items.length + 1)
      else w.int32(items.length)
      for (const item of items) element.write(w, item)
    },
  }
}

/** A nullable (non-array) struct: an int8 marker, -1 for null and 1 for present, as Kafka writes it. */
function nullableStructCodec(inner: StructCodec): ValueCodec {
  return {
    minSize: 1,
    read: (r) => {
      const marker = r.int8()
      return marker < 0 ? null : inner.read(r)
    },
    write: (w, v) => {
      if (v === null) return w.int8(-1)
      w.int8(1)
      inner.write(w, v)
    },
  }
}

function fieldCodec(field: FieldSchema, version: number, flexible: boolean): ValueCodec {
  checkSchemaField(field)
  const nullable = inVersions(field.nullableVersions, version)
  const element =
    field.fields !== undefined
      ? compileStruct(field.fields, version, flexible)
      : scalarCodec(elementType(field), isArrayType(field) ? false : nullable, flexible, field.name)
  if (isArrayType(field)) return arrayCodec(element, nullable, flexible, field.name)
  if (field.fields !== undefined && nullable) return nullableStructCodec(element as StructCodec)
  return element
}

interface CompiledField {
  field: FieldSchema
  codec: ValueCodec
}

/** Compiles a struct (or a message's top level) for one version. */
export function compileStruct(
  fields: readonly FieldSchema[],
  version: number,
  flexible: boolean,
): StructCodec {
  const regular: CompiledField[] = []
  const tagged = new Map<number, CompiledField>()
  const absent: FieldSchema[] = []
  for (const field of fields) {
    if (!inVersions(field.versions, version)) {
      absent.push(field)
      continue
    }
    const compiled = { field, codec: fieldCodec(field, version, flexible) }
    if (flexible && inVersions(field.taggedVersions, version)) {
      if (field.tag === undefined) throw new TypeError(`Tagged field "${field.name}" has no tag`)
      tagged.set(field.tag, compiled)
    } else regular.push(compiled)
  }
  const taggedInOrder = [...tagged.entries()].sort((a, b) => a[0] - b[0])
  let minSize = flexible ? 1 : 0
  for (const { codec } of regular) minSize += codec.minSize

  return {
    minSize,
    read: (r) => {
      const out: Struct = {}
      for (const field of fields) out[field.name] = undefined
      for (const { field, codec } of regular) out[field.name] = codec.read(r)
      for (const field of absent) out[field.name] = defaultOf(field)
      for (const [, { field }] of taggedInOrder) out[field.name] = defaultOf(field)
      if (flexible) readTaggedFields(r, tagged, out)
      return out
    },
    write: (w, v) => {
      const struct = (v ?? {}) as Struct
      for (const { field, codec } of regular) {
        const value = struct[field.name]
        codec.write(w, value === undefined ? defaultOf(field) : value)
      }
      for (const field of absent) {
        if (!field.ignorable && !isDefault(field, struct[field.name])) {
          throw new ProtocolError(
            'unencodable',
            `Field "${field.name}" has a non-default value but is not in version ${version}`,
          )
        }
      }
      if (flexible) writeTaggedFields(w, taggedInOrder, struct)
    },
  }
}

function readTaggedFields(r: Reader, tagged: ReadonlyMap<number, CompiledField>, out: Struct): void {
  const count = r.uvarint()
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint()
    const size = r.uvarint()
    const known = tagged.get(tag)
    if (known === undefined) {
      r.skip(size, `tagged field ${tag}`)
      continue
    }
    const sub = r.sub(size, `tagged field ${tag}`)
    out[known.field.name] = known.codec.read(sub)
  }
}

function writeTaggedFields(w: Writer, tagged: readonly [number, CompiledField][], struct: Struct): void {
  const present = tagged.filter(([, { field }]) => !isDefault(field, struct[field.name]))
  w.uvarint(present.length)
  for (const [tag, { field, codec }] of present) {
    const inner = new Writer()
    codec.write(inner, struct[field.name])
    w.uvarint(tag)
    w.uvarint(inner.length)
    for (const chunk of inner.chunks()) w.raw(chunk)
  }
}

/**
 * A message's codec for one version.
 *
 * @example
 * ```ts
 * const codec = messageCodec(HeartbeatRequestSchema, 4)
 * const body = codec.read(new Reader(bytes))
 * ```
 */
export interface MessageCodec {
  read(r: Reader): Struct
  write(w: Writer, body: unknown): void
}

const codecs = new WeakMap<MessageSchema, Map<number, MessageCodec>>()

/**
 * The compiled codec of `schema` at `version` (cached). Throws `ProtocolError('unsupported-version')`
 * for a version outside `validVersions`.
 *
 * @example
 * ```ts
 * messageCodec(HeartbeatRequestSchema, 4).write(writer, { groupId: 'g' })
 * ```
 */
export function messageCodec(schema: MessageSchema, version: number): MessageCodec {
  let perVersion = codecs.get(schema)
  if (perVersion === undefined) {
    perVersion = new Map()
    codecs.set(schema, perVersion)
  }
  let codec = perVersion.get(version)
  if (codec === undefined) {
    if (!inVersions(schema.validVersions, version)) {
      const { min, max } = parseVersions(schema.validVersions)
      throw new ProtocolError(
        'unsupported-version',
        `${schema.name} version ${version} is not supported (${min}-${max})`,
      )
    }
    codec = compileStruct(schema.fields, version, inVersions(schema.flexibleVersions, version))
    perVersion.set(version, codec)
  }
  return codec
}

/**
 * Decodes a message body from `bytes` (from `start`). With `strict` (the default) bytes left over after
 * the last field are an error; Kafka's broker ignores them in requests, and so does `decodeRequest`.
 *
 * @example
 * ```ts
 * const body = decodeMessage(HeartbeatRequestSchema, 4, bytes)
 * ```
 */
export function decodeMessage(
  schema: MessageSchema,
  version: number,
  bytes: Buffer,
  options?: { start?: number; strict?: boolean },
): Struct {
  const reader = new Reader(bytes, options?.start ?? 0)
  const body = messageCodec(schema, version).read(reader)
  if ((options?.strict ?? true) && reader.remaining !== 0) {
    throw new ProtocolError('malformed', `${reader.remaining} bytes left after ${schema.name} v${version}`)
  }
  return body
}

/**
 * Encodes a message body into `writer` (or a new one). Values that cannot be written (out of range,
 * a non-ignorable field missing from the version) throw `ProtocolError('unencodable')`.
 *
 * @example
 * ```ts
 * const bytes = encodeMessage(HeartbeatResponseSchema, 4, { errorCode: 0 }).toBuffer()
 * ```
 */
export function encodeMessage(
  schema: MessageSchema,
  version: number,
  body: unknown,
  writer: Writer = new Writer(),
): Writer {
  const codec = messageCodec(schema, version)
  try {
    codec.write(writer, body)
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    throw new ProtocolError(
      'unencodable',
      `Cannot encode ${schema.name} v${version}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    )
  }
  return writer
}

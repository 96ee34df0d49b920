import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type Cursor,
  readVarint,
  readVarlong,
  varintSize,
  varlongSize,
  writeVarint,
  writeVarlong,
} from '../../../src/record/v2/varint'

/** The slice of kafkajs' protocol Encoder these tests use (CommonJS internals, untyped). */
interface KafkajsEncoder {
  writeVarInt(value: number): KafkajsEncoder
  writeVarLong(value: number): KafkajsEncoder
  readonly buffer: Buffer
}
const require = createRequire(import.meta.url)
const KafkajsEncoderClass = require('kafkajs/src/protocol/encoder') as new () => KafkajsEncoder

const INT32_MIN = -0x80000000
const INT32_MAX = 0x7fffffff

/** Reference zigzag varlong with BigInt, straight from Kafka's ByteUtils.writeVarlong. */
function referenceVarlong(n: number): number[] {
  const v = BigInt(n)
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
  const out: number[] = []
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80)
    z >>= 7n
  }
  out.push(Number(z))
  return out
}

function encodeVarint(n: number): number[] {
  const buf = Buffer.alloc(5)
  const end = writeVarint(buf, 0, n)
  return [...buf.subarray(0, end)]
}

function encodeVarlong(n: number): number[] {
  const buf = Buffer.alloc(10)
  const end = writeVarlong(buf, 0, n)
  return [...buf.subarray(0, end)]
}

const safeInteger = fc.oneof(
  fc.integer(),
  fc.integer({ min: -(2 ** 12), max: 2 ** 12 }),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 45n), max: 2n ** 45n }).map(Number),
  fc.constantFrom(
    INT32_MAX + 1,
    INT32_MIN - 1,
    2 ** 40,
    -(2 ** 40),
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
  ),
)

describe('varint', () => {
  // The vectors of Kafka's ByteUtilsTest.testVarintSerde.
  const kafkaVectors: [number, number[]][] = [
    [0, [0x00]],
    [-1, [0x01]],
    [1, [0x02]],
    [63, [0x7e]],
    [-64, [0x7f]],
    [64, [0x80, 0x01]],
    [-65, [0x81, 0x01]],
    [8191, [0xfe, 0x7f]],
    [-8192, [0xff, 0x7f]],
    [8192, [0x80, 0x80, 0x01]],
    [-8193, [0x81, 0x80, 0x01]],
    [1048575, [0xfe, 0xff, 0x7f]],
    [-1048576, [0xff, 0xff, 0x7f]],
    [1048576, [0x80, 0x80, 0x80, 0x01]],
    [-1048577, [0x81, 0x80, 0x80, 0x01]],
    [134217727, [0xfe, 0xff, 0xff, 0x7f]],
    [-134217728, [0xff, 0xff, 0xff, 0x7f]],
    [134217728, [0x80, 0x80, 0x80, 0x80, 0x01]],
    [-134217729, [0x81, 0x80, 0x80, 0x80, 0x01]],
    [INT32_MAX, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
    [INT32_MIN, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ]

  it.each(kafkaVectors)('writes %d as Kafka does', (n, expected) => {
    expect(encodeVarint(n)).toEqual(expected)
    expect(varintSize(n)).toBe(expected.length)
    const cursor: Cursor = { pos: 0 }
    expect(readVarint(Buffer.from(expected), cursor)).toBe(n)
    expect(cursor.pos).toBe(expected.length)
  })

  it('round-trips any int32 and agrees with kafkajs and the reference', () => {
    fc.assert(
      fc.property(fc.integer({ min: INT32_MIN, max: INT32_MAX }), (n) => {
        const bytes = encodeVarint(n)
        expect(bytes).toEqual(referenceVarlong(n))
        expect(bytes).toEqual([...new KafkajsEncoderClass().writeVarInt(n).buffer])
        expect(varintSize(n)).toBe(bytes.length)
        const cursor = { pos: 0 }
        expect(readVarint(Buffer.from(bytes), cursor)).toBe(n)
        expect(cursor.pos).toBe(bytes.length)
      }),
      { numRuns: 500 },
    )
  })

  it('writes at a position and reads consecutive values with one cursor', () => {
    const buf = Buffer.alloc(32, 0xee)
    let pos = writeVarint(buf, 3, 300)
    pos = writeVarint(buf, pos, -1)
    pos = writeVarint(buf, pos, INT32_MIN)
    expect(buf[2]).toBe(0xee)
    const cursor = { pos: 3 }
    expect(readVarint(buf, cursor)).toBe(300)
    expect(readVarint(buf, cursor)).toBe(-1)
    expect(readVarint(buf, cursor)).toBe(INT32_MIN)
    expect(cursor.pos).toBe(pos)
    expect(buf[pos]).toBe(0xee)
  })

  it('rejects a varint longer than 5 bytes, as Kafka does', () => {
    expect(() => readVarint(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), { pos: 0 })).toThrow(
      RangeError,
    )
  })

  it('does not throw on a varint cut off by the end of the buffer', () => {
    const cursor = { pos: 0 }
    expect(() => readVarint(Buffer.from([0x80, 0x80]), cursor)).not.toThrow()
    expect(cursor.pos).toBeGreaterThan(2)
  })
})

describe('varlong', () => {
  it('writes the bytes Kafka does for values past int32', () => {
    expect(encodeVarlong(2 ** 31)).toEqual([0x80, 0x80, 0x80, 0x80, 0x10])
    expect(encodeVarlong(-(2 ** 31) - 1)).toEqual([0x81, 0x80, 0x80, 0x80, 0x10])
    // A millisecond timestamp as a delta from 0.
    expect(encodeVarlong(1_700_000_000_000)).toEqual(referenceVarlong(1_700_000_000_000))
    expect(encodeVarlong(Number.MAX_SAFE_INTEGER)).toEqual(referenceVarlong(Number.MAX_SAFE_INTEGER))
    expect(encodeVarlong(Number.MIN_SAFE_INTEGER)).toEqual(referenceVarlong(Number.MIN_SAFE_INTEGER))
  })

  it('round-trips any safe integer and agrees with kafkajs and the reference', () => {
    fc.assert(
      fc.property(safeInteger, (n) => {
        const bytes = encodeVarlong(n)
        expect(bytes).toEqual(referenceVarlong(n))
        expect(bytes).toEqual([...new KafkajsEncoderClass().writeVarLong(n).buffer])
        expect(varlongSize(n)).toBe(bytes.length)
        const cursor = { pos: 0 }
        expect(readVarlong(Buffer.from(bytes), cursor)).toBe(n)
        expect(cursor.pos).toBe(bytes.length)
      }),
      { numRuns: 500 },
    )
  })

  it('writes the same bytes as varint for an int32', () => {
    fc.assert(
      fc.property(fc.integer({ min: INT32_MIN, max: INT32_MAX }), (n) => {
        expect(encodeVarlong(n)).toEqual(encodeVarint(n))
        expect(varlongSize(n)).toBe(varintSize(n))
        expect(readVarlong(Buffer.from(encodeVarint(n)), { pos: 0 })).toBe(n)
      }),
      { numRuns: 200 },
    )
  })

  it('refuses values it cannot write exactly', () => {
    const buf = Buffer.alloc(10)
    expect(() => writeVarlong(buf, 0, 1.5)).toThrow(RangeError)
    expect(() => writeVarlong(buf, 0, 2 ** 53)).toThrow(RangeError)
    expect(() => writeVarlong(buf, 0, Number.NaN)).toThrow(RangeError)
  })

  it('rejects a varlong longer than 10 bytes, as Kafka does', () => {
    const tooLong = Buffer.from([...Array<number>(10).fill(0x80), 0x01])
    expect(() => readVarlong(tooLong, { pos: 0 })).toThrow(RangeError)
    const longest = Buffer.from([...Array<number>(9).fill(0xff), 0x01])
    expect(() => readVarlong(longest, { pos: 0 })).not.toThrow()
  })
})

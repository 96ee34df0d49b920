import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { crc32c, crc32cTables } from '../../../src/record/v2/crc32c'

// kafkajs' byte-at-a-time CRC-32C: an independent implementation to compare against.
const require = createRequire(import.meta.url)
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (buf: Buffer) => number

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
  })

  it('matches the iSCSI test vectors of RFC 3720 B.4', () => {
    expect(crc32c(Buffer.alloc(32, 0x00))).toBe(0x8a9136aa)
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43)
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e)
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c)
    const readPdu = Buffer.from(
      '01c00000000000000000000000000000' +
        '14000000000004000000001400000018' +
        '28000000000000000200000000000000',
      'hex',
    )
    expect(crc32c(readPdu)).toBe(0xd9963a56)
  })

  it('is 0 for no bytes and returns an unsigned value', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0)
    expect(crc32c(Buffer.from('a'))).toBe(0xc1d04330)
    expect(crc32c(Buffer.alloc(1000, 0xa5))).toBeGreaterThanOrEqual(0)
  })

  it('checksums only [start, end)', () => {
    const buf = Buffer.from('xx123456789yy')
    expect(crc32c(buf, 2, 11)).toBe(0xe3069283)
    expect(crc32c(buf, 2, 2)).toBe(0)
    expect(crc32c(buf.subarray(2), 0, 9)).toBe(0xe3069283)
  })

  it('clamps an end past the buffer', () => {
    const buf = Buffer.from('123456789')
    expect(crc32c(buf, 0, 100)).toBe(0xe3069283)
  })

  it('accepts a plain Uint8Array', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
  })

  it('agrees with kafkajs on any bytes, any length, any alignment and any range', () => {
    // Lengths past 512 exercise the aligned-word path, shorter ones the byte path; the offset into a
    // larger buffer moves the data off 4-byte alignment.
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.nat({ max: 7 }),
        fc.nat(),
        fc.nat(),
        (data, shift, a, b) => {
          const backing = Buffer.alloc(data.length + shift)
          backing.set(data, shift)
          const view = backing.subarray(shift)
          expect(crc32c(view)).toBe(kafkajsCrc32c(Buffer.from(data)))
          const start = data.length === 0 ? 0 : a % data.length
          const end = start + (data.length - start === 0 ? 0 : b % (data.length - start + 1))
          expect(crc32c(view, start, end)).toBe(kafkajsCrc32c(Buffer.from(data.subarray(start, end))))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('agrees with kafkajs on large buffers', () => {
    const big = Buffer.alloc(1 << 20)
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24
    expect(crc32c(big)).toBe(kafkajsCrc32c(big))
    expect(crc32c(big, 3, big.length - 5)).toBe(kafkajsCrc32c(big.subarray(3, big.length - 5)))
  })

  it('computes in JS what the addon computes, on any bytes and range', () => {
    // crc32c hands inputs of 512 bytes and more to @node-rs/crc32 (an optional dependency, installed
    // here); the tables must give the same answer where the addon cannot be loaded.
    const addon = require('@node-rs/crc32') as { crc32c: (input: Uint8Array) => number }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat({ max: 7 }), (data, shift) => {
        const backing = Buffer.alloc(data.length + shift)
        backing.set(data, shift)
        const view = backing.subarray(shift)
        const expected = addon.crc32c(Buffer.from(data)) >>> 0
        expect(crc32cTables(view, 0, view.length)).toBe(expected)
        expect(crc32c(view)).toBe(expected)
      }),
      { numRuns: 200 },
    )
  })
})

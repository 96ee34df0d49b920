import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { murmur2, murmur2String } from '../../src/producer/murmur2'
import murmur from '../fixtures/murmur2.json'

const vectors: [string, number][] = Object.entries(murmur.murmur2)

describe('murmur2', () => {
  it('has all the known-answer vectors to check', () => {
    expect(vectors).toHaveLength(23)
  })

  it.each(vectors)('hashes %j as Kafka does', (key, expected) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(expected)
  })

  it('hashes the empty key (a non-null key in Kafka) like any other', () => {
    const empty = murmur2(new Uint8Array(0))
    expect(empty).toBe(murmur2(Buffer.alloc(0)))
    expect(empty | 0).toBe(empty)
  })

  it('reads only the view it is given, not the rest of a pooled Buffer', () => {
    const pool = Buffer.from('xx-a-little-bit-long-string-yy', 'utf8')
    const view = pool.subarray(3, pool.length - 3)
    expect(view.byteOffset).toBeGreaterThan(0)
    expect(murmur2(view)).toBe(murmur.murmur2['a-little-bit-long-string'])
  })

  it('hashes a Buffer and a plain Uint8Array with the same bytes alike', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(murmur2(Buffer.from(bytes))).toBe(murmur2(bytes))
      }),
      { numRuns: 200 },
    )
  })

  it('returns a signed 32-bit integer for every input length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const h = murmur2(bytes)
        expect(Number.isInteger(h)).toBe(true)
        expect(h | 0).toBe(h)
      }),
      { numRuns: 200 },
    )
  })

  it('depends on every byte, including each byte of the 1 to 3 byte tail', () => {
    for (const length of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const bytes = new Uint8Array(length).fill(7)
      const base = murmur2(bytes)
      for (let i = 0; i < length; i++) {
        const changed = Uint8Array.from(bytes)
        changed[i] = 8
        expect(murmur2(changed), `length ${length}, byte ${i}`).not.toBe(base)
      }
    }
  })
})

describe('murmur2String: a string key hashed as its UTF-8 bytes, without allocating them', () => {
  it.each(vectors)('hashes %j as Kafka does', (key, expected) => {
    expect(murmur2String(key)).toBe(expected)
  })

  it('agrees with murmur2 over the UTF-8 bytes for any string, ASCII or not, lone surrogates included', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 })),
        (key) => {
          expect(murmur2String(key)).toBe(murmur2(Buffer.from(key, 'utf8')))
        },
      ),
      { numRuns: 500 },
    )
    for (const key of ['caf\u00e9', '\u{1f600}x', '\ud800', 'ab\udc00cd', '\u0080\u07ff\u0800\uffff']) {
      expect(murmur2String(key), JSON.stringify(key)).toBe(murmur2(Buffer.from(key, 'utf8')))
    }
  })
})

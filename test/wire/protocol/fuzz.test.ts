import { describe, expect, it } from 'vitest'
import { API_TABLE } from '../../../src/wire/protocol/apis'
import { decodeMessage, encodeMessage } from '../../../src/wire/protocol/codec'
import { FrameReader } from '../../../src/wire/protocol/frame-reader'
import { ProtocolError } from '../../../src/wire/protocol/protocol-error'
import { decodeRequest, decodeResponse, encodeRequest } from '../../../src/wire/protocol/request'
import { prng, sampleMessage } from './samples'

// A bounded, seeded fuzz run: valid frames of every API and version, mutated (bit flips, truncation,
// length fields forced huge or negative, random bytes), must decode or throw our ProtocolError — nothing
// else, and never hang (the test timeout bounds it). A fixed count keeps it reproducible from the seed.
const ITERATIONS = 30_000

type Mutation = (frame: Buffer, random: () => number) => Buffer

const mutations: Mutation[] = [
  (frame, random) => {
    const out = Buffer.from(frame)
    const flips = 1 + Math.floor(random() * 4)
    for (let i = 0; i < flips; i++) out[Math.floor(random() * out.length)]! ^= 1 << Math.floor(random() * 8)
    return out
  },
  (frame, random) => frame.subarray(0, Math.floor(random() * frame.length)),
  (frame, random) => {
    // A length-looking field set to a huge or negative value.
    const out = Buffer.from(frame)
    if (out.length < 4) return out
    const at = Math.floor(random() * (out.length - 3))
    const pick = random()
    if (pick < 0.33) out.writeInt32BE(0x7fffffff, at)
    else if (pick < 0.66) out.writeInt32BE(-2 - Math.floor(random() * 1000), at)
    else out.writeInt16BE(0x7fff, at)
    return out
  },
  (frame, random) => {
    // Varint lengths: a run of continuation bytes, or a big compact length.
    const out = Buffer.from(frame)
    const at = Math.floor(random() * out.length)
    for (let i = at; i < Math.min(out.length, at + 1 + Math.floor(random() * 6)); i++) out[i] = 0xff
    return out
  },
  (_frame, random) =>
    Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256))),
]

function expectOnlyProtocolErrors(run: () => unknown): 'ok' | 'rejected' {
  try {
    run()
    return 'ok'
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err
    return 'rejected'
  }
}

describe('fuzzing every decoder', () => {
  it(`${ITERATIONS} mutated request and response frames decode or throw ProtocolError`, () => {
    const random = prng(0xf00d)
    const seeds: { apiKey: number; version: number; request: Buffer; response: Buffer }[] = []
    for (const api of API_TABLE) {
      for (let version = api.minVersion; version <= api.maxVersion; version++) {
        const request = sampleMessage(api.request, version, random).input
        const header = { apiKey: api.apiKey, apiVersion: version, correlationId: 1, clientId: 'fuzz' }
        const frame = encodeRequest(header, request as never).subarray(4)
        const response = Buffer.concat([
          Buffer.from([0, 0, 0, 1]),
          // A flexible response header's empty tagged-field section, when there is one, is mutated too.
          Buffer.alloc(api.flexibleFrom !== null && version >= api.flexibleFrom && api.apiKey !== 18 ? 1 : 0),
        ])
        const body = sampleMessage(api.response, version, random).input
        seeds.push({
          apiKey: api.apiKey,
          version,
          request: frame,
          response: Buffer.concat([response, encodeMessage(api.response, version, body).toBuffer()]),
        })
      }
    }
    const counts = { ok: 0, rejected: 0 }
    for (let i = 0; i < ITERATIONS; i++) {
      const seed = seeds[Math.floor(random() * seeds.length)]!
      const mutate = mutations[Math.floor(random() * mutations.length)]!
      const request = mutate(seed.request, random)
      counts[expectOnlyProtocolErrors(() => decodeRequest(request))]++
      const response = mutate(seed.response, random)
      counts[expectOnlyProtocolErrors(() => decodeResponse(seed.apiKey as never, seed.version, response))]++
    }
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    expect(counts.ok).toBeGreaterThan(0)
    expect(counts.rejected).toBeGreaterThan(0)
    expect(counts.ok + counts.rejected).toBe(2 * ITERATIONS)
  })

  it('a count the remaining bytes cannot hold is rejected before anything is allocated', () => {
    // Metadata v0 request: topics array count 2^31-1 with no elements behind it.
    const frame = Buffer.from(
      encodeRequest({ apiKey: 3, apiVersion: 0, correlationId: 1, clientId: null }, {}).subarray(4),
    )
    frame.writeInt32BE(0x7fffffff, frame.length - 4)
    expect(() => decodeRequest(frame)).toThrow(/exceeds the 0 bytes left/)
    // Compact (flexible) arrays and strings: a varint length of 2^32-1.
    const flexible = encodeRequest(
      { apiKey: 3, apiVersion: 12, correlationId: 1, clientId: null },
      { topics: [] },
    )
    const body = Buffer.concat([
      flexible.subarray(4, flexible.length - 4),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
    ])
    expect(() => decodeRequest(body)).toThrow(ProtocolError)
    expect(() =>
      decodeMessage(API_TABLE[0]!.request, 9, Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0x7f])),
    ).toThrow(ProtocolError)
  })

  it('random chunkings of a byte stream give the same frames, and bad sizes fail', () => {
    const random = prng(7)
    const frames = Array.from({ length: 50 }, (_, i) => Buffer.alloc(Math.floor(random() * 300), i))
    const stream = Buffer.concat(
      frames.flatMap((f) => [Buffer.from([0, 0, f.length >> 8, f.length & 0xff]), f]),
    )
    for (let round = 0; round < 50; round++) {
      const reader = new FrameReader()
      const got: Buffer[] = []
      for (let at = 0; at < stream.length; ) {
        const n = 1 + Math.floor(random() * 400)
        got.push(...reader.push(stream.subarray(at, at + n)))
        at += n
      }
      reader.end()
      expect(got).toEqual(frames)
    }
    const reader = new FrameReader({ maxFrameBytes: 100 })
    expect(() => reader.push(Buffer.from([0, 0, 0, 101]))).toThrow(/exceeds the limit of 100/)
    expect(() => reader.push(Buffer.from([0, 0, 0, 1]))).toThrow(ProtocolError)
    expect(() => new FrameReader().push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(/Negative frame size/)
  })
})

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { LogbusError } from '../../../src/errors'
import { CompressionCodec, compress, decompress } from '../../../src/record/compression/compression'
import { lz4Compress, lz4Decompress, xxhash32 } from '../../../src/record/compression/lz4'
import { prng } from '../../wire/protocol/samples'

const require = createRequire(import.meta.url)

function vector(name: string): Buffer {
  return readFileSync(new URL(`./vectors/${name}`, import.meta.url))
}

/** The input the reference `lz4` and `zstd` command-line tools compressed into ./vectors. */
const referenceText = Buffer.from(
  Array.from({ length: 4000 }, (_, i) => `record-${i % 50} value-${i % 7}`).join('\n'),
)

/** The records section of a RecordBatch v2: after the 61-byte header. */
const RECORDS_AT = 61

async function kafkajsBatch(compression: number): Promise<Buffer> {
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
    RecordBatch: (options: unknown) => Promise<{ buffer: Buffer }>
  }
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (options: unknown) => unknown
  const records = Array.from({ length: 20 }, (_, i) =>
    Record({ offsetDelta: i, key: `key-${i}`, value: `value-${i}`.repeat(5), headers: { h: 'x' } }),
  )
  const encoder = await RecordBatch({ compression, records, firstTimestamp: 1, maxTimestamp: 2 })
  return encoder.buffer
}

describe('compression of record batches', () => {
  it("gzip: KafkaJS's compressed batch decompresses to its uncompressed records, byte for byte", async () => {
    const plain = await kafkajsBatch(CompressionCodec.None)
    const gzipped = await kafkajsBatch(CompressionCodec.Gzip)
    expect(gzipped.readInt16BE(21) & 0x07).toBe(CompressionCodec.Gzip)
    expect(plain.readInt32BE(57)).toBe(20)
    const records = await decompress(CompressionCodec.Gzip, gzipped.subarray(RECORDS_AT))
    // The uncompressed batch carries the same records section after its record count.
    expect(records).toEqual(plain.subarray(RECORDS_AT))
  })

  it('snappy: raw and xerial-framed known vectors from the format descriptions', async () => {
    // Raw snappy: length 12, a 4-byte literal "abcd", a copy of 8 bytes at offset 4.
    const raw = Buffer.from([0x0c, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x11, 0x04])
    expect((await decompress(CompressionCodec.Snappy, raw)).toString()).toBe('abcdabcdabcd')
    // snappy-java's framing: magic, version 1, compatible version 1, then length-prefixed raw blocks.
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1])
    const xerial = Buffer.concat([header, Buffer.from([0, 0, 0, 8]), raw, Buffer.from([0, 0, 0, 8]), raw])
    expect((await decompress(CompressionCodec.Snappy, xerial)).toString()).toBe('abcdabcdabcd'.repeat(2))
    const ours = await compress(CompressionCodec.Snappy, referenceText)
    expect(ours.subarray(0, 16)).toEqual(header)
    expect(ours.length).toBeLessThan(referenceText.length / 3)
    expect(await decompress(CompressionCodec.Snappy, ours)).toEqual(referenceText)
  })

  it('lz4: frames from the reference lz4 tool (dependent blocks, checksums, content size)', async () => {
    for (const name of ['dependent-blocks-checksums.lz4', 'content-size.lz4']) {
      expect(await decompress(CompressionCodec.Lz4, vector(name))).toEqual(referenceText)
    }
    expect(xxhash32(Buffer.alloc(0))).toBe(0x02cc5d05)
    expect(xxhash32(Buffer.from('abc'))).toBe(0x32d153ff)
    expect(xxhash32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f)
  })

  it('lz4: our frames decode in the reference format and compress repetitive data', () => {
    const random = prng(3)
    const inputs = [
      Buffer.alloc(0),
      Buffer.from('a'),
      Buffer.alloc(200_000, 7),
      referenceText,
      Buffer.from(Array.from({ length: 70_000 }, () => Math.floor(random() * 256))),
    ]
    for (const input of inputs) {
      const frame = lz4Compress(input)
      // Kafka's header: FLG version 01 with independent blocks, BD of 64 KiB blocks.
      expect([...frame.subarray(0, 6)]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40])
      expect(Buffer.from(lz4Decompress(frame, 1 << 20))).toEqual(input)
    }
    // About the ratio of the reference tool at its default (fast) level.
    expect(lz4Compress(referenceText).length).toBeLessThan(referenceText.length / 2.5)
  })

  it('zstd: frames from the reference zstd tool, streamed without content size, and several frames', async () => {
    expect(await decompress(CompressionCodec.Zstd, vector('level19.zst'))).toEqual(referenceText)
    expect(await decompress(CompressionCodec.Zstd, vector('streamed.zst'))).toEqual(referenceText)
    const two = await decompress(CompressionCodec.Zstd, vector('two-frames.zst'))
    expect(two).toEqual(Buffer.concat([referenceText, referenceText]))
    const ours = await compress(CompressionCodec.Zstd, referenceText)
    expect(ours.readUInt32LE(0)).toBe(0xfd2fb528)
    expect(await decompress(CompressionCodec.Zstd, ours)).toEqual(referenceText)
  })

  it('every codec round-trips, and codec 0 is the identity', async () => {
    for (const codec of [0, 1, 2, 3, 4]) {
      const data = Buffer.from(referenceText)
      expect(await decompress(codec, await compress(codec, data))).toEqual(data)
    }
  })

  it('output past maxBytes is MESSAGE_TOO_LARGE; corrupt data is CORRUPT_MESSAGE; unknown codecs too', async () => {
    const big = Buffer.alloc(4 << 20)
    for (const codec of [1, 2, 3, 4]) {
      const compressed = await compress(codec, big)
      const error = await decompress(codec, compressed, { maxBytes: 1 << 20 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(LogbusError)
      expect((error as LogbusError).code).toBe('MESSAGE_TOO_LARGE')
      const corrupt = Buffer.from(compressed)
      for (let i = 0; i < corrupt.length; i += 3) corrupt[i]! ^= 0x5a
      const bad = await decompress(codec, corrupt, { maxBytes: 8 << 20 }).catch((e: unknown) => e)
      expect(bad).toBeInstanceOf(LogbusError)
      expect((bad as LogbusError).code).toMatch(/CORRUPT_MESSAGE|MESSAGE_TOO_LARGE/)
    }
    await expect(decompress(5, Buffer.alloc(1))).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' })
    await expect(compress(7, Buffer.alloc(1))).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' })
  })

  it('mutated lz4, snappy and zstd input fails with our error, never another', async () => {
    const random = prng(11)
    const seeds = await Promise.all(
      [2, 3, 4].map(async (codec) => [codec, await compress(codec, referenceText)] as const),
    )
    for (let i = 0; i < 600; i++) {
      const [codec, seed] = seeds[i % seeds.length]!
      const input = Buffer.from(seed.subarray(0, Math.floor(random() * seed.length) + 1))
      for (let flips = 0; flips < 3; flips++) input[Math.floor(random() * input.length)]! ^= 1 << (i % 8)
      const result = await decompress(codec, input, { maxBytes: 1 << 20 }).catch((e: unknown) => e)
      if (!Buffer.isBuffer(result)) expect(result).toBeInstanceOf(LogbusError)
    }
  })
})

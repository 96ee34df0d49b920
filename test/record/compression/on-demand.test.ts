import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  CompressionCodec,
  codecLoaded,
  codecsLoadOnDemand,
  decompressSync,
} from '../../../src/record/compression/compression'

// A file of its own: the codecs are module state, and nothing here may load them before the test does.
const require = createRequire(import.meta.url)

/** The input the reference `zstd` tool compressed into ./vectors. */
const referenceText = Buffer.from(
  Array.from({ length: 4000 }, (_, i) => `record-${i % 50} value-${i % 7}`).join('\n'),
)

describe('codecs loaded at their first use', () => {
  it('decompressSync loads gzip, snappy and zstd itself on Node 20.16+, with nothing loaded before', () => {
    expect(codecsLoadOnDemand()).toBe(true)
    for (const codec of [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Zstd]) {
      expect(codecLoaded(codec)).toBe(false)
    }
    const snappy = require('snappyjs') as { compress(input: Uint8Array): Uint8Array }
    expect(decompressSync(CompressionCodec.Gzip, gzipSync(referenceText))).toEqual(referenceText)
    expect(decompressSync(CompressionCodec.Snappy, Buffer.from(snappy.compress(referenceText)))).toEqual(
      referenceText,
    )
    const zstd = readFileSync(new URL('./vectors/level19.zst', import.meta.url))
    expect(decompressSync(CompressionCodec.Zstd, zstd)).toEqual(referenceText)
    for (const codec of [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Zstd]) {
      expect(codecLoaded(codec)).toBe(true)
    }
  })
})

import { describe, expect, it } from 'vitest'
import { JsonObjectSplitter } from '../../../src/http/rest/json-stream'

/** Splits `text` as bytes cut every `size` bytes, wherever that falls (inside a character too). */
function split(text: string, size: number): string[] {
  const bytes = Buffer.from(text)
  const splitter = new JsonObjectSplitter(1 << 20)
  const out: string[] = []
  for (let at = 0; at < bytes.length; at += size) out.push(...splitter.push(bytes.subarray(at, at + size)))
  splitter.end()
  return out
}

describe('JsonObjectSplitter', () => {
  const objects = [
    { value: { type: 'STRING', data: 'plain' } },
    { value: { type: 'STRING', data: 'café ☕ 𝄞, braces } { and "quotes" \\ inside' } },
    { key: { type: 'JSON', data: { nested: { deeper: [1, { a: '}' }] } } } },
  ]
  const text = objects.map((o) => JSON.stringify(o)).join('\n')

  it('gives the text of each object, whatever the chunk boundaries, ASCII or not', () => {
    for (const size of [1, 2, 3, 5, 7, 64, text.length * 4]) {
      expect(
        split(text, size).map((t) => JSON.parse(t) as unknown),
        `chunks of ${size}`,
      ).toEqual(objects)
    }
  })

  it('refuses what is not an object between objects, an object cut short, and one too large', () => {
    expect(() => split('{"a":1} x', 4)).toThrow(/Unexpected character 'x'/)
    expect(() => split('{"a":1}{"b":', 4)).toThrow(/cut short/)
    const small = new JsonObjectSplitter(8)
    expect(() => small.push(Buffer.from('{"value":"more than eight bytes"'))).toThrow(/larger than 8 bytes/)
  })
})

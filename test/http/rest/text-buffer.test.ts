import { describe, expect, it } from 'vitest'
import { sharedTextBuffer, TextBuffer } from '../../../src/http/rest/text-buffer'

describe('TextBuffer', () => {
  it('writes constants, integers and UTF-8 text, growing past its first capacity', () => {
    const text = new TextBuffer(4)
    const pieces: string[] = []
    for (const n of [0, 7, 10, 99, 12345, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      text.put(Buffer.from('{"n":')).int(n).byte(0x2c).text('"ünï 🙂"').byte(0x7d)
      pieces.push(`{"n":${n},"ünï 🙂"}`)
    }
    expect(text.bytes().toString('utf8')).toBe(pieces.join(''))
  })

  it('empties for reuse, reads out as text, and goes back to its kept size after a large answer', () => {
    const text = new TextBuffer(4)
    text.text('x'.repeat(100_000))
    expect(text.clear(1024).text('ünï').toString()).toBe('ünï')
    expect(text.bytes().buffer.byteLength).toBeLessThan(100_000)
    const shared = sharedTextBuffer().text('a')
    expect(sharedTextBuffer()).toBe(shared)
    expect(shared.toString()).toBe('')
  })
})

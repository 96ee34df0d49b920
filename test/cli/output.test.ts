import { PassThrough, Writable } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Output } from '../../src/cli/output'
import { Progress } from '../../src/cli/progress'

/** A stream that collects what it is given. */
function sink(isTTY: boolean): Writable & { isTTY: boolean; text(): string } {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk))
      done()
    },
  }) as Writable & { isTTY: boolean; text(): string }
  stream.isTTY = isTTY
  stream.text = () => Buffer.concat(chunks).toString('utf8')
  return stream
}

describe('Output', () => {
  it('gathers writes into chunks and keeps their order across a full stream', async () => {
    const pipe = new PassThrough({ highWaterMark: 1024 })
    const out = new Output(pipe)
    const received: Buffer[] = []
    pipe.on('data', (chunk: Buffer) => received.push(chunk))
    const expected: string[] = []
    // 4 MiB through a stream that holds 1 KiB: every chunk written fills it, and waits for its drain.
    for (let i = 0; i < 200_000; i++) {
      out.text(`line ${i} `)
      out.bytes(Buffer.from('ünïcödé'))
      out.byte(10)
      expected.push(`line ${i} ünïcödé\n`)
      if (i % 5_000 === 0) await out.maybeFlush()
    }
    await out.flush()
    expect(Buffer.concat(received).toString('utf8')).toBe(expected.join(''))
  })
})

describe('Progress', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('draws a rate line on a terminal, and clears it when done', () => {
    vi.useFakeTimers()
    const tty = sink(true)
    const progress = new Progress(tty, 'records')
    progress.add(1500)
    vi.advanceTimersByTime(300)
    progress.done()
    const clear = '\r\u001b[K'
    const text = tty.text()
    expect(text.startsWith(`${clear}1,500 records  `)).toBe(true)
    expect(text).toMatch(/records\/s/)
    expect(text.endsWith(clear)).toBe(true)
  })

  it('writes nothing when stderr is not a terminal (piped, scripted)', () => {
    vi.useFakeTimers()
    const piped = sink(false)
    const progress = new Progress(piped, 'records')
    progress.add(10)
    vi.advanceTimersByTime(1_000)
    progress.done()
    expect(piped.text()).toBe('')
  })
})

import { appendFileSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Bus, MemoryStorage } from 'logbus'
import { describe, expect, it } from 'vitest'
import { openBus, waitUntil } from '../support/bus'
import { openWorker, tempDir, topicLines } from './support'

const source = (file: string, extra: Record<string, string | number> = {}) => ({
  name: 'lines-in',
  config: {
    'connector.class': 'FileStreamSource',
    file,
    topic: 'lines',
    'value.converter': 'string',
    'poll.interval.ms': 5,
    ...extra,
  },
})

const sink = (file: string) => ({
  name: 'lines-out',
  config: { 'connector.class': 'FileStreamSink', file, topics: 'lines', 'value.converter': 'string' },
})

describe('file source and file sink', () => {
  it('move a file through a topic into another file, byte for byte', async () => {
    const dir = tempDir()
    const input = join(dir, 'in.txt')
    const output = join(dir, 'out.txt')
    const lines = Array.from({ length: 6000 }, (_, i) =>
      i % 1000 === 7
        ? 'x'.repeat(150_000)
        : i % 97 === 0
          ? ''
          : `line ${i} — ünïcödé ✓ ${'#'.repeat(i % 40)}`,
    )
    writeFileSync(input, `${lines.join('\n')}\n`)
    const bus = await openBus({ autoCreateTopics: true })
    const { worker, until } = await openWorker(bus, { offsetFlushIntervalMs: 50 })
    await worker.createConnector(source(input))
    await worker.createConnector(sink(output))
    await until('lines-out', lines.length)
    await worker.close()
    expect(readFileSync(output).equals(readFileSync(input))).toBe(true)
  })

  it('a restarted source resumes exactly at the stored byte offset', async () => {
    const dir = tempDir()
    const input = join(dir, 'in.txt')
    writeFileSync(input, Array.from({ length: 1000 }, (_, i) => `a${i}\n`).join(''))
    const storage = new MemoryStorage()
    const first = await Bus.open({ storage, autoCreateTopics: true })
    const run1 = await openWorker(first)
    await run1.worker.createConnector(source(input))
    await run1.until('lines-in', 1000)
    await run1.worker.close() // stores the offset of the last line written
    const stored = run1.worker.offsets('lines-in')
    expect(stored).toEqual([
      {
        partition: { filename: input },
        offset: { position: readFileSync(input).length, ino: expect.any(String) },
      },
    ])
    await first.close()

    appendFileSync(input, Array.from({ length: 500 }, (_, i) => `b${i}\n`).join(''))
    const second = await Bus.open({ storage, autoCreateTopics: true })
    const run2 = await openWorker(second)
    await run2.worker.createConnector(source(input))
    await run2.until('lines-in', 500)
    await run2.worker.close()
    expect(await topicLines(second, 'lines')).toEqual([
      ...Array.from({ length: 1000 }, (_, i) => `a${i}`),
      ...Array.from({ length: 500 }, (_, i) => `b${i}`),
    ])
    await second.close()
  })

  it('holds back an unfinished last line until its newline arrives; \\r\\n ends a line too', async () => {
    const dir = tempDir()
    const input = join(dir, 'in.txt')
    writeFileSync(input, 'one\r\ntw')
    const bus = await openBus({ autoCreateTopics: true })
    const { worker, until, totals } = await openWorker(bus)
    await worker.createConnector(source(input))
    await until('lines-in', 1)
    expect(await topicLines(bus, 'lines')).toEqual(['one'])
    appendFileSync(input, 'o\nthree')
    await until('lines-in', 2)
    expect(totals.get('lines-in')).toBe(2)
    expect(await topicLines(bus, 'lines')).toEqual(['one', 'two'])
  })

  it('starts over when the file is truncated, and follows a rotation to the new file', async () => {
    const dir = tempDir()
    const input = join(dir, 'app.log')
    writeFileSync(input, 'old 1\nold 2\n')
    const bus = await openBus({ autoCreateTopics: true })
    const { worker, until } = await openWorker(bus)
    await worker.createConnector(source(input))
    await until('lines-in', 2)
    truncateSync(input, 0)
    // Shorter than what was read: a copytruncate rotation; read again from the start.
    writeFileSync(input, 'new\n')
    await until('lines-in', 3)
    appendFileSync(input, 'unfinished')
    renameSync(input, `${input}.1`)
    writeFileSync(input, 'fresh 1\nfresh 2\n')
    await until('lines-in', 6)
    expect(await topicLines(bus, 'lines')).toEqual([
      'old 1',
      'old 2',
      'new',
      'unfinished',
      'fresh 1',
      'fresh 2',
    ])
    await worker.close()
    expect(worker.offsets('lines-in')[0]!.offset).toMatchObject({ position: 16 })
  })

  it('waits for a file that does not exist yet', async () => {
    const dir = tempDir()
    const input = join(dir, 'later.txt')
    const bus = await openBus({ autoCreateTopics: true })
    const { worker, until } = await openWorker(bus)
    await worker.createConnector(source(input))
    expect(worker.status('lines-in').tasks[0]!.state).toBe('RUNNING')
    writeFileSync(input, 'here\n')
    await until('lines-in', 1)
    await waitUntil(() => bus.listTopics().includes('lines'))
    expect(await topicLines(bus, 'lines')).toEqual(['here'])
  })
})

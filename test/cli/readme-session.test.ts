import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { cliBin, logbus, scratch } from './support'

/** The commands of the first shell block of README.md's "Tools" section, as they are written there. */
function readmeSession(): string[][] {
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('\n## Tools\n'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
  if (block === undefined) throw new Error('README.md has no shell block under "## Tools"')
  return block
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const words = line.trim().split(/\s+/)
      if (words[0] !== 'npx' || words[1] !== 'logbus') throw new Error(`not a logbus command: ${line}`)
      return words.slice(2)
    })
}

// A dozen processes in a row, a few hundred ms each on a loaded machine.
vi.setConfig({ testTimeout: 120_000 })

beforeAll(() => {
  cliBin()
}, 240_000)

describe('README "Tools" session', () => {
  it('runs command by command from a fresh directory, each exiting 0 with what the README says it shows', async () => {
    const session = readmeSession()
    expect(session.length).toBeGreaterThanOrEqual(6)
    const cwd = scratch()
    const outputs: string[] = []
    for (const args of session) {
      const run = await logbus(args, { cwd })
      expect(run.code, `logbus ${args.join(' ')}: ${run.stderr}`).toBe(0)
      outputs.push(run.out)
    }
    const output = (command: string) =>
      outputs[session.findIndex((args) => args.join(' ').startsWith(command))]!
    expect(output('topics create')).toContain('Created topic pageviews')
    const consumed = output('consume')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(consumed).toHaveLength(5)
    expect(consumed[0]).toMatchObject({ topic: 'pageviews', offset: expect.any(Number) })
    expect(output('groups describe')).toMatch(/report +pageviews +0/)
    expect(output('dump-log')).toMatch(/^pageviews-0 baseOffset: 0 /)
    expect(output('verify')).toMatch(/OK\n$/)
    // The last reset ran with --execute: the group is back at the start of every partition.
    const described = await logbus(
      ['groups', 'describe', '--dir', join(cwd, 'data'), '--group', 'report', '--json'],
      { cwd },
    )
    const partitions = JSON.parse(described.out).partitions as { currentOffset: number; lag: number }[]
    expect(partitions.map((p) => p.currentOffset)).toEqual([0, 0, 0])
    expect(partitions.reduce((n, p) => n + p.lag, 0)).toBe(2000)
  })
})

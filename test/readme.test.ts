import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Block,
  extractBlocks,
  linkSources,
  type ModulesRoot,
  readmeBlocks,
  runBlock,
  typecheckBlocks,
} from '../scripts/readme-blocks'

const blocks = readmeBlocks()
const programs = blocks.filter((block) => block.runAs !== undefined && block.skipReason === undefined)
const skipped = blocks.filter((block) => block.runAs !== undefined && block.skipReason !== undefined)

let root: ModulesRoot
beforeAll(() => {
  root = linkSources()
})
afterAll(() => root.dispose())

describe('README.md code blocks, against the sources', () => {
  it('are programs, with rare exceptions', () => {
    expect(programs.length).toBeGreaterThan(0)
    expect(skipped.length, 'more than one block in five is marked not-a-program').toBeLessThanOrEqual(
      Math.floor(programs.length / 5),
    )
  })

  it.each(programs.map((block) => [block.line, block] as const))(
    'the block at README.md:%i runs on this Node and exits by itself',
    async (_, block) => {
      const { failure } = await runBlock(block, root)
      expect(failure).toBeUndefined()
    },
    60_000,
  )

  it('type-check', async () => {
    expect(await typecheckBlocks(programs, root)).toBe('')
  }, 300_000)
})

describe('the README harness', () => {
  const block = (code: string, runAs: Block['runAs'] = 'mts'): Block => ({
    line: 1,
    language: 'ts',
    code,
    runAs,
    skipReason: undefined,
  })

  it('runs ts/js/cjs blocks, marks skipped ones and leaves shell and text alone', () => {
    const found = extractBlocks(
      [
        '```sh',
        'npm test',
        '```',
        '<!-- not-a-program: a line of a jest test -->',
        '```ts',
        "jest.mock('kafkajs')",
        '```',
        '```js',
        'console.log(1)',
        '```',
        '```cjs',
        "require('logbus')",
        '```',
        '```text',
        'data/',
        '```',
      ].join('\n'),
    )
    expect(found.map(({ line, runAs, skipReason }) => ({ line, runAs, skipReason }))).toEqual([
      { line: 1, runAs: undefined, skipReason: undefined },
      { line: 5, runAs: 'mts', skipReason: 'a line of a jest test' },
      { line: 8, runAs: 'mjs', skipReason: undefined },
      { line: 11, runAs: 'cjs', skipReason: undefined },
      { line: 14, runAs: undefined, skipReason: undefined },
    ])
    expect(found[2]!.code).toBe('console.log(1)\n')
  })

  it('rejects an untagged fence, a marker without a reason and a marker before no fence', () => {
    expect(() => extractBlocks('```\ncode\n```')).toThrow('README.md:1: a fence needs a language')
    expect(() => extractBlocks('<!-- not-a-program: -->\n```ts\nx\n```')).toThrow('needs a reason')
    expect(() => extractBlocks('<!-- not-a-program: why -->\ntext\n```ts\nx\n```')).toThrow(
      'must be right before a fence',
    )
  })

  it('fails TypeScript whose syntax this Node lacks once types are erased, although tsx would downlevel it', async () => {
    const usingDeclaration = block('await using x = { async [Symbol.asyncDispose]() {} }\nconsole.log(x)\n')
    const { failure } = await runBlock(usingDeclaration, root)
    expect(failure).toMatch(/^is not valid syntax for Node/)
  }, 60_000)

  it('fails a block that throws', async () => {
    const { failure } = await runBlock(
      block("import { Bus } from 'logbus'\nBus.open({ bad: 1 } as never)\n"),
      root,
    )
    expect(failure).toMatch(/^exited with 1\n[\s\S]*Invalid option/)
  }, 60_000)

  it('fails a block that does not exit by itself', async () => {
    const { failure } = await runBlock(block('setInterval(() => {}, 1000)\n', 'mjs'), root, 2_000)
    expect(failure).toMatch(/^did not exit within 2000 ms/)
  }, 60_000)

  it('resolves logbus and its subpaths to the sources, from CommonJS too', async () => {
    const code = [
      "const { Bus, LogbusError } = require('logbus')",
      "const { FileStorage } = require('logbus/file')",
      "const { Kafka } = require('logbus/kafkajs')",
      'console.log(typeof Bus, typeof LogbusError, typeof FileStorage, typeof Kafka)',
    ].join('\n')
    const { failure, stdout } = await runBlock(block(code, 'cjs'), root)
    expect(failure).toBeUndefined()
    expect(stdout).toBe('function function function function\n')
  }, 60_000)
})

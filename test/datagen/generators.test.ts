import { InvalidConfigError } from 'logbus'
import {
  compileRegex,
  datagen,
  defineQuickstart,
  fields,
  OPEN_REPEAT_LIMIT,
  SeededRandom,
} from 'logbus/datagen'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { chiSquareCritical, chiSquareUniform, counts, share } from './stats'

describe('SeededRandom', () => {
  it('gives the same stream for the same seed, and a different one for another seed', () => {
    const draw = (seed: number | string) => {
      const random = new SeededRandom(seed)
      return Array.from({ length: 50 }, () => random.uint32())
    }
    expect(draw(42)).toEqual(draw(42))
    expect(draw('pageviews')).toEqual(draw('pageviews'))
    expect(draw(42)).not.toEqual(draw(43))
    expect(draw(2 ** 40)).not.toEqual(draw(0))
  })

  it('continues exactly from a saved state', () => {
    const random = new SeededRandom(7)
    for (let i = 0; i < 10; i++) random.next()
    const copy = SeededRandom.fromState(random.state())
    expect(Array.from({ length: 20 }, () => copy.next())).toEqual(
      Array.from({ length: 20 }, () => random.next()),
    )
  })

  it('draws integers in [min, max) uniformly, floats in [min, max)', () => {
    const random = new SeededRandom(1)
    const ints = Array.from({ length: 30_000 }, () => random.int(-3, 7))
    expect(Math.min(...ints)).toBe(-3)
    expect(Math.max(...ints)).toBe(6)
    expect(chiSquareUniform(counts(ints), [-3, -2, -1, 0, 1, 2, 3, 4, 5, 6])).toBeLessThan(
      chiSquareCritical(9),
    )
    const wide = Array.from({ length: 1000 }, () => random.int(0, 2 ** 40))
    expect(wide.every((n) => Number.isInteger(n) && n >= 0 && n < 2 ** 40)).toBe(true)
    const floats = Array.from({ length: 1000 }, () => random.float(0.1, 10))
    expect(floats.every((f) => f >= 0.1 && f < 10)).toBe(true)
  })

  it('rejects bad seeds, ranges and states with InvalidConfigError', () => {
    expect(() => new SeededRandom(1.5)).toThrow(InvalidConfigError)
    expect(() => new SeededRandom(1).int(5, 5)).toThrow(InvalidConfigError)
    expect(() => SeededRandom.fromState([0, 0, 0, 0])).toThrow(InvalidConfigError)
    expect(() => SeededRandom.fromState([1, 2, 3] as never)).toThrow(InvalidConfigError)
  })
})

describe('compileRegex', () => {
  const many = (pattern: string, n = 2000) => {
    const generator = compileRegex(pattern)
    const random = new SeededRandom(99)
    return Array.from({ length: n }, () => generator.generate(random))
  }

  it.each([
    'User_[1-9]',
    'Page_[1-9][0-9]?',
    'Item_[1-9][0-9]{0,2}',
    'City_[1-9]{0,2}',
    '[A-Z]{3}-\\d{2,4}',
    '(foo|ba[rz])+\\.txt',
    '(?:a|b|c)*x',
    '^\\w{5}$',
    '[^0-9]{3}',
    '\\u0041\\x42[\\-_.]',
    'a.c',
    '\\s\\S\\D\\W',
  ])('every string it makes for /%s/ matches the pattern', (pattern) => {
    const check = new RegExp(pattern.startsWith('^') ? pattern : `^(?:${pattern})$`)
    for (const text of many(pattern, 500)) expect(text).toMatch(check)
  })

  it('draws each alternative, class member and repetition count equally often', () => {
    const values = many('[a-d]', 8000)
    expect(chiSquareUniform(counts(values), ['a', 'b', 'c', 'd'])).toBeLessThan(chiSquareCritical(3))
    const lengths = many('x{2,5}', 8000).map((s) => s.length)
    expect(chiSquareUniform(counts(lengths), [2, 3, 4, 5])).toBeLessThan(chiSquareCritical(3))
    const branches = many('one|two|three', 6000)
    expect(chiSquareUniform(counts(branches), ['one', 'two', 'three'])).toBeLessThan(chiSquareCritical(2))
  })

  it('bounds open quantifiers at the minimum plus OPEN_REPEAT_LIMIT', () => {
    const lengths = many('a+').map((s) => s.length)
    expect(Math.min(...lengths)).toBe(1)
    expect(Math.max(...lengths)).toBe(1 + OPEN_REPEAT_LIMIT)
    expect(Math.max(...many('b{3,}').map((s) => s.length))).toBe(3 + OPEN_REPEAT_LIMIT)
  })

  it.each([
    ['(a', 'missing )'],
    ['[a-', 'missing ]'],
    ['*a', 'nothing to repeat'],
    ['a**', 'cannot follow'],
    ['(a)\\1', 'back-references'],
    ['(?=a)', 'only (?: ) groups'],
    ['[z-a]', 'out of order'],
    ['\\p{L}', 'not supported'],
    ['a^b', 'only supported at the start or end'],
  ])('rejects /%s/ with InvalidConfigError (%s)', (pattern, reason) => {
    expect(() => compileRegex(pattern)).toThrow(InvalidConfigError)
    expect(() => compileRegex(pattern)).toThrow(reason)
  })
})

describe('fields', () => {
  const run = <T>(field: { generate: (c: { random: SeededRandom; iteration: number }) => T }, n = 10_000) => {
    const random = new SeededRandom(5)
    return Array.from({ length: n }, (_, iteration) => field.generate({ random, iteration }))
  }

  it('nullable is null at its rate (0.5 by default: a union with null), boolean true at its odds', () => {
    expect(share(run(fields.nullable(fields.constant(1))), (v) => v === null)).toBeCloseTo(0.5, 1)
    expect(share(run(fields.nullable(fields.constant(1), 0.1)), (v) => v === null)).toBeCloseTo(0.1, 1)
    expect(share(run(fields.boolean(0.9)), (v) => v)).toBeCloseTo(0.9, 1)
  })

  it('iteration starts at initial, steps, and wraps at restart back to start', () => {
    expect(run(fields.iteration({ start: 0 }), 4)).toEqual([0, 1, 2, 3])
    expect(run(fields.iteration({ start: 1, step: 10 }), 3)).toEqual([1, 11, 21])
    expect(run(fields.iteration({ start: 0, restart: 3 }), 7)).toEqual([0, 1, 2, 0, 1, 2, 0])
    expect(run(fields.iteration({ start: 0, restart: 10, initial: 7, step: 2 }), 8)).toEqual([
      7, 9, 0, 2, 4, 6, 8, 0,
    ])
    expect(run(fields.iteration({ start: 5, restart: 2 }), 5)).toEqual([5, 4, 3, 5, 4])
    expect(() => fields.iteration({ start: 1, restart: 1 })).toThrow(InvalidConfigError)
    expect(() => fields.iteration({ start: 0, step: -1, restart: 5 })).toThrow(InvalidConfigError)
  })

  it('rejects empty options, bad ranges and non-fields in a record', () => {
    expect(() => fields.options([])).toThrow(InvalidConfigError)
    expect(() => fields.int({ min: 3, max: 3 })).toThrow(InvalidConfigError)
    expect(() => fields.double({ min: 1, max: Number.NaN })).toThrow(InvalidConfigError)
    expect(() => fields.record({ a: 1 } as never)).toThrow(InvalidConfigError)
  })
})

describe('datagen()', () => {
  it('gives the same records for the same seed, different ones for another seed', () => {
    const first = datagen({ quickstart: 'orders', seed: 42, iterations: 100 }).take(100)
    const again = [...datagen({ quickstart: 'orders', seed: 42, iterations: 100 })]
    expect(again).toEqual(first)
    expect(datagen({ quickstart: 'orders', seed: 43, iterations: 100 }).take(100)).not.toEqual(first)
  })

  it('stops after iterations records, and a resumed stream continues exactly where the saved one was', () => {
    const whole = datagen({ quickstart: 'users', seed: 'resume', iterations: 30 }).take(100)
    expect(whole).toHaveLength(30)
    const head = datagen({ quickstart: 'users', seed: 'resume', iterations: 30 })
    const firstTen = head.take(10)
    const rest = datagen({ quickstart: 'users', resume: head.state(), iterations: 30 })
    expect(rest.iteration).toBe(10)
    expect([...firstTen, ...rest]).toEqual(whole)
  })

  it('is an async iterable too', async () => {
    const out: string[] = []
    for await (const { key } of datagen({ quickstart: 'pageviews', seed: 1, iterations: 3 })) out.push(key)
    expect(out).toEqual(['1', '11', '21'])
  })

  it('keys records by another field on request, and refuses a field the quickstart does not have', () => {
    const [first] = datagen({ quickstart: 'pageviews', seed: 1, iterations: 1, keyField: 'userid' })
    expect(first!.key).toBe(first!.value.userid)
    expect(() => datagen({ quickstart: 'pageviews', keyField: 'nope' })).toThrow(InvalidConfigError)
    expect(() => datagen({ quickstart: 'nope' as never })).toThrow('unknown quickstart "nope"')
  })

  it('runs a quickstart of your own, typed by its definition', () => {
    const sensors = defineQuickstart({
      name: 'sensors',
      keyField: 'id',
      value: fields.record({ id: fields.regex('S[0-9]{3}'), reading: fields.double({ min: 0, max: 1 }) }),
      schema: z.object({ id: z.string(), reading: z.number() }),
    })
    const records = datagen({ quickstart: sensors, seed: 3, iterations: 50 }).take(50)
    expect(records.every((r) => /^S\d{3}$/.test(r.key) && r.value.reading >= 0 && r.value.reading < 1)).toBe(
      true,
    )
  })
})

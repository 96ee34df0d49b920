import { describe, expect, it } from 'vitest'
import { type JsonFormatRecord, readJsonFormatRecords } from '../../../src/http/rest/json-records'

/** What the JSON.parse path stores for a v2 JSON-format body: each key and value through JSON.stringify. */
function reference(text: string): Array<{ key: string | null; value: string | null; partition: unknown }> {
  const body = JSON.parse(text) as { records: Array<Record<string, unknown>> }
  return body.records.map((r) => ({
    key: r.key === null || r.key === undefined ? null : JSON.stringify(r.key),
    value: r.value === null || r.value === undefined ? null : JSON.stringify(r.value),
    partition: r.partition ?? undefined,
  }))
}

const asText = (records: JsonFormatRecord[]) =>
  records.map((r) => ({
    key: r.key === null ? null : r.key.toString(),
    value: r.value === null ? null : r.value.toString(),
    partition: r.partition,
  }))

/** A small seeded generator (mulberry32), so that a failure names its seed. */
function generator(seed: number) {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!
  const space = () => (int(6) === 0 ? pick([' ', '\n', '\t', '\r\n  ']) : '')
  const numbers = [
    '0',
    '-0',
    '7',
    '-12',
    '123456789012345',
    '1234567890123456',
    '12345678901234567890',
    '1.5',
    '1.0',
    '2e3',
    '1E-2',
    '-0.0',
    '0.1',
    '1e400',
    '3.14159',
    '1.25',
    '1e21',
    '1e+21',
    '5e-324',
    '0.000001',
    '1e-7',
    '0.0000001',
    '0.00000123',
    '-0.5',
    '1234.5678',
    '0.1000000000000001',
    '123456789.123456',
    '12345678.1234567',
    '100',
    '0.50',
  ]
  const strings = [
    '"a"',
    '""',
    '"text 1"',
    '"\\n"',
    '"\\u0041"',
    '"\\"q\\""',
    '"\\/"',
    '"\\ud83d\\ude00"',
    '"\\ud800"',
    '"tab\\there"',
    '"1"',
    '"__proto__"',
  ]
  const keys = ['"a"', '"b"', '"1"', '"10"', '"01"', '"x y"', '"\\u0062"', '"__proto__"', '"a"']
  const value = (depth: number): string => {
    const kind = depth > 3 ? int(4) : int(7)
    if (kind === 0) return pick(numbers)
    if (kind === 1) return pick(strings)
    if (kind === 2) return pick(['true', 'false', 'null'])
    if (kind === 3) return pick(numbers)
    if (kind === 4) {
      const n = int(4)
      return `[${space()}${Array.from({ length: n }, () => value(depth + 1)).join(`${space()},${space()}`)}${space()}]`
    }
    const n = int(5)
    const fields = Array.from({ length: n }, () => `${pick(keys)}${space()}:${space()}${value(depth + 1)}`)
    return `{${space()}${fields.join(`${space()},${space()}`)}${space()}}`
  }
  const record = (): string => {
    const fields: string[] = []
    if (int(5) > 0) fields.push(`"key":${space()}${int(4) === 0 ? 'null' : value(0)}`)
    if (int(6) > 0) fields.push(`"value":${space()}${int(6) === 0 ? 'null' : value(0)}`)
    if (int(4) === 0)
      fields.push(`"partition":${space()}${pick(['0', '1', 'null', '2', '1.0', '-1', '1e0', '-0', '1e400'])}`)
    if (int(8) === 0) fields.push(`"other":${space()}${value(0)}`)
    if (int(10) === 0) fields.push(`"key":${space()}${value(0)}`)
    return `{${space()}${fields.join(`${space()},${space()}`)}${space()}}`
  }
  const body = (): string => {
    const records = Array.from({ length: int(6) }, record)
    const fields = [
      `"records"${space()}:${space()}[${space()}${records.join(`${space()},${space()}`)}${space()}]`,
    ]
    if (int(5) === 0) fields.unshift(`"value_schema_id":${space()}${value(0)}`)
    if (int(5) === 0) fields.push(`"key_schema":${space()}${value(0)}`)
    if (int(8) === 0) fields.push(`"k\\u0065y":${space()}${value(0)}`)
    if (int(10) === 0) fields.push(`"records":${space()}[${space()}${record()}${space()}]`)
    return `${space()}{${space()}${fields.join(`${space()},${space()}`)}${space()}}${space()}`
  }
  /** A body broken in one place: a byte cut, repeated or replaced. */
  const mutate = (text: string): string => {
    const at = int(text.length)
    const kind = int(3)
    if (kind === 0) return text.slice(0, at) + text.slice(at + 1)
    if (kind === 1) return text.slice(0, at) + text[at] + text.slice(at)
    return (
      text.slice(0, at) +
      pick(['{', '}', '[', ']', ',', ':', '"', '\\', 'x', '0', ' ', '\u0001']) +
      text.slice(at + 1)
    )
  }
  return { body, mutate, int }
}

describe('readJsonFormatRecords', () => {
  it('gives what JSON.parse and JSON.stringify give, for every body it reads', () => {
    let read = 0
    let left = 0
    for (let seed = 1; seed <= 3000; seed++) {
      const g = generator(seed)
      let text = g.body()
      if (g.int(3) === 0) text = g.mutate(text)
      const fast = readJsonFormatRecords(Buffer.from(text))
      let expected: ReturnType<typeof reference> | undefined
      try {
        expected = reference(text)
      } catch {
        expected = undefined
      }
      if (fast === undefined) {
        left++
        continue
      }
      read++
      // Whatever it reads, JSON.parse reads too, to the same keys, values and partitions.
      expect(expected, `seed ${seed}: ${text}`).toBeDefined()
      expect(asText(fast), `seed ${seed}: ${text}`).toEqual(expected)
    }
    // Both paths are exercised: most valid bodies are read here, and broken ones are left to JSON.parse.
    expect(read).toBeGreaterThan(1500)
    expect(left).toBeGreaterThan(500)
  })

  it('keeps canonical text as views of the body and prints the rest again', () => {
    const text =
      '{"records":[{"key":"k1","value":{"i":1,"text":"value 1"}},{"value":{ "a" : [1, 2.50] }},{"value":{"b":1,"a":2,"b":3}},{"value":{"b":1,"2":2}},{"key":null}, {"key": "a b", "value": {"id": 1, "tags": ["x y", "b"], "price": 1.25}}]}'
    const records = readJsonFormatRecords(Buffer.from(text))!
    expect(asText(records)).toEqual([
      { key: '"k1"', value: '{"i":1,"text":"value 1"}', partition: undefined },
      { key: null, value: '{"a":[1,2.5]}', partition: undefined },
      { key: null, value: '{"b":3,"a":2}', partition: undefined },
      { key: null, value: '{"2":2,"b":1}', partition: undefined },
      { key: null, value: null, partition: undefined },
      { key: '"a b"', value: '{"id":1,"tags":["x y","b"],"price":1.25}', partition: undefined },
    ])
    expect(Buffer.isBuffer(records[0]!.value)).toBe(true)
    expect(typeof records[1]!.value).toBe('string')
    // Python's separators (", " and ": ") and a float that prints back as written: no JSON.parse.
    expect(Buffer.isBuffer(records[5]!.value)).toBe(true)
  })

  it('leaves to JSON.parse what it does not read in full', () => {
    for (const text of [
      '',
      '[]',
      '{}',
      '{"records":{}}',
      '{"records":[1]}',
      '{"records":[{"partition":"1"}]}',
      '{"records":[]} x',
      '{"records":[{"value":"é"}]}',
      '{"rec\\u006frds":[]}',
      `{"records":[{"value":${'['.repeat(100)}${']'.repeat(100)}}]}`,
    ]) {
      expect(readJsonFormatRecords(Buffer.from(text)), text).toBeUndefined()
    }
    expect(readJsonFormatRecords(Buffer.from('{"records":[]}'))).toEqual([])
  })
})

/**
 * Each Single Message Transform and predicate against Kafka Connect's documented behaviour for
 * schemaless data (maps), configured through the same properties a connector configuration uses.
 */
import { InvalidConfigError, InvalidRecordError } from 'logbus'
import { type ConnectRecord, configReader, type SinkRecord } from 'logbus/connect'
import { describe, expect, it } from 'vitest'
import { buildTransformChain } from '../../src/connect/transforms/registry'

/** A chain of one transform `type` with `props`, as `transforms=t, transforms.t.*` would configure it. */
function chain(type: string, props: Record<string, string> = {}, extra: Record<string, string> = {}) {
  const config: Record<string, string> = { transforms: 't', 'transforms.t.type': type, ...extra }
  for (const [k, v] of Object.entries(props)) config[`transforms.t.${k}`] = v
  return buildTransformChain(configReader(config, 'connector.test'), 'connector.test')
}

const sink = (value: unknown, key: unknown = null, extra: Partial<SinkRecord> = {}): SinkRecord => ({
  topic: 'orders',
  partition: 2,
  offset: 41,
  timestamp: Date.UTC(2024, 5, 30, 23, 59, 58),
  key,
  value,
  headers: {},
  ...extra,
})
const source = (value: unknown): ConnectRecord & { sourcePartition: object; sourceOffset: object } => ({
  sourcePartition: { f: 1 },
  sourceOffset: { p: 1 },
  topic: 'lines',
  value,
})

describe('InsertField', () => {
  it('adds topic, partition, offset, timestamp and a static field to the value; ! and ? suffixes name the field', () => {
    const t = chain('org.apache.kafka.connect.transforms.InsertField$Value', {
      'topic.field': 'topic!',
      'partition.field': 'partition?',
      'offset.field': 'offset',
      'timestamp.field': 'ts',
      'static.field': 'source',
      'static.value': 'billing',
    })
    expect(t.apply(sink({ id: 1 }))!.value).toEqual({
      id: 1,
      topic: 'orders',
      partition: 2,
      offset: 41,
      ts: Date.UTC(2024, 5, 30, 23, 59, 58),
      source: 'billing',
    })
  })

  it('works on the key with $Key, passes tombstones through, and rejects non-maps', () => {
    expect(chain('InsertField$Key', { 'topic.field': 't' }).apply(sink('v', { k: 1 }))!.key).toEqual({
      k: 1,
      t: 'orders',
    })
    const record = sink(null)
    expect(chain('InsertField$Value', { 'topic.field': 't' }).apply(record)).toBe(record)
    expect(() => chain('InsertField$Value', { 'topic.field': 't' }).apply(sink('text'))).toThrow(
      'Only Map objects supported in absence of schema for [field insertion], found: string',
    )
  })

  it('offset.field needs a sink record, as in Kafka', () => {
    expect(() => chain('InsertField$Value', { 'offset.field': 'o' }).apply(source({ a: 1 }))).toThrow(
      InvalidRecordError,
    )
  })
})

describe('ReplaceField', () => {
  it('keeps include, drops exclude, renames, and keeps field order', () => {
    const value = { id: 1, name: 'Ada', password: 'x', uid: 'u1' }
    expect(
      chain('ReplaceField$Value', { exclude: 'password', renames: 'uid:user_id,name:full_name' }).apply(
        sink(value),
      )!.value,
    ).toEqual({
      id: 1,
      full_name: 'Ada',
      user_id: 'u1',
    })
    expect(
      Object.keys(chain('ReplaceField$Value', { include: 'uid,id' }).apply(sink(value))!.value as object),
    ).toEqual(['id', 'uid'])
    // The older names still work.
    expect(
      chain('ReplaceField$Value', { blacklist: 'password', whitelist: 'id,password' }).apply(sink(value))!
        .value,
    ).toEqual({ id: 1 })
  })

  it('rejects a malformed renames list when configured', () => {
    expect(() => chain('ReplaceField$Value', { renames: 'a:b,c' })).toThrow(InvalidConfigError)
  })
})

describe('MaskField', () => {
  it('masks each type with its empty value, and an absent field becomes null', () => {
    const t = chain('MaskField$Value', { fields: 'n,s,b,l,m,d,missing' })
    expect(
      t.apply(sink({ n: 42, s: 'secret', b: true, l: [1], m: { a: 1 }, d: new Date(5), keep: 'x' }))!.value,
    ).toEqual({
      n: 0,
      s: '',
      b: false,
      l: [],
      m: {},
      d: new Date(0),
      keep: 'x',
      missing: null,
    })
  })

  it('uses a replacement for strings and numbers, and refuses it for other types', () => {
    const t = chain('MaskField$Value', { fields: 'card,pin', replacement: '0000' })
    expect(t.apply(sink({ card: '4111', pin: 1234 }))!.value).toEqual({ card: '0000', pin: 0 })
    expect(() => chain('MaskField$Value', { fields: 'f', replacement: 'x' }).apply(sink({ f: 3 }))).toThrow(
      'Unable to convert',
    )
    expect(() =>
      chain('MaskField$Value', { fields: 'f', replacement: '1' }).apply(sink({ f: true })),
    ).toThrow('with custom replacement')
    expect(() => chain('MaskField$Value', {})).toThrow(InvalidConfigError)
  })
})

describe('ValueToKey', () => {
  it('makes the key a map of the value fields; a missing field is null', () => {
    const t = chain('org.apache.kafka.connect.transforms.ValueToKey', { fields: 'userid,region' })
    expect(t.apply(sink({ userid: 'U1', page: 'P' }, 'old'))!.key).toEqual({ userid: 'U1', region: null })
    expect(() => t.apply(sink(null))).toThrow(
      'Only Map objects supported in absence of schema for [copying fields from value to key], found: null',
    )
  })
})

describe('ExtractField and HoistField', () => {
  it('ExtractField takes one field of the key or value; null stays null, a missing field is null', () => {
    expect(chain('ExtractField$Key', { field: 'userid' }).apply(sink('v', { userid: 'U1' }))!.key).toBe('U1')
    expect(chain('ExtractField$Value', { field: 'a' }).apply(sink({ b: 1 }))!.value).toBeNull()
    expect(chain('ExtractField$Value', { field: 'a' }).apply(sink(null))!.value).toBeNull()
    expect(() => chain('ExtractField$Value', { field: 'a' }).apply(sink(7))).toThrow('[field extraction]')
  })

  it('HoistField wraps the value in a map, and ValueToKey plus ExtractField$Key then keys by it', () => {
    const t = buildTransformChain(
      configReader(
        {
          transforms: 'hoist,key,unwrap',
          'transforms.hoist.type': 'HoistField$Value',
          'transforms.hoist.field': 'line',
          'transforms.key.type': 'ValueToKey',
          'transforms.key.fields': 'line',
          'transforms.unwrap.type': 'ExtractField$Key',
          'transforms.unwrap.field': 'line',
        },
        'c',
      ),
      'c',
    )
    expect(t.apply(sink('hello'))).toMatchObject({ key: 'hello', value: { line: 'hello' } })
  })
})

describe('TimestampRouter and RegexRouter', () => {
  it('TimestampRouter formats the topic from the record timestamp in UTC (default topic-yyyyMMdd)', () => {
    expect(chain('TimestampRouter').apply(sink({}))!.topic).toBe('orders-20240630')
    const t = chain('TimestampRouter', {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Kafka's placeholder syntax
      'topic.format': 'archive.${topic}.${timestamp}',
      'timestamp.format': "yyyy-MM-dd'T'HH:mm:ss.SSS",
    })
    expect(t.apply(sink({}))!.topic).toBe('archive.orders.2024-06-30T23:59:58.000')
    expect(() => chain('TimestampRouter').apply(source({}))).toThrow('Timestamp missing')
    expect(() => chain('TimestampRouter', { 'timestamp.format': 'yyyy-qq' })).toThrow(InvalidConfigError)
  })

  it('RegexRouter renames topics that match the whole regex, with $1 group references; others pass', () => {
    const t = chain('org.apache.kafka.connect.transforms.RegexRouter', {
      regex: '(.*)-raw',
      replacement: 'clean-$1',
    })
    expect(t.apply(sink({}, null, { topic: 'orders-raw' }))!.topic).toBe('clean-orders')
    expect(t.apply(sink({}, null, { topic: 'orders-raw-2' }))!.topic).toBe('orders-raw-2')
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Kafka's placeholder syntax
      chain('RegexRouter', { regex: '(?<name>[a-z]+)\\.v1', replacement: '${name}' }).apply(
        sink({}, null, { topic: 'users.v1' }),
      )!.topic,
    ).toBe('users')
    expect(() => chain('RegexRouter', { regex: '(', replacement: 'x' })).toThrow(InvalidConfigError)
  })
})

describe('Filter and predicates', () => {
  const withPredicate = (type: string, props: Record<string, string>, negate?: boolean) => {
    const extra: Record<string, string> = {
      predicates: 'p',
      'predicates.p.type': type,
      'transforms.t.predicate': 'p',
    }
    for (const [k, v] of Object.entries(props)) extra[`predicates.p.${k}`] = v
    if (negate !== undefined) extra['transforms.t.negate'] = String(negate)
    return chain('Filter', {}, extra)
  }

  it('Filter without a predicate drops every record', () => {
    expect(chain('org.apache.kafka.connect.transforms.Filter').apply(sink({}))).toBeNull()
  })

  it('TopicNameMatches drops the records of matching topics (the whole name), or the others with negate', () => {
    const drop = withPredicate('org.apache.kafka.connect.transforms.predicates.TopicNameMatches', {
      pattern: 'ord.*',
    })
    expect(drop.apply(sink({}))).toBeNull()
    expect(drop.apply(sink({}, null, { topic: 'xorders' }))).not.toBeNull()
    const keep = withPredicate('TopicNameMatches', { pattern: 'ord.*' }, true)
    expect(keep.apply(sink({}))).not.toBeNull()
    expect(keep.apply(sink({}, null, { topic: 'users' }))).toBeNull()
  })

  it('HasHeaderKey and RecordIsTombstone', () => {
    const byHeader = withPredicate('HasHeaderKey', { name: 'skip' })
    expect(byHeader.apply(sink({}, null, { headers: { skip: Buffer.from('1') } }))).toBeNull()
    expect(byHeader.apply(sink({}, null, { headers: { other: Buffer.from('1') } }))).not.toBeNull()
    const tombstones = withPredicate('RecordIsTombstone', {})
    expect(tombstones.apply(sink(null))).toBeNull()
    expect(tombstones.apply(sink({ a: 1 }))).not.toBeNull()
  })

  it('a predicate gates any transform, not only Filter', () => {
    const t = chain(
      'InsertField$Value',
      { 'static.field': 'seen', 'static.value': 'yes' },
      {
        predicates: 'isOrders',
        'predicates.isOrders.type': 'TopicNameMatches',
        'predicates.isOrders.pattern': 'orders',
        'transforms.t.predicate': 'isOrders',
      },
    )
    expect(t.apply(sink({}))!.value).toEqual({ seen: 'yes' })
    expect(t.apply(sink({}, null, { topic: 'users' }))!.value).toEqual({})
  })

  it('rejects unknown types, an undefined predicate, and negate without a predicate', () => {
    expect(() => chain('NoSuchTransform')).toThrow('unknown transformation')
    expect(() => chain('Filter', {}, { 'transforms.t.predicate': 'missing' })).toThrow(
      'which is not in predicates',
    )
    expect(() => chain('Filter', {}, { 'transforms.t.negate': 'true' })).toThrow('needs a predicate')
    expect(() => chain('Filter', {}, { predicates: 'p', 'predicates.p.type': 'Nope' })).toThrow(
      'unknown predicate',
    )
  })
})

import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { json, string } from '../../src/index'
import { openBus, waitUntil } from '../support/bus'
import { FakeClock } from '../support/fake-clock'
import { holdAppends, type Json, serve } from './serve'

const V2 = { 'content-type': 'application/vnd.kafka.v2+json' }
const JSON_V2 = { 'content-type': 'application/vnd.kafka.json.v2+json' }

async function v2(url: string, method: string, body?: unknown, headers: Record<string, string> = V2) {
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (text === '' ? undefined : JSON.parse(text)) as Json,
  }
}

function getWithBody(url: string, body: unknown): Promise<Json> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body)
    const req = request(
      url,
      { method: 'GET', headers: { ...V2, 'content-length': Buffer.byteLength(text) } },
      (res) => {
        let answer = ''
        res.on('data', (chunk) => (answer += chunk))
        res.on('end', () => resolve(JSON.parse(answer)))
      },
    )
    req.on('error', reject)
    req.end(text)
  })
}

/** Polls `GET records` until `count` records came back (each poll waits up to its timeout). */
async function pollRecords(
  base: string,
  count: number,
  accept = 'application/vnd.kafka.json.v2+json',
): Promise<Json[]> {
  const records: Json[] = []
  for (let attempt = 0; attempt < 50 && records.length < count; attempt++) {
    const response = await fetch(`${base}/records?timeout=200`, { headers: { accept } })
    expect(response.status).toBe(200)
    records.push(...((await response.json()) as Json[]))
  }
  return records
}

describe('REST v2: produce', () => {
  it('produces JSON and binary records, answering offsets per record', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('jsontest', { partitions: 2 })
    const json = await v2(
      `${url}/topics/jsontest`,
      'POST',
      { records: [{ value: { foo: 'bar' } }, { key: 'k', value: [1], partition: 1 }] },
      JSON_V2,
    )
    expect(json).toMatchObject({ status: 200, type: 'application/vnd.kafka.v2+json' })
    expect(json.body).toEqual({
      key_schema_id: null,
      value_schema_id: null,
      offsets: [
        { partition: 0, offset: 0, error_code: null, error: null },
        { partition: 1, offset: 0, error_code: null, error: null },
      ],
    })
    const binary = await v2(
      `${url}/topics/jsontest/partitions/1`,
      'POST',
      { records: [{ value: 'S2Fma2E=' }] },
      { 'content-type': 'application/vnd.kafka.binary.v2+json' },
    )
    expect(binary.body.offsets[0]).toMatchObject({ partition: 1, offset: 1 })
    const [, record] = await bus.topic('jsontest').partition(1).read(0)
    expect(record!.value?.toString()).toBe('Kafka')
    expect((await v2(`${url}/topics`, 'GET')).body).toEqual(['jsontest'])
    expect((await v2(`${url}/topics/jsontest`, 'GET')).body).toMatchObject({
      name: 'jsontest',
      partitions: [{ partition: 0 }, { partition: 1 }],
    })
    expect((await v2(`${url}/topics/nope`, 'GET')).body).toMatchObject({ error_code: 40401 })
    expect(
      (await v2(`${url}/topics/jsontest/partitions/5`, 'POST', { records: [] }, JSON_V2)).body,
    ).toMatchObject({ error_code: 40402 })
    expect(
      (
        await v2(
          `${url}/topics/jsontest`,
          'POST',
          { records: [{ value: 'not base64!' }] },
          { 'content-type': 'application/vnd.kafka.binary.v2+json' },
        )
      ).status,
    ).toBe(400)
  })
  it('answers requests of few and of many records alike, each offset its own', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('sizes', { partitions: 1 })
    let next = 0
    // 16 and fewer are answered from a shared buffer as text, 17 and more as bytes of their own.
    const counts = [1, 16, 17, 300, 2, 16]
    // Their answers are written one right after another, the small ones from one shared buffer.
    holdAppends(counts.length)
    const answers = await Promise.all(
      counts.map((n) =>
        v2(
          `${url}/topics/sizes`,
          'POST',
          { records: Array.from({ length: n }, (_, i) => ({ value: i })) },
          JSON_V2,
        ),
      ),
    )
    for (const [at, answer] of answers.entries()) {
      const offsets = (answer.body as { offsets: Array<{ partition: number; offset: number }> }).offsets
      expect(offsets).toHaveLength(counts[at]!)
      for (const [i, o] of offsets.entries()) {
        expect(o).toEqual({ partition: 0, offset: offsets[0]!.offset + i, error_code: null, error: null })
      }
      next += offsets.length
    }
    expect(
      new Set(answers.map((a) => (a.body as { offsets: Array<{ offset: number }> }).offsets[0]!.offset)).size,
    ).toBe(counts.length)
    expect(bus.topic('sizes').partition(0).logEndOffset).toBe(next)
  })

  it('answers each record with its own outcome: a refused record fails alone', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('users', { cleanupPolicy: 'compact' })
    const answer = await v2(
      `${url}/topics/users`,
      'POST',
      { records: [{ key: 'a', value: 1 }, { value: 'no key' }, { key: 'b', value: 2 }] },
      JSON_V2,
    )
    expect(answer.status).toBe(200)
    expect(answer.body.offsets).toEqual([
      { partition: 0, offset: 0, error_code: null, error: null },
      { partition: null, offset: null, error_code: 40002, error: expect.stringContaining('needs a key') },
      { partition: 0, offset: 1, error_code: null, error: null },
    ])
    const stored = await bus.topic('users').partition(0).read(0)
    expect(stored.map((r) => [r.key?.toString(), r.value?.toString()])).toEqual([
      ['"a"', '1'],
      ['"b"', '2'],
    ])
  })
})

describe('REST v2: produce to a typed topic', () => {
  it("is read in the process through the topic's codecs, as a wire client's records are", async () => {
    const { url, bus } = await serve()
    await bus.createTopic('orders', { key: string(), value: json() })
    const answer = await v2(
      `${url}/topics/orders`,
      'POST',
      { records: [{ key: 'k1', value: { id: 1 } }] },
      JSON_V2,
    )
    expect(answer.body.offsets).toEqual([{ partition: 0, offset: 0, error_code: null, error: null }])
    const [stored] = await bus.topic('orders').partition(0).read(0)
    // The JSON format writes each key and value as its JSON text; the topic's codecs decode that text.
    expect(stored?.key).toBe('"k1"')
    expect(stored?.value).toEqual({ id: 1 })
  })
})

describe('REST v2: consumer instances', () => {
  it('runs the documented flow end to end: create, subscribe, consume, commit, seek, delete', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('jsontest')
    await v2(
      `${url}/topics/jsontest`,
      'POST',
      { records: [{ value: { foo: 'bar' } }, { value: { n: 2 } }] },
      JSON_V2,
    )

    const created = await v2(`${url}/consumers/my_json_consumer`, 'POST', {
      name: 'my_consumer_instance',
      format: 'json',
      'auto.offset.reset': 'earliest',
      'auto.commit.enable': 'false',
    })
    expect(created).toMatchObject({ status: 200, type: 'application/vnd.kafka.v2+json' })
    expect(created.body).toEqual({
      instance_id: 'my_consumer_instance',
      base_uri: `${url}/consumers/my_json_consumer/instances/my_consumer_instance`,
    })
    const base = created.body.base_uri as string
    expect((await v2(`${base}/subscription`, 'POST', { topics: ['jsontest'] })).status).toBe(204)
    expect((await v2(`${base}/subscription`, 'GET')).body).toEqual({ topics: ['jsontest'] })

    const records = await pollRecords(base, 2)
    expect(records).toEqual([
      { topic: 'jsontest', key: null, value: { foo: 'bar' }, partition: 0, offset: 0 },
      { topic: 'jsontest', key: null, value: { n: 2 }, partition: 0, offset: 1 },
    ])
    expect((await v2(`${base}/assignments`, 'GET')).body).toEqual({
      partitions: [{ topic: 'jsontest', partition: 0 }],
    })

    // v2 commits name the last record consumed; Kafka stores the next offset to read.
    expect(
      (await v2(`${base}/offsets`, 'POST', { offsets: [{ topic: 'jsontest', partition: 0, offset: 0 }] }))
        .status,
    ).toBe(204)
    expect(bus.group('my_json_consumer').committedOffset('jsontest', 0)).toBe(1)
    expect((await v2(`${base}/offsets`, 'POST')).status).toBe(204)
    expect(bus.group('my_json_consumer').committedOffset('jsontest', 0)).toBe(2)
    // Confluent's GET offsets takes a body, as curl sends it (fetch cannot).
    const committed = await getWithBody(`${base}/offsets`, {
      partitions: [{ topic: 'jsontest', partition: 0 }],
    })
    expect(committed).toEqual({ offsets: [{ topic: 'jsontest', partition: 0, offset: 2, metadata: '' }] })

    expect(
      (await v2(`${base}/positions/beginning`, 'POST', { partitions: [{ topic: 'jsontest', partition: 0 }] }))
        .status,
    ).toBe(204)
    expect((await pollRecords(base, 2)).map((r) => r.offset)).toEqual([0, 1])
    expect(
      (await v2(`${base}/positions`, 'POST', { offsets: [{ topic: 'jsontest', partition: 0, offset: 1 }] }))
        .status,
    ).toBe(204)
    expect((await pollRecords(base, 1)).map((r) => r.offset)).toEqual([1])
    expect(
      (await v2(`${base}/positions/end`, 'POST', { partitions: [{ topic: 'jsontest', partition: 0 }] }))
        .status,
    ).toBe(204)
    await v2(`${url}/topics/jsontest`, 'POST', { records: [{ value: 'after' }] }, JSON_V2)
    expect((await pollRecords(base, 1)).map((r) => [r.offset, r.value])).toEqual([[2, 'after']])

    expect((await v2(base, 'DELETE')).status).toBe(204)
    expect((await v2(`${base}/records`, 'GET')).body).toEqual({
      error_code: 40403,
      message: 'Consumer instance not found.',
    })
    expect(bus.group('my_json_consumer').describe().members).toEqual([])
  })

  it('assigns partitions by hand, returns binary records in base64, and limits a poll by max_bytes', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('bin', { partitions: 2 })
    await bus.producer().send('bin', [
      { partition: 1, key: 'k1', value: 'Kafka' },
      { partition: 1, key: 'k2', value: 'second' },
    ])
    const created = await v2(`${url}/consumers/g`, 'POST', {
      format: 'binary',
      'auto.offset.reset': 'earliest',
    })
    expect(created.body.instance_id).toMatch(/^rest-consumer-/)
    const base = created.body.base_uri as string
    expect(
      (await v2(`${base}/assignments`, 'POST', { partitions: [{ topic: 'bin', partition: 1 }] })).status,
    ).toBe(204)
    expect((await v2(`${base}/assignments`, 'GET')).body).toEqual({
      partitions: [{ topic: 'bin', partition: 1 }],
    })
    expect((await v2(`${base}/subscription`, 'POST', { topics: ['bin'] })).body).toMatchObject({
      error_code: 40901,
    })
    const first = await pollRecords(`${base}`, 1, 'application/vnd.kafka.binary.v2+json')
    expect(first[0]).toEqual({
      topic: 'bin',
      key: Buffer.from('k1').toString('base64'),
      value: 'S2Fma2E=',
      partition: 1,
      offset: 0,
    })
    const limited = await fetch(`${base}/records?timeout=0&max_bytes=1`, {
      headers: { accept: 'application/vnd.kafka.binary.v2+json' },
    })
    const rest = (await limited.json()) as Json[]
    expect(rest.length).toBeLessThanOrEqual(1)
    const mismatch = await fetch(`${base}/records`, {
      headers: { accept: 'application/vnd.kafka.json.v2+json' },
    })
    expect(mismatch.status).toBe(406)
    expect(await mismatch.json()).toMatchObject({ error_code: 40601 })
  })

  it('refuses a second instance of the same name, a bad configuration, and polls before subscribing', async () => {
    const { url } = await serve()
    expect((await v2(`${url}/consumers/g`, 'POST', { name: 'one' })).status).toBe(200)
    expect((await v2(`${url}/consumers/g`, 'POST', { name: 'one' })).body).toMatchObject({
      error_code: 40902,
    })
    expect((await v2(`${url}/consumers/g`, 'POST', { format: 'avro' })).body).toMatchObject({
      error_code: 42204,
    })
    expect((await v2(`${url}/consumers/g`, 'POST', { 'auto.offset.reset': 'smallest' })).body).toMatchObject({
      error_code: 42204,
    })
    expect((await v2(`${url}/consumers/g/instances/one/records`, 'GET')).body).toMatchObject({
      error_code: 40903,
    })
    expect(
      (await v2(`${url}/consumers/g/instances/one/subscription`, 'POST', { topics: ['nope'] })).body,
    ).toMatchObject({ error_code: 40401 })
    expect((await v2(`${url}/consumers/g/instances/two`, 'DELETE')).body).toMatchObject({ error_code: 40403 })
    const bad = await v2(`${url}/consumers/g`, 'POST', undefined, {
      'content-type': 'application/x-www-form-urlencoded',
    })
    expect(bad.status).toBe(415)
  })

  it('closes an instance left idle past consumerInstanceTimeoutMs, on the bus clock; use keeps it', async () => {
    const clock = new FakeClock()
    const { url, bus } = await serve({ consumerInstanceTimeoutMs: 60_000 }, await openBus({ clock }))
    await bus.createTopic('t')
    const created = await v2(`${url}/consumers/idle`, 'POST', { name: 'sleepy' })
    await v2(`${created.body.base_uri}/subscription`, 'POST', { topics: ['t'] })
    await bus.group('idle').settled()
    await clock.advance(45_000)
    expect((await v2(`${created.body.base_uri}/subscription`, 'GET')).body).toEqual({ topics: ['t'] })
    await clock.advance(45_000) // 45 s since that use: not idle long enough
    expect(bus.group('idle').describe().members).toHaveLength(1)
    await clock.advance(30_000)
    await waitUntil(() => bus.group('idle').describe().members.length === 0, {
      message: 'the idle instance to leave its group',
    })
    expect((await v2(`${created.body.base_uri}/subscription`, 'GET')).body).toMatchObject({
      error_code: 40403,
    })
  })
})

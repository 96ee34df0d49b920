import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { call, holdAppends, serve } from './serve'

const JSON_HEADERS = { 'content-type': 'application/json' }

describe('REST v3: clusters and topics', () => {
  it('lists the one cluster and gets it; an unknown cluster is 404', async () => {
    const { url } = await serve({ clusterId: 'cluster-1' })
    const list = await call(`${url}/v3/clusters`, 'GET')
    expect(list.status).toBe(200)
    expect(list.type).toBe('application/json')
    expect(list.body).toMatchObject({ kind: 'KafkaClusterList', metadata: { next: null } })
    expect(list.body.data).toHaveLength(1)
    expect(list.body.data[0]).toMatchObject({
      kind: 'KafkaCluster',
      cluster_id: 'cluster-1',
      metadata: { self: `${url}/v3/clusters/cluster-1`, resource_name: 'crn:///kafka=cluster-1' },
      topics: { related: `${url}/v3/clusters/cluster-1/topics` },
    })
    expect((await call(`${url}/v3/clusters/cluster-1`, 'GET')).body.cluster_id).toBe('cluster-1')
    const unknown = await call(`${url}/v3/clusters/my-cluster`, 'GET')
    expect(unknown).toMatchObject({
      status: 404,
      body: { error_code: 404, message: 'Cluster my-cluster cannot be found.' },
    })
  })

  it('creates, lists, gets and deletes topics as in the documented examples', async () => {
    const { url, bus } = await serve({ clusterId: 'cluster-1' })
    const created = await call(`${url}/v3/clusters/cluster-1/topics`, 'POST', {
      topic_name: 'topic-X',
      partitions_count: 64,
      replication_factor: 1,
      configs: [
        { name: 'retention.ms', value: '98765' },
        { name: 'retention.bytes', value: '-1' },
      ],
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      kind: 'KafkaTopic',
      cluster_id: 'cluster-1',
      topic_name: 'topic-X',
      is_internal: false,
      replication_factor: 1,
      partitions_count: 64,
      partitions: { related: `${url}/v3/clusters/cluster-1/topics/topic-X/partitions` },
    })
    expect(bus.topic('topic-X').config).toMatchObject({
      partitions: 64,
      retentionMs: 98765,
      retentionBytes: null,
    })
    const again = await call(`${url}/v3/clusters/cluster-1/topics`, 'POST', { topic_name: 'topic-X' })
    expect(again).toMatchObject({
      status: 400,
      body: { error_code: 40002, message: "Topic 'topic-X' already exists." },
    })
    const list = await call(`${url}/v3/clusters/cluster-1/topics`, 'GET')
    expect(list.body.kind).toBe('KafkaTopicList')
    expect(list.body.data.map((t: { topic_name: string }) => t.topic_name)).toEqual(['topic-X'])
    const got = await call(`${url}/v3/clusters/cluster-1/topics/topic-X`, 'GET')
    expect(got.body.partitions_count).toBe(64)
    const partitions = await call(`${url}/v3/clusters/cluster-1/topics/topic-X/partitions`, 'GET')
    expect(partitions.body.data).toHaveLength(64)
    expect(partitions.body.data[3]).toMatchObject({
      kind: 'KafkaPartition',
      topic_name: 'topic-X',
      partition_id: 3,
    })
    const configs = await call(`${url}/v3/clusters/cluster-1/topics/topic-X/configs`, 'GET')
    expect(configs.body.data.find((c: { name: string }) => c.name === 'retention.ms')).toMatchObject({
      kind: 'KafkaTopicConfig',
      value: '98765',
    })
    expect((await call(`${url}/v3/clusters/cluster-1/topics/topic-X`, 'DELETE')).status).toBe(204)
    expect(bus.listTopics()).toEqual([])
    const gone = await call(`${url}/v3/clusters/cluster-1/topics/topic-X`, 'GET')
    expect(gone).toMatchObject({ status: 404, body: { error_code: 40403 } })
    expect((await call(`${url}/v3/clusters/cluster-1/topics/topic-X`, 'DELETE')).status).toBe(404)
  })

  it('refuses bad topic requests with Confluent error bodies, changing nothing', async () => {
    const { url, bus } = await serve()
    const topics = `${url}/v3/clusters/logbus/topics`
    expect(await call(topics, 'POST', { partitions_count: 1 })).toMatchObject({
      status: 400,
      body: { error_code: 40002 },
    })
    expect(await call(topics, 'POST', { topic_name: 'bad name!' })).toMatchObject({
      status: 400,
      body: { error_code: 40002 },
    })
    expect(await call(topics, 'POST', { topic_name: 't', replication_factor: 3 })).toMatchObject({
      status: 400,
      body: { error_code: 40002, message: 'Replication factor: 3 larger than available brokers: 1.' },
    })
    expect(
      await call(topics, 'POST', { topic_name: 't', configs: [{ name: 'compression.type', value: 'gzip' }] }),
    ).toMatchObject({
      status: 400,
      body: { error_code: 40002 },
    })
    expect(await call(topics, 'POST', '{"topic_name": ')).toMatchObject({
      status: 400,
      body: { error_code: 400 },
    })
    expect(await call(topics, 'POST', '[1]')).toMatchObject({ status: 422, body: { error_code: 422 } })
    const validateOnly = await call(topics, 'POST', {
      topic_name: 'dry',
      partitions_count: 2,
      validate_only: true,
    })
    expect(validateOnly).toMatchObject({ status: 201, body: { topic_name: 'dry', partitions_count: 2 } })
    expect(bus.listTopics()).toEqual([])
    const notFound = await call(`${url}/v3/nowhere`, 'GET')
    expect(notFound).toMatchObject({ status: 404, body: { error_code: 404, message: 'HTTP 404 Not Found' } })
    const method = await call(`${url}/v3/clusters`, 'DELETE')
    expect(method.status).toBe(405)
    expect(method.headers.get('allow')).toBe('GET')
  })
})

describe('REST v3: records', () => {
  it('produces the documented example: binary key, JSON value, headers, partition and timestamp', async () => {
    const { url, bus } = await serve({ clusterId: 'cluster-1' })
    await bus.createTopic('topic-1', { partitions: 2 })
    const response = await call(`${url}/v3/clusters/cluster-1/topics/topic-1/records`, 'POST', {
      partition_id: 1,
      headers: [
        { name: 'Header-1', value: 'SGVhZGVyLTE=' },
        { name: 'Header-2', value: 'SGVhZGVyLTI=' },
      ],
      key: { type: 'BINARY', data: 'Zm9vYmFy' },
      value: { type: 'JSON', data: { foo: 'bar' } },
      timestamp: '2021-02-05T19:14:42Z',
    })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      error_code: 200,
      cluster_id: 'cluster-1',
      topic_name: 'topic-1',
      partition_id: 1,
      offset: 0,
      timestamp: '2021-02-05T19:14:42.000Z',
      key: { type: 'BINARY', size: 6 },
      value: { type: 'JSON', size: 13 },
    })
    const [record] = await bus.topic('topic-1').partition(1).read(0)
    expect(record!.key?.toString()).toBe('foobar')
    expect(record!.value?.toString()).toBe('{"foo":"bar"}')
    expect(record!.timestamp).toBe(Date.parse('2021-02-05T19:14:42Z'))
    expect(Object.fromEntries(Object.entries(record!.headers).map(([k, v]) => [k, String(v)]))).toEqual({
      'Header-1': 'Header-1',
      'Header-2': 'Header-2',
    })
  })

  it('answers concurrent requests of one record each with its own report', async () => {
    const { url, bus } = await serve({ clusterId: 'cluster-1' })
    await bus.createTopic('topic-1', { partitions: 3 })
    // Their answers are written one right after another, from the buffer that small answers share.
    holdAppends(40)
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call(`${url}/v3/clusters/cluster-1/topics/topic-1/records`, 'POST', {
          key: { type: 'STRING', data: `key-${i}` },
          value: { type: 'STRING', data: 'v'.repeat(i) },
        }),
      ),
    )
    const seen = new Set<string>()
    for (const [i, response] of responses.entries()) {
      expect(response.status).toBe(200)
      const report = response.body as { partition_id: number; offset: number; key: unknown; value: unknown }
      expect(report.key).toEqual({ type: 'STRING', size: `key-${i}`.length })
      expect(report.value).toEqual({ type: 'STRING', size: i })
      const [record] = await bus.topic('topic-1').partition(report.partition_id).read(report.offset, 1)
      expect(record!.key?.toString()).toBe(`key-${i}`)
      seen.add(`${report.partition_id}:${report.offset}`)
    }
    expect(seen.size).toBe(40)
  })

  it('answers a streamed batch per record, in order, each with its own error_code', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('events', { partitions: 2 })
    const lines = [
      { value: { type: 'STRING', data: 'one' }, partition_id: 0 },
      { value: { type: 'STRING', data: 'two' }, partition_id: 7 },
      { key: { type: 'BINARY', data: '%%%' }, value: { type: 'STRING', data: 'bad key' } },
      { value: { type: 'JSON', data: [1, 2] }, partition_id: 1 },
      { value: { type: 'AVRO', data: 1 } },
    ]
    const body = lines.map((l) => JSON.stringify(l)).join('\n')
    const response = await fetch(`${url}/v3/clusters/logbus/topics/events/records`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body,
    })
    expect(response.status).toBe(200)
    const reports = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { error_code: number; partition_id?: number; offset?: number })
    expect(reports.map((r) => r.error_code)).toEqual([200, 40403, 400, 200, 400])
    expect(reports[0]).toMatchObject({ partition_id: 0, offset: 0 })
    expect(reports[3]).toMatchObject({ partition_id: 1, offset: 0 })
    expect(bus.metrics().topics[0]!.recordsIn).toBe(2)
  })

  it('streams many records over one request, concatenated without separators too', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('bulk', { partitions: 4 })
    const n = 5_000
    const body = Array.from({ length: n }, (_, i) =>
      JSON.stringify({ key: { type: 'STRING', data: `k${i}` }, value: { type: 'JSON', data: { i } } }),
    ).join('')
    const response = await fetch(`${url}/v3/clusters/logbus/topics/bulk/records`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body,
    })
    const reports = (await response.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { error_code: number })
    expect(reports).toHaveLength(n)
    expect(reports.every((r) => r.error_code === 200)).toBe(true)
    expect(bus.topic('bulk').partitions.reduce((sum, p) => sum + p.logEndOffset, 0)).toBe(n)
  })

  it('reads a stream sent in small pieces, cut inside characters, and stores each value byte for byte', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('words')
    const values = Array.from({ length: 300 }, (_, i) => `${i} café ☕ 𝄞 "{}"`)
    const body = Buffer.from(
      values.map((data) => JSON.stringify({ value: { type: 'STRING', data } })).join('\n'),
    )
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${url}/v3/clusters/logbus/topics/words/records`,
        { method: 'POST', headers: JSON_HEADERS, agent: false },
        (res) => {
          let out = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            out += chunk
          })
          res.on('end', () => resolve(out))
        },
      )
      req.on('error', reject)
      // Pieces of 7 bytes, each its own write: many chunks, several cut inside a character.
      for (let at = 0; at < body.length; at += 7) req.write(body.subarray(at, at + 7))
      req.end()
    })
    const reports = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { error_code: number; offset: number })
    expect(reports.map((r) => r.error_code)).toEqual(values.map(() => 200))
    expect(reports.map((r) => r.offset)).toEqual(values.map((_, i) => i))
    const stored = await bus.topic('words').partition(0).read(0)
    expect(stored.map((r) => r.value?.toString('utf8'))).toEqual(values)
  })

  it('refuses a timestamp outside the dates JavaScript can print, and the next report keeps its own', async () => {
    const { url, bus } = await serve({ clusterId: 'cluster-1' })
    await bus.createTopic('topic-1', { partitions: 1 })
    const records = `${url}/v3/clusters/cluster-1/topics/topic-1/records`
    const first = await call(records, 'POST', { value: { data: 1 }, timestamp: 1_700_000_000_000 })
    expect(first.body.timestamp).toBe('2023-11-14T22:13:20.000Z')
    const far = await call(records, 'POST', { value: { data: 1 }, timestamp: 9e15 })
    expect(far).toMatchObject({ status: 400, body: { error_code: 400 } })
    const next = await call(records, 'POST', { value: { data: 1 }, timestamp: 1_800_000_000_000 })
    expect(next.body.timestamp).toBe('2027-01-15T08:00:00.000Z')
    expect(bus.topic('topic-1').partition(0).logEndOffset).toBe(2)
  })

  it('answers a lone failing record with its status, and refuses bad requests', async () => {
    const { url, bus } = await serve()
    await bus.createTopic('t')
    const records = `${url}/v3/clusters/logbus/topics/t/records`
    expect(await call(records, 'POST', { partition_id: 3, value: { data: 1 } })).toMatchObject({
      status: 404,
      body: { error_code: 40403, message: 'This server does not host this topic-partition.' },
    })
    expect(await call(records, 'POST', { value: { type: 'STRING', data: 42 } })).toMatchObject({
      status: 400,
      body: { error_code: 400 },
    })
    expect(await call(records, 'POST', "{'key': 1}")).toMatchObject({
      status: 400,
      body: { error_code: 400 },
    })
    expect(await call(records, 'POST', '')).toMatchObject({ status: 400, body: { error_code: 400 } })
    expect(
      await call(`${url}/v3/clusters/logbus/topics/missing/records`, 'POST', { value: { data: 1 } }),
    ).toMatchObject({
      status: 404,
      body: { error_code: 40403 },
    })
    const form = await fetch(records, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    })
    expect(form.status).toBe(415)
    expect(await form.json()).toMatchObject({ error_code: 415 })
    expect(bus.topic('t').partition(0).logEndOffset).toBe(0)
    const ok = await call(records, 'POST', { value: { data: { a: 1 } } })
    expect(ok.body).toMatchObject({ error_code: 200, offset: 0, key: null, value: { type: 'JSON', size: 7 } })
  })
})

describe('REST v3: consumer groups', () => {
  it('reports groups, lags per partition and the lag summary', async () => {
    const { url, bus } = await serve({ clusterId: 'cluster-1' })
    await bus.createTopic('topic-1', { partitions: 2 })
    await bus.producer().send('topic-1', [
      { partition: 0, value: 'a' },
      { partition: 0, value: 'b' },
      { partition: 1, value: 'c' },
    ])
    const consumer = bus.consumer({
      groupId: 'consumer-group-1',
      topics: ['topic-1'],
      fromBeginning: true,
      autoCommit: false,
      clientId: 'client-1',
    })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.caughtUp()
    await consumer.commit([{ topic: 'topic-1', partition: 0, offset: 1 }])
    const base = `${url}/v3/clusters/cluster-1/consumer-groups`
    const list = await call(base, 'GET')
    expect(list.body.data.map((g: { consumer_group_id: string }) => g.consumer_group_id)).toEqual([
      'consumer-group-1',
    ])
    const group = await call(`${base}/consumer-group-1`, 'GET')
    expect(group.body).toMatchObject({
      kind: 'KafkaConsumerGroup',
      state: 'STABLE',
      partition_assignor: 'range',
      is_simple: false,
    })
    const lags = await call(`${base}/consumer-group-1/lags`, 'GET')
    expect(lags.body.kind).toBe('KafkaConsumerLagList')
    expect(lags.body.data).toEqual([
      expect.objectContaining({
        kind: 'KafkaConsumerLag',
        topic_name: 'topic-1',
        partition_id: 0,
        current_offset: 1,
        log_end_offset: 2,
        lag: 1,
        consumer_id: consumer.memberId,
        client_id: 'client-1',
        instance_id: null,
      }),
      expect.objectContaining({ partition_id: 1, current_offset: 0, log_end_offset: 1, lag: 1 }),
    ])
    const one = await call(`${base}/consumer-group-1/lags/topic-1/partitions/0`, 'GET')
    expect(one.body).toMatchObject({ partition_id: 0, lag: 1 })
    const summary = await call(`${base}/consumer-group-1/lag-summary`, 'GET')
    expect(summary.body).toMatchObject({
      kind: 'KafkaConsumerGroupLagSummary',
      cluster_id: 'cluster-1',
      consumer_group_id: 'consumer-group-1',
      max_lag_consumer_id: consumer.memberId,
      max_lag_client_id: 'client-1',
      max_lag_topic_name: 'topic-1',
      max_lag_partition_id: 0,
      max_lag: 1,
      total_lag: 2,
    })
    expect((await call(`${base}/nobody`, 'GET')).body).toMatchObject({ error_code: 40403 })
    expect((await call(`${base}/nobody/lag-summary`, 'GET')).status).toBe(404)
    expect((await call(`${base}/consumer-group-1/lags/topic-1/partitions/9`, 'GET')).status).toBe(404)
  })
})

import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { finished, logbus, scratch, start } from './support'

/** The address line `serve` prints first. */
function addressLine(child: ReturnType<typeof start>): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8')
      const end = text.indexOf('\n')
      if (end >= 0) {
        child.stdout!.off('data', onData)
        resolve(text.slice(0, end))
      }
    }
    child.stdout!.on('data', onData)
    child.on('close', (code) => reject(new Error(`serve exited with ${code} before printing its address`)))
  })
}

describe('logbus serve', () => {
  it('--memory --http: a Kafka client produces and consumes, the REST proxy answers, SIGTERM exits 0', async () => {
    const child = start(['serve', '--memory', '--port', '0', '--http', '0', '--partitions', '2'])
    const line = await addressLine(child)
    const match = /^logbus serving kafka ([\d.]+):(\d+), http (http:\/\/\S+) \(in memory\)$/.exec(line)
    expect(match, line).not.toBeNull()
    const [, host, port, url] = match as unknown as [string, string, string, string]
    const kafka = new Kafka({ brokers: [`${host}:${port}`], logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ allowAutoTopicCreation: true })
    await producer.connect()
    await producer.send({ topic: 'served', messages: [{ key: 'k', value: 'over the wire' }] })
    await producer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    const [metadata] = (await admin.fetchTopicMetadata({ topics: ['served'] })).topics
    expect(metadata?.partitions).toHaveLength(2)
    await admin.disconnect()
    const clusters = (await (await fetch(`${url}/v3/clusters`)).json()) as { data: unknown[] }
    expect(clusters.data).toHaveLength(1)
    const records = await fetch(`${url}/v3/clusters/logbus/topics/served`)
    expect(records.status).not.toBe(500)
    const done = finished(child)
    child.kill('SIGTERM')
    const run = await done
    expect(run.code, run.stderr).toBe(0)
  })

  it('--dir: the data stays in the directory, which serve holds locked until it stops', async () => {
    const dir = join(scratch(), 'data')
    const child = start(['serve', '--dir', dir, '--port', '0'])
    const line = await addressLine(child)
    const [, host, port] = /kafka ([\d.]+):(\d+) \(data in /.exec(line) as unknown as [string, string, string]
    const kcat = execFileSync('kcat', ['-b', `${host}:${port}`, '-P', '-t', 'kept', '-K', ':'], {
      input: 'a:1\nb:2\n',
    })
    expect(kcat.length).toBe(0)
    const locked = await logbus(['topics', 'list', '--dir', dir])
    expect(locked.code).toBe(4)
    const done = finished(child)
    child.kill('SIGINT')
    expect((await done).code).toBe(0)
    const consumed = await logbus(['consume', '--dir', dir, '--topic', 'kept', '--from-beginning'])
    expect(consumed.out.split('\n').filter(Boolean).sort()).toEqual(['1', '2'])
  })

  it('refuses to run without a place for the data, or with two', async () => {
    expect((await logbus(['serve'])).code).toBe(2)
    expect((await logbus(['serve', '--memory', '--dir', scratch()])).code).toBe(2)
  })
})

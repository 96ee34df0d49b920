import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { serveHttp } from '../../src/http'
import { InvalidConfigError } from '../../src/index'
import { openBus } from '../support/bus'
import { call, serve } from './serve'

/** Sends raw bytes and answers what the server wrote back before closing. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text))
    let answer = ''
    socket.on('data', (chunk) => (answer += chunk))
    socket.on('close', () => resolve(answer))
    socket.on('error', reject)
  })
}

describe('HTTP security', () => {
  it('listens on loopback by default and validates its options', async () => {
    const { server } = await serve()
    expect(server.host).toBe('127.0.0.1')
    const bus = await openBus()
    await expect(serveHttp(bus, { port: -1 })).rejects.toThrow(InvalidConfigError)
    await expect(serveHttp(bus, { auth: { token: '' } })).rejects.toThrow(/http\.auth/)
    await expect(serveHttp(bus, { nope: 1 } as never)).rejects.toThrow(/http\.nope/)
  })

  it('with a token, refuses requests without it (40101) and lets the console in through its cookie', async () => {
    const { url } = await serve({ auth: { token: 's3cret' } })
    expect(await call(`${url}/v3/clusters`, 'GET')).toMatchObject({
      status: 401,
      body: { error_code: 40101, message: 'Authentication failed' },
    })
    expect(
      (await call(`${url}/v3/clusters`, 'GET', undefined, { authorization: 'Bearer nope' })).status,
    ).toBe(401)
    expect(
      (await call(`${url}/v3/clusters`, 'GET', undefined, { authorization: 'Bearer s3cret' })).status,
    ).toBe(200)
    expect((await call(`${url}/metrics`, 'GET')).status).toBe(401)
    expect((await fetch(`${url}/?token=wrong`, { redirect: 'manual' })).status).toBe(401)
    const login = await fetch(`${url}/?token=s3cret`, { redirect: 'manual' })
    expect(login.status).toBe(303)
    const cookie = login.headers.get('set-cookie')!
    expect(cookie).toMatch(/^logbus_token=s3cret; HttpOnly; SameSite=Strict; Path=\//)
    const page = await fetch(`${url}/`, { headers: { cookie: cookie.split(';')[0]! } })
    expect(page.status).toBe(200)
  })

  it('with a user and password, asks the browser for them (Basic)', async () => {
    const { url } = await serve({ auth: { username: 'admin', password: 'pw:with:colons' } })
    const refused = await call(`${url}/`, 'GET')
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toBe('Basic realm="logbus", charset="UTF-8"')
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
    expect(
      (
        await call(`${url}/v3/clusters`, 'GET', undefined, {
          authorization: basic('admin', 'pw:with:colons'),
        })
      ).status,
    ).toBe(200)
    expect(
      (await call(`${url}/v3/clusters`, 'GET', undefined, { authorization: basic('admin', 'pw') })).status,
    ).toBe(401)
  })

  it('refuses changes from other origins, form bodies, and hosts a rebinding page would use', async () => {
    const { url, bus } = await serve()
    const topics = `${url}/v3/clusters/logbus/topics`
    const evil = await call(topics, 'POST', { topic_name: 'x' }, { origin: 'https://evil.example' })
    expect(evil).toMatchObject({ status: 403, body: { error_code: 403 } })
    expect((await call(topics, 'POST', { topic_name: 'x' }, { origin: 'null' })).status).toBe(403)
    const form = await fetch(topics, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'topic_name=x',
    })
    expect(form.status).toBe(415)
    const host = new URL(url).host
    expect((await call(topics, 'POST', { topic_name: 'x' }, { origin: `http://${host}` })).status).toBe(201)
    expect(bus.listTopics()).toEqual(['x'])
    const port = Number(new URL(url).port)
    const rebound = await raw(
      port,
      `GET /v3/clusters HTTP/1.1\r\nhost: attacker.example:${port}\r\nconnection: close\r\n\r\n`,
    )
    expect(rebound).toMatch(/^HTTP\/1\.1 403/)
  })

  it('limits bodies and heads; a malformed request closes its connection, not the server', async () => {
    const { url, server } = await serve({ maxBodyBytes: 1024, maxHeaderBytes: 2048 })
    const big = await call(`${url}/v3/clusters/logbus/topics`, 'POST', { topic_name: 'x'.repeat(2000) })
    expect(big).toMatchObject({ status: 413, body: { error_code: 413 } })
    const head = await raw(
      server.port,
      `GET / HTTP/1.1\r\nhost: localhost\r\nx-big: ${'a'.repeat(4096)}\r\n\r\n`,
    )
    expect(head).toMatch(/^HTTP\/1\.1 431/)
    const garbage = await raw(server.port, 'NOT HTTP AT ALL\r\n\r\n')
    expect(garbage).toMatch(/^HTTP\/1\.1 400/)
    expect((await call(`${url}/v3/clusters`, 'GET')).status).toBe(200)
  })

  it('reports its open connections to bus.metrics(), and closes with its bus', async () => {
    const { server, bus } = await serve()
    const agent = await fetch(`${server.url}/v3/clusters`)
    await agent.text()
    expect(bus.metrics().connections.http).toBeGreaterThanOrEqual(0)
    expect(server.connections).toBe(bus.metrics().connections.http)
    await bus.close()
    await expect(fetch(`${server.url}/v3/clusters`)).rejects.toThrow()
  })
})

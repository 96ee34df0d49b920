import { describe, expect, it } from 'vitest'
import { Router, requestPath } from '../../src/http/router'

describe('requestPath', () => {
  it('gives the path the URL parser gives, with or without a query', () => {
    for (const target of [
      '/v3/clusters/logbus/topics/orders/records',
      '/topics/a%20b?x=1',
      '/a/../metrics',
      '/a/./b/',
      '/console/app.js?v=2#top',
      '/%7Bx%7D/é',
      '/a//b',
    ]) {
      expect(requestPath(target), target).toBe(new URL(target, 'http://localhost').pathname)
    }
  })
})

describe('Router', () => {
  const router = new Router()
    .add('GET', '/v3/clusters/:cluster/topics', () => undefined)
    .add('POST', '/v3/clusters/:cluster/topics', () => undefined)
    .add('GET', '/v3/clusters/:cluster/topics/:topic', () => undefined)

  it('matches literal segments and decodes parameters', () => {
    const match = router.match('GET', '/v3/clusters/c%201/topics/orders')
    expect(match).toMatchObject({ kind: 'found', params: { cluster: 'c 1', topic: 'orders' } })
  })

  it('answers the methods a path allows, and nothing for an unknown path or a bad escape', () => {
    expect(router.match('DELETE', '/v3/clusters/c/topics')).toEqual({
      kind: 'method',
      allowed: ['GET', 'POST'],
    })
    expect(router.match('HEAD', '/v3/clusters/c/topics')).toMatchObject({ kind: 'found' })
    expect(router.match('GET', '/v3/clusters/c/other')).toEqual({ kind: 'none' })
    expect(router.match('GET', '/v3/clusters//topics')).toEqual({ kind: 'none' })
    expect(router.match('GET', '/v3/clusters/%E0%A4%A/topics')).toEqual({ kind: 'none' })
  })
})

import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HttpAuth } from './options'
import { RestError } from './rest-error'

/** The console's cookie, set from `/?token=…`: HttpOnly and SameSite=Strict, so no other site sends it. */
export const TOKEN_COOKIE = 'logbus_token'

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return decodeURIComponent(rest.join('='))
  }
  return undefined
}

/**
 * Checks a request's credentials; throws 401 (Confluent's 40101) when they are missing or wrong. With
 * Basic auth, the 401 asks the browser for them (`WWW-Authenticate`).
 */
export function authenticate(req: IncomingMessage, res: ServerResponse, auth: HttpAuth | undefined): void {
  if (auth === undefined) return
  const header = req.headers.authorization ?? ''
  if ('token' in auth) {
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim()
    const given = bearer ?? cookie(req, TOKEN_COOKIE)
    if (given !== undefined && sameSecret(given, auth.token)) return
  } else {
    const basic = /^Basic\s+(.+)$/i.exec(header)?.[1]
    if (basic !== undefined) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (
        colon >= 0 &&
        sameSecret(decoded.slice(0, colon), auth.username) &&
        sameSecret(decoded.slice(colon + 1), auth.password)
      ) {
        return
      }
    }
    res.setHeader('www-authenticate', 'Basic realm="logbus", charset="UTF-8"')
  }
  throw new RestError(401, 40101, 'Authentication failed')
}

const LOOPBACK_NAMES = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

/** True for an address that only this machine reaches. */
export function isLoopback(host: string): boolean {
  return host === '::1' || host === 'localhost' || /^127(?:\.\d{1,3}){3}$/.test(host)
}

/**
 * Guards against other web sites: a server on loopback answers only requests addressed to a loopback
 * name (a DNS-rebinding page has its own name in `Host`); a mutating request that comes from a page
 * (`Origin`) must come from this server's own origin or an allowed one, and sends JSON, which a page of
 * another site cannot do without a CORS preflight, which is never answered.
 */
export function checkRequestOrigin(
  req: IncomingMessage,
  options: { loopback: boolean; allowedOrigins: readonly string[] },
): void {
  const host = req.headers.host ?? ''
  if (options.loopback) {
    const name = host.replace(/:\d+$/, '')
    if (!LOOPBACK_NAMES.test(name)) throw new RestError(403, 403, `Host ${host} is not served here`)
  }
  const method = req.method ?? 'GET'
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return
  const origin = req.headers.origin
  if (origin === undefined || origin === 'null') {
    if (origin === 'null') throw new RestError(403, 403, 'Requests from opaque origins are refused')
    return
  }
  if (origin === `http://${host}` || origin === `https://${host}` || options.allowedOrigins.includes(origin))
    return
  throw new RestError(403, 403, `Origin ${origin} may not change anything here`)
}

/** A body-carrying mutating request must say it is JSON: a plain HTML form cannot. */
export function requireJsonBody(type: string, isJson: boolean): void {
  if (!isJson) {
    throw new RestError(
      415,
      415,
      `Unsupported Media Type: expected a JSON content type, got '${type || 'none'}'`,
    )
  }
}

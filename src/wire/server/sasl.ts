import { sameBytes } from '../sasl/scram'
import type { Broker, Session } from './context'
import { ScramCredentials, type ScramMechanism, scramFinal, scramFirst } from './sasl-scram'

/** The outcome of one SaslAuthenticate round. */
export type SaslRound = { ok: true; reply: Buffer } | { ok: false; reason: string }

const credentials = new WeakMap<Readonly<Record<string, string>>, ScramCredentials>()

/**
 * One round of the mechanism SaslHandshake chose: PLAIN in one round; SCRAM in two (client-first →
 * server-first, client-final → server-final). On success the session is authenticated as
 * `User:<name>`; a failure names its reason (logged, never sent: the client learns only that it failed).
 */
export function authenticate(broker: Broker, session: Session, bytes: Buffer): SaslRound {
  const sasl = broker.options.sasl
  const mechanism = session.mechanism
  if (sasl === undefined || mechanism === undefined) return { ok: false, reason: 'no SaslHandshake first' }
  if (mechanism === 'PLAIN') {
    session.mechanism = undefined
    const parts = bytes.toString('utf8').split('\u0000')
    if (parts.length !== 3) return { ok: false, reason: 'malformed PLAIN message' }
    const [authzid, username, password] = parts as [string, string, string]
    if (authzid !== '' && authzid !== username) return { ok: false, reason: 'authzid differs from the user' }
    if (!Object.hasOwn(sasl.users, username) || !sameText(sasl.users[username]!, password)) {
      return { ok: false, reason: `bad credentials for ${username}` }
    }
    return succeed(session, username, Buffer.alloc(0))
  }
  let scram = credentials.get(sasl.users)
  if (scram === undefined) {
    scram = new ScramCredentials(sasl.users)
    credentials.set(sasl.users, scram)
  }
  const text = bytes.toString('utf8')
  const state = session.scram
  const step =
    state === undefined ? scramFirst(mechanism as ScramMechanism, text, scram) : scramFinal(state, text)
  if (!step.ok) {
    session.scram = undefined
    session.mechanism = undefined
    return step
  }
  session.scram = step.state
  if (step.username === undefined) return { ok: true, reply: step.reply }
  session.mechanism = undefined
  return succeed(session, step.username, step.reply)
}

function succeed(session: Session, username: string, reply: Buffer): SaslRound {
  session.authenticated = true
  session.principal = `User:${username}`
  return { ok: true, reply }
}

function sameText(a: string, b: string): boolean {
  return sameBytes(Buffer.from(a), Buffer.from(b))
}

/**
 * A raw SASL token after SaslHandshake v0 (older clients send tokens without a Kafka request
 * around them): the reply token, or a rejection, which closes the connection (Kafka's answer to a
 * failed v0 authentication).
 */
export async function rawSaslExchange(broker: Broker, session: Session, token: Buffer): Promise<Buffer> {
  const round = authenticate(broker, session, token)
  if (!round.ok) {
    broker.options.logger.warn(`SASL authentication from ${session.clientHost} failed: ${round.reason}`)
    throw new Error(`SASL authentication failed: ${round.reason}`)
  }
  // A SCRAM exchange goes on with the next raw token.
  if (!session.authenticated) session.rawSasl = true
  return round.reply
}

import { InvalidConfigError } from '../../index'
import { ApiKeys, KafkaErrors, kafkaError } from '../protocol'
import { SASL_MECHANISMS } from '../sasl/mechanism'
import { AuthenticationError, errorFromKafka } from './broker-error'
import type { BrokerConnection, SaslCredentials } from './connection'
import { ScramClient } from './scram-client'

/** What a login needs of its connection: its address, and a way to send past requests held back. */
export interface SaslExchange {
  readonly address: string
  send: BrokerConnection['send']
}

/**
 * A login with these credentials (see `authenticate`), resolving with the session's lifetime in ms (0:
 * the broker sets none); an `InvalidConfigError` naming the field at once, before anything is
 * connected, when they cannot be used.
 */
export function saslLogin(sasl: SaslCredentials): (exchange: SaslExchange) => Promise<number> {
  checkSaslCredentials(sasl)
  return (exchange) => authenticate(exchange, sasl)
}

function checkSaslCredentials(sasl: SaslCredentials): void {
  if (!(SASL_MECHANISMS as readonly string[]).includes(sasl.mechanism)) {
    throw new InvalidConfigError('sasl.mechanism', `must be one of ${SASL_MECHANISMS.join(', ')}`)
  }
  for (const field of ['username', 'password'] as const) {
    if (typeof sasl[field] !== 'string') throw new InvalidConfigError(`sasl.${field}`, 'must be a string')
  }
  if (sasl.username === '') throw new InvalidConfigError('sasl.username', 'must not be empty')
}

/**
 * Logs a connection in as Kafka's clients do after ApiVersions (and again before its session ends):
 * SaslHandshake v1 names the mechanism, then SaslAuthenticate carries its rounds (PLAIN: one; SCRAM:
 * two, the server's signature checked at the end). Resolves with the session lifetime the broker gave
 * (SaslAuthenticate v1+; 0 for none). Failures are `AuthenticationError`s; the caller closes the
 * connection.
 */
async function authenticate(connection: SaslExchange, sasl: SaslCredentials): Promise<number> {
  const { mechanism, username, password } = sasl
  const failed = (reason: string) =>
    new AuthenticationError(
      'SASL_AUTHENTICATION_FAILED',
      `SASL ${mechanism} authentication of ${username} to ${connection.address} failed: ${reason}`,
    )
  const { body: handshake } = await connection.send(ApiKeys.SaslHandshake, () => ({ mechanism }))
  if (handshake.errorCode !== 0) {
    const offered = handshake.mechanisms.length === 0 ? 'none' : handshake.mechanisms.join(', ')
    const message =
      handshake.errorCode === KafkaErrors.UNSUPPORTED_SASL_MECHANISM
        ? `${connection.address} does not offer SASL mechanism ${mechanism} (it offers: ${offered})`
        : handshake.errorCode === KafkaErrors.ILLEGAL_SASL_STATE
          ? `${connection.address} does not take SASL on this listener (ILLEGAL_SASL_STATE): is it a PLAINTEXT or SSL listener?`
          : `SaslHandshake with ${connection.address} failed: ${kafkaError(handshake.errorCode).name}`
    throw errorFromKafka(handshake.errorCode, { message })!
  }
  let lifetimeMs = 0
  const round = async (bytes: Buffer): Promise<Buffer> => {
    const { body } = await connection.send(ApiKeys.SaslAuthenticate, () => ({ authBytes: bytes }))
    lifetimeMs = Number(body.sessionLifetimeMs ?? 0n)
    if (body.errorCode === KafkaErrors.SASL_AUTHENTICATION_FAILED) {
      throw failed(body.errorMessage ?? 'invalid credentials')
    }
    if (body.errorCode !== 0) {
      throw errorFromKafka(body.errorCode, {
        message: `SaslAuthenticate with ${connection.address} failed: ${body.errorMessage ?? kafkaError(body.errorCode).name}`,
      })!
    }
    return Buffer.from(body.authBytes)
  }
  if (mechanism === 'PLAIN') {
    // RFC 4616: authzid (empty: the user itself), user, password, NUL-separated.
    await round(Buffer.from(`\u0000${username}\u0000${password}`, 'utf8'))
    return lifetimeMs
  }
  const scram = new ScramClient(mechanism, username, password)
  const serverFirst = await round(Buffer.from(scram.firstMessage(), 'utf8'))
  const final = scram.finalMessage(serverFirst.toString('utf8'))
  if (!final.ok) throw failed(final.reason)
  const serverFinal = await round(Buffer.from(final.message, 'utf8'))
  const verified = scram.verifyServerFinal(serverFinal.toString('utf8'))
  if (!verified.ok) throw failed(verified.reason)
  return lifetimeMs
}

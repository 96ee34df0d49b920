import { KafkaErrors } from '../protocol'
import type { Handler } from '../server/context'
import { authenticate } from '../server/sasl'

/**
 * SaslHandshake: picks the mechanism; v0 means the next frames are raw SASL tokens (no Kafka request
 * around them), v1 that they come in SaslAuthenticate requests.
 */
export const saslHandshake: Handler<17> = (body, context) => {
  const sasl = context.broker.options.sasl
  const mechanisms = sasl?.mechanisms ?? []
  if (sasl === undefined) return { errorCode: KafkaErrors.ILLEGAL_SASL_STATE, mechanisms: [] }
  if (!mechanisms.includes(body.mechanism as (typeof mechanisms)[number])) {
    return { errorCode: KafkaErrors.UNSUPPORTED_SASL_MECHANISM, mechanisms: [...mechanisms] }
  }
  context.session.mechanism = body.mechanism
  context.session.scram = undefined
  if (context.apiVersion === 0) context.session.rawSasl = true
  return { errorCode: 0, mechanisms: [...mechanisms] }
}

/** SaslAuthenticate: one round of the chosen mechanism; a failure is SASL_AUTHENTICATION_FAILED. */
export const saslAuthenticate: Handler<36> = (body, context) => {
  const round = authenticate(context.broker, context.session, Buffer.from(body.authBytes))
  if (!round.ok) {
    context.broker.options.logger.warn(
      `SASL authentication from ${context.session.clientHost} failed: ${round.reason}`,
    )
    return {
      errorCode: KafkaErrors.SASL_AUTHENTICATION_FAILED,
      errorMessage: 'Authentication failed: invalid credentials',
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0n,
    }
  }
  return { errorCode: 0, errorMessage: null, authBytes: round.reply, sessionLifetimeMs: 0n }
}

/** The SASL mechanisms logbus speaks, on both sides of a connection. */
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const

/**
 * A SASL mechanism: the server offers these, and the client logs in with one of them.
 *
 * @example
 * ```ts
 * const mechanism: SaslMechanism = 'SCRAM-SHA-256'
 * ```
 */
export type SaslMechanism = (typeof SASL_MECHANISMS)[number]

import { randomBytes } from 'node:crypto'
import {
  encodeSaslName,
  SCRAM_MIN_ITERATIONS,
  type ScramMechanism,
  sameBytes,
  scramAttributes,
  scramHmac,
  scramKeys,
  xorBytes,
} from '../sasl/scram'

/** A step of the exchange: the message to send, or why the server's message is refused. */
export type ScramClientStep = { ok: true; message: string } | { ok: false; reason: string }

/**
 * The client's side of a SCRAM exchange (RFC 5802, RFC 7677), as Kafka's clients run it: no channel
 * binding (`n,,`), no SASLprep of the password (Kafka's own client applies none either). Three steps:
 * the client-first message; the client-final message with the proof, from the server-first message;
 * and the check of the server's signature in the server-final message, which proves the server knows
 * the password too.
 */
export class ScramClient {
  readonly #mechanism: ScramMechanism
  readonly #password: string
  readonly #nonce: string
  readonly #clientFirstBare: string
  #serverSignature: Buffer | undefined

  /** `nonce` is for known-answer tests: by default 24 random bytes in base64 (no comma in it). */
  constructor(mechanism: ScramMechanism, username: string, password: string, nonce?: string) {
    this.#mechanism = mechanism
    this.#password = password
    this.#nonce = nonce ?? randomBytes(24).toString('base64')
    this.#clientFirstBare = `n=${encodeSaslName(username)},r=${this.#nonce}`
  }

  /** client-first-message: the gs2 header and the user and nonce. */
  firstMessage(): string {
    return `n,,${this.#clientFirstBare}`
  }

  /** client-final-message, from the server-first message (its nonce, salt and iteration count checked). */
  finalMessage(serverFirst: string): ScramClientStep {
    const attributes = scramAttributes(serverFirst)
    const nonce = attributes?.get('r')
    const salt = attributes?.get('s')
    const iterationsText = attributes?.get('i')
    if (nonce === undefined || salt === undefined || iterationsText === undefined) {
      return { ok: false, reason: 'malformed server-first message' }
    }
    if (!nonce.startsWith(this.#nonce) || nonce.length === this.#nonce.length) {
      return { ok: false, reason: 'the server did not extend the client nonce' }
    }
    const iterations = /^\d{1,10}$/.test(iterationsText) ? Number(iterationsText) : Number.NaN
    // Kafka's clients refuse fewer iterations than Kafka ever stores: fewer weaken the derived keys.
    if (!(iterations >= SCRAM_MIN_ITERATIONS && iterations <= 0x7fffffff)) {
      return {
        ok: false,
        reason: `iteration count ${iterationsText} (at least ${SCRAM_MIN_ITERATIONS} are needed)`,
      }
    }
    const keys = scramKeys(this.#mechanism, this.#password, Buffer.from(salt, 'base64'), iterations)
    const withoutProof = `c=biws,r=${nonce}`
    const authMessage = `${this.#clientFirstBare},${serverFirst},${withoutProof}`
    const proof = xorBytes(keys.clientKey, scramHmac(this.#mechanism, keys.storedKey, authMessage))
    this.#serverSignature = scramHmac(this.#mechanism, keys.serverKey, authMessage)
    return { ok: true, message: `${withoutProof},p=${proof.toString('base64')}` }
  }

  /** Checks the server-final message: its signature, or the error it names. */
  verifyServerFinal(serverFinal: string): { ok: true } | { ok: false; reason: string } {
    const attributes = scramAttributes(serverFinal)
    const error = attributes?.get('e')
    if (error !== undefined) return { ok: false, reason: `the server refused: ${error}` }
    const signature = attributes?.get('v')
    if (this.#serverSignature === undefined || signature === undefined) {
      return { ok: false, reason: 'malformed server-final message' }
    }
    if (!sameBytes(Buffer.from(signature, 'base64'), this.#serverSignature)) {
      return { ok: false, reason: 'the server’s signature is wrong: it does not know the password' }
    }
    return { ok: true }
  }
}

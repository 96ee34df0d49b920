import { nodeCrypto } from '../node-crypto'
import {
  decodeSaslName,
  SCRAM_MIN_ITERATIONS,
  type ScramMechanism,
  sameBytes,
  scramHash,
  scramHmac,
  scramKeys,
  xorBytes,
} from '../sasl/scram'

export type { ScramMechanism } from '../sasl/scram'

/** What the server keeps of a user's password for one mechanism (RFC 5802 §3). */
interface Credential {
  salt: Buffer
  iterations: number
  storedKey: Buffer
  serverKey: Buffer
}

/** The exchange between the client's first and final messages. */
export interface ScramState {
  mechanism: ScramMechanism
  username: string
  clientFirstBare: string
  serverFirst: string
  nonce: string
  credential: Credential
}

/** The outcome of one SCRAM round: the bytes to send back, and the user once the exchange succeeded. */
export type ScramStep =
  | { ok: true; reply: Buffer; state: ScramState | undefined; username: string | undefined }
  | { ok: false; reason: string }

/** Credentials made from the configured passwords on first use, one per user and mechanism. */
export class ScramCredentials {
  readonly #users: Readonly<Record<string, string>>
  readonly #cache = new Map<string, Credential>()

  constructor(users: Readonly<Record<string, string>>) {
    this.#users = users
  }

  get(mechanism: ScramMechanism, username: string): Credential | undefined {
    if (!Object.hasOwn(this.#users, username)) return undefined
    const key = `${mechanism}\u0000${username}`
    let credential = this.#cache.get(key)
    if (credential === undefined) {
      const salt = nodeCrypto().randomBytes(16)
      const { storedKey, serverKey } = scramKeys(
        mechanism,
        this.#users[username]!,
        salt,
        SCRAM_MIN_ITERATIONS,
      )
      credential = { salt, iterations: SCRAM_MIN_ITERATIONS, storedKey, serverKey }
      this.#cache.set(key, credential)
    }
    return credential
  }
}

/** Round one: the client-first message in, the server-first message out. */
export function scramFirst(
  mechanism: ScramMechanism,
  message: string,
  credentials: ScramCredentials,
): ScramStep {
  // gs2-header "n,," (no channel binding, no authzid other than the user), then the bare message.
  const match = /^n,(?:a=[^,]*)?,(n=([^,]*),r=([^,]+)(?:,.*)?)$/.exec(message)
  if (match === null) return { ok: false, reason: 'malformed client-first message' }
  const clientFirstBare = match[1]!
  const username = decodeSaslName(match[2]!)
  if (username === undefined) return { ok: false, reason: 'malformed user name' }
  const clientNonce = match[3]!
  const credential = credentials.get(mechanism, username)
  // An unknown user gets the same error as a wrong password, after the same round trip.
  if (credential === undefined) return { ok: false, reason: `unknown user ${username}` }
  const nonce = clientNonce + nodeCrypto().randomBytes(18).toString('base64')
  const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`
  return {
    ok: true,
    reply: Buffer.from(serverFirst),
    state: { mechanism, username, clientFirstBare, serverFirst, nonce, credential },
    username: undefined,
  }
}

/** Round two: the client-final message in (its proof checked), the server-final message out. */
export function scramFinal(state: ScramState, message: string): ScramStep {
  const match = /^(c=([^,]*),r=([^,]+)(?:,.*)?),p=([^,]+)$/.exec(message)
  if (match === null) return { ok: false, reason: 'malformed client-final message' }
  const [, withoutProof, channelBinding, nonce, proofText] = match
  if (nonce !== state.nonce) return { ok: false, reason: 'nonce mismatch' }
  if (channelBinding !== 'biws') return { ok: false, reason: 'channel binding is not supported' }
  const { mechanism, credential } = state
  const authMessage = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`
  const proof = Buffer.from(proofText!, 'base64')
  const signature = scramHmac(mechanism, credential.storedKey, authMessage)
  if (proof.length !== signature.length) return { ok: false, reason: 'bad proof' }
  if (!sameBytes(scramHash(mechanism, xorBytes(proof, signature)), credential.storedKey)) {
    return { ok: false, reason: 'wrong password' }
  }
  const serverSignature = scramHmac(mechanism, credential.serverKey, authMessage).toString('base64')
  return { ok: true, reply: Buffer.from(`v=${serverSignature}`), state: undefined, username: state.username }
}

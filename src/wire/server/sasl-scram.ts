import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'

/** SCRAM's hash per mechanism (RFC 5802 with SHA-256 per RFC 7677, and SHA-512 as Kafka offers it). */
const HASHES = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const
/** Kafka's default iteration count for SCRAM credentials. */
const ITERATIONS = 4096

/** A SCRAM mechanism name. */
export type ScramMechanism = keyof typeof HASHES

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
      const hash = HASHES[mechanism]
      const salt = randomBytes(16)
      const salted = pbkdf2Sync(this.#users[username]!, salt, ITERATIONS, hashLength(hash), hash)
      credential = {
        salt,
        iterations: ITERATIONS,
        storedKey: digest(hash, hmac(hash, salted, 'Client Key')),
        serverKey: hmac(hash, salted, 'Server Key'),
      }
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
  const username = match[2]!.replaceAll('=2C', ',').replaceAll('=3D', '=')
  const clientNonce = match[3]!
  const credential = credentials.get(mechanism, username)
  // An unknown user gets the same error as a wrong password, after the same round trip.
  if (credential === undefined) return { ok: false, reason: `unknown user ${username}` }
  const nonce = clientNonce + randomBytes(18).toString('base64')
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
  const hash = HASHES[state.mechanism]
  const authMessage = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`
  const proof = Buffer.from(proofText!, 'base64')
  const signature = hmac(hash, state.credential.storedKey, authMessage)
  if (proof.length !== signature.length) return { ok: false, reason: 'bad proof' }
  const clientKey = Buffer.alloc(proof.length)
  for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!
  if (!timingSafeEqual(digest(hash, clientKey), state.credential.storedKey)) {
    return { ok: false, reason: 'wrong password' }
  }
  const serverSignature = hmac(hash, state.credential.serverKey, authMessage).toString('base64')
  return { ok: true, reply: Buffer.from(`v=${serverSignature}`), state: undefined, username: state.username }
}

function hmac(hash: string, key: Buffer, data: string): Buffer {
  return createHmac(hash, key).update(data).digest()
}

function digest(hash: string, data: Buffer): Buffer {
  return createHash(hash).update(data).digest()
}

function hashLength(hash: string): number {
  return hash === 'sha512' ? 64 : 32
}

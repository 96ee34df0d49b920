import { nodeCrypto } from '../node-crypto'

// SCRAM's arithmetic (RFC 5802, with SHA-256 per RFC 7677 and SHA-512 as Kafka offers it), shared by
// the server's and the client's side of the exchange. Pure functions: no state, no I/O.

const HASHES = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const
const HASH_BYTES = { sha256: 32, sha512: 64 } as const

/** A SCRAM mechanism name, as SaslHandshake names it. */
export type ScramMechanism = keyof typeof HASHES

/** Kafka's minimum (and default) iteration count for SCRAM credentials. */
export const SCRAM_MIN_ITERATIONS = 4096

/** Whether a mechanism name is one of the SCRAM ones. */
export function isScramMechanism(name: string): name is ScramMechanism {
  return Object.hasOwn(HASHES, name)
}

/** The keys RFC 5802 §3 derives from a password: the client's, and what a server stores of it. */
export interface ScramKeys {
  clientKey: Buffer
  storedKey: Buffer
  serverKey: Buffer
}

/** SaltedPassword = Hi(password, salt, i) (PBKDF2), then ClientKey, StoredKey and ServerKey from it. */
export function scramKeys(
  mechanism: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations: number,
): ScramKeys {
  const hash = HASHES[mechanism]
  const salted = nodeCrypto().pbkdf2Sync(password, salt, iterations, HASH_BYTES[hash], hash)
  const clientKey = scramHmac(mechanism, salted, 'Client Key')
  return {
    clientKey,
    storedKey: scramHash(mechanism, clientKey),
    serverKey: scramHmac(mechanism, salted, 'Server Key'),
  }
}

/** HMAC(key, text): a ClientSignature or ServerSignature over the AuthMessage. */
export function scramHmac(mechanism: ScramMechanism, key: Buffer, text: string): Buffer {
  return nodeCrypto().createHmac(HASHES[mechanism], key).update(text).digest()
}

/** H(bytes): StoredKey from ClientKey. */
export function scramHash(mechanism: ScramMechanism, bytes: Buffer): Buffer {
  return nodeCrypto().createHash(HASHES[mechanism]).update(bytes).digest()
}

/** The byte-wise XOR of two keys of one length: ClientProof from ClientKey, and back. */
export function xorBytes(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** Whether two signatures are equal, in constant time (false for different lengths). */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && nodeCrypto().timingSafeEqual(a, b)
}

/** A user name as SCRAM writes it (`saslname`): `=` and `,` escaped as `=3D` and `=2C`. */
export function encodeSaslName(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C')
}

/** A `saslname` read back; undefined when it holds an `=` that is not one of the two escapes. */
export function decodeSaslName(text: string): string | undefined {
  if (/=(?!2C|3D)/.test(text)) return undefined
  return text.replaceAll('=2C', ',').replaceAll('=3D', '=')
}

/**
 * A SCRAM message's attributes (`r=…,s=…,i=…`) by their one-letter names, in order; undefined when a
 * part is not `<letter>=<value>`.
 */
export function scramAttributes(message: string): Map<string, string> | undefined {
  const attributes = new Map<string, string>()
  for (const part of message.split(',')) {
    const match = /^([A-Za-z])=(.*)$/s.exec(part)
    if (match === null) return undefined
    attributes.set(match[1]!, match[2]!)
  }
  return attributes
}

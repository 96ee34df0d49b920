import { createRequire } from 'node:module'

type NodeCrypto = typeof import('node:crypto')

let crypto: NodeCrypto | undefined

/**
 * `node:crypto`, loaded at its first use instead of with the wire code: loading it is several ms of CPU
 * (Node 20), which a server would pay before it listens, when it needs hashes only for SASL, its cluster
 * id and topic ids, all first asked for by a client.
 */
export function nodeCrypto(): NodeCrypto {
  crypto ??= createRequire(import.meta.url)('node:crypto') as NodeCrypto
  return crypto
}

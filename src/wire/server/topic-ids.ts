import type { Bus } from '../../index'
import { nodeCrypto } from '../node-crypto'

/**
 * Topic ids (KIP-516) for clients that name topics by id (Fetch v13+, newer Metadata users). logbus
 * topics have no stored id, so a topic's id is derived from the cluster id and its name: stable across
 * restarts and the same for every connection. Unlike Kafka, a topic deleted and created again under
 * the same name gets the same id back (README: "Any Kafka client").
 */
export class TopicIds {
  readonly #bus: Bus
  readonly #clusterId: () => string
  readonly #byName = new Map<string, string>()
  readonly #byId = new Map<string, string>()

  /** `clusterId` is asked for at the first id: the cluster id is made when first needed too. */
  constructor(bus: Bus, clusterId: () => string) {
    this.#bus = bus
    this.#clusterId = clusterId
  }

  idOf(name: string): string {
    let id = this.#byName.get(name)
    if (id === undefined) {
      id = uuidOf(nodeCrypto().createHash('sha256').update(`${this.#clusterId()}\u0000${name}`).digest())
      this.#byName.set(name, id)
      this.#byId.set(id, name)
    }
    return id
  }

  /** The name of an existing topic with this id, or undefined. */
  nameOf(id: string): string | undefined {
    const known = this.#byId.get(id)
    if (known !== undefined) return this.#bus.listTopics().includes(known) ? known : undefined
    for (const name of this.#bus.listTopics()) if (this.idOf(name) === id) return name
    return undefined
  }
}

/** A version 4 (random-form) UUID from 16 bytes of a hash: never the zero id clients treat as "none". */
function uuidOf(hash: Buffer): string {
  const bytes = Buffer.from(hash.subarray(0, 16))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

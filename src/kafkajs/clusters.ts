import { Bus } from '../index'

/**
 * The in-process clusters of this process, by broker list: KafkaJS clients that name the same
 * brokers reach the same cluster, so facade clients that name the same brokers share one bus.
 */
const clusters = new Map<string, Promise<Bus>>()

/** The same list however it is ordered, spaced or repeated. */
function clusterKey(brokers: readonly string[]): string {
  return [...new Set(brokers.map((broker) => String(broker).trim()))].sort().join(',')
}

/**
 * The bus of the cluster at `brokers`, opened (in memory) the first time a client names them. It
 * lives until `resetClusters()` or until someone closes it, as a real cluster outlives its clients.
 *
 * @example
 * ```ts
 * const bus = await clusterBus(['localhost:9092'])
 * ```
 */
export function clusterBus(brokers: readonly string[]): Promise<Bus> {
  const key = clusterKey(brokers)
  let opened = clusters.get(key)
  if (opened === undefined) {
    const opening = Bus.open().then((bus) => {
      // Closed by its owner: the next client that names these brokers gets a new, empty cluster.
      bus.once('close', () => {
        if (clusters.get(key) === opening) clusters.delete(key)
      })
      return bus
    })
    opened = opening
    clusters.set(key, opening)
    opening.catch(() => clusters.delete(key))
  }
  return opened
}

/**
 * Closes and forgets every in-process cluster that facade clients opened by naming brokers (not the
 * buses given in `logbus: { bus }`): the next client starts from an empty cluster. Call it between
 * tests, after disconnecting the clients (a client still connected fails its next call, as it would
 * against a broker that went away).
 *
 * @example
 * ```ts
 * import { resetClusters } from 'logbus/kafkajs'
 *
 * afterEach(() => resetClusters())
 * ```
 */
export async function resetClusters(): Promise<void> {
  const opened = [...clusters.values()]
  clusters.clear()
  await Promise.all(opened.map(async (bus) => (await bus.catch(() => undefined))?.close()))
}

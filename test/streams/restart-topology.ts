import { type Bus, MemoryStorage, string } from '../../src/index'
import { type StreamsApp, streams, TimeWindows } from '../../src/streams'

/**
 * What the restart tests and their child process share: the topics, and an application that counts
 * events per user (and per user and minute), writing each new count to `counts-out`.
 */
export const restartTopics = {
  events: { partitions: 2, value: string() },
  'counts-out': { partitions: 2, value: string() },
} as const

export type RestartBus = Bus<typeof restartTopics>

export function counterApp(
  bus: RestartBus,
  commitIntervalMs = 30_000,
  onEvent: (user: string | null) => void = () => {},
  processingGuarantee: 'at_least_once' | 'exactly_once_v2' = 'at_least_once',
) {
  const app: StreamsApp<typeof restartTopics> = streams(bus, {
    applicationId: 'counter',
    commitIntervalMs,
    processingGuarantee,
    logger: { warn: () => undefined },
  })
  const grouped = app
    .stream('events')
    .peek((user) => onEvent(user))
    .groupByKey()
  const counts = grouped.count({ name: 'counts' })
  const perMinute = grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count({ name: 'per-minute' })
  counts
    .toStream()
    .mapValues((count) => String(count))
    .to('counts-out')
  return { app, counts, perMinute }
}

/** `n` events of `user`, at one timestamp (one minute window). */
export const events = (user: string, n: number, timestamp: number) =>
  Array.from({ length: n }, (_, i) => ({ key: user, value: `${user}-${i}`, timestamp }))

export { MemoryStorage }

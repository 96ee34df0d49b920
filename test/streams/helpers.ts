import { onTestFinished } from 'vitest'
import { Bus, type BusOptions, type LogRecord, type TopicDeclarations } from '../../src/index'
import { type StreamsApp, type StreamsOptions, streams } from '../../src/streams'

/** A streams application closed when the test finishes (before its bus: cleanups run in reverse). */
export function openApp<D extends TopicDeclarations>(bus: Bus<D>, options: StreamsOptions): StreamsApp<D> {
  const app = streams(bus, { logger: { warn: () => undefined }, ...options })
  onTestFinished(() => app.close())
  return app
}

/** Every record of a topic, partition by partition, as `key value` strings. */
export async function readTopic<D extends TopicDeclarations>(
  bus: Bus<D>,
  topic: string,
): Promise<LogRecord<unknown, unknown>[]> {
  const view = bus.topic(topic)
  const out: LogRecord<unknown, unknown>[] = []
  for (const partition of view.partitions) {
    if (partition.logEndOffset > partition.logStartOffset)
      out.push(...(await partition.read(partition.logStartOffset, 1 << 30)))
  }
  return out
}

/** `key value` lines of records. */
export const lines = (records: readonly LogRecord<unknown, unknown>[]): string[] =>
  records.map((r) => `${String(r.key)} ${r.value === null ? 'null' : String(r.value)}`)

/** A bus with declared topics, closed when the test finishes. */
export async function openTypedBus<const D extends TopicDeclarations>(
  options: BusOptions<D>,
): Promise<Bus<D>> {
  const bus = await Bus.open(options)
  onTestFinished(() => bus.close())
  return bus
}

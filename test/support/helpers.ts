import type { LogRecord, TopicPartition } from '../../src/index'

/** A promise a test opens when it chooses: holds a handler, a storage call or a revoke in place. */
export interface Gate {
  readonly promise: Promise<void>
  open(): void
}

export function gate(): Gate {
  let open: () => void = () => undefined
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** `tps('t', 0, 1)` → [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }] */
export const tps = (topic: string, ...partitions: number[]): TopicPartition[] =>
  partitions.map((partition) => ({ topic, partition }))

/** Records as `partition@offset` strings, for readable expectations. */
export const at = (records: readonly LogRecord[]): string[] =>
  records.map((r) => `${r.partition}@${r.offset}`)

/** Lets `n` turns of the event loop pass: for asserting that something has NOT happened meanwhile. */
export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/**
 * A topic's partition count from an assignor's input, counting only own, positive integer entries:
 * `partitions` is a plain object, so `constructor` or `__proto__` must not count as topics.
 */
export function partitionCount(partitions: Record<string, number>, topic: string): number {
  if (!Object.hasOwn(partitions, topic)) return 0
  const count = partitions[topic]
  return count !== undefined && Number.isSafeInteger(count) && count > 0 ? count : 0
}

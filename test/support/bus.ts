import { onTestFinished } from 'vitest'
import { Bus, type BusOptions } from '../../src/index'

let counter = 0

/** A name no other test uses: topics and groups never collide, even across files. */
export function uniqueName(prefix = 't'): string {
  counter++
  return `${prefix}-${process.pid}-${counter}`
}

/** Opens a bus that is closed when the test finishes, whatever happens in it. */
export async function openBus(options?: BusOptions): Promise<Bus> {
  const bus = await Bus.open(options)
  onTestFinished(() => bus.close())
  return bus
}

/**
 * Waits until `condition` holds, re-checking after every turn of the event loop, or fails after
 * `timeoutMs`. A condition with a deadline, never a fixed sleep.
 */
export async function waitUntil(
  condition: () => boolean,
  { timeoutMs = 5_000, message = 'condition' }: { timeoutMs?: number; message?: string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}`)
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

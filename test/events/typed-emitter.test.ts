import { describe, expect, it } from 'vitest'
import { TypedEmitter } from '../../src/index'

interface CounterEvents {
  tick: { count: number }
  done: Record<string, never>
}

/** The way a layer over the core (connect, datagen) gives its own components typed events. */
class Counter extends TypedEmitter<CounterEvents> {
  count = 0
  tick(): void {
    this.count++
    this.emit('tick', { count: this.count })
  }
  finish(): void {
    this.emit('done', {})
  }
}

describe('TypedEmitter as a base class of the public API', () => {
  it('delivers events to on and once listeners until they unsubscribe', () => {
    const counter = new Counter()
    const seen: number[] = []
    const once: number[] = []
    const off = counter.on('tick', ({ count }) => seen.push(count))
    counter.once('tick', ({ count }) => once.push(count))
    counter.tick()
    counter.tick()
    off()
    counter.tick()
    expect(seen).toEqual([1, 2])
    expect(once).toEqual([1])
  })

  it('waitFor resolves with the next payload, and rejects when its signal aborts first', async () => {
    const counter = new Counter()
    const next = counter.waitFor('tick')
    counter.tick()
    await expect(next).resolves.toEqual({ count: 1 })
    const controller = new AbortController()
    const never = counter.waitFor('done', controller.signal)
    controller.abort(new Error('gave up'))
    await expect(never).rejects.toThrow('gave up')
  })
})

import { describe, expect, it } from 'vitest'
import { keyId } from '../../../src/streams/state/key-id'
import { KeyValueStore } from '../../../src/streams/state/key-value-store'
import type { ChangelogMessage } from '../../../src/streams/state/store'

describe('KeyValueStore restored from its changelog', () => {
  const restored = (): KeyValueStore<number> => {
    const store = new KeyValueStore<number>('counts', true)
    store.restore('a', [1, 10], 10)
    store.restore('b', [2, 20], 20)
    store.restore(keyId({ id: 7 }), [3, 30], 30)
    store.restore('a', [4, 40], 40)
    store.restore('gone', [5, 50], 50)
    store.restore('gone', null, 60)
    return store
  }

  it('holds the last record of each key, tombstones removed, and answers as if every key were written', () => {
    const store = restored()
    expect(store.size).toBe(3)
    expect(store.get('a')).toBe(4)
    expect(store.get({ id: 7 })).toBe(3)
    expect(store.get('gone')).toBeUndefined()
    expect(store.lookup('b')).toMatchObject({ id: 'b', key: 'b', value: 2, timestamp: 20, dirty: false })
    expect(store.sorted().map(({ key, value, timestamp }) => [key, value, timestamp])).toEqual([
      ['a', 4, 40],
      ['b', 2, 20],
      [{ id: 7 }, 3, 30],
    ])
  })

  it('logs nothing for what it restored, and the writes after it as usual', () => {
    const store = restored()
    const before: ChangelogMessage[] = []
    store.drainChanges(0, before)
    expect(before).toEqual([])
    const b = store.lookup('b')!
    store.put('b', 'b', b.value + 1, 70, b)
    store.delete(keyId({ id: 7 }), 80)
    store.put('c', 'c', 1, 90)
    const changes: ChangelogMessage[] = []
    store.drainChanges(0, changes)
    expect(changes).toEqual([
      { key: 'b', value: [3, 70], partition: 0, timestamp: 70 },
      { key: keyId({ id: 7 }), value: null, partition: 0, timestamp: 80 },
      { key: 'c', value: [1, 90], partition: 0, timestamp: 90 },
    ])
    expect(store.size).toBe(3)
    expect(store.lookup(keyId({ id: 7 }))).toBeUndefined()
  })

  it('takes a value without a timestamp with the record timestamp', () => {
    const store = new KeyValueStore<number>('counts', true)
    store.restore('a', [1], 15)
    expect(store.lookup('a')).toMatchObject({ value: 1, timestamp: 15 })
  })
})

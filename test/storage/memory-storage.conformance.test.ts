import { MemoryStorage } from '../../src/index'
import { storageConformance } from './conformance'

// Memory storage keeps its data in the instance: reopening is opening the same instance again.
storageConformance('MemoryStorage', async () => {
  const storage = new MemoryStorage()
  return { storage, reopen: async () => storage, cleanup: async () => {}, joinsBatches: true }
})

/**
 * Makes `require('kafkajs')` give logbus/kafkajs in this process, for frameworks that load KafkaJS by
 * name from their own CommonJS code (NestJS's Kafka transport does), which `vi.mock` does not reach.
 * jest's `jest.mock('kafkajs', …)` does reach such requires; vitest needs this alias in the module
 * cache. The real kafkajs package must be installed, only for its path.
 */
import { createRequire, Module } from 'node:module'
import * as facade from 'logbus/kafkajs'

export function useLogbusAsKafkaJS(): void {
  const require = createRequire(import.meta.url)
  const path = require.resolve('kafkajs')
  const alias = new Module(path)
  alias.filename = path
  alias.loaded = true
  alias.exports = facade
  require.cache[path] = alias
}

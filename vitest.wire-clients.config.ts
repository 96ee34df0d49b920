import { configDefaults, defineConfig } from 'vitest/config'
import base from './vitest.config'

// Kafka clients in other processes against bus.listen(): kcat (librdkafka) and kafka-python, which CI
// installs (.ci/run). A missing client fails its tests; nothing here skips itself.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/wire/external/**/*.test.ts'],
    exclude: configDefaults.exclude,
    testTimeout: 90_000,
  },
})

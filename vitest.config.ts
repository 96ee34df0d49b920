import { fileURLToPath } from 'node:url'
import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    // Tests and examples import the package by its name, as users do, from the sources.
    alias: {
      'logbus/kafkajs': fileURLToPath(new URL('./src/kafkajs/index.ts', import.meta.url)),
      'logbus/file': fileURLToPath(new URL('./src/file.ts', import.meta.url)),
      'logbus/http': fileURLToPath(new URL('./src/http.ts', import.meta.url)),
      'logbus/datagen': fileURLToPath(new URL('./src/datagen.ts', import.meta.url)),
      'logbus/connect': fileURLToPath(new URL('./src/connect.ts', import.meta.url)),
      'logbus/streams': fileURLToPath(new URL('./src/streams.ts', import.meta.url)),
      'logbus/otel': fileURLToPath(new URL('./src/otel.ts', import.meta.url)),
      'logbus/wire': fileURLToPath(new URL('./src/wire.ts', import.meta.url)),
      logbus: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Browser tests drive Chromium (`npm run test:browser`); Kafka clients in other processes (kcat,
    // kafka-python, …) run in `npm run test:wire-clients`.
    exclude: [...configDefaults.exclude, 'test/browser/**', 'test/wire/external/**'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    typecheck: { enabled: false },
  },
})

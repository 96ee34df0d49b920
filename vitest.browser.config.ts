import { defineConfig } from 'vitest/config'
import base from './vitest.config'

// The console in a real browser: Debian's Chromium driven by puppeteer-core (`npm run test:browser`).
// Spread rather than merged: mergeConfig would add these globs to the unit suite's (and keep its exclude).
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/browser/**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})

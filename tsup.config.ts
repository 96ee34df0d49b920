import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', kafkajs: 'src/kafkajs/index.ts' },
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  treeshake: true,
})

import { runLoad } from './load'

for (let i = 0; i < 3; i++) {
  const r = await runLoad(
    { storage: 'memory', kind: 'string', partitions: 8, groupSize: 1, producers: 1, mode: 'batch' },
    2_000_000,
  )
  console.log(Math.round(r.value), r.detail)
}

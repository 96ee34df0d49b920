/** What the compaction crash child writes, and where it may be killed. */
export const COMPACTION_TOPIC = 'compacted'
export const RECORDS = 400
export const KEYS = 25
export const KILL_POINTS = [
  'cleaned-write',
  'cleaned-flush',
  'swap-rename',
  'index-unlink',
  'log-rename',
  'second-segment',
  'checkpoint',
] as const

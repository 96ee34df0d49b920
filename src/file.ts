export {
  type DamageListener,
  type DamagePlace,
  describeDamage,
  type LogDamage,
  warnDamage,
} from './storage/file/damage'
export type { FsyncPolicy } from './storage/file/file-partition-log'
export { FileStorage, type FileStorageOptions } from './storage/file/file-storage'
export { type FileSystem, nodeFileSystem } from './storage/file/file-system'
export type { BatchReport, DamageReport } from './storage/file/inspect'
export {
  type RepairAction,
  type RepairMode,
  type RepairOptions,
  type RepairReport,
  repairLog,
} from './storage/file/repair'
export {
  type LogToolOptions,
  type PartitionReport,
  type VerifyOptions,
  type VerifyProgress,
  type VerifyReport,
  verifyLog,
} from './storage/file/verify'

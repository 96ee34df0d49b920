/**
 * `logbus/file`: the durable file log, Kafka's segment layout on local disk, and the tools to verify
 * and repair it.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { FileStorage } from 'logbus/file'
 *
 * const bus = await Bus.open({ storage: new FileStorage({ dir: './data', fsync: 'always' }) })
 * ```
 */
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

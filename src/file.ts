export { type DamageListener, describeDamage, type LogDamage, warnDamage } from './storage/file/damage'
export type { FsyncPolicy } from './storage/file/file-partition-log'
export { FileStorage, type FileStorageOptions } from './storage/file/file-storage'
export { type FileSystem, nodeFileSystem } from './storage/file/file-system'

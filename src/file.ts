/**
 * `logbus/file`: the durable file log, Kafka's segment layout on local disk.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { FileStorage } from 'logbus/file'
 *
 * const bus = await Bus.open({ storage: new FileStorage({ dir: './data', fsync: 'always' }) })
 * ```
 */
export type { FsyncPolicy } from './storage/file/file-partition-log'
export { FileStorage, type FileStorageOptions } from './storage/file/file-storage'
export { type FileSystem, nodeFileSystem } from './storage/file/file-system'

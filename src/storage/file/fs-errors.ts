import { LogbusError, StorageError } from '../../errors'

/**
 * System error codes after which the same operation may succeed later without anyone repairing
 * anything: space or descriptors get freed, a busy resource frees up.
 */
const TRANSIENT_CODES = new Set([
  'ENOSPC',
  'EDQUOT',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
  'ENOMEM',
  'EINTR',
])

/**
 * The system error code of `error` (ENOSPC, EROFS, …), if it has one.
 *
 * @example
 * ```ts
 * if (codeOf(error) === 'ENOENT') return undefined
 * ```
 */
export function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/**
 * Every failure leaving the file storage is one of ours: a LogbusError passes as it is, anything else
 * (a raw Node error) becomes a StorageError that keeps it as `cause`, says what was being done and
 * the system's own message (with its code: ENOSPC, EROFS, …), and is `retriable` when the code is a
 * transient one, unless the caller knows better (a failed write that could not be undone is not).
 *
 * @example
 * ```ts
 * throw toStorageError(error, `Cannot append to ${path}`)
 * ```
 */
export function toStorageError(error: unknown, what: string, retriable?: boolean): LogbusError {
  if (error instanceof LogbusError) return error
  const detail = error instanceof Error ? error.message : String(error)
  const code = codeOf(error)
  return new StorageError(`${what}: ${detail}`, {
    cause: error,
    retriable: retriable ?? (code !== undefined && TRANSIENT_CODES.has(code)),
  })
}

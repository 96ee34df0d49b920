import { randomUUID } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { LockedError } from '../../errors'
import { type FileSystem, isCode } from './file-system'
import { toStorageError } from './fs-errors'

const LOCK_FILE = 'logbus.lock'
/** Directories locked by this process: a second open in the same process must fail too. */
const lockedHere = new Set<string>()

/** The same directory reached through a symlink or a relative path must map to the same lock. */
function canonical(dir: string): string {
  try {
    return realpathSync(dir)
  } catch {
    return resolve(dir)
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return isCode(error, 'EPERM')
  }
}

interface LockOwner {
  pid: number | undefined
  host: string | undefined
}

function ownerOf(content: string): LockOwner {
  const [pidLine, hostLine] = content.split('\n')
  const pid = Number(pidLine)
  return { pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, host: hostLine || undefined }
}

/**
 * Why the lock of `owner` is not taken over, or undefined when it may be: the owner is provably gone
 * (a dead pid on this host, or this process's own pid left by an earlier process that had it).
 */
function whyHeld(owner: LockOwner): string | undefined {
  const here = hostname()
  if (owner.host !== undefined && owner.host !== here) {
    return (
      `the lock was taken on host ${owner.host}, and this is ${here}: logbus cannot tell whether pid ` +
      `${owner.pid ?? '?'} still runs there. A container recreated on the same volume gets a new hostname; ` +
      'if no other logbus uses this directory, open it with breakLock: true'
    )
  }
  if (owner.pid !== undefined && owner.pid !== process.pid && isAlive(owner.pid)) {
    return (
      `process ${owner.pid} on this host is alive. If it is not a logbus using this directory (its pid was ` +
      'reused), open the directory with breakLock: true'
    )
  }
  return undefined
}

/**
 * Takes the directory's lock file (`logbus.lock`: the owner's pid, host and a token), or throws
 * LockedError if an owner that may be alive holds it, in this process or another. The lock of a
 * provably dead owner is taken over: renamed aside first (atomic, so two processes cannot both take
 * it), then checked to still be the stale one. With `breakLock`, any other process's lock is taken
 * over the same way (never this process's own). Returns the release function.
 *
 * @example
 * ```ts
 * const release = acquireLock(nodeFileSystem, dir, { breakLock: false })
 * try { ... } finally { release() }
 * ```
 */
export function acquireLock(fs: FileSystem, dir: string, options: { breakLock: boolean }): () => void {
  const key = canonical(dir)
  const path = `${dir}/${LOCK_FILE}`
  if (lockedHere.has(key)) {
    throw new LockedError(dir, process.pid, hostname(), 'a bus in this process has it open')
  }
  const content = `${process.pid}\n${hostname()}\n${randomUUID()}\n`
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(path, content, 'wx')
      lockedHere.add(key)
      return () => {
        lockedHere.delete(key)
        try {
          if (fs.readFileSync(path).toString('utf8') === content) fs.unlinkSync(path)
        } catch {
          // Already gone: nothing to release.
        }
      }
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw toStorageError(error, `Cannot lock directory ${dir}`)
    }
    let existing: string
    try {
      existing = fs.readFileSync(path).toString('utf8')
    } catch (error) {
      if (isCode(error, 'ENOENT')) continue
      throw toStorageError(error, `Cannot read the lock of ${dir}`)
    }
    const owner = ownerOf(existing)
    const held = whyHeld(owner)
    if (held !== undefined && !options.breakLock) throw new LockedError(dir, owner.pid, owner.host, held)
    const aside = `${path}.stale-${randomUUID()}`
    try {
      fs.renameSync(path, aside)
    } catch (error) {
      if (isCode(error, 'ENOENT')) continue
      throw toStorageError(error, `Cannot take over the lock of ${dir}`)
    }
    try {
      if (fs.readFileSync(aside).toString('utf8') !== existing) {
        // Another process took the stale lock over and wrote its own between our read and our rename.
        fs.renameSync(aside, path)
        throw new LockedError(dir, undefined, undefined, 'another process took it over at the same moment')
      }
      fs.unlinkSync(aside)
    } catch (error) {
      throw toStorageError(error, `Cannot take over the lock of ${dir}`)
    }
  }
  throw new LockedError(
    dir,
    undefined,
    undefined,
    'it kept changing hands while this process tried to take it',
  )
}

import { randomUUID } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { LockedError, StorageError } from '../../errors'
import { type FileSystem, isCode } from './file-system'

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

function ownerOf(content: string): number | undefined {
  const pid = Number(content.split('\n')[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/**
 * Takes the directory's lock file (`logbus.lock`, holding the owner's pid), or throws LockedError if
 * a live owner holds it, in this process or another. The lock of a dead process is taken over: it is
 * first renamed aside (atomic, so two processes cannot both take it), then checked to still be the
 * stale one. Returns the release function.
 */
export function acquireLock(fs: FileSystem, dir: string): () => void {
  const key = canonical(dir)
  const path = `${dir}/${LOCK_FILE}`
  if (lockedHere.has(key)) throw new LockedError(dir, process.pid)
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
      if (!isCode(error, 'EEXIST')) {
        throw new StorageError(`Cannot lock directory ${dir}: ${(error as Error).message}`, { cause: error })
      }
    }
    let existing: string
    try {
      existing = fs.readFileSync(path).toString('utf8')
    } catch (error) {
      if (isCode(error, 'ENOENT')) continue
      throw new StorageError(`Cannot read the lock of ${dir}: ${(error as Error).message}`, { cause: error })
    }
    const owner = ownerOf(existing)
    // Another host's (or container's) pid cannot be checked: its lock is never taken over.
    const host = existing.split('\n')[1]
    if (owner !== undefined && host !== undefined && host !== '' && host !== hostname()) {
      throw new LockedError(dir, owner)
    }
    // Our own pid without our registry entry means a previous process that had the same pid.
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) throw new LockedError(dir, owner)
    const aside = `${path}.stale-${randomUUID()}`
    try {
      fs.renameSync(path, aside)
    } catch (error) {
      if (isCode(error, 'ENOENT')) continue
      throw new StorageError(`Cannot take over the stale lock of ${dir}: ${(error as Error).message}`, {
        cause: error,
      })
    }
    if (fs.readFileSync(aside).toString('utf8') !== existing) {
      // Another process took the stale lock over and wrote its own between our read and our rename.
      fs.renameSync(aside, path)
      throw new LockedError(dir)
    }
    fs.unlinkSync(aside)
  }
  throw new LockedError(dir)
}

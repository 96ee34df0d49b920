import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { LockedError } from '../../../src/index'
import { openBus, uniqueName } from '../../support/bus'
import { fileBus, LOCK, readAll, rejection, sendEach, tempDir, tree, writtenTopic } from './support'

describe('FileStorage lock', () => {
  it('a second Bus.open on the same directory rejects with LockedError and changes nothing', async () => {
    const dir = tempDir()
    const topic = uniqueName('locked')
    const owner = await fileBus(dir)
    await owner.createTopic(topic)
    await sendEach(owner, topic, ['a', 'b'])
    const before = tree(dir)
    expect(before[LOCK]).toBeDefined()

    const error = await rejection(fileBus(dir))
    expect(error).toBeInstanceOf(LockedError)
    expect((error as LockedError).message).toContain(dir)
    const alsoDir = await rejection(openBus({ dir }))
    expect(alsoDir).toBeInstanceOf(LockedError)
    expect(tree(dir)).toEqual(before)
    // The owner goes on as if nothing happened.
    expect(await sendEach(owner, topic, ['c'])).toEqual([2])
    await owner.close()
    expect(existsSync(join(dir, LOCK))).toBe(false)
    const next = await fileBus(dir)
    expect((await readAll(next, topic)).map((r) => r.value?.toString())).toEqual(['a', 'b', 'c'])
  })

  it('a second open through a symlink to the same directory rejects with LockedError', async () => {
    const dir = tempDir()
    const link = join(tempDir(), 'alias')
    symlinkSync(dir, link, 'dir')
    const topic = uniqueName('alias')
    const owner = await fileBus(dir)
    await owner.createTopic(topic)
    await sendEach(owner, topic, ['a'])
    const before = tree(dir)
    expect(await rejection(fileBus(link))).toBeInstanceOf(LockedError)
    expect(tree(dir)).toEqual(before)
  })

  it('takes over the lock of a dead process', async () => {
    const dir = tempDir()
    const { topic } = await writtenTopic(dir, 3)
    writeFileSync(join(dir, LOCK), `2147483646\n${hostname()}\nsome-old-token\n`)
    const bus = await fileBus(dir)
    expect(readFileSync(join(dir, LOCK), 'utf8').split('\n')[0]).toBe(String(process.pid))
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(3)
    await bus.close()
    expect(existsSync(join(dir, LOCK))).toBe(false)
  })

  it('never takes over a lock written on another host (its pid cannot be checked from here)', async () => {
    const dir = tempDir()
    await writtenTopic(dir, 1)
    // A dead pid, but another host's (or container's): it may be alive there.
    writeFileSync(join(dir, LOCK), `2147483646\nsome-other-host\ntoken\n`)
    await expect(fileBus(dir)).rejects.toBeInstanceOf(LockedError)
    expect(readFileSync(join(dir, LOCK), 'utf8')).toBe('2147483646\nsome-other-host\ntoken\n')
  })

  it('refuses a lock held by another live process', async () => {
    const dir = tempDir()
    const { topic } = await writtenTopic(dir, 3)
    const child: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
      stdio: 'ignore',
    })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    onTestFinished(async () => {
      child.kill()
      await exited
    })
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
    const pid = child.pid!
    writeFileSync(join(dir, LOCK), `${pid}\n${hostname()}\nother-process-token\n`)
    const before = tree(dir)

    const error = await rejection(fileBus(dir))
    expect(error).toBeInstanceOf(LockedError)
    expect((error as LockedError).ownerPid).toBe(pid)
    expect((error as LockedError).message).toContain(String(pid))
    expect(tree(dir)).toEqual(before)

    // Once the owner is gone, its lock is stale and taken over.
    child.kill()
    await exited
    const bus = await fileBus(dir)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(3)
  })
})

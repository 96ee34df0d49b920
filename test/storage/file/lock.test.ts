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

  it('never takes over a lock from another host on its own, and says whose it is and what to do (issue 10, bug 7)', async () => {
    const dir = tempDir()
    await writtenTopic(dir, 1)
    // A dead pid, but another host's (or container's): it may be alive there.
    writeFileSync(join(dir, LOCK), `1\nold-container\ntoken\n`)
    const error = await rejection(fileBus(dir))
    expect(error).toBeInstanceOf(LockedError)
    expect(error).toMatchObject({ ownerPid: 1, ownerHost: 'old-container' })
    // Before: "locked by another logbus (pid 1)", nothing about the host or a way out.
    const message = (error as Error).message
    expect(message).toContain('pid 1 on host old-container')
    expect(message).toContain(hostname())
    expect(message).toMatch(/new hostname/)
    expect(message).toContain('breakLock: true')
    expect(readFileSync(join(dir, LOCK), 'utf8')).toBe('1\nold-container\ntoken\n')
  })

  it('breakLock takes over a lock from another host, through FileStorage and through Bus.open', async () => {
    const dir = tempDir()
    const { topic } = await writtenTopic(dir, 2)
    writeFileSync(join(dir, LOCK), `1\nold-container\ntoken\n`)
    const bus = await fileBus(dir, { breakLock: true })
    expect(readFileSync(join(dir, LOCK), 'utf8').split('\n').slice(0, 2)).toEqual([
      String(process.pid),
      hostname(),
    ])
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(2)
    await bus.close()
    expect(existsSync(join(dir, LOCK))).toBe(false)

    writeFileSync(join(dir, LOCK), `7\nother-container\ntoken\n`)
    const viaBus = await openBus({ dir, breakLock: true })
    expect(viaBus.topic(topic).partition(0).logEndOffset).toBe(2)
  })

  it('breakLock never takes the lock of a bus open in this same process', async () => {
    const dir = tempDir()
    const owner = await fileBus(dir)
    const error = await rejection(fileBus(dir, { breakLock: true }))
    expect(error).toBeInstanceOf(LockedError)
    expect((error as Error).message).toMatch(/in this process/)
    await owner.close()
  })

  it('breakLock applies to a dir: without one, Bus.open rejects it', async () => {
    expect(await rejection(openBus({ breakLock: true }))).toMatchObject({ name: 'InvalidConfigError' })
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
    expect((error as LockedError).message).toMatch(/is alive/)
    expect(tree(dir)).toEqual(before)
    // A live process may be an unrelated one that reused the pid: breakLock is the way out.
    const broken = await fileBus(dir, { breakLock: true })
    await broken.close()
    writeFileSync(join(dir, LOCK), `${pid}\n${hostname()}\nother-process-token\n`)

    // Once the owner is gone, its lock is stale and taken over.
    child.kill()
    await exited
    const bus = await fileBus(dir)
    expect(bus.topic(topic).partition(0).logEndOffset).toBe(3)
  })
})

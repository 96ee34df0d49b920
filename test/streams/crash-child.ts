/**
 * The child of the streams crash test: a counter application on a file log, SIGKILLed in the middle
 * of processing, between two commits. Usage:
 * `crash-child.ts <dir> <committed> <extra> <killAfter> [at_least_once|exactly_once_v2]`:
 * it sends `committed` events, processes and commits them, then sends `extra` more one by one, and
 * kills itself (SIGKILL, from inside a processor) when it processes the `killAfter`-th of those.
 */
import { Bus } from '../../src/index'
import { counterApp, events, restartTopics } from './restart-topology'

const [dir, committedText, extraText, killText, guarantee] = process.argv.slice(2)
const committed = Number(committedText)
const extra = Number(extraText)
const killAfter = Number(killText)

const bus = await Bus.open({ dir: dir!, topics: restartTopics })
let seen = 0
const { app } = counterApp(
  bus,
  3_600_000,
  () => {
    seen++
    if (seen === committed + killAfter) process.kill(process.pid, 'SIGKILL')
  },
  guarantee === 'exactly_once_v2' ? 'exactly_once_v2' : 'at_least_once',
)
await app.start()
const producer = bus.producer()
await producer.send('events', events('u', committed, 1_000))
await app.caughtUp()
await app.commit()
process.stdout.write('committed\n')
for (let i = 0; i < extra; i++)
  await producer.send('events', { key: 'u', value: `late-${i}`, timestamp: 2_000 })
await app.caughtUp()
process.stdout.write('not killed\n')

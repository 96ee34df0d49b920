/**
 * 4. Scaling: in-memory throughput (typed string topic, batched sends) vs partitions (1, 8, 64; group of 1) and vs group
 * size (1, 4, 16; 16 partitions so that every member owns one), and the rebalance time of a
 * 16-member group, idle and while a producer streams. The reopen of a 1 GiB log is in reopen.ts.
 */

import type { Consumer } from 'logbus'
import {
  type BenchOptions,
  cpuSnapshot,
  type Figure,
  foreignCores,
  type PartContext,
  type RepSample,
  settle,
  withTimeout,
} from './common'
import { attempt, type CaseSpec, figureFrom, measure } from './harness'
import { openBus, produce, runLoad } from './load'
import { loadSizing } from './memory'
import { createBenchTopic, workload } from './workload'

function throughputCase(
  options: BenchOptions,
  partitions: number,
  groupSize: number,
  kind: string,
): CaseSpec {
  return {
    id: `scaling.${kind}.${kind === 'partitions' ? partitions : groupSize}`,
    section: 'scaling',
    label: `memory, typed string topic, send([100]), ${partitions} partition${partitions > 1 ? 's' : ''}, group of ${groupSize}`,
    unit: 'msgs/s',
    better: 'higher',
    sizing: loadSizing(options.quick),
    run: (n) =>
      runLoad({ storage: 'memory', kind: 'string', partitions, groupSize, producers: 1, mode: 'batch' }, n),
  }
}

const MEMBERS = 16

/**
 * A group of 15 members on 16 partitions; each repetition measures a 16th member joining (from
 * `run()` to the group settled: every member revoked, committed and got its new assignment) and then
 * leaving (from `close()` to settled). With `loaded`, a producer streams batches all along.
 */
async function rebalance(options: BenchOptions, loaded: boolean): Promise<Figure[]> {
  const reps = options.reps
  const { bus } = await openBus('memory')
  let stop = false
  let streaming: Promise<void> = Promise.resolve()
  try {
    const topic = await createBenchTopic(bus, 'string', MEMBERS)
    const group = bus.group('rebalance')
    const handler = { eachMessage: () => {} }
    const join = async (): Promise<Consumer<unknown>> => {
      const c = bus.consumer({ groupId: 'rebalance', topics: [topic], fromBeginning: false })
      await c.run(handler)
      return c
    }
    // Formation: 16 members joining at once, until the group is stable.
    const formStart = performance.now()
    const members = await Promise.all(Array.from({ length: MEMBERS }, join))
    await group.settled()
    const formMs = performance.now() - formStart
    await members.pop()!.close()
    await group.settled()
    if (loaded) {
      const producer = bus.producer()
      streaming = (async () => {
        let offset = 0
        while (!stop) {
          await produce(producer, topic, workload('string'), 'batch', 10_000, offset)
          offset += 10_000
        }
      })()
    }
    const joins: RepSample[] = []
    const leaves: RepSample[] = []
    for (let r = 0; r <= reps; r++) {
      await settle()
      let before = cpuSnapshot()
      const t0 = performance.now()
      const c = await withTimeout(join(), 30_000, 'a join')
      await group.settled()
      const t1 = performance.now()
      const joinForeign = foreignCores(before, cpuSnapshot())
      before = cpuSnapshot()
      const t2 = performance.now()
      await withTimeout(c.close(), 30_000, 'a leave')
      await group.settled()
      const t3 = performance.now()
      if (r === 0) continue // warm-up
      joins.push({ value: t1 - t0, foreignCores: joinForeign, detail: { generation: group.generation } })
      leaves.push({ value: t3 - t2, foreignCores: foreignCores(before, cpuSnapshot()) })
    }
    const tag = loaded ? '.loaded' : ''
    const when = loaded ? ', producer streaming' : ', idle'
    const figures = [
      figureFrom(
        {
          id: `rebalance.join16${tag}`,
          section: 'scaling',
          label: `rebalance: 16th member joins (eager, range)${when}`,
          unit: 'ms',
          better: 'lower',
        },
        joins,
      ),
      figureFrom(
        {
          id: `rebalance.leave16${tag}`,
          section: 'scaling',
          label: `rebalance: 1 of 16 members leaves${when}`,
          unit: 'ms',
          better: 'lower',
        },
        leaves,
      ),
    ]
    if (!loaded) {
      figures.push(
        figureFrom(
          {
            id: 'rebalance.form16',
            section: 'scaling',
            label: 'rebalance: 16 members join at once, until stable (1 run)',
            unit: 'ms',
            better: 'lower',
          },
          [{ value: formMs }],
        ),
      )
    }
    stop = true
    await streaming
    await Promise.all(members.map((m) => m.close()))
    return figures
  } finally {
    stop = true
    await streaming.catch(() => undefined)
    await bus.close()
  }
}

export async function runScaling(context: PartContext): Promise<Figure[]> {
  const { options, failures } = context
  const figures: Figure[] = []
  const cases: CaseSpec[] = [
    throughputCase(options, 1, 1, 'partitions'),
    throughputCase(options, 8, 1, 'partitions'),
    throughputCase(options, 64, 1, 'partitions'),
    throughputCase(options, 16, 1, 'group'),
    throughputCase(options, 16, 4, 'group'),
    throughputCase(options, 16, 16, 'group'),
  ]
  for (const spec of cases) await attempt(failures, spec.id, () => measure(spec, options), figures)
  await attempt(failures, 'rebalance (idle)', () => rebalance(options, false), figures)
  await attempt(failures, 'rebalance (loaded)', () => rebalance(options, true), figures)
  return figures
}

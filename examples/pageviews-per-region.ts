/**
 * Page views per region per minute, a Kafka Streams classic over Confluent's `users` and `pageviews`
 * quickstart data: each page view is joined with its user's row of the users table (which region the
 * user is in), counted per region in tumbling one-minute windows, and each minute's final count is
 * written to `pageviews-per-region` once the minute has closed.
 *
 * Run it: `npx tsx examples/pageviews-per-region.ts`
 */
import { Bus, json } from 'logbus'
import { Suppressed, streams, TimeWindows } from 'logbus/streams'
import { z } from 'zod'

// The shapes of Confluent's datagen quickstarts `users` and `pageviews`.
const User = z.object({
  registertime: z.number(),
  userid: z.string(),
  regionid: z.string(),
  gender: z.enum(['MALE', 'FEMALE', 'OTHER']),
})
const Pageview = z.object({ viewtime: z.number(), userid: z.string(), pageid: z.string() })
const RegionMinute = z.object({ region: z.string(), minute: z.string(), views: z.number() })

const bus = await Bus.open({
  topics: {
    users: { partitions: 3, value: json(User) },
    pageviews: { partitions: 3, value: json(Pageview) },
    'pageviews-per-region': { value: json(RegionMinute) },
  },
})

const app = streams(bus, { applicationId: 'pageviews-per-region' })
const users = app.table('users', { name: 'users' })
const viewsPerRegion = app
  .stream('pageviews')
  // Page views are keyed by view time, as the quickstart writes them: key them by user to join.
  .selectKey((_, view) => view.userid)
  .join(users, (view, user) => ({ ...view, region: user.regionid }), { name: 'views-with-region' })
  .groupBy((_, view) => view.region, { name: 'views-by-region' })
  .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 5_000))
  .count({ name: 'views-per-region-per-minute' })
viewsPerRegion
  .suppress(Suppressed.untilWindowCloses())
  .toStream()
  .filter((_, views): views is number => views !== null) // a table's stream has nulls for deletions
  .map(
    (windowed, views) =>
      [
        windowed.key,
        { region: windowed.key, minute: new Date(windowed.window.start).toISOString().slice(11, 16), views },
      ] as const,
  )
  .to('pageviews-per-region')

const finals: string[] = []
const reader = bus.consumer({ topics: ['pageviews-per-region'], fromBeginning: true })
await reader.run({
  eachMessage: ({ value }) => void finals.push(`${value.minute} ${value.region}: ${value.views}`),
})
await app.start()

// A seeded generator, so every run shows the same numbers.
let seed = 42
const random = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
  return seed / 2_147_483_648
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
const userIds = Array.from({ length: 9 }, (_, i) => `User_${i + 1}`)
const regions = Array.from({ length: 4 }, (_, i) => `Region_${i + 1}`)
const start = Date.UTC(2024, 0, 1, 12, 0, 0)

const producer = bus.producer()
await producer.send(
  'users',
  userIds.map((userid) => ({
    key: userid,
    value: {
      registertime: start - 86_400_000,
      userid,
      regionid: pick(regions),
      gender: pick(['MALE', 'FEMALE', 'OTHER'] as const),
    },
    timestamp: start,
  })),
)
// Three minutes of live traffic, a view every 750 ms, sent as it happens (every 3 s); then a view of
// every user past the last minute's grace period, which closes it. (Stream time is per task, as in
// Kafka Streams: a window closes in the partition whose records move its time past the window's end
// plus grace, so every region gets one.)
const view = (viewtime: number, userid = pick(userIds)) => ({
  key: String(viewtime),
  value: { viewtime, userid, pageid: `Page_${Math.floor(random() * 90) + 10}` },
  timestamp: viewtime,
})
for (let i = 0; i < 240; i += 4) {
  await producer.send(
    'pageviews',
    [0, 1, 2, 3].map((j) => view(start + (i + j) * 750)),
  )
  await app.caughtUp()
}
await producer.send(
  'pageviews',
  userIds.map((userid) => view(start + 3 * 60_000 + 5_000, userid)),
)
await app.caughtUp()
await reader.caughtUp()

console.log(`Final page views per region per minute (${app.metrics().droppedRecords} late views dropped):`)
for (const line of finals) console.log(' ', line)
// The windowed table answers queries too (interactive queries), including the minute still open.
const [region] = regions
console.log(
  `${region}, every minute so far:`,
  viewsPerRegion
    .fetch(region!)
    .map(([w, n]) => `${new Date(w.window.start).toISOString().slice(11, 16)}=${n}`),
)

await app.close()
await bus.close()

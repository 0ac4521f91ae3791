// Chapter 7: a materialized view.
// Instead of reading every log on every question (chapter 6), kappa-core reads
// each entry of each log ONCE, hands it to a view's map(), and the view keeps
// the answer ready in LevelDB: here, every message sorted by its timestamp.
// The logs stay the truth; a view can always be thrown away and rebuilt.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Kappa } from '@kappa-ts/kappa-core'
import { listView } from '@kappa-ts/view-list'

interface Msg { author: string; text: string; timestamp: number }

const isMsg = (v: unknown): v is Msg => typeof v === 'object' && v !== null &&
  typeof (v as Msg).author === 'string' && typeof (v as Msg).text === 'string' && Number.isSafeInteger((v as Msg).timestamp)

// The view: a list whose sort key is the message's timestamp. Entries that are
// not messages get no sort key (null) and are left out.
const messages = () => listView<Msg>({ map: (entry) => (isMsg(entry.value) ? entry.value.timestamp : null) })

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kappa-ch07-'))
const t0 = Date.UTC(2024, 0, 1, 12, 0, 0)
const show = (items: Array<{ value: Msg }>) => items.map((i) => `${i.value.author}: ${i.value.text}`).join(' | ')

const alice = new Kappa(path.join(tmp, 'alice')).use('messages', messages())
await alice.ready()
const bob = new Kappa(path.join(tmp, 'bob'), { key: alice.key }).use('messages', messages())
await bob.ready()

// Bob's clock says he wrote first, but he writes later; the view sorts by timestamp.
const aw = await alice.writer()
const bw = await bob.writer()
await aw.append([{ author: 'alice', text: 'second', timestamp: t0 + 2000 }, { author: 'alice', text: 'fourth', timestamp: t0 + 4000 }])
await aw.append({ note: 'not a message' })
await bw.append([{ author: 'bob', text: 'first', timestamp: t0 + 1000 }, { author: 'bob', text: 'third', timestamp: t0 + 3000 }])

await alice.indexed()
console.log('alice alone:', show(await alice.api.messages.read()))

// Sync the two kappas. synced() resolves once alice holds everything bob holds and her
// view has indexed it (a feed's length would only say what bob announced).
const a = alice.replicate(true)
const b = bob.replicate(false)
a.pipe(b).pipe(a)
await alice.synced()
console.log('alice after sync:', show(await alice.api.messages.read()))

// Range queries come straight from the index: no log is read.
console.log('latest two:', show(await alice.api.messages.read({ reverse: true, limit: 2 })))
console.log('from 12:00:02 to before 12:00:04:', show(await alice.api.messages.read({ gte: t0 + 2000, lt: t0 + 4000 })))

await alice.indexed()
const status = alice.status().messages!
console.log('view status:', status.state, `${status.indexed}/${status.total} entries`)

// A restart does not re-index: the view's cursors were committed with its data.
a.destroy()
await bob.close()
await alice.close()
const again = new Kappa(path.join(tmp, 'alice')).use('messages', messages())
await again.ready()
console.log('after restart, before any indexing:', (await again.api.messages.read()).length, 'messages')
await again.close()
fs.rmSync(tmp, { recursive: true, force: true })

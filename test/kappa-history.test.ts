import test from 'tape'
import { Kappa, entryId, type Entry } from '@kappa-ts/kappa-core'
import { kvView } from '@kappa-ts/view-kv'
import { listView } from '@kappa-ts/view-list'
import { tmpDir } from '@kappa-ts/test-helpers'
import { chatViews, type ChatMessage } from './kappa-helpers.js'

test('kv and list views added to a populated kappa index the history; a version bump rebuilds them', async (t) => {
  const dir = tmpDir(t)
  const plain = new Kappa(dir)
  await plain.ready()
  const w = await plain.writer()
  let previous: string | null = null
  for (let i = 0; i < 300; i++) {
    const [, count] = await w.append([
      { type: 'chat', time: 1000 - i, author: 'ann', text: 'm' + i },
      { key: 'count', value: i, links: previous === null ? [] : [previous] }
    ])
    previous = entryId(w.key, count!)
  }
  // added after the data exists, and after ready()
  const k = plain.use('profiles', chatViews().profiles).use('messages', chatViews().messages)
  await k.indexed()
  const messages = await k.api.messages.read()
  t.equal(messages.length, 300, 'the list indexed all history')
  t.equal(messages[0]?.value.text, 'm299', 'sorted by time')
  t.deepEqual((await k.api.profiles.get('count')).map((h) => h.value), [299], 'the kv followed the chain of links')
  await k.close()

  // same names, new versions: data cleared and rebuilt from the logs, same answers
  let listMapped = 0
  const bumped = new Kappa(dir)
    .use('profiles', kvView<number>({ version: 2 }))
    .use('messages', listView<ChatMessage>({ version: 2, map: (e: Entry<ChatMessage>) => { listMapped++; return e.value.type === 'chat' ? e.value.time : null } }))
  await bumped.indexed()
  t.equal(listMapped, 600, 'the list saw every entry again')
  t.deepEqual((await bumped.api.messages.read()).map((m) => m.value.text), messages.map((m) => m.value.text), 'same list after the rebuild (not doubled)')
  t.deepEqual((await bumped.api.profiles.get('count')).map((h) => h.value), [299])
  await bumped.close()
})
